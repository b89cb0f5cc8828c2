"""What the dashboard computes for one press of "Run": replicates, P(target met), differences, costs and charts.

Nothing here depends on Solara, so the numbers the page shows are tested like any other analysis. The page runs
:func:`run_update` in a background thread and draws :func:`render_charts`.

Common random numbers: the chosen settings and the reference scenario run the same replicate numbers with the same
master seed, exactly as ``parkabm run`` and ``parkabm compare`` seed them — replicate ``r`` draws its behavioural
parameters from :func:`parkabm.model.simulate.parameter_seed` and runs the model on
:func:`parkabm.model.simulate.replicate_seed`. Each replicate of one scenario therefore has a twin in the other that
differs only by the levers, and the difference of P(met) is estimated from the pairs (Newcombe's interval for paired
proportions), which is far narrower than comparing two independent sets of replicates.
"""

from __future__ import annotations

import io
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from parkabm.experiments.analysis.projection import Replicates
from parkabm.model.outputs.targets import DEFAULT_VARIANT, select_targets, target_status, targets_met, wilson_interval
from parkabm.model.simulate import simulate
from parkabm.scenarios.schema import Scenario
from parkabm.scenarios.world import World

FISCAL_COMPONENTS = ("fiscal_redevelopment_yi", "fiscal_standard_factories_yi", "fiscal_tech_upgrade_subsidy_yi",
                     "fiscal_milestone_rewards_yi", "fiscal_innovation_support_yi",
                     "fiscal_phaseout_compensation_yi")
"""The parts of the yearly fiscal cost (亿元), whose sum is ``fiscal_total_yi``."""

HEADLINE = ("total_output_yi", "leading_share")
"""The two headline metrics drawn as fan charts (3万亿元 output, ≥60% leading-industry share)."""

_CACHE_SIZE = 8
_cache: OrderedDict[tuple, Replicates] = OrderedDict()
_cache_lock = threading.Lock()
_draw_lock = threading.Lock()


def cached_replicates(scenario: Scenario, *, reps: int, seed: int, world: World,
                      progress: Callable[[int], None] | None = None,
                      cancelled: Callable[[], bool] | None = None) -> Replicates | None:
    """Run (or reuse) ``reps`` replicates of a scenario, reporting each finished replicate.

    Results are kept for the few most recent scenarios, so that the reference scenario, which does not change when a
    lever moves, runs once.

    Args:
        scenario: The scenario.
        reps: Replicates.
        seed: Master seed.
        world: World tables.
        progress: Called with the number of replicates finished so far.
        cancelled: Returns True when the run is no longer wanted; the run then stops and returns None.

    Returns:
        The replicates, or None when cancelled.
    """
    key = (scenario.model_dump_json(), reps, seed)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            if progress is not None:
                progress(reps)
            return _cache[key]
    parts = []
    for r in range(reps):
        if cancelled is not None and cancelled():
            return None
        parts.append(_replicate(scenario, r, seed, world))
        if progress is not None:
            progress(r + 1)
    result = Replicates(pd.concat([p.yearly for p in parts], ignore_index=True),
                        pd.concat([p.parks for p in parts], ignore_index=True),
                        pd.concat([p.parameters for p in parts], ignore_index=True))
    with _cache_lock:
        _cache[key] = result
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def _replicate(scenario: Scenario, replicate: int, seed: int, world: World) -> Replicates:
    """Run replicate ``replicate`` alone, seeded as replicate ``replicate`` of ``parkabm run`` (same numbers)."""
    result = simulate(scenario, seed=seed, replicate=replicate, world=world)
    result.yearly.insert(0, "replicate", replicate)
    result.parks.insert(0, "replicate", replicate)
    return Replicates(result.yearly, result.parks, pd.DataFrame([{"replicate": replicate, **result.parameters}]))


