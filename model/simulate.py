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


def parameter_seed(seed: int, replicate: int) -> np.random.SeedSequence:
    """Return the seed sequence a replicate draws its uncertain parameters from: the first child of its own seed.

    Kept apart from the model's stream so that fixing a parameter (a design factor) changes no other draw.
    """
    return np.random.SeedSequence(seed, spawn_key=(replicate, 0))


def draw_parameters(scenario, seed: int, replicate: int,
                    overrides: dict[str, float] | None = None) -> dict[str, float]:
    """Return a replicate's behavioural parameters: one draw of the scenario's uncertainties, then ``overrides``.

    Every distribution consumes its draw even when overridden, so fixing one parameter never changes the values
    drawn for the others.
    """
    values = scenario.parameter_values(np.random.default_rng(parameter_seed(seed, replicate)))
    values.update(overrides or {})
    return values


def simulate(scenario, *, seed: int = 0, replicate: int = 0, parameters: dict[str, float] | None = None,
             overrides: dict[str, float] | None = None, world: World | None = None) -> RunResult:
    """Run a scenario from its base year to its horizon.

    The run's parameters are drawn from :func:`parameter_seed` and the model runs on :func:`replicate_seed`, so a
    replicate of ``parkabm run`` and the batch job with the same number and master seed give the same numbers.

    Args:
        scenario: A resolved scenario.
        seed: Master seed of the experiment.
        replicate: Replicate (or job) number; with ``seed`` it fixes every random draw of the run.
        parameters: Every behavioural parameter value; drawn with :func:`draw_parameters` when omitted.
        overrides: Parameter values that replace drawn ones (uncertainty factors of a design).
        world: World tables; the shipped world when omitted.

    Returns:
        The run's yearly and per-park outputs and its parameter values.
    """
    if parameters is None:
        parameters = draw_parameters(scenario, seed, replicate, overrides)
    elif overrides:
        parameters = {**parameters, **overrides}
    model = ParkModel(scenario, parameters=parameters, rng=replicate_seed(seed, replicate), world=world)
    model.run_model()
    return RunResult(model.yearly_frame(), model.parks_frame(), dict(model.params))
