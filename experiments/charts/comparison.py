"""Scenarios side by side: P(target met) with intervals and the 2025 output distributions."""

from __future__ import annotations

import numpy as np
import pandas as pd

from parkabm.experiments.charts.labels import LABELS, label, metric_label


def comparison_chart(table: pd.DataFrame, *, ax=None, lang: str = "en"):
    """Draw a scenario comparison: P(met) of the headline targets with Wilson 95% intervals, and output ranges.

    Two panels side by side, because the two halves have different units: on the left, per scenario, the
    probability of meeting the output and leading-share targets with their 95% intervals; on the right, per
    scenario, the distribution of zone output in the comparison year over the replicates (box 25–75%, whiskers
    5–95%, line the median, dot the mean) against the output target.

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

    headline = ("total_output_yi", "leading_share")
    scenarios = list(dict.fromkeys(table["scenario"]))
    names = [LABELS.get(f"scenario_{s}", {}).get(lang, s) for s in scenarios]
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
        name = first["name_zh"] if lang == "zh" and isinstance(first.get("name_zh"), str) else first["name_en"]
        name = name if isinstance(name, str) else first["name"]
        text = f"{name} ({first['comparison']}{first['target_value']:g}, {int(first['year'])})"
        at = x + (i - (len(rows) - 1) / 2) * width
        left.bar(at, np.nan_to_num(p), width * 0.9, yerr=np.nan_to_num(error), capsize=3,
                 color=colours[i % len(colours)], alpha=0.85, label=text, error_kw={"lw": 1})
        for xi, pi, hi in zip(at, p, by["ci_high"].to_numpy(dtype=float), strict=True):
            shown = label("comparison_not_evaluated", lang) if np.isnan(pi) else f"{pi:.0%}"
            left.annotate(shown, xy=(xi, 0.0 if np.isnan(hi) else hi), xytext=(0, 2), textcoords="offset points",
                          ha="center", va="bottom", fontsize=7)
    left.set_xticks(x)
    left.set_xticklabels(names, rotation=20, ha="right")
    left.set_ylim(0, 1.12)
    left.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    left.set_ylabel(label("comparison_p_met", lang))
    left.set_title(label("comparison_targets", lang))
    left.legend(loc="upper left", fontsize=7)
    output = table[(table["kind"] == "metric") & (table["name"] == "total_output_yi")].set_index("scenario")
    output = output.reindex(scenarios)
    stats = [{"label": n, "whislo": r.p05, "q1": r.p25, "med": r.p50, "q3": r.p75, "whishi": r.p95, "mean": r.mean,
              "fliers": []} for n, r in zip(names, output.itertuples(), strict=True)]
    right.bxp(stats, showmeans=True, showfliers=False, widths=0.55, patch_artist=True,
              boxprops={"facecolor": "#1f5f8b", "alpha": 0.35}, medianprops={"color": "#1f5f8b", "lw": 1.6},
              meanprops={"marker": "o", "markerfacecolor": "white", "markeredgecolor": "#1f5f8b", "markersize": 4})
    right.set_xticks(np.arange(1, len(names) + 1))
    right.set_xticklabels(names, rotation=20, ha="right")
    goal = targets[targets["metric"] == "total_output_yi"]
    if len(goal):
        right.axhline(float(goal["target_value"].iloc[0]), color="#b2182b", lw=1.2, ls="--",
                      label=label("target", lang))
        right.legend(loc="lower right")
    year = int(output["year"].dropna().iloc[0]) if output["year"].notna().any() else ""
    right.set_title(label("comparison_output", lang, year=year))
    right.set_ylabel(metric_label("total_output_yi", lang))
    right.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    right.annotate(label("comparison_box", lang), xy=(0.01, 0.01), xycoords="axes fraction", va="bottom", fontsize=7,
                   color="#555555")
    return ax
