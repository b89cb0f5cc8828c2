"""亩均论英雄: the yearly 亩均效益 evaluation of firms and its consequences (docs/ODD.md §7.11).

Seeds: 004 (全面推进"亩均论英雄"改革 … 差别化用地、用能、排放等资源要素配置), 000 三.2 (亩均综合评价全覆盖);
DATA-SOURCES: six indicators with typical weights, class splits, D-class electricity surcharge +0.3元/kWh
(+0.4 after three years in D).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from parkabm.agents.firms import NOT_EVALUATED
from parkabm.model import kernels, threads
from parkabm.model.rules.resources import class_values, resource_coefficients, set_resource_costs

if TYPE_CHECKING:
    from parkabm.model.city import ParkModel

INDICATORS = (
    "tax_per_mu", "value_added_per_mu", "value_added_per_energy",
    "value_added_per_emission", "labour_productivity", "rd_intensity",
)
"""The six indicators of Hangzhou's 2018 rule (DATA-SOURCES), in the order of the weights."""

PRICE_INDEXED = np.array([True, True, False, False, False, False])
"""Indicators whose benchmark moves with the price index: the two money-per-亩 indicators (亩均税收, 亩均增加值) are
nominal; the others are ratios of flows in the same prices (or R&D intensity) and keep their base-year benchmark."""

PERSISTENT_D_YEARS = 3
"""Consecutive D years after which the higher surcharge applies (DATA-SOURCES: +0.4元/kWh after three years)."""


def indicator_values(model: ParkModel, covered: np.ndarray, space: np.ndarray | None = None) -> np.ndarray:
    """Return the six indicators for the covered firms (6 × covered), in :data:`INDICATORS` order.

    Args:
        model: The city model.
        covered: The covered firms (a mask over the firm arrays, or their rows).
        space: Their space (land + floor), when the caller has it already.
    """
    f = model.firms
    out = f.output_yi[covered]
    if space is None:
        space = f.land_mu[covered] + f.floor_mu[covered]
    va_rate = f.value_added_rate[covered]
    # Written row by row into one array (the same operations as stacking the six expressions, without the copy).
    values = np.empty((len(INDICATORS), len(out)))
    np.multiply(out, f.tax_ratio[covered], out=values[0])
    values[0] /= space
    np.multiply(out, va_rate, out=values[1])
    values[1] /= space
    np.divide(va_rate, f.electricity[covered], out=values[2])
    np.divide(va_rate, f.emission[covered], out=values[3])
    np.multiply(va_rate, f.labour_productivity[covered], out=values[4])
    values[5] = f.rd_intensity[covered]
    return values


def benchmarks(model: ParkModel) -> np.ndarray:
    """Return this year's indicator benchmarks: the base-year medians, the nominal ones indexed by the price level.

    Counties publish fixed 亩均 benchmarks (DATA-SOURCES 亩均论英雄: the classes are set against published
    indicator standards, not re-ranked each year); here the benchmark of each indicator is its covered firms'
    median at the base-year evaluation, and the two 元-per-亩 indicators move with the price index so that inflation
    alone does not lift a firm. Raises if the base-year evaluation has not run.
    """
    if model.mujun_benchmark is None:
        raise RuntimeError("the base-year 亩均 evaluation has not fixed the benchmarks")
    return model.mujun_benchmark * np.where(PRICE_INDEXED, model.price, 1.0)[:, None]


