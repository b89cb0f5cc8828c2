"""Sector-group (产业集群) sizes against the 千亿级/万亿级 lines, and how many clusters reach each level."""

from __future__ import annotations

import numpy as np
import pandas as pd

from parkabm.experiments.charts.labels import comparison_sign, format_value, group_label, label
from parkabm.experiments.charts.style import COLOUR, TARGET_COLOUR, legend_below, new_axes, value_axis
from parkabm.model.outputs.registry import GROUP_OUTPUT_COLUMN, output


def group_outputs(yearly: pd.DataFrame) -> pd.DataFrame:
    """Return the output of each sector group as a tidy frame, from the yearly per-group columns.

    The yearly outputs carry one group's output in a column named as :data:`GROUP_OUTPUT_COLUMN`
    (``group_output_<group>_yi``); results without such columns give an empty frame.

    Args:
        yearly: Tidy yearly outputs (``replicate``, ``year``, optionally ``scenario``).

    Returns:
        Columns ``replicate``, ``year`` (and ``scenario``), ``group``, ``output_yi``.
    """
    prefix, suffix = GROUP_OUTPUT_COLUMN.split("{group}")
    columns = {c: c[len(prefix):-len(suffix)] for c in yearly.columns
               if c.startswith(prefix) and c.endswith(suffix) and len(c) > len(prefix) + len(suffix)}
    keys = [c for c in ("scenario", "replicate", "year") if c in yearly.columns]
    if not columns:
        return pd.DataFrame(columns=[*keys, "group", "output_yi"])
    tidy = yearly[keys + list(columns)].melt(id_vars=keys, var_name="group", value_name="output_yi")
    tidy["group"] = tidy["group"].map(columns)
    return tidy


def cluster_chart(groups: pd.DataFrame, *, year: int | None = None, ax=None, lang: str = "en",
                  policy_clusters: tuple[str, ...] | None = None):
    """Draw each sector group's output in one year against the 千亿级 (1000亿) and 万亿级 (1万亿) cluster levels.

    One row per group, largest on top: the median (dot) and 5–95% of replicates (bar) in ``year``, and the median
    of the first year (open circle) to show the way travelled. The value axis is logarithmic so that groups of a
    few hundred 亿 and of a 万亿 can be read on one chart.

    Args:
        groups: Tidy group outputs: ``replicate``, ``year``, ``group``, ``output_yi`` (see :func:`group_outputs`).
        year: Year to draw (default: the last year).
        ax: Axes to draw on; a new figure when omitted.
        lang: ``en`` or ``zh``.
        policy_clusters: Groups counted as policy clusters (the others are grey); the model's list when omitted.

    Returns:
        The axes.
    """
    from matplotlib.lines import Line2D
    from matplotlib.ticker import LogLocator, NullFormatter

    from parkabm.model.outputs.reporters import QIANYI_YI, WANYI_YI

    if policy_clusters is None:
        from parkabm.model.city import POLICY_CLUSTERS

        policy_clusters = POLICY_CLUSTERS
    year = int(groups["year"].max()) if year is None else int(year)
    first_year = int(groups["year"].min())
    q = groups[groups["year"] == year].groupby("group")["output_yi"].quantile([0.05, 0.5, 0.95]).unstack()
    start = groups[groups["year"] == first_year].groupby("group")["output_yi"].median()
    q = q.sort_values(0.5)
    if ax is None:
        ax = new_axes((6.4, 0.38 * len(q) + 1.6))
    for y, (group, r) in enumerate(q.iterrows()):
        colour = COLOUR if group in policy_clusters else "#8c8c8c"
        ax.plot([r[0.05], r[0.95]], [y, y], color=colour, lw=4, alpha=0.35, solid_capstyle="butt")
        ax.plot([r[0.5]], [y], "o", color=colour, ms=5)
        if group in start.index and first_year != year:
            ax.plot([start[group]], [y], "o", mfc="white", mec=colour, ms=5, mew=1.0)
    ax.axvline(QIANYI_YI, color=TARGET_COLOUR, lw=1.0, ls="--")
    ax.axvline(WANYI_YI, color=TARGET_COLOUR, lw=1.6, ls="-")
    ax.set_xscale("log")
    lo = min(q[0.05].min(), start.min() if len(start) else q[0.05].min(), QIANYI_YI)
    hi = max(q[0.95].max(), WANYI_YI)
    ax.set_xlim(lo / 1.5, hi * 1.5)
    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))  # 1,000 · 2,000 · 5,000 · 10,000 …
    ax.xaxis.set_minor_formatter(NullFormatter())
    value_axis(ax, "output_yi", axis="x")
    ax.set_yticks(range(len(q)))
    ax.set_yticklabels([group_label(g, lang) for g in q.index])
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(label("cluster_axis", lang))
    ax.set_title(label("cluster_title", lang, year=year))
    # legend columns (filled top to bottom): this year's values | the first year and grey | the two levels
    handles = [Line2D([], [], ls="", marker="o", color=COLOUR, ms=5, label=label("year_median", lang, year=year)),
               Line2D([], [], color=COLOUR, lw=4, alpha=0.35, label=label("band_90", lang))]
    if first_year != year:
        handles.append(Line2D([], [], ls="", marker="o", mfc="white", mec=COLOUR, ms=5,
                              label=label("year_median", lang, year=first_year)))
    if any(g not in policy_clusters for g in q.index):
        handles.append(Line2D([], [], ls="", marker="o", color="#8c8c8c", ms=5,
                              label=label("not_policy_cluster", lang)))
    handles += [Line2D([], [], color=TARGET_COLOUR, lw=1.0, ls="--", label=label("qianyi_line", lang)),
                Line2D([], [], color=TARGET_COLOUR, lw=1.6, label=label("wanyi_line", lang))]
    legend_below(ax, handles=handles, below=0.42, ncols=2)
    return ax