def paired_difference(met: np.ndarray, reference: np.ndarray) -> tuple[float, float, float]:
    """Return the difference of two paired proportions and its 95% interval (Newcombe 1998, method 10).

    The interval combines the Wilson intervals of both proportions with the correlation of the pairs, so it is
    narrow when common random numbers make the twin replicates agree.

    Args:
        met: Whether each replicate of the changed scenario met the target.
        reference: Whether its twin in the reference scenario met it (same order).

    Returns:
        ``(difference, low, high)``; NaNs when there are no pairs.
    """
    met = np.asarray(met, dtype=bool)
    reference = np.asarray(reference, dtype=bool)
    n = len(met)
    if n == 0:
        return math.nan, math.nan, math.nan
    both = int(np.sum(met & reference))
    only_new = int(np.sum(met & ~reference))
    only_ref = int(np.sum(~met & reference))
    neither = n - both - only_new - only_ref
    p1, p2 = (both + only_new) / n, (both + only_ref) / n
    l1, u1 = wilson_interval(both + only_new, n)
    l2, u2 = wilson_interval(both + only_ref, n)
    margins = (both + only_new) * (only_ref + neither) * (both + only_ref) * (only_new + neither)
    agreement = both * neither - only_new * only_ref
    # correlation of the pairs, continuity-corrected as in Newcombe's method 10 (0 when a margin is empty)
    if not margins or 0 <= agreement <= n / 2:
        phi = 0.0
    elif agreement > n / 2:
        phi = (agreement - n / 2) / math.sqrt(margins)
    else:
        phi = agreement / math.sqrt(margins)
    delta = math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    epsilon = math.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
    diff = p1 - p2
    return diff, max(-1.0, diff - delta), min(1.0, diff + epsilon)


