"""Sensitivity-analysis charts: Sobol/δ/PAWN indices with intervals and Morris μ*–σ."""

from __future__ import annotations

import numpy as np
import pandas as pd

from parkabm.experiments.charts.labels import factor_label, label
from parkabm.experiments.charts.style import COLOUR, new_axes, note
from parkabm.model.outputs.registry import display_unit
from parkabm.model.outputs.registry import output as registry_output

SA_OUTPUT_METRICS = {"total_output": "total_output_yi", "leading_share": "leading_share"}
"""The model output behind each sensitivity-analysis output (for its unit); the others are probabilities."""


def sensitivity_chart(indices: pd.DataFrame, *, ax=None, lang: str = "en", title: str | None = None,
                      n: int | None = None, runs: int | None = None):
    """Draw sensitivity indices of one output as horizontal bars with their confidence intervals.

    Sobol: first-order and total-order bars per factor (sorted by ST); δ and PAWN: one bar per factor. An output
    that does not vary has no indices (every value and interval 0 or missing): the chart says so instead of
    drawing empty bars that would read as "no factor matters".

    Args:
        indices: Tidy indices of one output (columns factor, index, value, ci_low, ci_high).
        ax: Axes to draw on.
        lang: ``en`` or ``zh``.
        title: Optional title.
        n: Base sample size of the design, written in a note with ``runs``.
        runs: Number of model runs of the design.

    Returns:
        The axes.
    """
    kinds = [k for k in ("ST", "S1", "delta", "pawn_median") if k in set(indices["index"])]
    main = kinds[0]
    order = (indices[indices["index"] == main].sort_values("value", kind="stable")["factor"]).tolist()
    if ax is None:
        ax = new_axes((6.4, 0.45 * len(order) + 1.6))
    y = np.arange(len(order), dtype=float)
    height = 0.8 / len(kinds)
    colours = {"ST": COLOUR, "S1": "#92c5de", "delta": COLOUR, "pawn_median": COLOUR}
    constant = is_constant(indices)
    for i, kind in enumerate(kinds):
        if constant:
            break
        rows = indices[indices["index"] == kind].set_index("factor").reindex(order)
        value = rows["value"].to_numpy(dtype=float)
        err = np.vstack([np.clip(value - rows["ci_low"].to_numpy(dtype=float), 0, None),
                         np.clip(rows["ci_high"].to_numpy(dtype=float) - value, 0, None)])
        at = y + (i - (len(kinds) - 1) / 2) * height
        ax.barh(at, value, height * 0.9, xerr=err, color=colours[kind], label=label(f"sa_{kind}", lang),
                error_kw={"lw": 0.8, "capsize": 2})
    ax.set_yticks(y)
    ax.set_yticklabels([factor_label(f, lang) for f in order])
    ax.set_ylim(-0.6, len(order) - 0.4)
    ax.axvline(0, color="black", lw=0.6)
    ax.set_xlabel(label("sa_index", lang))
    ax.set_axisbelow(True)
    ax.grid(axis="y", visible=False)
    if constant:
        ax.set_xlim(0, 1)
        note(ax, label("sa_constant", lang))
    else:
        ax.legend(loc="lower right")
    design = _design_note(n, runs, lang)
    if title:
        ax.set_title(f"{title}\n{design}" if design else title)
    elif design:
        ax.set_title(design)
    return ax


def is_constant(indices: pd.DataFrame) -> bool:
    """Whether an output's indices say nothing: every value and interval is 0 or missing (the output is constant).

    "0" is what a three-decimal report prints as 0.000, so that the chart and ``report.md`` agree.
    """
    numbers = indices[["value", "ci_low", "ci_high"]].to_numpy(dtype=float)
    return bool(np.all(np.isnan(numbers) | (np.abs(numbers) < 5e-4)))


def _design_note(n: int | None, runs: int | None, lang: str) -> str:
    if n is None and runs is None:
        return ""
    parts = []
    if n is not None:
        parts.append(label("sa_n", lang, n=f"{n:,}"))
    if runs is not None:
        parts.append(label("sa_runs", lang, runs=f"{runs:,}"))
    return "; ".join(parts) if lang == "en" else "，".join(parts)


