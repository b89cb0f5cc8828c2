"""PAWN: a moment-independent index from Kolmogorov–Smirnov distances, on a Latin hypercube.

The index is the median KS distance between the unconditional output distribution and the distributions
conditioned on slides of each factor.

PAWN gives no confidence interval; the interval columns hold the minimum and maximum across slides instead, and
the index is named ``pawn_median`` so it is not mistaken for a CI-bearing estimate.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from SALib.analyze import pawn as salib_analyze
from SALib.sample import latin

from parkabm.experiments.design.problem import SAProblem, check_sample, tidy


def design(problem: SAProblem, n: int, *, seed: int) -> np.ndarray:
    """Return a Latin hypercube of ``n`` runs."""
    return latin.sample(problem.to_salib(), n, seed=seed)


def analyze(problem: SAProblem, X: np.ndarray, Y: np.ndarray, *, seed: int, slides: int = 10) -> pd.DataFrame:
    """Return the median KS statistic per factor, with its minimum and maximum across ``slides`` slides."""
    X, Y = check_sample(problem, X, Y)
    salib_problem = {k: v for k, v in problem.to_salib().items() if k != "groups"}
    result = salib_analyze.analyze(salib_problem, X, Y, S=slides, seed=seed)
    return tidy(list(problem.names), "pawn_median", result["median"], ci=(result["minimum"], result["maximum"]))
