"""Targets (docs/ODD.md §8): whether a run meets each one, and the probability of meeting it across replicates.

The targets and their source clauses are data (``scenarios/data/targets.csv``); this module only compares a run's
yearly outputs with them and summarises replicates with a Wilson 95% interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

DEFAULT_VARIANT = "2023"
"""The binding text: 杭政函〔2023〕13号 (杭政函〔2023〕13号)."""

WILSON_Z = 1.959963984540054
"""Standard-normal quantile of a two-sided 95% interval."""


HEADLINE_METRICS = ("total_output_yi", "leading_share")
"""The two headline targets' indicators: 3万亿元 of output and a ≥60% leading-industry share."""

MODELLED = "modelled"
NOT_MODELLED = "not modelled"
MET_AT_BASE_YEAR = "met at base year"
STATUS_OF = {"true": MODELLED, "false": NOT_MODELLED, "base_year": MET_AT_BASE_YEAR}
"""Status of a target by the value of its ``modelled`` column in targets.csv: ``true`` (an outcome of the runs: P(met)
is reported), ``false`` (not modelled: the reason is in ``not_modelled_reason``) or ``base_year`` (met at the base
year by a sourced fact, stated in ``not_modelled_reason``). A target without the column is modelled."""

STATUS_TEXT = {
    MODELLED: {"en": "modelled", "zh": "已建模"},
    NOT_MODELLED: {"en": "not modelled", "zh": "未建模"},
    MET_AT_BASE_YEAR: {"en": "met at base year", "zh": "基年已达成"},
}
"""How each status is written in tables, in English and Chinese."""

VARIANT_FALLBACK = ("2023", "2022_jul", "2022_may")
"""Order in which texts fill metrics a variant does not state: the 2023 opinions, then the July and May 2022
drafts (the low-efficiency cap and the 60 projects ≥10亿 appear only in the drafts)."""


def select_targets(targets: pd.DataFrame, variant: str = DEFAULT_VARIANT) -> pd.DataFrame:
    """Return one target per metric: the variant's own, else the first text of :data:`VARIANT_FALLBACK` with one.

    Args:
        targets: The rows of targets.csv.
        variant: ``2023``, ``2022_jul`` or ``2022_may``.

    Returns:
        The selected rows, the variant's own first.
    """
    order = [variant, *[v for v in VARIANT_FALLBACK if v != variant]]
    chosen: list[pd.DataFrame] = []
    seen: set[str] = set()
    for v in order:
        rows = targets[(targets["variant"].astype(str) == v) & ~targets["metric"].isin(seen)]
        chosen.append(rows)
        seen.update(rows["metric"])
    return pd.concat(chosen)


def target_status(row) -> tuple[str, str]:
    """Return ``(status, reason)`` of one target row (a mapping or a namedtuple of targets.csv).

    Raises:
        ValueError: The ``modelled`` value is not one of :data:`STATUS_OF`, or a target that is not modelled has
            no reason.
    """
    get = row.get if hasattr(row, "get") else lambda k, d=None: getattr(row, k, d)
    raw = get("modelled", True)
    text = "true" if raw is None or (isinstance(raw, float) and np.isnan(raw)) else str(raw).strip().lower()
    if text not in STATUS_OF:
        raise ValueError(f"targets.csv modelled: {raw!r} — allowed: " + ", ".join(STATUS_OF))
    status = STATUS_OF[text]
    reason = get("not_modelled_reason", "")
    reason = "" if reason is None or (isinstance(reason, float) and np.isnan(reason)) else str(reason)
    if status != MODELLED and not reason:
        raise ValueError(f"targets.csv {get('target', '?')}: a target that is {status} needs a not_modelled_reason")
    return status, reason


def status_text(status: str, lang: str = "en") -> str:
    """Return a target status (:data:`STATUS_TEXT`) as written in ``lang`` (``en`` or ``zh``)."""
    return STATUS_TEXT[status]["zh" if lang == "zh" else "en"]


def modelled_targets(targets: pd.DataFrame) -> pd.DataFrame:
    """Return the rows of ``targets`` whose status is :data:`MODELLED` (outcomes of the runs)."""
    keep = [target_status(r)[0] == MODELLED for r in targets.to_dict("records")]
    return targets[np.array(keep, dtype=bool)] if len(targets) else targets


@dataclass(frozen=True)
class Target:
    """One target row of ``targets.csv``: ``metric comparison value`` in ``year``."""

    target: str
    metric: str
    comparison: str
    value: float
    year: int

    def met(self, values: np.ndarray) -> np.ndarray:
        """Return, per value, whether it meets the target (NaN never does)."""
        values = np.asarray(values, dtype=float)
        op = np.greater_equal if self.comparison == ">=" else np.less_equal
        return op(values, self.value) & ~np.isnan(values)


def headline_targets(targets: pd.DataFrame | None = None, variant: str = DEFAULT_VARIANT) -> dict[str, Target]:
    """Return the headline targets (:data:`HEADLINE_METRICS`) of ``variant`` from ``targets.csv``, by metric.

    Args:
        targets: The rows of targets.csv (the shipped world's when omitted).
        variant: The text whose targets apply (:func:`select_targets`).
    """
    if targets is None:
        from parkabm.scenarios.world import load_world

        targets = load_world().targets.reset_index()
    chosen = select_targets(targets.reset_index() if "target" not in targets.columns else targets, variant)
    found = {}
    for row in chosen.itertuples(index=False):
        if row.metric in HEADLINE_METRICS and row.metric not in found:
            found[row.metric] = Target(str(row.target), str(row.metric), str(row.comparison), float(row.value),
                                       int(row.year))
    return found


