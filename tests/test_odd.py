"""docs/ODD.md stays true to the code: every parameter, lever, mechanism and named rule appears in it."""

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from parkabm.model import city
from parkabm.model.outputs.registry import CITY_REPORTERS
from parkabm.model.rules import evaluation, land
from parkabm.model.rules import firms as firm_rules
from parkabm.model.rules import parks as park_rules
from parkabm.scenarios.parameters import PARAMETERS
from parkabm.scenarios.schema import Levers

ODD = (Path(__file__).parents[1] / "docs" / "ODD.md").read_text(encoding="utf-8")


def lever_names(model: type[BaseModel]) -> set[str]:
    names = set()
    for name, field in model.model_fields.items():
        names.add(name)
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= lever_names(annotation)
    return names


@pytest.mark.parametrize("name", sorted(PARAMETERS))
def test_every_parameter_is_in_the_parameter_table(name):
    assert re.search(rf"^\| `{name}` \|", ODD, re.MULTILINE), f"{name} missing from docs/ODD.md section 9"


@pytest.mark.parametrize("name", sorted(lever_names(Levers)))
def test_every_lever_and_mechanism_is_named(name):
    assert name in ODD, f"lever {name} missing from docs/ODD.md"


@pytest.mark.parametrize("name", sorted(set(re.findall(r"`([a-z_]+)`", ODD.split("## 3.")[1].split("## 4.")[0]))))
def test_every_rule_named_in_the_schedule_exists(name):
    modules = (city, evaluation, firm_rules, land, park_rules)
    assert any(hasattr(m, name) for m in modules), f"{name} is named in the schedule but not in the code"


def test_schedule_order_matches_step():
    source = Path(city.__file__).read_text(encoding="utf-8")
    step = source.split("def step(self)")[1].split("def _record")[0]
    called = re.findall(r"\.(\w+)\(self\)", step)
    schedule = re.findall(r"`([a-z_]+)`", ODD.split("## 3.")[1].split("## 4.")[0])
    rules = [n for n in schedule if n in called]
    assert rules == [n for n in called if n in schedule]


@pytest.mark.parametrize("name", sorted(n for n in CITY_REPORTERS if not n.startswith("fiscal_")))
def test_outputs_are_described(name):
    assert name in ODD, f"output {name} missing from docs/ODD.md section 8"


def test_fiscal_outputs_are_described_as_one_per_lever():
    from parkabm.model.outputs.reporters import FISCAL_LEVERS

    assert "`fiscal_<lever>_yi`" in ODD
    assert all(lever.replace("_", " ") in ODD.replace("_", " ") for lever in FISCAL_LEVERS)
