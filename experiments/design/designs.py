"""The design kinds of experiment files: their settings, their samplers, their sizes, in one explicit table.

A design is a set of points in the unit cube [0, 1)^k, one coordinate per factor (see
:mod:`parkabm.experiments.design.factors` for how a coordinate becomes a value). Every kind is defined here and listed
in :data:`DESIGNS`; nothing registers itself at import time. Kinds:

- ``grid``: every combination of the factors' levels (each factor needs ``levels``);
- ``monte_carlo``: ``samples`` independent uniform points;
- ``latin_hypercube``: ``samples`` points, one in each of ``samples`` equal strata of every factor;
- ``sobol``: Saltelli's extension of the Sobol sequence, ``base_samples`` × (groups + 2) points, × (2 · groups + 2)
  with second order; ``base_samples`` must be a power of two;
- ``morris``: ``trajectories`` × (groups + 1) points on a grid of ``levels`` (even) levels.

Each kind also says how many points it makes (:attr:`DesignKind.rows`) before any is drawn, so that an experiment
whose design does not fit in memory is refused when it is read (:data:`MAX_DESIGN_BYTES`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field, field_validator
from scipy.stats import qmc

from parkabm.experiments.design.factors import STRICT, Factor
from parkabm.experiments.design.sensitivity import (
    TOP,
    design_dimension,
    morris_sample,
    saltelli_sample,
    unit_problem,
)
from parkabm.scenarios.validation import allowed_field, rejection

MAX_DESIGN_BYTES = 64 * 2**20
"""Largest design accepted, as float64 unit-cube points (points × factors × 8 bytes): 64 MiB, 8 million values.

assumed: the points are held twice more (in factor units, and in the job table, one row per job), so 64 MiB of
unit points keeps an experiment's bookkeeping under about 1 GB, within the memory of a small workstation; a larger
study is split into several experiment files."""


class DesignSettings(BaseModel):
    """Settings of a design; each kind of :data:`DESIGNS` has its own subclass."""

    model_config = STRICT

    kind: str = Field(description="A design kind of DESIGNS.")


class GridDesign(DesignSettings):
    """Every combination of the factors' levels (each factor needs ``levels``)."""

    kind: Literal["grid"] = Field(description="Design kind.")


class MonteCarloDesign(DesignSettings):
    """``samples`` independent uniform points of the unit cube."""

    kind: Literal["monte_carlo"] = Field(description="Design kind.")
    samples: int = allowed_field("a whole number ≥ 1", ge=1, description="Number of design points.")


class LatinHypercubeDesign(DesignSettings):
    """``samples`` points, one in each of ``samples`` equal strata of every factor."""

    kind: Literal["latin_hypercube"] = Field(description="Design kind.")
    samples: int = allowed_field("a whole number ≥ 1", ge=1, description="Number of design points.")


class SobolDesign(DesignSettings):
    """Saltelli's extension of the Sobol sequence.

    ``base_samples`` × (factors + 2) points; × (2 · factors + 2) with second order.
    """

    kind: Literal["sobol"] = Field(description="Design kind.")
    base_samples: int = allowed_field("a power of two ≥ 2 (e.g. 256, 512, 1024)", ge=2,
                                      description="Base sample size N (a power of two: Sobol balance).")
    second_order: bool = Field(False, description="Add the points second-order indices need.")

    @field_validator("base_samples")
    @classmethod
    def _power_of_two(cls, value: int) -> int:
        if value & (value - 1):
            below = 2 ** int(math.log2(value))
            raise rejection("not_power_of_two", f"a power of two, e.g. {below} or {2 * below} (the Sobol sequence "
                            "is balanced only for powers of two)")
        return value


class MorrisDesign(DesignSettings):
    """Morris trajectories on a grid: ``trajectories`` × (factors + 1) points."""

    kind: Literal["morris"] = Field(description="Design kind.")
    trajectories: int = allowed_field("a whole number ≥ 2", ge=2, description="Number of trajectories r.")
    levels: int = allowed_field("an even whole number ≥ 2 (e.g. 4)", default=4, ge=2,
                                description="Grid levels p (even).")

    @field_validator("levels")
    @classmethod
    def _even(cls, value: int) -> int:
        if value % 2:
            raise rejection("odd_levels", f"an even whole number, e.g. {value - 1} or {value + 1} (Morris steps of "
                            "p / (2 (p − 1)) need an even number of levels)")
        return value


DesignSampler = Callable[[Sequence[Factor], DesignSettings, np.random.Generator], np.ndarray]
"""A design's sampler: ``(factors, settings, rng) -> points``, an array of shape (points, factors) in [0, 1)."""

