"""Scenarios side by side: P(target met) with intervals and the 2025 output distributions."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from parkabm.experiments.charts.labels import label, metric_label, scenario_label, target_label, zh_brackets
from parkabm.experiments.charts.style import COLOUR, TARGET_COLOUR
from parkabm.model.outputs.registry import output


def comparison_chart(table: pd.DataFrame, *, ax=None, lang: str = "en"):
    """Draw a scenario comparison: P(met) of the headline targets with Wilson 95% intervals, and output ranges.

    Two panels side by side, because the two halves have different units: on the left, per scenario, the
    probability of meeting the output and leading-share targets with their 95% intervals; on the right, per
    scenario, the distribution of zone output in the comparison year over the replicates (box 25–75%, whiskers
    5–95%, line the median, dot the mean) against the output target. Both panels name the quantities by their
    registry labels, and the legends give each target's value, unit and year.

    Args:
        table: The tidy comparison table of :func:`parkabm.experiments.analysis.compare.comparison_table` (rows of kind
            ``target`` with ``p_met``/``ci_low``/``ci_high``, rows of kind ``metric`` with ``mean`` and
            ``p05``…``p95``).
        ax: Two axes to draw on (targets, output); a new figure with both when omitted.
        lang: ``en`` or ``zh``.

    Returns:
        The two axes.
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    headline = ("total_output_yi", "leading_share")
    scenarios = list(dict.fromkeys(table["scenario"]))
    names = [textwrap.fill(scenario_label(s, lang), 14 if lang == "en" else 8, break_long_words=False)
             for s in scenarios]  # two short lines rather than slanted labels that run into each other
    if ax is None:
        _, ax = plt.subplots(1, 2, figsize=(10.0, 3.8), width_ratios=(1.15, 1.0), layout="constrained")
    left, right = ax
    targets = table[(table["kind"] == "target") & table["metric"].isin(headline)]
    rows = [targets[targets["metric"] == m] for m in headline]
    rows = [r for r in rows if len(r)]
    x = np.arange(len(scenarios), dtype=float)
    width = 0.8 / max(1, len(rows))
    colours = ("#1f5f8b", "#e08214")
    for i, group in enumerate(rows):
        by = group.set_index("scenario").reindex(scenarios)
        p = by["p_met"].to_numpy(dtype=float)
        error = np.vstack([p - by["ci_low"].to_numpy(dtype=float), by["ci_high"].to_numpy(dtype=float) - p])
        first = group.iloc[0]
        # the quantity by its registry label, as on the right panel and the fan charts
        text = target_label(first["metric"], {"target": first["target_value"], "year": int(first["year"]),
                                              "comparison": first["comparison"]}, lang,
                            name=output(first["metric"]).label(lang))
        at = x + (i - (len(rows) - 1) / 2) * width
        left.bar(at, np.nan_to_num(p), width * 0.9, yerr=np.nan_to_num(error), capsize=3,
                 color=colours[i % len(colours)], alpha=0.85, label=zh_brackets(text, lang), error_kw={"lw": 1})
        for xi, pi, hi in zip(at, p, by["ci_high"].to_numpy(dtype=float), strict=True):
            shown = label("comparison_not_evaluated", lang) if np.isnan(pi) else f"{pi:.0%}"
            left.annotate(shown, xy=(xi, 0.0 if np.isnan(hi) else hi), xytext=(0, 2), textcoords="offset points",
                          ha="center", va="bottom", fontsize=7)
    left.set_xticks(x)
    left.set_xticklabels(names)
    left.set_ylim(0, 1.32)  # room above 100% for the bar labels and the legend, clear of every whisker cap
    left.set_yticks(np.linspace(0, 1, 6))
    left.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    left.set_ylabel(label("comparison_p_met", lang))
    left.set_title(label("comparison_targets", lang))
    left.set_axisbelow(True)
    left.legend(loc="upper left", fontsize=7, ncols=1, borderaxespad=0.2)
    values = table[(table["kind"] == "metric") & (table["name"] == "total_output_yi")].set_index("scenario")
    values = values.reindex(scenarios)
    stats = [{"label": n, "whislo": r.p05, "q1": r.p25, "med": r.p50, "q3": r.p75, "whishi": r.p95, "mean": r.mean,
              "fliers": []} for n, r in zip(names, values.itertuples(), strict=True)]
    right.bxp(stats, showmeans=True, showfliers=False, widths=0.55, patch_artist=True,
              boxprops={"facecolor": COLOUR, "alpha": 0.35}, medianprops={"color": COLOUR, "lw": 1.6},
              meanprops={"marker": "o", "markerfacecolor": "white", "markeredgecolor": COLOUR, "markersize": 4})
    right.set_xticks(np.arange(1, len(names) + 1))
    right.set_xticklabels(names)
    handles = [Patch(fc=COLOUR, alpha=0.35, ec="black", lw=0.6, label=label("band_50", lang)),
               Line2D([], [], color="black", lw=1.0, label=label("band_90", lang)),
               Line2D([], [], color=COLOUR, lw=1.6, label=label("median", lang)),
               Line2D([], [], ls="", marker="o", mfc="white", mec=COLOUR, ms=4, label=label("mean", lang))]
    goal = targets[targets["metric"] == "total_output_yi"]
    year = int(values["year"].dropna().iloc[0]) if values["year"].notna().any() else ""
    top = float(np.nanmax(values[["p95"]].to_numpy(dtype=float))) if len(values) else 1.0
    bottom = float(np.nanmin(values[["p05"]].to_numpy(dtype=float))) if len(values) else 0.0
    if len(goal):
        first = goal.iloc[0]
        value = float(first["target_value"])
        right.axhline(value, color=TARGET_COLOUR, lw=1.2, ls="--")
        handles.append(Line2D([], [], color=TARGET_COLOUR, lw=1.2, ls="--", label=target_label(
            "total_output_yi", {"target": value, "year": int(first["year"]), "comparison": first["comparison"]},
            lang)))
        top, bottom = max(top, value), min(bottom, value)
    right.set_ylim(bottom - 0.05 * (top - bottom), top + 0.45 * (top - bottom))  # the legend above the whiskers
    right.legend(handles=handles, loc="upper left", ncols=2, fontsize=7, borderaxespad=0.2)
    right.set_title(label("comparison_output", lang, year=year))
    right.set_ylabel(metric_label("total_output_yi", lang))
    right.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    right.set_axisbelow(True)
    return ax
