"""Sobol indices: first, total and optional second order, on Saltelli's extension of the Sobol sequence.

Confidence intervals are SALib's bootstrap intervals (``num_resamples`` resamples at ``conf_level``). ``n`` is the
base sample size; the design has ``n (2D + 2)`` rows with second order and ``n (D + 2)`` without, and should be a
power of two (Sobol sequence balance).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from SALib.analyze import sobol as salib_analyze

from parkabm.experiments.design.problem import SAProblem, check_sample, tidy
from parkabm.experiments.design.sensitivity import saltelli_sample


def design(problem: SAProblem, n: int, *, seed: int, second_order: bool = False) -> np.ndarray:
    """Return the Saltelli design: one row per model run, one column per factor.

    Args:
        problem: Factors and bounds.
        n: Base sample size (a power of two).
        seed: Seed of the scrambling.
        second_order: Include the rows second-order indices need.
    """
    return saltelli_sample(problem, n, seed=seed, second_order=second_order)


def rows_per_base_sample(problem: SAProblem, *, second_order: bool = False) -> int:
    """Rows the design holds per base sample (the block size a convergence study truncates by)."""
    d = len(problem.reported)
    return 2 * d + 2 if second_order else d + 2


def analyze(problem: SAProblem, X: np.ndarray, Y: np.ndarray, *, seed: int, second_order: bool = False,
            num_resamples: int = 200, conf_level: float = 0.95) -> pd.DataFrame:
    """Return S1, ST (and S2) with bootstrap confidence intervals.

    Args:
        problem: Factors and bounds (as designed).
        X: The design (checked for shape; Sobol reads the structure of ``Y``).
        Y: One output per row of the design.
        seed: Seed of the bootstrap.
        second_order: Whether the design has second-order rows.
        num_resamples: Bootstrap resamples.
        conf_level: Confidence level of the intervals.

    Returns:
        Tidy indices: ``S1`` and ``ST`` per factor, ``S2`` per pair (``a×b``).
    """
    X, Y = check_sample(problem, X, Y)
    result = salib_analyze.analyze(problem.to_salib(), Y, calc_second_order=second_order,
                                   num_resamples=num_resamples, conf_level=conf_level, seed=seed)
    names = problem.reported
    frames = [tidy(names, "S1", result["S1"], result["S1_conf"]),
              tidy(names, "ST", result["ST"], result["ST_conf"])]
    if second_order:
        pairs, values, conf = [], [], []
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                pairs.append(f"{names[i]}×{names[j]}")
                values.append(result["S2"][i, j])
                conf.append(result["S2_conf"][i, j])
        frames.append(tidy(pairs, "S2", values, conf))
    return pd.concat(frames, ignore_index=True)
