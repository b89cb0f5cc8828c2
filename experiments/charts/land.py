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

    Args:
        yearly: Tidy yearly outputs with ``year`` and the :data:`LAND_PARTS` columns (and optionally
            ``zone_industrial_land_mu``).
        ax: Axes to draw on; a new figure when omitted.
        lang: ``en`` or ``zh``.

    Returns:
        The axes.
    """
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
    ax.set_ylim(0, mean[parts].sum(axis=1).max() * 1.08)
    ax.set_xlim(years.min(), years.max())
    year_ticks(ax, years)
    ax.set_xlabel(label("year", lang))
    ax.set_ylabel(label("land_axis", lang))
    ax.set_title(label("land_title", lang))
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return ax
