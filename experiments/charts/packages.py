"""The front of a lever-package design (``parkabm design``): cumulative fiscal cost against P(targets met).

The plot function takes the package tables of :mod:`parkabm.experiments.analysis.packages` and an optional
``ax`` and returns the ``ax``; it never runs the model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from parkabm.experiments.charts import COLOUR, LABELS, TARGET_COLOUR, chart_rc, label, new_figure, save_figure

MUTED = "#b0b0b0"
"""Colour of the packages off the front."""


def front_chart(packages: pd.DataFrame, front: pd.DataFrame, chosen: pd.DataFrame | None = None, *, ax=None,
                lang: str = "en", budget: float | None = None, levels=(), title: str | None = None,
                first: int = 2022, year: int = 2025, best: pd.Series | None = None):
    """Draw every evaluated package (grey), the front as a staircase with P intervals, and the chosen packages.

    The chosen packages are drawn at their P on fresh replicates, with its interval.

    Args:
        packages: Every package (columns cost_yi, p).
        front: The front (columns cost_yi, p, p_low, p_high), cheapest first.
        chosen: The chosen packages (columns found, cost_yi, p_fresh, p_fresh_low, p_fresh_high).
        best: The package with the highest P (cost_yi, p_fresh, p_low_fresh, p_high_fresh), drawn at its fresh P
            like the chosen ones (it is re-run too, also when no level is reached).
        ax: Axes to draw on; a new figure when omitted.
        lang: ``en`` or ``zh``.
        budget: The budget, drawn as a vertical line.
        levels: Probability levels, drawn as horizontal lines.
        title: Optional title.
        first: First year of the cost.
        year: Last year of the cost.

    Returns:
        The axes.
    """
    from matplotlib.ticker import PercentFormatter

    if ax is None:
        _, ax = new_figure((6.5, 4.0))
    ax.scatter(packages["cost_yi"], packages["p"] * 100, s=6, color=MUTED, label=label("front_others", lang),
               zorder=1)
    cost = front["cost_yi"].to_numpy(dtype=float)
    p = front["p"].to_numpy(dtype=float) * 100
    if len(front):
        right = budget if budget is not None else float(packages["cost_yi"].max())
        ax.step(np.append(cost, right), np.append(p, p[-1]), where="post", color=COLOUR, lw=1.2, zorder=2)
        ax.errorbar(cost, p, yerr=np.vstack([p - front["p_low"].to_numpy() * 100,
                                             front["p_high"].to_numpy() * 100 - p]),
                    fmt="o", ms=3.5, color=COLOUR, elinewidth=0.8, capsize=0, label=label("front_front", lang),
                    zorder=3)
    rechecked = []
    if chosen is not None and len(chosen) and chosen["found"].any():
        c = chosen[chosen["found"]]
        rechecked += list(zip(c["cost_yi"], c["p_fresh"], c["p_fresh_low"], c["p_fresh_high"], strict=True))
    if best is not None:
        rechecked.append((best["cost_yi"], best["p_fresh"], best["p_low_fresh"], best["p_high_fresh"]))
    if rechecked:
        x, pf, low, high = (np.array(v, dtype=float) for v in zip(*dict.fromkeys(rechecked), strict=True))
        ax.errorbar(x, pf * 100, yerr=np.vstack([(pf - low) * 100, (high - pf) * 100]), fmt="D", ms=4.5,
                    mfc="white", color=TARGET_COLOUR, elinewidth=0.8, capsize=2, label=label("front_fresh", lang),
                    zorder=4)
    for level in levels:
        ax.axhline(level * 100, color="#777777", lw=0.6, ls=":", zorder=0)
    if budget is not None:
        ax.axvline(budget, color=TARGET_COLOUR, lw=0.8, ls="--", zorder=0)
        ax.annotate(label("front_budget", lang, budget=budget), xy=(budget, 1.0), xycoords=("data", "axes fraction"),
                    ha="left", va="top", fontsize=7, color=TARGET_COLOUR, xytext=(3, -3), textcoords="offset points")
    ax.set_ylim(-3, 103)
    ax.yaxis.set_major_formatter(PercentFormatter(100))
    ax.set_xlabel(label("front_cost", lang, first=first, year=year))
    ax.set_ylabel(label("front_p", lang))
    ax.legend(loc="upper left")
    if title:
        ax.set_title(title)
    return ax


def write_front_charts(packages: pd.DataFrame, front: pd.DataFrame, chosen: pd.DataFrame, out: Path, *,
                       langs=("en", "zh"), scenario: str = "", budget: float | None = None, objective: str = "both",
                       levels=(0.5, 0.8, 0.9), first: int = 2022, year: int = 2025, best: pd.Series | None = None,
                       fmt: str = "png") -> dict[str, Path]:
    """Write the front chart in each language: ``front.<lang>.<fmt>``.

    Returns:
        Paths by role (``front.en`` …).
    """
    import matplotlib as mpl

    from parkabm.experiments.charts import scenario_label

    files = {}
    for lang in langs:
        with mpl.rc_context(chart_rc(lang)):
            key = f"front_goal_{objective}"
            goal = label(key, lang) if key in LABELS else objective
            fig, ax = new_figure((6.5, 4.2))
            front_chart(packages, front, chosen, ax=ax, lang=lang, budget=budget, levels=levels, first=first,
                        year=year, best=best, title=label("front_title", lang, scenario=scenario_label(scenario, lang),
                                               goal=goal, year=year))
            files[f"front.{lang}"] = save_figure(fig, out / f"front.{lang}.{fmt}", fmt)
    return files