def cluster_count_chart(yearly: pd.DataFrame, *, year: int | None = None, ax=None, lang: str = "en",
                        targets: dict[str, dict] | None = None):
    """Draw how many policy clusters reach the 千亿级 and 万亿级 levels in one year, over replicates.

    Bars give the share of replicates with 0, 1, 2, … clusters of each level (``clusters_qianyi``,
    ``clusters_wanyi``); a triangle over the bar of the target count marks each target (3 千亿级 and 2 万亿级 in
    the 2023 text), with its value, year and P(met) in the legend.

    Args:
        yearly: Tidy yearly outputs with ``year``, ``clusters_qianyi`` and ``clusters_wanyi``.
        year: Year to draw (default: the last year).
        ax: Axes to draw on; a new figure when omitted.
        lang: ``en`` or ``zh``.
        targets: Optional targets by metric (entries of ``summary.json``: ``target``, ``comparison``, ``year``).

    Returns:
        The axes.
    """
    from matplotlib.ticker import MaxNLocator, PercentFormatter

    year = int(yearly["year"].max()) if year is None else int(year)
    at = yearly[yearly["year"] == year]
    metrics = ("clusters_qianyi", "clusters_wanyi")
    colours = {"clusters_qianyi": COLOUR, "clusters_wanyi": "#e08214"}
    top = int(np.nanmax(at[list(metrics)].to_numpy(dtype=float)))
    for t in (targets or {}).values():
        top = max(top, int(t["target"]))
    counts = np.arange(top + 2)
    if ax is None:
        ax = new_axes((6.0, 3.4))
    handles, texts = [], []  # one legend column per level: its bars, then its target
    for i, metric in enumerate(metrics):
        values = at[metric].dropna().to_numpy(dtype=float)
        share = np.array([(values == k).mean() if len(values) else 0.0 for k in counts])
        handles.append(ax.bar(counts + (i - 0.5) * 0.38, share, width=0.36, color=colours[metric]))
        texts.append(output(metric).label(lang))
        target = (targets or {}).get(metric)
        if target is not None:
            # a marker over this level's bar at the target count itself: a line between two counts would read as
            # a threshold of 2.5 clusters
            cmp = target.get("comparison", ">=")
            x_target = int(target["target"]) + (i - 0.5) * 0.38
            text = label("count_target", lang, cmp=comparison_sign(cmp), value=format_value(metric, target["target"]),
                         year=target["year"])
            if target.get("p_met") is not None and target["p_met"] == target["p_met"]:
                p = label("p_met_short", lang, p=target["p_met"], lo=target["ci_low"], hi=target["ci_high"])
                text += " · " + label("p_met_in_legend", lang, p=p)
            handles.append(ax.plot([x_target], [1.06], ls="", marker="v", ms=7, color=colours[metric], mec="black",
                                   mew=0.6, clip_on=False)[0])
            texts.append(text)
    ax.set_xticks(counts)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(label("cluster_count_axis", lang))
    ax.set_ylabel(label("share_of_replicates", lang))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylim(0, 1.1)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.grid(axis="x", visible=False)
    ax.set_axisbelow(True)
    ax.set_title(label("cluster_count_title", lang, year=year))
    legend_below(ax, handles, texts, below=0.42, ncols=2 if len(texts) > 2 else 1)
    return ax
