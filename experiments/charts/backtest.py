"""The backtest chart: PIT histogram and CRPS by horizon against the random-walk benchmark."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from parkabm.experiments.charts.labels import check_language, zh_brackets
from parkabm.experiments.charts.style import COLOUR, chart_file, chart_rc, new_figure, save_figure

BACKTEST_LABELS = {
    "pit_title": {"en": "PIT of the forecasts (uniform if calibrated)", "zh": "预测的概率积分变换(校准时为均匀分布)"},
    "pit_axis": {"en": "PIT", "zh": "概率积分变换值"},
    "count_axis": {"en": "Forecasts", "zh": "预测数"},
    "uniform": {"en": "uniform", "zh": "均匀分布"},
    "crps_title": {"en": "CRPS by horizon (lower is better)", "zh": "各预测期CRPS(越低越好)"},
    "horizon_axis": {"en": "Years ahead", "zh": "预测年数"},
    "crps_axis": {"en": "CRPS (percentage points)", "zh": "CRPS(百分点)"},
    "shock_process": {"en": "shock process", "zh": "冲击过程"},
    "naive": {"en": "random walk on growth", "zh": "增速随机游走"},
}
"""The chart's strings in English and Chinese."""


def _label(key: str, lang: str) -> str:
    return zh_brackets(BACKTEST_LABELS[key][lang], lang)


def backtest_chart(scores: pd.DataFrame, summary: pd.DataFrame, *, axes=None, lang: str = "en"):
    """Draw the PIT histogram (left) and the mean CRPS by horizon of the process and the benchmark (right).

    Args:
        scores: :func:`parkabm.experiments.analysis.backtest.run_backtest` rows.
        summary: :func:`parkabm.experiments.analysis.backtest.summarise` rows.
        axes: Two axes; a new figure when omitted.
        lang: ``en`` or ``zh``.

    Returns:
        The two axes.
    """
    check_language(lang)
    if axes is None:
        _, axes = new_figure((7.2, 3.2), ncols=2)
    left, right = axes
    bins = np.linspace(0.0, 1.0, 6)
    left.hist(scores["pit"], bins=bins, color=COLOUR, alpha=0.85, edgecolor="white")
    left.axhline(len(scores) / (len(bins) - 1), color="black", lw=1, ls="--", label=_label("uniform", lang))
    left.set_xlabel(_label("pit_axis", lang))
    left.set_ylabel(_label("count_axis", lang))
    left.set_title(_label("pit_title", lang))
    left.legend(loc="upper left")
    by_h = summary[summary["horizon"] != "all"]
    h = by_h["horizon"].astype(int).to_numpy()
    right.plot(h, by_h["crps"] * 100, marker="o", color=COLOUR, label=_label("shock_process", lang))
    right.plot(h, by_h["crps_naive"] * 100, marker="s", color="#888888", label=_label("naive", lang))
    right.set_xticks(h)
    right.set_xlabel(_label("horizon_axis", lang))
    right.set_ylabel(_label("crps_axis", lang))
    right.set_title(_label("crps_title", lang))
    right.set_ylim(bottom=0)
    right.legend(loc="lower left")
    return axes


def write_backtest_chart(scores: pd.DataFrame, summary: pd.DataFrame, folder: Path, *, lang: str = "en",
                         fmt: str = "png") -> Path:
    """Write ``backtest.<lang>.<fmt>`` into ``folder`` and return its path."""
    import matplotlib as mpl

    path = Path(folder) / chart_file("backtest", lang, fmt)
    with mpl.rc_context(chart_rc(lang)):
        fig, axes = new_figure((7.2, 3.2), ncols=2)
        backtest_chart(scores, summary, axes=axes, lang=lang)
        save_figure(fig, path, fmt)
    return path