def targets_met(yearly: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """Check every target in every run.

    Args:
        yearly: Yearly outputs with a ``year`` column and one column per metric; a ``replicate`` column (or any
            other run identifier listed in ``run_keys``) separates runs.
        targets: Rows of targets.csv to check; only the modelled ones (:func:`modelled_targets`) are checked.

    Returns:
        One row per run × target: the run keys, ``target``, ``metric``, ``value`` (the run's value in the target
        year), ``met`` (bool; NaN counts as not met) and ``evaluated`` (False when the run stops before the target
        year or its value is NaN; such rows are left out of probabilities).
    """
    keys = [c for c in ("scenario", "replicate", "job") if c in yearly.columns]
    runs = yearly[keys].drop_duplicates().reset_index(drop=True) if keys else pd.DataFrame(index=[0])
    rows = []
    for t in modelled_targets(targets).itertuples(index=False):
        if t.metric not in yearly.columns:
            continue
        at = yearly.loc[yearly["year"] == int(t.year), [*keys, t.metric]]
        if keys:
            frame = runs.merge(at, on=keys, how="left")
        else:
            frame = at.reset_index(drop=True) if len(at) else pd.DataFrame({t.metric: [np.nan]})
        values = frame[t.metric].to_numpy(dtype=float)
        op = np.greater_equal if t.comparison == ">=" else np.less_equal
        evaluated = ~np.isnan(values)
        frame = frame[keys].copy()
        frame["target"] = t.target
        frame["metric"] = t.metric
        frame["value"] = values
        frame["met"] = op(values, float(t.value)) & ~np.isnan(values)
        frame["evaluated"] = evaluated
        rows.append(frame)
    if not rows:
        return pd.DataFrame(columns=[*keys, "target", "metric", "value", "met", "evaluated"])
    return pd.concat(rows, ignore_index=True)


def wilson_interval(successes: int, n: int, z: float = WILSON_Z) -> tuple[float, float]:
    """Return the Wilson score interval of a binomial proportion (95% by default), computed by SciPy.

    Args:
        successes: Replicates meeting the target.
        n: Replicates.
        z: Standard-normal quantile of the interval (:data:`WILSON_Z` gives 95%).

    Returns:
        ``(low, high)``; ``(nan, nan)`` when ``n`` is 0.
    """
    if n == 0:
        return float("nan"), float("nan")
    confidence = float(2 * stats.norm.cdf(z) - 1)
    ci = stats.binomtest(int(successes), int(n)).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def target_probabilities(met: pd.DataFrame, targets: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """Summarise :func:`targets_met` into P(met) with Wilson 95% intervals.

    Args:
        met: Output of :func:`targets_met`.
        targets: The targets checked (for names, values, years and sources).
        by: Extra grouping columns (e.g. ``["scenario"]``).

    Returns:
        One row per group × target: ``target``, ``name_en``, ``name_zh``, ``metric``, ``comparison``, ``target``
        value as ``target_value``, ``year``, ``p_met``, ``ci_low``, ``ci_high``, ``n``, ``source``, ``status``
        (:data:`MODELLED`, :data:`NOT_MODELLED` or :data:`MET_AT_BASE_YEAR`) and ``status_note`` (the reason or the
        source of a target that is not an outcome). A target no run reached (the runs stop before its year) and a
        target that is not modelled have ``n = 0`` and NaN probability and interval: a target that is not an
        outcome is never given a probability.
    """
    by = list(by or [])
    groups = [()] if not by else list(met.groupby(by, sort=False).groups) if len(met) else []
    rows = []
    for key in groups:
        key = key if isinstance(key, tuple) else (key,)
        mine = met
        for column, value in zip(by, key, strict=True):
            mine = mine[mine[column] == value]
        for t in targets.itertuples(index=False):
            status, note = target_status(t)
            group = mine[(mine["target"] == t.target) & mine["evaluated"]] if status == MODELLED else mine.iloc[0:0]
            n = len(group)
            k = int(group["met"].sum())
            low, high = wilson_interval(k, n)
            rows.append({
                **dict(zip(by, key, strict=True)),
                "target": t.target, "name_en": t.name_en, "name_zh": t.name_zh, "metric": t.metric,
                "comparison": t.comparison, "target_value": float(t.value), "year": int(t.year),
                "p_met": k / n if n else float("nan"), "ci_low": low, "ci_high": high, "n": n, "source": t.source,
                "status": status, "status_note": note,
            })
    return pd.DataFrame(rows)


def probability_text(row, lang: str = "en", *, with_note: bool = False) -> str:
    """Return a target's P(met) cell: ``43% [36%, 50%]``, or its status where it is not an outcome of the runs.

    Args:
        row: A mapping with ``p_met``, ``ci_low``, ``ci_high`` and optionally ``status`` and ``status_note`` (a row
            of :func:`target_probabilities` or of a projection summary's targets).
        lang: ``en`` or ``zh``.
        with_note: Add the reason or source of a target that is not modelled or met at the base year, in brackets.

    Returns:
        The probability with its interval; ``not modelled`` / ``未建模`` or ``met at base year`` / ``基年已达成``
        (never a probability) for a target that is not an outcome; ``-`` when no run reached the target's year.
    """
    get = row.get if hasattr(row, "get") else lambda k, d=None: getattr(row, k, d)
    status = get("status") or MODELLED
    if status != MODELLED:
        text = status_text(status, lang)
        note = get("status_note") or ""
        return f"{text} ({note})" if with_note and note else text
    p = get("p_met")
    if p is None or p != p:
        return "-"
    return f"{p:.0%} [{get('ci_low'):.0%}, {get('ci_high'):.0%}]"
