"""Borgonovo's moment-independent δ (and the first-order S1 estimate that comes with it), on a Latin hypercube.

δ measures how much the whole output distribution shifts when a factor is fixed, not only its variance, which
matters for threshold outputs such as "target met". ``n`` is the number of model runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from SALib.analyze import delta as salib_analyze
from SALib.sample import latin

from parkabm.experiments.design.problem import SAProblem, check_sample, tidy


def design(problem: SAProblem, n: int, *, seed: int) -> np.ndarray:
    """Return a Latin hypercube of ``n`` runs."""
    return latin.sample(problem.to_salib(), n, seed=seed)


def analyze(problem: SAProblem, X: np.ndarray, Y: np.ndarray, *, seed: int, num_resamples: int = 100,
            conf_level: float = 0.95) -> pd.DataFrame:
    """Return δ and S1 per factor with bootstrap confidence intervals.

    Args:
        problem: Factors and bounds (as designed).
        X: The design.
        Y: One output per row.
        seed: Seed of the bootstrap.
        num_resamples: Bootstrap resamples.
        conf_level: Confidence level of the intervals.
    """
    X, Y = check_sample(problem, X, Y)
    salib_problem = {k: v for k, v in problem.to_salib().items() if k != "groups"}
    result = salib_analyze.analyze(salib_problem, X, Y, num_resamples=num_resamples, conf_level=conf_level,
                                   seed=seed)
    names = list(problem.names)
    key = "delta" if "delta" in result else "delta_raw"  # SALib ≥1.5.1 reports several δ estimators
    return pd.concat([
        tidy(names, "delta", result[key], result[f"{key}_conf"]),
        tidy(names, "S1", result["S1"], result["S1_conf"]),
    ], ignore_index=True)
