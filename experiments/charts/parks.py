"""Per-park small multiples: one panel per zone over the years."""

from __future__ import annotations

import numpy as np
import pandas as pd

from parkabm.experiments.charts.labels import is_share, park_names
from parkabm.experiments.charts.style import COLOUR, TARGET_COLOUR, value_axis, year_ticks


def park_small_multiples(parks: pd.DataFrame, metric: str = "output_yi", *, axes=None, lang: str = "en",
                         names: dict[str, str] | None = None, reference: float | None = None, ncols: int = 4,
                         title: str | None = None, order: list[str] | None = None):
    """Draw one small panel per park: the median and 5–95% band of one per-park output over the years.

    Panels are ordered by the park's median output in the first year, largest first (by ``metric`` when the frame
    has no ``output_yi``), so that every per-park chart shows the zones in the same places; outputs have a value
    scale per panel (the zones differ by a factor of 40), shares one scale for all.

    Args:
        parks: Tidy per-park outputs (``parks.parquet``): ``park``, ``year``, ``replicate`` and ``metric``.
        metric: Column to draw (``output_yi``, ``leading_share``, ``tax_per_mu_wan``, …).
        axes: Array of at least as many axes as parks; a new figure with ``ncols`` columns when omitted.
        lang: ``en`` or ``zh``.
        names: Display names by park id; the shipped ``parks.csv`` names (short form) when omitted.
        reference: Optional value drawn as a dashed line in every panel (e.g. 0.6 for the 60% target).
        ncols: Panels per row of a new figure.
        title: Optional title over all panels.
        order: Park ids in panel order; by first-year median output when omitted.

    Returns:
        The axes, as a flat array in drawing order (spare axes hidden).
    """
    names = names if names is not None else park_names(lang, short=True)
    q = parks.groupby(["park", "year"])[metric].quantile([0.05, 0.5, 0.95]).unstack()
    if order is None:
        size = "output_yi" if "output_yi" in parks.columns else metric
        first_year = parks[parks["year"] == parks["year"].min()]
        order = list(first_year.groupby("park")[size].median().sort_values(ascending=False, kind="stable").index)
    if axes is None:
        import matplotlib.pyplot as plt

        nrows = -(-len(order) // ncols)
        _, axes = plt.subplots(nrows, ncols, figsize=(1.95 * ncols, 1.6 * nrows), sharex=True,
                               layout="constrained")
    axes = np.asarray(axes).ravel()
    if len(axes) < len(order):
        raise ValueError(f"park_small_multiples: {len(order)} parks need as many axes, got {len(axes)}")
    values = [q[0.05].min(), q[0.95].max(), *([reference] if reference is not None else [])]
    share_range = (max(0.0, min(values) - 0.03), min(1.0, max(values) + 0.03))
    for ax, park in zip(axes, order, strict=False):
        p = q.loc[park]
        years = p.index.to_numpy()
        ax.fill_between(years, p[0.05], p[0.95], color=COLOUR, alpha=0.22, lw=0)
        ax.plot(years, p[0.5], color=COLOUR, lw=1.4)
        if reference is not None:
            ax.axhline(reference, color=TARGET_COLOUR, lw=0.9, ls="--")
        ax.set_title(names.get(park, park), fontsize=7.5, loc="left")
        ax.tick_params(labelsize=7)
        ax.set_axisbelow(True)
        year_ticks(ax, years, every=2 if len(years) > 6 else 1)
        if is_share(metric):
            ax.set_ylim(*share_range)  # one scale for every park: shares compare across parks
        else:
            ax.set_ylim(bottom=0)  # own scale per park: outputs differ by a factor of 40
        value_axis(ax, metric)
    for ax in axes[len(order):]:
        ax.set_visible(False)
    if title:
        axes[0].figure.suptitle(title, fontsize=10)
    return axes