def target_table(yearly: pd.DataFrame, reference: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """Return every target's P(met) with its Wilson 95% interval, and its paired difference from the reference.

    Args:
        yearly: Yearly outputs of the changed scenario's replicates.
        reference: Yearly outputs of the reference scenario's replicates (the same replicate numbers).
        targets: The targets (:func:`parkabm.model.outputs.targets.select_targets`).

    Returns:
        One row per target: ``target``, ``name_en``, ``name_zh``, ``metric``, ``comparison``, ``target_value``,
        ``year``, ``source``, ``n``, ``p_met``, ``ci_low``, ``ci_high``, ``ref_p_met``, ``diff``, ``diff_low``,
        ``diff_high``, ``status`` and ``status_note`` (:func:`~parkabm.model.outputs.targets.target_status`).
        Targets the runs do not reach (horizon before the target year) and targets that are not outcomes of the
        runs (not modelled, met at base year) have ``n = 0`` and NaNs.
    """
    mine = targets_met(yearly, targets)
    theirs = targets_met(reference, targets)
    rows = []
    for t in targets.itertuples(index=False):
        a = mine[(mine["target"] == t.target)].set_index("replicate")
        b = theirs[(theirs["target"] == t.target)].set_index("replicate")
        pairs = a.join(b, how="inner", lsuffix="", rsuffix="_ref")
        pairs = pairs[pairs["evaluated"].astype(bool) & pairs["evaluated_ref"].astype(bool)] if len(pairs) else pairs
        n = len(pairs)
        k = int(pairs["met"].sum()) if n else 0
        low, high = wilson_interval(k, n)
        diff = paired_difference(pairs["met"].to_numpy(), pairs["met_ref"].to_numpy()) if n else (math.nan,) * 3
        status, note = target_status(t)
        rows.append({
            "status": status, "status_note": note,
            "target": t.target, "name_en": t.name_en, "name_zh": t.name_zh, "metric": t.metric,
            "comparison": t.comparison, "target_value": float(t.value), "year": int(t.year), "source": t.source,
            "n": n, "p_met": k / n if n else math.nan, "ci_low": low, "ci_high": high,
            "ref_p_met": float(pairs["met_ref"].mean()) if n else math.nan,
            "diff": diff[0], "diff_low": diff[1], "diff_high": diff[2],
        })
    return pd.DataFrame(rows)


def cumulative_cost(yearly: pd.DataFrame, reference: pd.DataFrame, *, first_year: int) -> pd.DataFrame:
    """Return the fiscal cost summed over the simulated years from ``first_year``, per component and in total.

    Args:
        yearly: Yearly outputs of the changed scenario's replicates.
        reference: Yearly outputs of the reference scenario's replicates.
        first_year: First year counted (the year after the base year: 2022 for the 2022–2025 plans).

    Returns:
        One row per component and ``fiscal_total_yi`` (亿元): ``component``, ``mean``, ``p05``, ``p95`` over the
        replicates, ``ref_mean`` and ``diff`` (mean of the paired differences).
    """
    rows = []
    for column in (*FISCAL_COMPONENTS, "fiscal_total_yi"):
        if column not in yearly.columns:
            continue
        mine = yearly[yearly["year"] >= first_year].groupby("replicate")[column].sum()
        theirs = reference[reference["year"] >= first_year].groupby("replicate")[column].sum()
        paired = mine.to_frame("mine").join(theirs.to_frame("theirs"), how="inner")
        rows.append({"component": column, "mean": float(mine.mean()), "p05": float(mine.quantile(0.05)),
                     "p95": float(mine.quantile(0.95)), "ref_mean": float(theirs.mean()),
                     "diff": float((paired["mine"] - paired["theirs"]).mean())})
    return pd.DataFrame(rows)


@dataclass
class Update:
    """The results of one press of "Run".

    Attributes:
        scenario: The scenario with the page's levers.
        reference: The reference scenario (with the same world settings).
        base_name: The scenario chosen on the page.
        reference_name: The reference scenario's name.
        changes: The changed levers by key path.
        replicates: Replicates of ``scenario``.
        reference_replicates: Replicates of ``reference`` with the same replicate numbers and seed.
        targets: :func:`target_table`.
        costs: :func:`cumulative_cost`.
        reps: Replicates per scenario.
        seed: Master seed.
    """

    scenario: Scenario
    reference: Scenario
    base_name: str
    reference_name: str
    changes: dict
    replicates: Replicates
    reference_replicates: Replicates
    targets: pd.DataFrame
    costs: pd.DataFrame
    reps: int
    seed: int
    images: dict = field(default_factory=dict, repr=False)
    _images_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def chart_images(self, lang: str, dpi: int = 110) -> dict[str, bytes]:
        """Return every chart of :data:`CHARTS` as PNG bytes for the page, drawn once per language."""
        key = (lang, dpi)
        if key in self.images:  # drawn already: no waiting while the other language is being drawn
            return self.images[key]
        with self._images_lock:
            if key not in self.images:
                self.images[key] = {c: render_chart(self, c, lang, "png", dpi=dpi) for c in CHARTS}
            return self.images[key]

    def headline_target(self, metric: str) -> dict | None:
        """Return the target of ``metric`` with its P(met), in the form :func:`charts.fan_chart` draws."""
        rows = self.targets[self.targets["metric"] == metric]
        if not len(rows):
            return None
        r = rows.iloc[0]
        return {"target": r["target_value"], "year": int(r["year"]), "comparison": r["comparison"],
                "p_met": r["p_met"], "ci_low": r["ci_low"], "ci_high": r["ci_high"]}


def run_update(scenario: Scenario, reference: Scenario, *, base_name: str, reference_name: str, changes: dict,
               reps: int, seed: int, world: World, progress: Callable[[float], None] | None = None,
               cancelled: Callable[[], bool] | None = None, variant: str = DEFAULT_VARIANT) -> Update | None:
    """Run the page's scenario and the reference with common random numbers and summarise both.

    Args:
        scenario: The scenario with the page's levers (:func:`levers.build_scenario`).
        reference: The reference scenario, with the same world settings.
        base_name: The scenario chosen on the page.
        reference_name: The reference scenario's name.
        changes: The changed levers by key path.
        reps: Replicates per scenario.
        seed: Master seed.
        world: World tables.
        progress: Called with the share of the work done, from 0 to 1.
        cancelled: Returns True when the update is no longer wanted.
        variant: Which text's targets.

    Returns:
        The update, or None when cancelled.
    """
    def report(offset: int) -> Callable[[int], None]:
        return lambda done: progress((offset + done) / (2 * reps)) if progress is not None else None

    mine = cached_replicates(scenario, reps=reps, seed=seed, world=world, progress=report(0), cancelled=cancelled)
    if mine is None:
        return None
    theirs = cached_replicates(reference, reps=reps, seed=seed, world=world, progress=report(reps),
                               cancelled=cancelled)
    if theirs is None:
        return None
    targets = select_targets(world.targets, variant)
    return Update(
        scenario=scenario, reference=reference, base_name=base_name, reference_name=reference_name,
        changes=dict(changes), replicates=mine, reference_replicates=theirs,
        targets=target_table(mine.yearly, theirs.yearly, targets),
        costs=cumulative_cost(mine.yearly, theirs.yearly, first_year=scenario.world.base_year + 1),
        reps=reps, seed=seed,
    )


CHARTS = ("fan_total_output", "fan_leading_share", "parks_output")
"""The charts of an update, in page order."""


def draw_chart(update: Update, chart: str, lang: str):
    """Draw one chart of an update on a new detached figure (see :func:`charts.new_figure`).

    Args:
        update: The update.
        chart: One of :data:`CHARTS`.
        lang: ``en`` or ``zh``.

    Returns:
        The figure; draw it inside ``matplotlib.rc_context(charts.chart_rc(lang))``.
    """
    from parkabm.experiments import charts

    scenario = charts.scenario_label(update.base_name, lang)
    if update.changes:
        scenario += " *"
    yearly = update.replicates.yearly
    if chart in ("fan_total_output", "fan_leading_share"):
        metric = "total_output_yi" if chart == "fan_total_output" else "leading_share"
        fig, ax = charts.new_figure((6.0, 3.6))
        scope = charts.label(f"scope_{update.scenario.world.scope}", lang)
        title = charts.label(f"fan_title_{metric}", lang, scenario=scenario, scope=scope)
        title += " · " + charts.label("reps", lang, n=update.reps)
        charts.fan_chart(yearly, metric, ax=ax, lang=lang, target=update.headline_target(metric), title=title)
        return fig
    if chart == "parks_output":
        parks = update.replicates.parks
        n = parks["park"].nunique()
        ncols = 4
        nrows = -(-n // ncols)
        fig, axes = charts.new_figure((1.95 * ncols, 1.6 * nrows + 0.4), nrows=nrows, ncols=ncols, sharex=True)
        fig.set_layout_engine("constrained")
        charts.park_small_multiples(parks, "output_yi", axes=axes, lang=lang,
                                    title=charts.label("parks_title_output_yi", lang))
        return fig
    raise ValueError(f"unknown chart {chart!r}; known: {', '.join(CHARTS)}")


def render_chart(update: Update, chart: str, lang: str, fmt: str = "png", dpi: int | None = None) -> bytes:
    """Return one chart of an update as PNG or SVG bytes, in the project style and language.

    Charts are drawn one at a time (matplotlib's style settings are process-wide), so two browser tabs drawing at once
    cannot mix their languages.

    Args:
        update: The update.
        chart: One of :data:`CHARTS`.
        lang: ``en`` or ``zh``.
        fmt: ``png`` or ``svg``.
        dpi: Resolution of a PNG (default: the project's print resolution).
    """
    import matplotlib as mpl

    from parkabm.experiments import charts

    charts.check_format(fmt)
    with _draw_lock, mpl.rc_context(charts.chart_rc(lang)):
        fig = draw_chart(update, chart, lang)
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=dpi or charts.DPI, bbox_inches="tight")
    return buffer.getvalue()
