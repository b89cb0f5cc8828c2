"""Variance-decomposition chart: each target indicator's variance split by source, as stacked bars."""

from __future__ import annotations

import numpy as np
import pandas as pd

from parkabm.experiments.charts.labels import label
from parkabm.experiments.charts.style import legend_below, new_axes
from parkabm.scenarios.parameters import VARIANCE_GROUPS

SOURCE_COLOURS = {"base": "#b2182b", "macro": "#ef8a62", "behaviour": "#67a9cf", "levers": "#2166ac",
                  "noise": "#bababa"}
"""One colour per source of uncertainty (:data:`~parkabm.scenarios.parameters.VARIANCE_GROUPS`)."""


def decomposition_chart(table: pd.DataFrame, *, ax=None, lang: str = "en", title: str | None = None,
                        runs: int | None = None):
    """Draw the share of each indicator's variance by source as horizontal stacked bars (0–100%).

    Args:
        table: Tidy shares (columns indicator, label_en, label_zh, group, share), as written by
            :func:`parkabm.experiments.analysis.decomposition.decompose`.
        ax: Axes to draw on.
        lang: ``en`` or ``zh``.
        title: Optional title (the scenario).
        runs: Number of model runs, written in a note.

    Returns:
        The axes.
    """
    indicators = list(dict.fromkeys(table["indicator"]))
    if ax is None:
        ax = new_axes((7.2, 0.32 * len(indicators) + 1.8))
    wide = table.pivot(index="indicator", columns="group", values="share").reindex(indicators)
    names = table.drop_duplicates("indicator").set_index("indicator")[f"label_{lang}"].reindex(indicators)
    y = np.arange(len(indicators))[::-1].astype(float)
    left = np.zeros(len(indicators))
    for group, (en, zh) in VARIANCE_GROUPS.items():
        if group not in wide.columns:
            continue
        share = np.nan_to_num(wide[group].to_numpy(dtype=float))
        ax.barh(y, share, 0.7, left=left, color=SOURCE_COLOURS[group], label=zh if lang == "zh" else en)
        left += share
    for yi, total in zip(y, wide.sum(axis=1, min_count=1), strict=True):
        if total != total:  # NaN: the indicator does not vary
            ax.annotate(label("decomposition_constant", lang), xy=(0.5, yi), ha="center", va="center", fontsize=7,
                        color="#555555")
    ax.set_yticks(y)
    ax.set_yticklabels(list(names))
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(lambda v, _p: f"{v:.0%}")
    xlabel = label("decomposition_axis", lang)
    ax.set_xlabel(xlabel if runs is None else f"{xlabel} · {label('decomposition_runs', lang, n=f'{runs:,}')}")
    ax.grid(axis="y", visible=False)
    if title:
        ax.set_title(label("decomposition_title", lang, scenario=title))
    legend_below(ax, ncol=3, below=0.55)
    return ax
