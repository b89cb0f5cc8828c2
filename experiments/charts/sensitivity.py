"""Sensitivity-analysis charts: Sobol/δ/PAWN indices with intervals and Morris μ*–σ."""

from __future__ import annotations

import numpy as np
import pandas as pd

from parkabm.experiments.charts.labels import factor_label, label
from parkabm.experiments.charts.style import COLOUR, new_axes


def sensitivity_chart(indices: pd.DataFrame, *, ax=None, lang: str = "en", title: str | None = None):
    """Draw sensitivity indices of one output as horizontal bars with their confidence intervals.

    Sobol: first-order and total-order bars per factor (sorted by ST); δ and PAWN: one bar per factor.

    Args:
        indices: Tidy indices of one output (columns factor, index, value, ci_low, ci_high).
        ax: Axes to draw on.
        lang: ``en`` or ``zh``.
        title: Optional title.

    Returns:
        The axes.
    """
    kinds = [k for k in ("ST", "S1", "delta", "pawn_median") if k in set(indices["index"])]
    main = kinds[0]
    order = (indices[indices["index"] == main].sort_values("value")["factor"]).tolist()
    if ax is None:
        ax = new_axes((6.4, 0.45 * len(order) + 1.6))
    y = np.arange(len(order), dtype=float)
    height = 0.8 / len(kinds)
    colours = {"ST": COLOUR, "S1": "#92c5de", "delta": COLOUR, "pawn_median": COLOUR}
    for i, kind in enumerate(kinds):
        rows = indices[indices["index"] == kind].set_index("factor").reindex(order)
        value = rows["value"].to_numpy(dtype=float)
        err = np.vstack([np.clip(value - rows["ci_low"].to_numpy(dtype=float), 0, None),
                         np.clip(rows["ci_high"].to_numpy(dtype=float) - value, 0, None)])
        at = y + (i - (len(kinds) - 1) / 2) * height
        ax.barh(at, value, height * 0.9, xerr=err, color=colours[kind], label=label(f"sa_{kind}", lang),
                error_kw={"lw": 0.8, "capsize": 2})
    ax.set_yticks(y)
    ax.set_yticklabels([factor_label(f, lang) for f in order])
    ax.axvline(0, color="black", lw=0.6)
    ax.set_xlabel(label("sa_index", lang))
    ax.legend(loc="lower right")
    if title:
        ax.set_title(title)
    return ax


def morris_chart(indices: pd.DataFrame, *, ax=None, lang: str = "en", title: str | None = None):
    """Draw Morris μ* against σ for one output, with the μ* confidence intervals and the σ = μ* line.

    Factors far right matter; factors above the line act through interactions or non-linearly.

    Args:
        indices: Tidy Morris indices of one output (``mu_star`` with CI, ``sigma``).
        ax: Axes to draw on.
        lang: ``en`` or ``zh``.
        title: Optional title.

    Returns:
        The axes.
    """
    mu = indices[indices["index"] == "mu_star"].set_index("factor")
    sigma = indices[indices["index"] == "sigma"].set_index("factor")["value"].reindex(mu.index)
    if ax is None:
        ax = new_axes((6.4, 4.4))
    x = mu["value"].to_numpy(dtype=float)
    err = np.vstack([np.clip(x - mu["ci_low"].to_numpy(dtype=float), 0, None),
                     np.clip(mu["ci_high"].to_numpy(dtype=float) - x, 0, None)])
    ax.errorbar(x, sigma.to_numpy(dtype=float), xerr=err, fmt="o", color=COLOUR, ms=5, lw=0.8, capsize=2)
    top = float(np.nanmax([x.max(initial=0), sigma.max()])) * 1.1 or 1.0
    ax.plot([0, top], [0, top], ls="--", color="grey", lw=0.8, label=label("morris_line", lang))
    for name, xi, si in zip(mu.index, x, sigma.to_numpy(dtype=float), strict=True):
        ax.annotate(factor_label(name, lang), (xi, si), xytext=(4, 3), textcoords="offset points", fontsize=7)
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel(label("morris_mu_star", lang))
    ax.set_ylabel(label("morris_sigma", lang))
    ax.legend(loc="upper left")
    if title:
        ax.set_title(title)
    return ax
