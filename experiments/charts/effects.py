"""Forest plots of lever effects (``parkabm effects``): one row per lever step, the paired effect and its interval.

The plot function takes the tidy effect table of :func:`parkabm.experiments.analysis.effects.effect_table` and an
optional ``ax`` and returns the ``ax``; it never runs the model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from parkabm.experiments.charts import COLOUR, LABELS, chart_rc, is_share, label, new_figure, save_figure

LABELS.update({
    "effects_title": {"en": "{scenario}: effect of each lever step on {what} ({year}), 95% interval",
                      "zh": "{scenario}：各政策杠杆变化对{year}年{what}的效应（95%区间）"},
    "effects_axis": {"en": "Paired effect ({unit})", "zh": "配对效应（{unit}）"},
    "effects_pp": {"en": "percentage points", "zh": "百分点"},
    "effects_significant": {"en": "interval excludes zero", "zh": "区间不含零"},
    "effects_not_significant": {"en": "interval includes zero", "zh": "区间含零"},
})

CHART_OUTCOMES = {"total_output_yi": "effects_output", "leading_share": "effects_leading_share"}
"""Outcomes drawn, with the file-name stem of their chart."""

MUTED = "#9a9a9a"
"""Colour of steps whose interval includes zero."""


def effect_forest_chart(table: pd.DataFrame, outcome: str, *, ax=None, lang: str = "en", title: str | None = None):
    """Draw the effect of every lever step on one outcome as a forest plot (point and 95% interval per row).

    Rows keep the table's order (levers in schema order); steps whose interval excludes zero are drawn in the
    project colour, the others in grey. Shares are shown in percentage points.

    Args:
        table: The effect table (columns lever, change, outcome, effect, ci_low, ci_high, significant, unit).
        outcome: The outcome to draw, e.g. ``total_output_yi``.
        ax: Axes to draw on; a new figure when omitted.
        lang: ``en`` or ``zh``.
        title: Optional title.

    Returns:
        The axes.
    """
    from parkabm.model.outputs.registry import display_unit
    from parkabm.scenarios.schema import lever_label

    rows = table[(table["outcome"] == outcome) & (table["status"] == "evaluated")].reset_index(drop=True)
    if ax is None:
        _, ax = new_figure((7.0, 0.16 * len(rows) + 1.2))
    scale = 100.0 if is_share(outcome) else 1.0
    y = np.arange(len(rows))[::-1].astype(float)
    effect = rows["effect"].to_numpy(dtype=float) * scale
    low = rows["ci_low"].to_numpy(dtype=float) * scale
    high = rows["ci_high"].to_numpy(dtype=float) * scale
    significant = rows["significant"].to_numpy(dtype=bool)
    for mask, colour, key in ((significant, COLOUR, "effects_significant"),
                              (~significant, MUTED, "effects_not_significant")):
        if not mask.any():
            continue
        ax.errorbar(effect[mask], y[mask], xerr=np.vstack([effect[mask] - low[mask], high[mask] - effect[mask]]),
                    fmt="o", ms=3, color=colour, ecolor=colour, elinewidth=1.0, capsize=0, label=label(key, lang))
    ax.axvline(0, color="black", lw=0.7)
    ax.set_yticks(y)
    ax.set_yticklabels([f"{lever_label(r.lever, lang)}  {r.change}" for r in rows.itertuples(index=False)],
                       fontsize=6)
    ax.set_ylim(-0.8, len(rows) - 0.2)
    unit = label("effects_pp", lang) if is_share(outcome) else display_unit(str(rows["unit"].iloc[0]), lang)
    ax.set_xlabel(label("effects_axis", lang, unit=unit))
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right")
    if title:
        ax.set_title(title)
    return ax


def write_effect_charts(table: pd.DataFrame, out: Path, *, langs=("en", "zh"), scenario: str = "",
                        fmt: str = "png") -> dict[str, Path]:
    """Write the forest plots of output and leading share, one file per outcome and language.

    Args:
        table: The effect table.
        out: Folder to write into.
        langs: Languages to draw.
        scenario: Scenario name for the titles.
        fmt: ``png``, ``svg`` or ``pdf``.

    Returns:
        Paths by role, e.g. ``effects_output.en`` → ``effects_output.en.png``.
    """
    import matplotlib as mpl

    from parkabm.experiments.charts import scenario_label
    from parkabm.model.outputs.registry import output

    files = {}
    evaluated = table[table["status"] == "evaluated"]
    for lang in langs:
        with mpl.rc_context(chart_rc(lang)):
            for outcome, stem in CHART_OUTCOMES.items():
                rows = evaluated[evaluated["outcome"] == outcome]
                if not len(rows):
                    continue
                fig, ax = new_figure((7.5, 0.13 * len(rows) + 1.4))
                title = label("effects_title", lang, scenario=scenario_label(scenario, lang),
                              what=output(outcome).label(lang), year=int(rows["year"].iloc[0]))
                effect_forest_chart(table, outcome, ax=ax, lang=lang, title=title)
                files[f"{stem}.{lang}"] = save_figure(fig, out / f"{stem}.{lang}.{fmt}", fmt)
    return files
