"""docs/ODD.md stays true to the code: every parameter, lever, mechanism and named rule appears in it."""

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from parkabm.model import city, schedule
from parkabm.model.outputs.registry import CITY_REPORTERS
from parkabm.model.rules import (
    chain_leaders,
    entry,
    evaluation,
    exit,
    funds,
    growth,
    land,
    prices,
    race,
    recruitment,
    space,
    upgrading,
)
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


SCHEDULE_TEXT = ODD.split("## 3.")[1].split("## 4.")[0].split("Firms are processed")[0]
"""The numbered phase list of section 3."""
RULE_MODULES = (city, schedule, chain_leaders, entry, evaluation, exit, funds, growth, land, prices, race, recruitment,
                space, upgrading)


@pytest.mark.parametrize("name", sorted(set(re.findall(r"`([a-z_]+)`", SCHEDULE_TEXT))))
def test_every_rule_named_in_the_schedule_exists(name):
    assert any(hasattr(m, name) for m in RULE_MODULES), f"{name} is named in the schedule but not in the code"


def test_the_schedule_lists_the_phases_of_the_code_in_order():
    phases = re.findall(r"^\d+\. \*\*([a-z_]+)\*\*", SCHEDULE_TEXT, re.MULTILINE)
    assert phases == [phase.name for phase in schedule.PHASES]


def test_the_schedule_lists_every_rule_of_each_phase_in_order():
    items = re.split(r"^\d+\. ", SCHEDULE_TEXT, flags=re.MULTILINE)[1:]
    for item, phase in zip(items, schedule.PHASES, strict=True):
        named = [n for n in re.findall(r"`([a-z_]+)`", item) if any(n == r.__name__ for r in phase.rules)]
        assert named == [rule.__name__ for rule in phase.rules], f"phase {phase.name}"


def test_every_rule_module_is_named_in_the_odd():
    for module in RULE_MODULES[2:]:
        stem = module.__name__.rsplit(".", 1)[1]
        assert f"model/rules/{stem}.py" in ODD, f"model/rules/{stem}.py missing from docs/ODD.md"


@pytest.mark.parametrize("name", sorted(n for n in CITY_REPORTERS if not n.startswith("fiscal_")))
def test_outputs_are_described(name):
    assert name in ODD, f"output {name} missing from docs/ODD.md section 8"


def test_fiscal_outputs_are_described_as_one_per_lever():
    from parkabm.model.outputs.reporters import FISCAL_LEVERS

    assert "`fiscal_<lever>_yi`" in ODD
    assert all(lever.replace("_", " ") in ODD.replace("_", " ") for lever in FISCAL_LEVERS)
