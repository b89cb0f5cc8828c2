"""Sobol and Morris designs for experiment files (``design: {kind: sobol, …}``), registered with the spec.

Both samplers draw in the unit cube with SALib and leave the mapping to factor values (bounds, distributions,
levels) to :meth:`Factor.value_at <parkabm.experiments.design.spec.Factor.value_at>`, like every other design, so the
same experiment file serves batches, sensitivity analysis and discovery. Factors that name a ``group`` are
designed (and analysed) as groups; an ungrouped factor forms its own group.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from pydantic import Field
from SALib.sample import morris as salib_morris
from SALib.sample import sobol as salib_sobol

from parkabm.experiments.design.problem import SAProblem
from parkabm.experiments.design.spec import DesignSettings, Factor, register_design

TOP = np.nextafter(1.0, 0.0)
"""Largest unit coordinate handed to factors (Morris grids reach 1, whose quantile may be unbounded)."""


class SobolDesign(DesignSettings):
    """Saltelli's extension of the Sobol sequence.

    ``base_samples`` × (factors + 2) points; × (2 · factors + 2) with second order.
    """

    kind: Literal["sobol"] = Field(description="Design kind.")
    base_samples: int = Field(ge=2, description="Base sample size N (a power of two: Sobol balance).")
    second_order: bool = Field(False, description="Add the points second-order indices need.")


class MorrisDesign(DesignSettings):
    """Morris trajectories on a grid: ``trajectories`` × (factors + 1) points."""

    kind: Literal["morris"] = Field(description="Design kind.")
    trajectories: int = Field(ge=2, description="Number of trajectories r.")
    levels: int = Field(4, ge=2, description="Grid levels p (even).")


def unit_problem(factors: Sequence[Factor]) -> SAProblem:
    """Return the SALib problem of a design in the unit cube: one coordinate per factor, groups when given."""
    names = [f.name for f in factors]
    groups = [f.group or f.name for f in factors]
    grouped = len(set(groups)) < len(groups)
    return SAProblem(names, [(0.0, 1.0)] * len(names), groups if grouped else None)


def saltelli_sample(problem: SAProblem, n: int, *, seed: int, second_order: bool = False) -> np.ndarray:
    """Return Saltelli's extension of the scrambled Sobol sequence for ``problem``: one row per model run.

    Args:
        problem: Factors and bounds.
        n: Base sample size (a power of two).
        seed: Seed of the scrambling.
        second_order: Include the rows second-order indices need.
    """
    return salib_sobol.sample(problem.to_salib(), n, calc_second_order=second_order, scramble=True, seed=seed)


def morris_sample(problem: SAProblem, n: int, *, seed: int, num_levels: int = 4) -> np.ndarray:
    """Return ``n`` Morris trajectories on a ``num_levels`` grid for ``problem``, one row per model run."""
    return salib_morris.sample(problem.to_salib(), n, num_levels=num_levels, seed=seed)


def _salib_seed(rng: np.random.Generator) -> int:
    return int(rng.integers(2**31 - 1))


@register_design("sobol", SobolDesign)
def sobol_points(factors: Sequence[Factor], settings: DesignSettings, rng: np.random.Generator) -> np.ndarray:
    """Saltelli points in the unit cube, in SALib's block order (one block per base sample)."""
    points = saltelli_sample(unit_problem(factors), settings.base_samples, seed=_salib_seed(rng),
                             second_order=settings.second_order)
    return np.minimum(points, TOP)


@register_design("morris", MorrisDesign)
def morris_points(factors: Sequence[Factor], settings: DesignSettings, rng: np.random.Generator) -> np.ndarray:
    """Morris trajectories in the unit cube, one trajectory after another."""
    points = morris_sample(unit_problem(factors), settings.trajectories, seed=_salib_seed(rng),
                           num_levels=settings.levels)
    return np.minimum(points, TOP)
