"""Morris elementary effects: μ* (with bootstrap CI), μ and σ, on Morris trajectories.

``n`` is the number of trajectories; the design has ``n (D + 1)`` rows (groups: ``n (G + 1)``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from SALib.analyze import morris as salib_analyze

from parkabm.experiments.design.problem import SAProblem, check_sample, tidy
from parkabm.experiments.design.sensitivity import morris_sample


def design(problem: SAProblem, n: int, *, seed: int, num_levels: int = 4) -> np.ndarray:
    """Return ``n`` Morris trajectories on a ``num_levels`` grid, one row per model run."""
    return morris_sample(problem, n, seed=seed, num_levels=num_levels)


def analyze(problem: SAProblem, X: np.ndarray, Y: np.ndarray, *, seed: int, num_levels: int = 4,
            num_resamples: int = 200, conf_level: float = 0.95) -> pd.DataFrame:
    """Return μ* (with its bootstrap CI), μ and σ per factor (or group).

    Args:
        problem: Factors and bounds (as designed).
        X: The design.
        Y: One output per row of the design.
        seed: Seed of the bootstrap.
        num_levels: Grid levels used by the design.
        num_resamples: Bootstrap resamples for μ*.
        conf_level: Confidence level of the interval.

    Returns:
        Tidy indices ``mu_star``, ``mu`` and ``sigma``.
    """
    X, Y = check_sample(problem, X, Y)
    result = salib_analyze.analyze(problem.to_salib(), X, Y, num_resamples=num_resamples, conf_level=conf_level,
                                   num_levels=num_levels, seed=seed)
    names = list(result["names"])
    return pd.concat([
        tidy(names, "mu_star", result["mu_star"], result["mu_star_conf"]),
        tidy(names, "mu", result["mu"]),
        tidy(names, "sigma", result["sigma"]),
    ], ignore_index=True)
