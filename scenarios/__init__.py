"""Scenarios: the baseline world data, the scenario files and their schema, loader and validator.

- :mod:`parkabm.scenarios.schema`: what a scenario may say (world settings, levers, uncertainties);
- :mod:`parkabm.scenarios.loader`: find, resolve (``extends:``) and validate scenario files;
- :mod:`parkabm.scenarios.validation`: the bounded YAML reader and the translator of schema errors into problem
  lines, shared by scenario and experiment files;
- :mod:`parkabm.scenarios.errors`: :class:`UserInputError`, the one exception for user mistakes;
- :mod:`parkabm.scenarios.world`: the baseline world tables (parks, sectors, targets, history).
"""

from parkabm.scenarios.errors import Problem, UserInputError
from parkabm.scenarios.loader import SCENARIO_DIR, apply_changes, list_scenarios, load_scenario, validate
from parkabm.scenarios.schema import Scenario

__all__ = [
    "SCENARIO_DIR",
    "Problem",
    "Scenario",
    "UserInputError",
    "apply_changes",
    "list_scenarios",
    "load_scenario",
    "validate",
]
