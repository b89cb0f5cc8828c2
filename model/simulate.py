"""Run one replicate of a scenario headless and return its tidy outputs.

A headless run builds its model without Mesa's DataCollector (``mesa_datacollector=False``) and reads its outputs
from the model's own records, which hold the same values: as columns (:func:`simulate_columns`, what a batch keeps
until the end of a chunk) or as pandas frames (:func:`simulate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter
from typing import Any

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


def yearly_columns(records: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """Return a model's citywide records (one dict per recorded year) as one array per output, in record order.

    A column whose values are all whole numbers (``year``) is ``int64``, every other one ``float64``: the dtypes
    :meth:`ParkModel.yearly_frame <parkabm.model.city.ParkModel.yearly_frame>` infers from the same records.
    """
    names = list(records[0])
    rows = [itemgetter(*names)(r) for r in records]
    values = np.array(rows, dtype=np.float64)
    columns: dict[str, np.ndarray] = {}
    for j, name in enumerate(names):
        if all(isinstance(row[j], int | np.integer) and not isinstance(row[j], bool | np.bool_) for row in rows):
            columns[name] = np.array([row[j] for row in rows], dtype=np.int64)
        else:
            columns[name] = values[:, j]
    return columns


def park_columns(park_records: list[dict[str, Any]], park_ids: list[str]) -> dict[str, np.ndarray]:
    """Return a model's per-park records as columns ``year``, ``park`` and one per output: one row per year × park.

    The rows and dtypes of :meth:`ParkModel.parks_frame <parkabm.model.city.ParkModel.parks_frame>`.
    """
    years = np.array([r["year"] for r in park_records], dtype=np.int64)
    columns: dict[str, np.ndarray] = {"year": np.repeat(years, len(park_ids)),
                                      "park": np.tile(np.array(park_ids, dtype=object), len(park_records))}
    for name in park_records[0]:
        if name != "year":
            columns[name] = np.concatenate([r[name] for r in park_records])
    return columns


@dataclass
class RunColumns:
    """Outputs of one run as columns: one numpy array per output, built without pandas.

    Attributes:
        yearly: Citywide outputs (``year`` first), one value per year (base year included).
        parks: Per-park outputs (``year``, ``park`` first), one value per year × park; empty when not asked for.
        parameters: The behavioural parameter values the run used.
    """

    yearly: dict[str, np.ndarray]
    parks: dict[str, np.ndarray]
    parameters: dict[str, float]

    def frames(self) -> RunResult:
        """Return the same outputs as pandas frames (:class:`RunResult`)."""
        return RunResult(pd.DataFrame(self.yearly), pd.DataFrame(self.parks), self.parameters)


def run_model(scenario, *, seed: int = 0, replicate: int = 0, parameters: dict[str, float] | None = None,
              overrides: dict[str, float] | None = None, world: World | None = None) -> ParkModel:
    """Build a headless model of one replicate (no DataCollector) and run it to the scenario's horizon.

    Args:
        scenario: A resolved scenario.
        seed: Master seed of the experiment.
        replicate: Replicate (or job) number; with ``seed`` it fixes every random draw of the run.
        parameters: Every behavioural parameter value; drawn with :func:`draw_parameters` when omitted.
        overrides: Parameter values that replace drawn ones (uncertainty factors of a design).
        world: World tables; the shipped world when omitted.

    Returns:
        The finished model; its outputs are in ``records`` and ``park_records``.
    """
    if parameters is None:
        parameters = draw_parameters(scenario, seed, replicate, overrides)
    elif overrides:
        parameters = {**parameters, **overrides}
    model = ParkModel(scenario, parameters=parameters, rng=replicate_seed(seed, replicate), world=world,
                      mesa_datacollector=False)
    model.run_model()
    return model


def simulate_columns(scenario, *, seed: int = 0, replicate: int = 0, parameters: dict[str, float] | None = None,
                     overrides: dict[str, float] | None = None, world: World | None = None,
                     parks: bool = True) -> RunColumns:
    """Run a scenario from its base year to its horizon and return its outputs as columns (see :func:`simulate`).

    Args:
        scenario: A resolved scenario.
        seed: Master seed of the experiment.
        replicate: Replicate (or job) number.
        parameters: Every behavioural parameter value; drawn with :func:`draw_parameters` when omitted.
        overrides: Parameter values that replace drawn ones.
        world: World tables; the shipped world when omitted.
        parks: Return the per-park outputs too (left empty otherwise).

    Returns:
        The run's yearly and per-park columns and its parameter values.
    """
    model = run_model(scenario, seed=seed, replicate=replicate, parameters=parameters, overrides=overrides,
                      world=world)
    return RunColumns(yearly_columns(model.records),
                      park_columns(model.park_records, model.park_ids) if parks else {}, dict(model.params))


def simulate(scenario, *, seed: int = 0, replicate: int = 0, parameters: dict[str, float] | None = None,
             overrides: dict[str, float] | None = None, world: World | None = None) -> RunResult:
    """Run a scenario from its base year to its horizon.

    The run's parameters are drawn from :func:`parameter_seed` and the model runs on :func:`replicate_seed`, so a
    replicate of ``parkabm run`` and the batch job with the same number and master seed give the same numbers.
    The frames are those of :meth:`ParkModel.yearly_frame <parkabm.model.city.ParkModel.yearly_frame>` and
    :meth:`~parkabm.model.city.ParkModel.parks_frame`, built from the model's records.

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
    return simulate_columns(scenario, seed=seed, replicate=replicate, parameters=parameters, overrides=overrides,
                            world=world).frames()