def evaluate_mujun(model: ParkModel) -> None:
    """Score and class every covered firm against fixed benchmarks, then set next year's surcharges.

    A firm is covered when alive, industrial, producing at full scale, holding at least ``min_land_mu`` of space,
    and (if coverage is ``guishang``) 规上. Its score is the weighted sum of its six indicators, each divided by
    its benchmark (:func:`benchmarks`) and capped at ``mujun_score_cap``. The class cut-offs are scores fixed at the
    base-year evaluation: the ``class_cutoffs`` levers give the base-year shares (A the best ``a`` share, …, D the
    rest), and afterwards a firm is A when its score reaches the base-year A cut-off, and so on — a firm that
    upgrades moves up, and the share in D can fall (or rise) with what firms do. D firms count consecutive years;
    their electricity surcharge rises once they have been D for more than :data:`PERSISTENT_D_YEARS` years. The
    surcharge becomes a cost share of output (元/kWh × kWh/万元), scaled by the ``evaluation`` mechanism. The
    class's land, water and gas price differences become ``model.resource_share``
    (:func:`parkabm.model.rules.resources.set_resource_costs`).

    Sets ``firms.mujun_class``, ``firms.years_in_d``, ``model.score``, ``model.surcharge_share`` and
    ``model.resource_share``, and at the first evaluation ``model.mujun_benchmark`` and ``model.mujun_cutoffs``.
    """
    f = model.firms
    lev = model.levers.evaluation
    scale = model.mechanisms.evaluation
    n = f.n
    # Per-firm arrays with spare rows behind them, so that this year's entrants extend them without a copy.
    model.score = f.new_column()
    model.surcharge_share = f.new_column()
    idx = covered_firms(model)
    space = f.land_mu[idx] + f.floor_mu[idx] if model.mujun_benchmark is None or not kernels.enabled() else None
    weights = np.array([getattr(lev.weights, k) for k in INDICATORS])
    cap = model.params["mujun_score_cap"]
    # The benchmarks are fixed even when the evaluation is off: the low-efficiency land threshold reads them.
    if model.mujun_benchmark is None and len(idx) >= 4:
        values = indicator_values(model, idx, space)
        medians = sorted_medians(np.sort(values, axis=1))[:, None]
        medians[medians <= 0] = 1.0
        model.mujun_benchmark = medians / np.where(PRICE_INDEXED, model.price, 1.0)[:, None]
        score = weights @ np.minimum(values / medians, cap)
        cut = lev.class_cutoffs
        model.mujun_cutoffs = sorted_quantiles(np.sort(score), np.array([1 - cut.a, 1 - cut.b, 1 - cut.c]))
    if scale <= 0:
        f.mujun_class[:] = NOT_EVALUATED
        f.years_in_d[:] = 0
        model.resource_share = f.new_column()  # no price differences (set_resource_costs sets it otherwise)
        return
    evaluated = idx[:0]  # the rows given a class this year (none before the benchmarks are fixed)
    scored = model.mujun_benchmark is not None and model.mujun_cutoffs is not None and len(idx) > 0
    if scored:
        if kernels.enabled():
            values = np.empty((len(INDICATORS), len(idx)))
            kernels.scaled_indicators(idx, f.output_yi, f.land_mu, f.floor_mu, f.tax_ratio, f.value_added_rate,
                                      f.electricity, f.emission, f.labour_productivity, f.rd_intensity,
                                      benchmarks(model)[:, 0], cap, values)
        else:
            values = indicator_values(model, idx, space)
            values /= benchmarks(model)
            np.minimum(values, cap, out=values)
        score = weights @ values
        model.score[idx] = score
        evaluated = idx
    else:
        score = np.zeros(0)
    # A (0) at or above the A cut-off, else B (1), C (2) or D (3): the cut-offs are base-year quantiles of
    # decreasing order (qa ≥ qb ≥ qc), so the class is 3 less the number of cut-offs the score reaches. D firms
    # count one more year in D, the others go back to 0.
    qa, qb, qc = model.mujun_cutoffs if scored and model.mujun_cutoffs is not None else (0.0, 0.0, 0.0)
    if kernels.enabled():
        code = np.empty(len(evaluated), dtype=np.intp)
        kernels.set_classes(evaluated, score, qa, qb, qc, n, NOT_EVALUATED, f.mujun_class, f.years_in_d, code)
        years_in_d = f.years_in_d
    else:
        cls = np.full(n, NOT_EVALUATED, dtype=np.int8)
        if scored:
            level = (score >= qa).view(np.int8) + (score >= qb).view(np.int8)
            level += (score >= qc).view(np.int8)
            cls[idx] = 3 - level
        f.mujun_class[:] = cls
        years_in_d = f.years_in_d
        years_in_d += 1
        years_in_d *= cls == 3
        code = cls[evaluated].astype(np.intp)  # the class codes as indices, converted once for both lookups
    # Firms not evaluated pay no surcharge and no price difference (their class's values are 0): both shares stay
    # 0 there and are computed for the evaluated firms only.
    s = lev.surcharge_yuan_per_kwh
    if kernels.enabled():
        land_per_mu, per_kwh_class = resource_coefficients(model)
        model.resource_share = f.new_column()
        kernels.price_differences(evaluated, code, class_values(s.a, s.b, s.c, s.d),
                                  max(lev.persistent_d_surcharge_yuan_per_kwh, s.d), years_in_d, PERSISTENT_D_YEARS,
                                  scale, f.electricity, land_per_mu, per_kwh_class, f.land_mu, f.output_yi,
                                  model.surcharge_share, model.resource_share)
        return
    surcharge = class_values(s.a, s.b, s.c, s.d)[code]
    persistent = (code == 3) & (years_in_d[evaluated] > PERSISTENT_D_YEARS)
    surcharge[persistent] = max(lev.persistent_d_surcharge_yuan_per_kwh, s.d)
    surcharge *= scale
    surcharge *= f.electricity[evaluated]
    surcharge /= 1e4  # scale · surcharge · electricity / 10⁴, in place
    model.surcharge_share[evaluated] = surcharge
    set_resource_costs(model, evaluated, code)