DesignRows = Callable[[Sequence[Factor], DesignSettings], int]
"""How many points a design makes, computed from its settings without drawing them."""


def grid_points(factors: Sequence[Factor], settings: DesignSettings, rng: np.random.Generator) -> np.ndarray:
    """Every combination of levels, the first factor varying slowest; level ``i`` of ``n`` at ``(i + 0.5) / n``."""
    sizes = [len(f.levels or ()) for f in factors]
    index = np.indices(sizes).reshape(len(sizes), -1).T
    return (index + 0.5) / np.asarray(sizes, dtype=float)


def monte_carlo_points(factors: Sequence[Factor], settings: DesignSettings,
                       rng: np.random.Generator) -> np.ndarray:
    """Independent uniform points."""
    return rng.random((settings.samples, len(factors)))


def latin_hypercube_points(factors: Sequence[Factor], settings: DesignSettings,
                           rng: np.random.Generator) -> np.ndarray:
    """One point in each of ``samples`` equal strata of every coordinate, strata paired at random.

    SciPy's :class:`scipy.stats.qmc.LatinHypercube` (scrambled: each point uniform inside its stratum), drawn from
    the spec's generator ``rng``.
    """
    n, k = settings.samples, len(factors)
    if k == 0:
        return np.zeros((n, 0))
    return qmc.LatinHypercube(d=k, rng=rng).random(n)


def _salib_seed(rng: np.random.Generator) -> int:
    return int(rng.integers(2**31 - 1))


def sobol_points(factors: Sequence[Factor], settings: DesignSettings, rng: np.random.Generator) -> np.ndarray:
    """Saltelli points in the unit cube, in SALib's block order (one block per base sample)."""
    points = saltelli_sample(unit_problem(factors), settings.base_samples, seed=_salib_seed(rng),
                             second_order=settings.second_order)
    return np.minimum(points, TOP)


def morris_points(factors: Sequence[Factor], settings: DesignSettings, rng: np.random.Generator) -> np.ndarray:
    """Morris trajectories in the unit cube, one trajectory after another."""
    points = morris_sample(unit_problem(factors), settings.trajectories, seed=_salib_seed(rng),
                           num_levels=settings.levels)
    return np.minimum(points, TOP)


def _grid_rows(factors: Sequence[Factor], settings: DesignSettings) -> int:
    return math.prod(len(f.levels or ()) for f in factors)


def _samples_rows(factors: Sequence[Factor], settings: DesignSettings) -> int:
    return settings.samples


def _sobol_rows(factors: Sequence[Factor], settings: DesignSettings) -> int:
    groups = design_dimension(factors)
    return settings.base_samples * ((2 * groups + 2) if settings.second_order else (groups + 2))


def _morris_rows(factors: Sequence[Factor], settings: DesignSettings) -> int:
    return settings.trajectories * (design_dimension(factors) + 1)


@dataclass(frozen=True)
class DesignKind:
    """A design kind.

    Attributes:
        name: The ``kind`` written in experiment files.
        settings: Pydantic model of the ``design:`` mapping (a subclass of :class:`DesignSettings`).
        sampler: Returns the design points in the unit cube.
        rows: Returns the number of points the sampler will make, without drawing them.
        size_key: The setting that sets the design's size (``samples``…), named when a design is too large; None
            when the size follows from the factors (a grid).
        needs_levels: Every factor must give ``levels`` (a grid).
    """

    name: str
    settings: type[DesignSettings]
    sampler: DesignSampler
    rows: DesignRows
    size_key: str | None = None
    needs_levels: bool = False


DESIGNS: dict[str, DesignKind] = {
    "grid": DesignKind("grid", GridDesign, grid_points, _grid_rows, needs_levels=True),
    "monte_carlo": DesignKind("monte_carlo", MonteCarloDesign, monte_carlo_points, _samples_rows, "samples"),
    "latin_hypercube": DesignKind("latin_hypercube", LatinHypercubeDesign, latin_hypercube_points, _samples_rows,
                                  "samples"),
    "sobol": DesignKind("sobol", SobolDesign, sobol_points, _sobol_rows, "base_samples"),
    "morris": DesignKind("morris", MorrisDesign, morris_points, _morris_rows, "trajectories"),
}
"""Design kinds by name: every kind an experiment file may name."""


def settings_model(node: object) -> type[DesignSettings]:
    """Return the settings model of the design kind a ``design:`` mapping names (the base model if none)."""
    kind = node.get("kind") if isinstance(node, Mapping) else None
    return DESIGNS[kind].settings if isinstance(kind, str) and kind in DESIGNS else DesignSettings