def morris_chart(indices: pd.DataFrame, *, ax=None, lang: str = "en", title: str | None = None,
                 n: int | None = None, runs: int | None = None, labelled: int = 6, output: str | None = None):
    """Draw Morris μ* against σ for one output, with the μ* confidence intervals and the σ = μ* line.

    Factors far right matter; factors above the line act through interactions or non-linearly. Only the
    ``labelled`` factors of largest μ* are named — the others crowd the origin, where no name could be read — in
    a column right of the axes, spread so that no two names overlap, each joined to its point by a thin line.

    Args:
        indices: Tidy Morris indices of one output (``mu_star`` with CI, ``sigma``; optionally ``output``).
        ax: Axes to draw on.
        lang: ``en`` or ``zh``.
        title: Optional title.
        n: Number of trajectories, written in the title with ``runs``.
        runs: Number of model runs of the design.
        labelled: How many factors to name, by μ*.
        output: The analysis output (``total_output``, ``leading_share``, ``p_…``) for the unit of μ* and σ;
            from the ``output`` column of ``indices`` when omitted.

    Returns:
        The axes.
    """
    from matplotlib.ticker import FuncFormatter

    mu = indices[indices["index"] == "mu_star"].set_index("factor")
    sigma = indices[indices["index"] == "sigma"].set_index("factor")["value"].reindex(mu.index)
    if output is None and "output" in indices.columns and indices["output"].nunique() == 1:
        output = str(indices["output"].iloc[0])
    if ax is None:
        ax = new_axes((6.4, 4.0))
    x = mu["value"].to_numpy(dtype=float)
    s = sigma.to_numpy(dtype=float)
    high = np.fmax(mu["ci_high"].to_numpy(dtype=float), x)
    err = np.vstack([np.clip(x - mu["ci_low"].to_numpy(dtype=float), 0, None), np.clip(high - x, 0, None)])
    ax.errorbar(x, s, xerr=err, fmt="o", color=COLOUR, ms=5, lw=0.8, capsize=2, zorder=3)
    right = float(np.nanmax(high, initial=0)) * 1.06 or 1.0  # every interval inside the axes
    top = float(np.nanmax(s, initial=0)) * 1.15 or right
    line_end = min(right, top)
    ax.plot([0, line_end], [0, line_end], ls="--", color="grey", lw=0.8, label=label("morris_line", lang))
    ax.set_xlim(0, right)
    ax.set_ylim(0, top)
    unit = _index_unit(output, lang)
    with_unit = (lambda text: f"{text}（{unit}）" if lang == "zh" else f"{text} ({unit})") if unit else (lambda t: t)
    ax.set_xlabel(with_unit(label("morris_mu_star", lang)))
    ax.set_ylabel(with_unit(label("morris_sigma", lang)))
    share = output is not None and output != "total_output"
    formatter = FuncFormatter(lambda v, _: f"{v:.2f}" if share else f"{v:,.0f}")
    ax.xaxis.set_major_formatter(formatter)
    ax.yaxis.set_major_formatter(formatter)
    ax.set_axisbelow(True)
    _label_column(ax, list(mu.index), x, s, labelled, lang)
    ax.legend(loc="upper left")
    design = _design_note(n, runs, lang)
    heading = "\n".join(t for t in (title, design) if t)
    if heading:
        ax.set_title(heading)
    return ax


def _index_unit(output: str | None, lang: str) -> str:
    """Return the unit of elementary effects of ``output``: the output's registry unit, or 0–1 for probabilities."""
    if output is None:
        return ""
    metric = SA_OUTPUT_METRICS.get(output)
    if metric is None:
        return label("sa_probability_unit", lang)
    unit = registry_output(metric).unit
    return label("sa_share_unit", lang) if unit == "share" else display_unit(unit, lang)


def _label_column(ax, factors: list[str], x, s, labelled: int, lang: str) -> None:
    """Name the ``labelled`` factors of largest μ* in a column right of the axes, pushed apart so none overlap."""
    finite = [i for i in np.argsort(-np.nan_to_num(x, nan=-np.inf), kind="stable") if np.isfinite(x[i])]
    chosen = finite[:labelled]
    if not chosen:
        return
    to_axes = ax.transAxes.inverted()
    points = {i: to_axes.transform(ax.transData.transform((x[i], s[i] if np.isfinite(s[i]) else 0))) for i in chosen}
    gap = 1.0 / max(len(chosen), 1) if len(chosen) * 0.085 > 1 else 0.085  # axes fraction between two names
    ordered = sorted(chosen, key=lambda i: points[i][1])
    ys, floor = [], 0.06  # the lowest slot is kept for the note on the factors left unnamed
    for i in ordered:  # push up from the bottom, then down from the top, keeping at least ``gap`` between names
        y = max(min(points[i][1], 1.0), floor)
        ys.append(y)
        floor = y + gap
    ceiling = 1.0
    for k in range(len(ys) - 1, -1, -1):
        ys[k] = min(ys[k], ceiling)
        ceiling = ys[k] - gap
    for i, y in zip(ordered, ys, strict=True):
        ax.annotate(factor_label(factors[i], lang), xy=(x[i], s[i] if np.isfinite(s[i]) else 0), xycoords="data",
                    xytext=(1.03, y), textcoords="axes fraction", ha="left", va="center", fontsize=7,
                    arrowprops={"arrowstyle": "-", "color": "#8c8c8c", "lw": 0.5, "shrinkA": 1, "shrinkB": 3})
    hidden = len(finite) - len(chosen)
    if hidden > 0:
        ax.annotate(label("morris_unlabelled", lang, k=hidden), xy=(1.03, 0.0), xycoords="axes fraction",
                    ha="left", va="bottom", fontsize=6.5, color="#555555")
