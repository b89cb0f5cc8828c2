"""The zones' industrial land balance over the years."""

from __future__ import annotations

import pandas as pd

from parkabm.experiments.charts.labels import label
from parkabm.experiments.charts.style import new_axes, year_ticks

LAND_PARTS = ("land_firms_mu", "land_factory_mu", "land_pipeline_mu", "land_idle_mu", "land_vacant_mu")
"""The uses that together make up the zones' industrial land, bottom to top of :func:`land_balance_chart`."""


def land_balance_chart(yearly: pd.DataFrame, *, ax=None, lang: str = "en"):
    """Draw how the zones' industrial land is used over the years, stacked (mean of replicates, 万亩).

    The parts of :data:`LAND_PARTS` (land held by firms, standard factories, land under redevelopment, idle
    low-efficiency land, vacant serviced land) add up to the zones' industrial land, drawn as a line on top. Means
    are stacked because, unlike medians, they add up.

    The value axis starts at a round level just below the smallest land held by firms, not at 0: firms hold about
    three quarters of the land, so from 0 the four bands policy acts on (standard factories, redevelopment, idle
    and vacant land) would share the top quarter of the chart. Starting near the firms' land keeps every band in
    万亩 (the unit the policy quotas are set in) and keeps the total readable; shares would hide the total's growth
    and a broken axis would add a second scale. A note on the chart says where the axis starts.

    Args:
        yearly: Tidy yearly outputs with ``year`` and the :data:`LAND_PARTS` columns (and optionally
            ``zone_industrial_land_mu``).
        ax: Axes to draw on; a new figure when omitted.
        lang: ``en`` or ``zh``.

    Returns:
        The axes.
    """
    from matplotlib.ticker import FuncFormatter

    columns = [c for c in (*LAND_PARTS, "zone_industrial_land_mu") if c in yearly.columns]
    mean = yearly.groupby("year")[columns].mean() / 1e4
    years = mean.index.to_numpy()
    if ax is None:
        ax = new_axes((6.4, 3.6))
    colours = ("#1f5f8b", "#6baed6", "#fdae6b", "#e6550d", "#bdbdbd")
    parts = [c for c in LAND_PARTS if c in mean.columns]
    ax.stackplot(years, *[mean[c] for c in parts], colors=colours[:len(parts)], alpha=0.9, lw=0,
                 labels=[label(f"land_part_{c}", lang) for c in parts])
    if "zone_industrial_land_mu" in mean.columns:
        ax.plot(years, mean["zone_industrial_land_mu"], color="black", lw=1.2,
                label=label("land_part_zone_industrial_land_mu", lang))
    total = mean[parts].sum(axis=1)
    lowest = float(mean[parts[0]].min()) if parts else 0.0
    bottom = _round_down(lowest - 0.25 * (total.max() - lowest), total.max() - lowest)
    top = float(max(total.max(), mean.get("zone_industrial_land_mu", total).max()))
    ax.set_ylim(bottom, top + 0.08 * (top - bottom))
    ax.set_axisbelow(True)  # grid lines under the bands, not over them
    if bottom > 0:
        ax.annotate(label("land_axis_start", lang, bottom=f"{bottom:g}"), xy=(0.01, 0.02), xycoords="axes fraction",
                    ha="left", va="bottom", fontsize=7, color="white")
    ax.set_xlim(years.min(), years.max())
    year_ticks(ax, years)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.set_xlabel(label("year", lang))
    ax.set_ylabel(label("land_axis", lang))
    ax.set_title(label("land_title", lang))
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return ax


def _round_down(value: float, span: float) -> float:
    """Return ``value`` rounded down to a whole step of the order of ``span`` (0 for values at or below 0)."""
    import math

    if value <= 0 or span <= 0:
        return max(0.0, value)
    step = 10 ** math.floor(math.log10(span))
    return math.floor(value / step) * step
