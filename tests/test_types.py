"""The model core type-checks: ``mypy`` on parkabm.model and parkabm.agents reports no error.

The rules are functions typed against :class:`parkabm.model.city.ParkModel`, whose state is declared there; mypy is
what makes a rule that reads an undeclared attribute, or writes one of the wrong type, fail ``make test``.
"""

import typing
from pathlib import Path

from mypy import api

from parkabm.agents.firms import FIELDS, Firms
from parkabm.model.city import ParkModel

ROOT = Path(__file__).parents[1]
TOP_LEVEL = ("model", "agents", "scenarios", "experiments")


def test_mypy_finds_no_error_in_the_model_and_the_agents(tmp_path, monkeypatch):
    # The folders install as parkabm.<folder> through an import hook mypy cannot follow: give it the same layout.
    package = tmp_path / "src" / "parkabm"
    package.mkdir(parents=True)
    for top in TOP_LEVEL:
        (package / top).symlink_to(ROOT / top, target_is_directory=True)
    monkeypatch.setenv("MYPYPATH", str(tmp_path / "src"))
    stdout, stderr, status = api.run([
        "--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(tmp_path / "cache"),
        "--follow-imports=silent", "-p", "parkabm.model", "-p", "parkabm.agents",
    ])
    assert status == 0, stdout + stderr
    assert "Success" in stdout


def test_every_firm_field_is_declared_with_a_type_on_firms():
    declared = {name for name, kind in typing.get_type_hints(Firms).items() if kind is not int and name != "n"}
    assert set(FIELDS) <= declared


def test_the_model_declares_every_attribute_it_holds_after_a_step():
    model = ParkModel("baseline", seed=3, population_scale=0.1)
    model.step()
    declared = set(typing.get_type_hints(ParkModel))
    mesa_own = {name for name in vars(model) if name.startswith("_")} | {
        "running", "steps", "rng", "random", "step", "time"}
    undeclared = set(vars(model)) - declared - mesa_own
    assert not undeclared, f"ParkModel attributes without a declared type: {sorted(undeclared)}"
