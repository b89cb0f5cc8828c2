"""SALib samplers of the sensitivity designs (Sobol/Saltelli and Morris) in the unit cube.

The design kinds ``sobol`` and ``morris`` of experiment files (:mod:`parkabm.experiments.design.designs`) draw their
points here; the mapping to factor values (bounds, distributions, levels) is left to
:meth:`Factor.value_at <parkabm.experiments.design.factors.Factor.value_at>`, like every other design, so the same
experiment file serves batches, sensitivity analysis and discovery. Factors that name a ``group`` are designed (and
analysed) as groups; an ungrouped factor forms its own group. The analyses
(:mod:`parkabm.experiments.analysis.sensitivity`) use the same samplers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from SALib.sample import morris as salib_morris
from SALib.sample import sobol as salib_sobol

from parkabm.experiments.design.factors import Factor
from parkabm.experiments.design.problem import SAProblem

TOP = np.nextafter(1.0, 0.0)
"""Largest unit coordinate handed to factors (Morris grids reach 1, whose quantile may be unbounded)."""


def unit_problem(factors: Sequence[Factor]) -> SAProblem:
    """Return the SALib problem of a design in the unit cube: one coordinate per factor, groups when given."""
    names = [f.name for f in factors]
    groups = [f.group or f.name for f in factors]
    grouped = len(set(groups)) < len(groups)
    return SAProblem(names, [(0.0, 1.0)] * len(names), groups if grouped else None)


def design_dimension(factors: Sequence[Factor]) -> int:
    """Return the number of groups a Sobol or Morris design steps through (factors, or groups when grouped)."""
    return len(set(unit_problem(factors).reported))


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
