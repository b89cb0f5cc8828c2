"""Settings of one dashboard server: replicates, seed, population scale, and the scenarios it offers.

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
        """The shipped scenarios, sorted by name (each checked by the loader)."""
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
        for option, name in (("--scenario", scenario), ("--reference", reference)):
            if name not in names:
                raise UserInputError(f"{option}: {name!r} — allowed: a shipped scenario ({', '.join(names)})")
        self.reps, self.seed, self.population_scale = reps, seed, population_scale
        self.scenario, self.reference = scenario, reference


SETTINGS = DashboardSettings()
"""The settings of the server running in this process."""
