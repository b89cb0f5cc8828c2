"""The factor space of a sensitivity analysis, in the form SALib takes."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class SAProblem:
    """Factors with bounds (and optional groups) for a SALib design.

    Attributes:
        names: Factor names.
        bounds: ``(low, high)`` of each factor; designs are uniform within them.
        groups: Optional group of each factor (Sobol and Morris then report groups).
    """

    names: list[str]
    bounds: list[tuple[float, float]]
    groups: list[str] | None = field(default=None)

    def __post_init__(self):
        if len(self.names) != len(self.bounds):
            raise ValueError("names and bounds must have the same length")
        if len(set(self.names)) != len(self.names):
            raise ValueError("factor names must be unique")
        for name, (low, high) in zip(self.names, self.bounds, strict=True):
            if not low < high:
                raise ValueError(f"factor {name}: low {low} must be below high {high}")
        if self.groups is not None and len(self.groups) != len(self.names):
            raise ValueError("groups must name one group per factor")

    @property
    def num_vars(self) -> int:
        """Number of factors."""
        return len(self.names)

    def to_salib(self) -> dict:
        """Return the problem dictionary SALib takes."""
        problem = {"num_vars": self.num_vars, "names": list(self.names),
                   "bounds": [[float(a), float(b)] for a, b in self.bounds]}
        if self.groups is not None and len(set(self.groups)) < self.num_vars:
            problem["groups"] = list(self.groups)
        return problem

    @property
    def reported(self) -> list[str]:
        """Names indices are reported for: the groups when factors are grouped, else the factors."""
        if self.groups is not None and len(set(self.groups)) < self.num_vars:
            return list(dict.fromkeys(self.groups))
        return list(self.names)


def tidy(names, index: str, values, confidence=None, *, ci=None) -> pd.DataFrame:
    """Return indices as tidy rows: factor, index, value, ci_low, ci_high.

    Args:
        names: Factor (or factor-pair) names.
        index: Name of the index (``S1``, ``ST``, ``mu_star``, …).
        values: Index values.
        confidence: Half-widths of the confidence interval (value ± confidence), or None.
        ci: Explicit ``(low, high)`` arrays instead of half-widths.

    Returns:
        One row per name.
    """
    values = np.asarray(values, dtype=float)
    if ci is not None:
        low, high = (np.asarray(c, dtype=float) for c in ci)
    elif confidence is not None:
        half = np.asarray(confidence, dtype=float)
        low, high = values - half, values + half
    else:
        low = high = np.full(len(values), np.nan)
    return pd.DataFrame({"factor": list(names), "index": index, "value": values, "ci_low": low, "ci_high": high})


def check_sample(problem: SAProblem, X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``X`` and ``Y`` as float arrays after checking their shapes against the problem.

    Raises:
        ValueError: ``X`` does not have one column per factor or ``Y`` one value per row of ``X``.
    """
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float).ravel()
    if X.ndim != 2 or X.shape[1] != problem.num_vars:
        raise ValueError(f"X must have {problem.num_vars} columns, one per factor; it has shape {X.shape}")
    if len(Y) != len(X):
        raise ValueError(f"Y must have one value per row of X ({len(X)}); it has {len(Y)}")
    return X, Y
