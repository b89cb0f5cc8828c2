"""Charts of one projection: fan charts with targets and P(target), and scenario distributions.

:func:`projection_charts` writes the set of charts ``parkabm run`` makes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from parkabm.experiments.charts.labels import label, metric_label, scenario_label, target_label
from parkabm.experiments.charts.style import (
    COLOUR,
    TARGET_COLOUR,
    chart_file,
    chart_rc,
    check_format,
    legend_below,
    new_axes,
    new_figure,
    save_figure,
    value_axis,
    year_ticks,
)


def fan_chart(yearly: pd.DataFrame, metric: str, *, ax=None, lang: str = "en", target: dict | None = None,
              title: str | None = None):
    """Draw a fan chart of one metric over replicates: 5–95% and 25–75% bands and the median.

    The legend sits below the axes so that it never hides a band; P(target) is written in the top left corner on a
    white ground.

    Args:
        yearly: Tidy yearly outputs with ``year``, ``replicate`` and ``metric`` columns.
        metric: Column to draw.
        ax: Axes to draw on; a new figure when omitted.
        lang: ``en`` or ``zh``.
        target: Optional target to mark: ``{"target": value, "year": year, "comparison", "p_met", "ci_low",
            "ci_high"}`` (a target entry of ``summary.json``).
        title: Optional title.

    Returns:
        The axes.
    """
    if ax is None:
        ax = new_axes((6.0, 3.6))
    q = yearly.groupby("year")[metric].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
    years = q.index.to_numpy()
    ax.fill_between(years, q[0.05], q[0.95], color=COLOUR, alpha=0.18, lw=0, label=label("band_90", lang))
    ax.fill_between(years, q[0.25], q[0.75], color=COLOUR, alpha=0.35, lw=0, label=label("band_50", lang))
    ax.plot(years, q[0.5], color=COLOUR, lw=1.8, label=label("median", lang))
    if target is not None:
        ax.axhline(target["target"], color=TARGET_COLOUR, lw=1.2, ls="--", label=target_label(metric, target, lang))
        if target.get("p_met") is not None and target["p_met"] == target["p_met"]:
            text = label("p_met", lang, year=target["year"], p=target["p_met"], lo=target["ci_low"],
                         hi=target["ci_high"])
            ax.annotate(text, xy=(0.02, 0.97), xycoords="axes fraction", va="top", ha="left", fontsize=8,
                        color=TARGET_COLOUR, bbox={"boxstyle": "square,pad=0.2", "fc": "white", "ec": "none",
                                                   "alpha": 0.85})
    ax.set_xlabel(label("year", lang))
    ax.set_ylabel(metric_label(metric, lang))
    year_ticks(ax, years)
    value_axis(ax, metric)
    lo, hi = ax.get_ylim()
    if target is not None:
        hi = max(hi, target["target"] + 0.12 * (hi - lo))
    ax.set_ylim(lo, hi)
    legend_below(ax, below=0.42, ncols=2 if target is not None else 3, columnspacing=1.2)
    if title:
        ax.set_title(title)
    return ax


def projection_charts(yearly: pd.DataFrame, summary: dict, out: Path, *, lang: str = "en",
                      fmt: str = "png") -> dict[str, Path]:
    """Write the projection's fan charts (total output, leading share) with their headline targets.

    Files are named by chart and language (``fan_total_output.zh.png``), so that both languages live side by side.

    Args:
        yearly: Tidy yearly outputs of the replicates.
        summary: The projection summary (for targets, scenario name and scope).
        out: Folder to write into.
        lang: ``en`` or ``zh``.
        fmt: ``png``, ``svg`` or ``pdf``.

    Returns:
        Paths by chart name.
    """
    import matplotlib.pyplot as plt

    check_format(fmt)
    rc = chart_rc(lang)
    files = {}
    targets = {t["metric"]: t for t in summary["targets"]}
    scope = label(f"scope_{summary['scope']}", lang)
    scenario = scenario_label(summary["scenario"], lang)
    with plt.rc_context(rc):
        for metric, name in (("total_output_yi", "fan_total_output"), ("leading_share", "fan_leading_share")):
            fig, ax = new_figure((6.0, 3.6))
            title = label(f"fan_title_{metric}", lang, scenario=scenario, scope=scope)
            title += " · " + label("reps", lang, n=summary["reps"])
            fan_chart(yearly, metric, ax=ax, lang=lang, target=targets.get(metric), title=title)
            files[name] = save_figure(fig, out / chart_file(name, lang, fmt), fmt)
    return files


def scenario_distribution_chart(yearly: pd.DataFrame, metric: str, *, year: int | None = None, ax=None,
                                lang: str = "en", target: dict | None = None,
                                probabilities: pd.DataFrame | None = None, names: dict[str, str] | None = None,
                                legend: bool = True):
    """Compare scenarios: the distribution over replicates of one metric in one year, one row per scenario.

    Each row shows every replicate as a dot, the 25–75% box, the 5–95% whisker and the median; the target is a
    vertical line, and P(target met) with its interval is written at the right of each row when given.

    Args:
        yearly: Tidy yearly outputs of several scenarios: ``scenario``, ``year`` and ``metric`` columns, one row per
            scenario × replicate × year. Scenarios are drawn top to bottom in order of first appearance.
        metric: Column to compare.
        year: Year to compare (default: the last year of ``yearly``, usually the target year 2025).
        ax: Axes to draw on; a new figure when omitted.
        lang: ``en`` or ``zh``.
        target: Optional target line: ``{"target": value, "year": year, "comparison": ">="}``.
        probabilities: Optional P(target met) per scenario: ``scenario``, ``p_met``, ``ci_low``, ``ci_high``
            (e.g. :func:`parkabm.model.outputs.targets.target_probabilities` by scenario, rows of one target).
        names: Display names by scenario (e.g. for a scenario edited in a notebook); the short names of
            :data:`LABELS` (``scenario_<name>``), else the scenario name, when omitted.
        legend: Draw the legend (below the axes); leave it out on all but one of several stacked charts.

    Returns:
        The axes.
    """
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    year = int(yearly["year"].max()) if year is None else int(year)
    at = yearly[yearly["year"] == year]
    scenarios = list(dict.fromkeys(at["scenario"]))
    if ax is None:
        ax = new_axes((6.4, 0.55 * len(scenarios) + 1.6))
    rng = np.random.default_rng(0)  # jitter of the dots only: fixed so that a chart is the same every time
    for row, scenario in enumerate(scenarios):
        y = len(scenarios) - 1 - row
        values = at.loc[at["scenario"] == scenario, metric].dropna().to_numpy(dtype=float)
        if len(values) == 0:
            continue
        p05, p25, p50, p75, p95 = np.quantile(values, [0.05, 0.25, 0.5, 0.75, 0.95])
        ax.scatter(values, y + rng.uniform(-0.17, 0.17, len(values)), s=6, color=COLOUR, alpha=0.3, lw=0,
                   zorder=2)
        ax.plot([p05, p95], [y, y], color=COLOUR, lw=1.2, zorder=3)
        ax.add_patch(_box(p25, y - 0.2, p75 - p25, 0.4))
        ax.plot([p50, p50], [y - 0.26, y + 0.26], color="black", lw=2.0, zorder=5)
    handles = [Line2D([], [], ls="", marker="o", ms=3, color=COLOUR, alpha=0.5, label=label("replicates", lang)),
               Patch(fc=COLOUR, alpha=0.45, label=label("band_50", lang)),
               Line2D([], [], color=COLOUR, lw=1.2, label=label("band_90", lang)),
               Line2D([], [], color="black", lw=2.0, label=label("median", lang))]
    if target is not None:
        ax.axvline(target["target"], color=TARGET_COLOUR, lw=1.2, ls="--", zorder=1)
        handles.append(Line2D([], [], color=TARGET_COLOUR, lw=1.2, ls="--",
                              label=target_label(metric, target, lang)))
    if probabilities is not None:
        p = probabilities.set_index("scenario")
        ax.annotate(label("p_met_header", lang), xy=(1.02, 1.0), xycoords="axes fraction", ha="left",
                    va="bottom", fontsize=7.5, color=TARGET_COLOUR)
        for row, scenario in enumerate(scenarios):
            if scenario not in p.index:
                continue
            r = p.loc[scenario]
            text = (label("not_evaluated", lang) if r["p_met"] != r["p_met"] else
                    label("p_met_short", lang, p=r["p_met"], lo=r["ci_low"], hi=r["ci_high"]))
            ax.annotate(text, xy=(1.02, len(scenarios) - 1 - row), xycoords=ax.get_yaxis_transform(),
                        ha="left", va="center", fontsize=8, color=TARGET_COLOUR)
    ax.set_yticks(range(len(scenarios)))
    ax.set_yticklabels([(names or {}).get(s) or scenario_label(s, lang) for s in reversed(scenarios)])
    ax.set_ylim(-0.6, len(scenarios) - 0.4)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(label("in_year", lang, what=metric_label(metric, lang), year=year))
    value_axis(ax, metric, axis="x")
    if legend:
        legend_below(ax, handles=handles, below=0.42, ncols=3)
    return ax


def _box(x: float, y: float, width: float, height: float):
    from matplotlib.patches import Rectangle

    return Rectangle((x, y), width, height, fc=COLOUR, alpha=0.45, ec=COLOUR, lw=0.8, zorder=4)


def quantile_table(yearly: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Return the per-year quantiles a fan chart draws (for tables beside charts)."""
    q = yearly.groupby("year")[metric].quantile([0.05, 0.25, 0.5, 0.75, 0.95]).unstack()
    q.columns = [f"p{round(c * 100):02d}" for c in q.columns]
    return q.reset_index()