def sorted_medians(rows: np.ndarray) -> np.ndarray:
    """Return the median of each row of ``rows``, sorted ascending along the rows: ``np.median(rows, axis=1)``.

    The mean of the two middle values (the middle one for an odd length), NaN where a row holds NaN (sorted last),
    computed as NumPy does, so to the bit its result (of tied zeros of both signs either may be the one taken; the
    indicators are never negative). Written out because ``np.median`` spends most of its time, about 0.1 ms a
    run, finding the middle values again and in its generic machinery (tests/test_model_rules.py compares them).
    """
    n = rows.shape[1]
    middle = n // 2
    medians = (rows[:, middle - 1] + rows[:, middle]) / 2.0 if n % 2 == 0 else rows[:, middle].copy()
    medians[np.isnan(rows[:, -1])] = np.nan
    return medians


def sorted_quantiles(values: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Return the quantiles ``q`` of ``values``, sorted ascending: ``np.quantile(values, q)`` (its linear method).

    The virtual index ``(n − 1) q`` splits into a lower position and a weight ``γ``; the quantile is
    ``a + (b − a) γ`` below ``γ = ½`` and ``b − (b − a)(1 − γ)`` from it, with ``a`` and ``b`` the values at the
    lower and next positions (the last value beyond the end), NaN if ``values`` holds NaN: NumPy's formula, so to
    the bit its result (ties of ±0 as in :func:`sorted_medians`), without its selection and generic machinery,
    about 0.1 ms a run (tests/test_model_rules.py compares the two).
    """
    n = len(values)
    virtual = (n - 1) * q
    lower = np.floor(virtual)
    upper = lower + 1
    beyond = virtual >= n - 1
    lower[beyond] = upper[beyond] = -1
    before = virtual < 0
    lower[before] = upper[before] = 0
    lower_index, upper_index = lower.astype(np.intp), upper.astype(np.intp)
    gamma = virtual - lower_index
    a, b = values[lower_index], values[upper_index]
    difference = b - a
    result = a + difference * gamma
    high = gamma >= 0.5
    result[high] = (b - difference * (1 - gamma))[high]
    if n and np.isnan(values[-1]):
        result[:] = np.nan
    return result


def covered_firms(model: ParkModel) -> np.ndarray:
    """Return the rows of the firms the evaluation covers, in row order.

    Covered: alive, industrial, producing at full scale, holding at least ``min_land_mu`` of space and, if coverage
    is ``guishang``, 规上. Compiled (:func:`parkabm.model.kernels.covered_rows`) or in NumPy, with the same rows.
    """
    f = model.firms
    lev = model.levers.evaluation
    min_space = max(lev.min_land_mu, 1e-9)
    guishang_only = lev.coverage == "guishang"
    if kernels.enabled():
        return threads.find_rows(lambda rows, out: kernels.covered_rows(
            f.alive[rows], f.industrial[rows], f.ramp_left[rows], f.land_mu[rows], f.floor_mu[rows], min_space,
            guishang_only, f.output_yi[rows], f.guishang_threshold_yi, out), f.n)
    covered = f.alive & f.industrial & (f.ramp_left == 0) & (f.space_mu >= min_space)
    if guishang_only:
        covered &= f.output_yi >= f.guishang_threshold_yi  # f.guishang, the alive test already made
    return np.flatnonzero(covered)
