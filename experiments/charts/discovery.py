"""Scenario-discovery charts: the PRIM peeling trade-off and the chosen box."""

from __future__ import annotations

import numpy as np
import pandas as pd

from parkabm.experiments.charts.labels import factor_label, label
from parkabm.experiments.charts.style import COLOUR, TARGET_COLOUR, legend_below, new_axes, note, percent


def prim_tradeoff_chart(trajectory: pd.DataFrame, *, chosen: int | None = None, ax=None, lang: str = "en",
                        title: str | None = None):
    """Draw PRIM's peeling trajectory: coverage against density, coloured by the number of restricted factors.

    Args:
        trajectory: Columns ``coverage``, ``density``, ``res_dim`` (one row per box).
        chosen: Row of the chosen box, circled.
        ax: Axes to draw on.
        lang: ``en`` or ``zh``.
        title: Optional title (the scenario and the class of runs searched for).

    Returns:
        The axes.
    """
    from matplotlib.ticker import MaxNLocator

    if ax is None:
        ax = new_axes((5.6, 4.2))
    points = ax.scatter(trajectory["coverage"], trajectory["density"], c=trajectory["res_dim"], cmap="viridis",
                        s=18, zorder=3)
    bar = ax.figure.colorbar(points, ax=ax)
    bar.set_label(label("prim_dims", lang))
    bar.ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # a number of factors is whole
    if chosen is not None:
        row = trajectory.iloc[chosen]
        ax.scatter([row["coverage"]], [row["density"]], s=120, facecolors="none", edgecolors=TARGET_COLOUR,
                   lw=1.5, zorder=4, label=label("prim_chosen", lang))
        ax.legend(loc="lower left")
    ax.set_xlabel(label("prim_coverage", lang))
    ax.set_ylabel(label("prim_density", lang))
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.xaxis.set_major_formatter(percent)
    ax.yaxis.set_major_formatter(percent)
    ax.set_axisbelow(True)
    if title:
        ax.set_title(wrap_title(title, lang, width=46))
    return ax


def prim_box_chart(box: pd.DataFrame, stats: dict, *, ax=None, lang: str = "en", title: str | None = None):
    """Draw a PRIM box: each restricted factor's box range within its sampled range, with quasi-p-values.

    The x axis runs to 125% so that each range's limits, written right of its bar, stay inside the axes; the axis
    line stops at 100%. A box without a restricted factor (pruning removed every restriction, often with few runs)
    is written as a note rather than left as an empty chart.

    Args:
        box: Rows of :attr:`DiscoveryResult.box <parkabm.experiments.analysis.discovery.DiscoveryResult.box>`.
        stats: The box's ``coverage`` and ``density``.
        ax: Axes to draw on.
        lang: ``en`` or ``zh``.
        title: Optional first title line (the scenario and the class of runs searched for), above the box's
            coverage and density.

    Returns:
        The axes.
    """
    rows = box[box["restricted"]].reset_index(drop=True)
    if ax is None:
        ax = new_axes((6.4, 0.5 * max(len(rows), 1) + 1.4))
    for i, r in rows.iterrows():
        span = (r["data_max"] - r["data_min"]) or 1.0
        low, high = (r["min"] - r["data_min"]) / span, (r["max"] - r["data_min"]) / span
        ax.plot([0, 1], [i, i], color="#d9d9d9", lw=6, solid_capstyle="butt",
                label=label("prim_range", lang) if i == 0 else None)
        ax.plot([low, high], [i, i], color=COLOUR, lw=6, solid_capstyle="butt",
                label=label("prim_box_range", lang) if i == 0 else None)
        ax.annotate(f"{_limit(r['min'])} – {_limit(r['max'])}", (1.0, i), xytext=(4, 3),
                    textcoords="offset points", fontsize=7, va="bottom")
        qps = [q for q in (r["qp_low"], r["qp_high"]) if not np.isnan(q)]
        if qps:
            ax.annotate(f"quasi-p {_quasi_p(max(qps))}", (1.0, i), xytext=(4, -3), textcoords="offset points",
                        fontsize=6.5, color="#555555", va="top")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([factor_label(f, lang) for f in rows["factor"]])
    ax.set_ylim(-0.7, max(len(rows), 1) - 0.3)
    ax.set_xlim(0, 1.25)
    ax.set_xticks([0, 0.5, 1])
    ax.spines["bottom"].set_bounds(0, 1)
    ax.xaxis.set_major_formatter(percent)
    ax.set_xlabel(label("prim_axis", lang))
    ax.grid(axis="y", visible=False)
    ax.set_axisbelow(True)
    heading = label("prim_box_title", lang, coverage=stats["coverage"], density=stats["density"])
    ax.set_title(f"{wrap_title(title, lang, width=42)}\n{heading}" if title else heading)
    if len(rows):
        legend_below(ax, below=0.42, ncols=2, fontsize=7)
        ax.annotate(label("prim_quasi_p_note", lang), xy=(1.0, 0.0), xycoords="axes fraction", xytext=(0, -52),
                    textcoords="offset points", ha="right", va="top", fontsize=6.5, color="#555555")
    else:
        ax.set_yticks([])
        note(ax, label("prim_no_restriction", lang), xy=(0.5, 0.5))
    return ax


def wrap_title(text: str, lang: str, *, width: int = 64) -> str:
    """Wrap a long title into lines of about ``width`` characters.

    Chinese lines get half as many characters, which are about twice as wide.
    """
    import textwrap

    return textwrap.fill(text, width if lang == "en" else width // 2, break_on_hyphens=False)


def _quasi_p(value: float) -> str:
    """Format a quasi-p-value: ``< 0.001`` for the tiny ones, two significant digits otherwise."""
    return "< 0.001" if value < 0.001 else f"{value:.2g}"


def _limit(value: float) -> str:
    """Format a box limit: thousands with separators, small numbers with three significant digits."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
