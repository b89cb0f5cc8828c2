"""Settings of one dashboard server: replicates, seed, population scale, and the scenarios it offers.

The scenarios offered are the shipped ones and any scenario file given as ``--scenario`` or ``--reference`` (for
example a package written by ``parkabm design``), listed under the name the file gives itself.

:func:`parkabm.experiments.dashboard.serve` fills :data:`SETTINGS` before the server starts; every browser tab of
that server reads them. Scenarios and the world are loaded once per server and shared (they are immutable).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from parkabm.scenarios.errors import UserInputError


@dataclass
class DashboardSettings:
    """What every page of one server uses.

    Attributes:
        reps: Replicates per scenario and run.
        seed: Master seed (replicate ``r`` is seeded as in ``parkabm run --seed``).
        population_scale: Multiplier of the synthetic firm population (``world.population_scale``); None keeps each
            scenario's own (1 = the calibrated population).
        scenario: The scenario shown first.
        reference: The scenario differences are taken from.
    """

    reps: int = 50
    seed: int = 0
    population_scale: float | None = None
    scenario: str = "baseline"
    reference: str = "baseline"
    _scenarios: dict = field(default_factory=dict, repr=False)
    _names: list = field(default_factory=list, repr=False)
    _world: object = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def scenario_names(self) -> list[str]:
        """The shipped scenarios, sorted by name (each checked by the loader), then the scenario files given."""
        with self._lock:
            if not self._names:
                from parkabm.scenarios.loader import list_scenarios

                self._names = list(list_scenarios()["name"])
            return list(self._names)

    def scenario_of(self, name: str):
        """Return the resolved shipped scenario ``name``."""
        with self._lock:
            if name not in self._scenarios:
                from parkabm.scenarios.loader import load_scenario

                self._scenarios[name] = load_scenario(name)
            return self._scenarios[name]

    @property
    def world(self):
        """The shipped world tables."""
        with self._lock:
            if self._world is None:
                from parkabm.scenarios.world import load_world

                self._world = load_world()
            return self._world

    def configure(self, *, reps: int, seed: int, population_scale: float | None, scenario: str,
                  reference: str) -> None:
        """Set the server's settings, checking them as the command line does.

        Raises:
            UserInputError: A bad number of replicates, population scale or scenario name.
        """
        if reps < 1:
            raise UserInputError(f"--reps: {reps} — allowed: a whole number ≥ 1")
        if population_scale is not None and not 0 < population_scale <= 200:
            raise UserInputError(f"--population-scale: {population_scale} — allowed: a number > 0 and ≤ 200")
        names = self.scenario_names
        chosen = []
        for option, name in (("--scenario", scenario), ("--reference", reference)):
            if name in names:
                chosen.append(name)
                continue
            if not name.endswith((".yaml", ".yml")):
                raise UserInputError(f"{option}: {name!r} — allowed: a shipped scenario ({', '.join(names)}) or a "
                                     "scenario file (.yaml)")
            chosen.append(self.add_scenario_file(name, option=option))
        self.reps, self.seed, self.population_scale = reps, seed, population_scale
        self.scenario, self.reference = chosen

    def add_scenario_file(self, path: str, *, option: str = "--scenario") -> str:
        """Load a scenario file, offer it beside the shipped scenarios, and return the name it is listed under.

        Raises:
            UserInputError: The file does not load (every problem, naming file and field), or its ``name`` is
                that of a shipped scenario it is not.
        """
        from parkabm.scenarios.loader import load_scenario

        scenario = load_scenario(path)
        with self._lock:
            known = self._scenarios.get(scenario.name)
            if scenario.name in self._names and known != scenario:
                raise UserInputError(f"{option}: {path} — name: {scenario.name!r} — allowed: a name that no shipped "
                                     "scenario uses")
            self._scenarios[scenario.name] = scenario
            if scenario.name not in self._names:
                self._names.append(scenario.name)
        return scenario.name


SETTINGS = DashboardSettings()
"""The settings of the server running in this process."""
