"""Run one replicate of a scenario headless and return its tidy outputs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from parkabm.model.city import ParkModel
from parkabm.scenarios.world import World


def replicate_seed(seed: int, replicate: int) -> np.random.SeedSequence:
    """Return the seed sequence of one replicate: child ``replicate`` of the master ``seed``.

    Built from the replicate's number, not by spawning in order, so a replicate's numbers never depend on which
    worker ran it or what ran before.
    """
    return np.random.SeedSequence(seed, spawn_key=(replicate,))


@dataclass
class RunResult:
    """Outputs of one run.

    Attributes:
        yearly: Citywide outputs, one row per year (base year included).
        parks: Per-park outputs, one row per year × park.
        parameters: The behavioural parameter values the run used.
    """

    yearly: pd.DataFrame
    parks: pd.DataFrame
    parameters: dict[str, float]


def simulate(scenario, *, seed: int = 0, replicate: int = 0, parameters: dict[str, float] | None = None,
             world: World | None = None) -> RunResult:
    """Run a scenario from its base year to its horizon.

    Args:
        scenario: A resolved scenario.
        seed: Master seed of the experiment.
        replicate: Replicate number; with ``seed`` it fixes every random draw of the run.
        parameters: Behavioural parameter values; one draw from the scenario's uncertainties when omitted.
        world: World tables; the shipped world when omitted.

    Returns:
        The run's yearly and per-park outputs and its parameter values.
    """
    model = ParkModel(scenario, parameters=parameters, rng=replicate_seed(seed, replicate), world=world)
    model.run_model()
    return RunResult(model.yearly_frame(), model.parks_frame(), dict(model.params))
