"""Exit of firms: a hazard by size and age, output decline, and enforcement on overdue D firms (docs/ODD.md §7.4).

Enforcement (腾笼换鸟, 低散乱整治, 淘汰落后产能) applies to D-class firms past their rectification deadline, more
strongly when the city compensates exits (制造业高质量发展若干意见 (十九): up to 30% of what the district pays):
:func:`compensation_acceptance`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np

from parkabm.agents.firms import GUISHANG_THRESHOLD_YI
from parkabm.model import kernels, threads

if TYPE_CHECKING:
    from parkabm.model.city import ParkModel

EXIT_SIZE_REFERENCE_YI = 1.0
"""Firm size (real output, 亿元) at which the size factor of the exit hazard is 1: a normalisation, not an
assumption (``exit_base_hazard`` is the hazard of an established 1亿 firm)."""


def exit_firms(model: ParkModel) -> None:
    """Exit: a base hazard that falls with size and age, raised by output decline and by enforcement.

    ``h = m_exit · h0 · size · age · [1 + loss · max(0, −g) + e · (d − 1) · k(c) · 1(D, overdue)]`` with
    ``size = (max(s, s_min) / s_ref)^(−β)`` (``s`` the firm's real output at full scale, ``s_min`` the 规上
    threshold, ``s_ref`` = :data:`EXIT_SIZE_REFERENCE_YI`, β ``exit_size_elasticity``) and ``age`` =
    ``1 + (exit_young_multiplier − 1) · exp(−a / exit_young_years)`` for a firm that entered ``a`` years ago during
    the run (1 for the base-year population): large firms rarely exit and young firms exit more often (the
    regularities of firm demography). ``k(c)`` is :func:`compensation_acceptance`: the city's share ``c`` of the
    districts' 淘汰落后产能 compensation makes overdue D firms accept 腾退 more readily. Land of exiting firms
    becomes idle low-efficiency land in their park; that of enforced exits enters their park's redevelopment
    pipeline (腾笼换鸟: cleared, compensated and re-serviced, delivered after the redevelopment lag).
    """
    f = model.firms
    par = model.params
    lev = model.levers
    if model.mechanisms.exit <= 0:
        return
    enforcement = lev.evaluation.enforcement * min(model.mechanisms.evaluation, 1.0)
    compensation = lev.funds.phaseout_compensation_share * min(model.mechanisms.funds, 1.0)
    acceptance = compensation_acceptance(compensation, par["phaseout_acceptance_elasticity"])
    # One draw per firm row: paired runs keep each firm's draw. In a large world it is drawn span by span in the
    # background while the bracket works on the spans drawn (parkabm.model.threads); the same numbers.
    drawing = threads.Draw(model.rng.random, np.empty(f.n))
    # Only a firm whose draw is below its bracket times the largest size and age factor can exit; the factor (a
    # power and an exponential per firm) is computed for those firms only.
    base_rate = par["exit_base_hazard"] * model.mechanisms.exit
    largest = exit_size_age_bound(par)
    screened = bool(np.isfinite(largest))
    screen = base_rate * largest * (1.0 + FACTOR_BOUND_SLACK) if screened else float("inf")
    idx, hazard, overdue, candidate = exit_bracket(model, drawing, enforcement, acceptance, screened, screen)
    row_draw = drawing.wait()
    draw = row_draw[idx]
    h0 = par["exit_base_hazard"] * exit_size_age_factor(model, idx[candidate])
    h0 *= model.mechanisms.exit
    h0 *= hazard[candidate]
    leaving = candidate[draw[candidate] < h0]  # positions in idx: the few leaving firms
    enforced = overdue[leaving] & (enforcement > 0)
    remove_firms(model, idx[leaving[~enforced]], enforced=False, land_to="idle")
    # 腾笼换鸟: the land of enforced exits is cleared for redevelopment in their park (idle if redevelopment is off).
    land_to: Literal["idle", "pipeline"] = "pipeline" if model.mechanisms.redevelopment > 0 else "idle"
    enforced_rows = idx[leaving[enforced]]
    model.counts["enforced_exit_land_mu"] += float(f.land_mu[enforced_rows].sum())
    remove_firms(model, enforced_rows, enforced=True, land_to=land_to)


def exit_bracket(model: ParkModel, drawing: threads.Draw, enforcement: float, acceptance: float, screened: bool,
                 screen: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return the firms that can exit, their hazard bracket, whether they are overdue D firms, and who is screened in.

    ``(idx, hazard, overdue, candidate)``: the alive firms that entered before this year, in row order; the bracket
    ``1 + loss · max(0, −g)`` plus the enforcement pressure on overdue D firms; and the positions in ``idx`` whose
    draw (``drawing``, one per row; a compiled span waits for its own rows' draws only) is below ``hazard · screen``
    (all of them without ``screened``). Compiled (:func:`parkabm.model.kernels.exit_bracket`) or in NumPy, with the
    same numbers.
    """
    f = model.firms
    par = model.params
    lev = model.levers
    if kernels.enabled():
        n = f.n
        idx, hazard = np.empty(n, dtype=np.intp), np.empty(n)
        overdue, candidate = np.empty(n, dtype=bool), np.empty(n, dtype=np.intp)

        def bracket(start: int, stop: int) -> tuple[int, int]:
            rows = slice(start, stop)
            row_draw = drawing.wait(stop)
            return kernels.exit_bracket(
                f.alive[rows], f.entry_year[rows], model.year, f.last_growth[rows], par["exit_loss_sensitivity"],
                f.mujun_class[rows], f.years_in_d[rows], lev.evaluation.rectification_years, bool(enforcement),
                enforcement, par["exit_d_multiplier"] - 1.0, acceptance, row_draw[rows], screened, screen, idx[rows],
                hazard[rows], overdue[rows], candidate[rows])

        # In spans of rows on several threads in a large world (parkabm.model.threads), then joined in row order.
        parts = threads.spans(n)
        firms, reachable = (list(x) for x in zip(*threads.run_spans(bracket, n), strict=True))
        found = threads.join_found(idx, parts, firms, [start for start, _ in parts])
        threads.join_found(hazard, parts, firms)
        threads.join_found(overdue, parts, firms)
        reached = threads.join_found(candidate, parts, reachable, threads.offsets(firms))
        return idx[:found], hazard[:found], overdue[:found], candidate[:reached]
    row_draw = drawing.wait()
    idx = np.flatnonzero(f.alive & (f.entry_year < model.year))
    # The hazard is built in place in one array (the same operations in the same order as the formula): first
    # the bracket, then the size and age factor (below, for the firms that can exit).
    hazard = np.negative(f.last_growth[idx])
    np.maximum(hazard, 0.0, out=hazard)
    hazard *= par["exit_loss_sensitivity"]
    hazard += 1.0
    overdue = (f.mujun_class[idx] == 3) & (f.years_in_d[idx] > lev.evaluation.rectification_years)
    if enforcement:
        pressure = overdue * enforcement
        pressure *= par["exit_d_multiplier"] - 1.0
        pressure *= acceptance
        hazard += pressure
    candidate = np.flatnonzero(row_draw[idx] < hazard * screen) if screened else np.arange(len(idx))  # in idx
    return idx, hazard, overdue, candidate


PHASEOUT_SHARE_CAP = 0.9
"""The city's compensation share enters :func:`compensation_acceptance` capped at this value: a numerical guard (at
a share of 1 the districts' net cost, and so the formula's denominator, would be zero), not a behavioural
assumption."""


def compensation_acceptance(share: float, elasticity: float) -> float:
    """Return how much more readily overdue D firms accept 腾退 when the city pays ``share`` of the compensation.

    ``k(c) = (1 − min(c, 0.9))^(−η)``: the city refunds the share ``c`` of what a district pays a firm it phases out
    (制造业高质量发展若干意见 (十九): 不超过 … 实际支付企业补偿资金的30%), so the district's net cost of a 腾退
    falls to ``(1 − c)`` of the compensation, and with a given budget it can offer and close that many more
    buy-outs; ``η`` (``phaseout_acceptance_elasticity``, assumed) is the elasticity of the volume of accepted
    buy-outs to that net cost. ``k(0) = 1``: without a city share, enforcement alone sets the hazard. At η = 1,
    ``k`` is 1.43 at the text's 30% and 2.5 at 60%, so doubling the share raises the enforced part of the hazard
    by 75%.

    Args:
        share: The city's share of the compensation, ``phaseout_compensation_share × min(m_funds, 1)``.
        elasticity: ``phaseout_acceptance_elasticity``.
    """
    return float((1.0 - min(share, PHASEOUT_SHARE_CAP)) ** (-elasticity))


FACTOR_BOUND_SLACK = 1e-6
"""Relative margin added to :func:`exit_size_age_bound` before firms are screened by it, so that a last-bit
difference between the bound and a firm's computed factor can never leave out a firm that exits."""


def exit_size_age_bound(par: dict[str, float]) -> float:
    """Return the largest value :func:`exit_size_age_factor` can take (infinite when size raises the hazard).

    The factor falls with size (β ≥ 0), so it is largest at the smallest size counted, the 规上 threshold, and the age
    part is at most ``max(1, exit_young_multiplier)``. With β < 0 there is no bound below infinity.
    """
    beta = par["exit_size_elasticity"]
    if beta < 0:
        return float("inf")
    return float((GUISHANG_THRESHOLD_YI / EXIT_SIZE_REFERENCE_YI) ** (-beta) * max(1.0, par["exit_young_multiplier"]))


def exit_size_age_factor(model: ParkModel, idx: np.ndarray) -> np.ndarray:
    """Return the size and age factor of the exit hazard of the firms ``idx``.

    ``(max(s, s_min) / s_ref)^(−exit_size_elasticity) × (1 + (exit_young_multiplier − 1) · exp(−age /
    exit_young_years))``, with
    ``s`` the real output at population scale 1 (亿元), so a firm of 100亿 has ``100^(−β)`` times the hazard of a
    firm of 1亿 (β = 0.4: 16%). Firms of the base-year population are of unknown age and count as established.
    """
    f = model.firms
    par = model.params
    factor = f.output_yi[idx] / model.price
    factor *= model.scale
    np.maximum(factor, GUISHANG_THRESHOLD_YI, out=factor)  # the size, then its factor, in place
    factor /= EXIT_SIZE_REFERENCE_YI
    np.power(factor, -par["exit_size_elasticity"], out=factor)
    # Base-year firms are of unknown age and counted as established; firms that entered during the run are young.
    entry_year = f.entry_year[idx]
    entrant = np.flatnonzero(entry_year > model.base_year)
    age = model.year - entry_year[entrant]
    newness = 1.0 + (par["exit_young_multiplier"] - 1.0) * np.exp(-age / par["exit_young_years"])
    factor[entrant] *= newness
    return factor


def remove_firms(model: ParkModel, idx: np.ndarray, *, enforced: bool, land_to: Literal["idle", "pipeline"]) -> None:
    """Mark firms as exited and return their space to their parks.

    An enforced exit costs the city ``phaseout_compensation_share`` of the district's compensation,
    ``phaseout_compensation_wan_per_mu`` per 亩 of the firm's land (制造业高质量发展若干意见). Land sent to the pipeline
    costs
    ``redevelopment_cost_wan_per_mu`` per 亩 (it is redeveloped like idle land).

    Args:
        model: The city model.
        idx: Rows of the exiting firms.
        enforced: Exit under 亩均 enforcement or 腾笼换鸟; the city pays its share of compensation.
        land_to: ``idle`` (land becomes low-efficiency land awaiting 整治) or ``pipeline`` (cleared for
            redevelopment this year).
    """
    if len(idx) == 0:
        return
    f = model.firms
    state = model.park_state
    land_by_park = np.bincount(f.park[idx], weights=f.land_mu[idx], minlength=model.n_parks)
    if land_to == "pipeline":
        state.pipeline_mu[:, -1] += land_by_park
        model.ledger["redevelopment"] += land_by_park.sum() * model.levers.land.redevelopment_cost_wan_per_mu / 1e4
    else:
        state.idle_mu += land_by_park
    state.factory_space_mu += np.bincount(f.park[idx], weights=f.floor_mu[idx], minlength=model.n_parks)
    if enforced:
        share = model.levers.funds.phaseout_compensation_share * min(model.mechanisms.funds, 1.0)
        per_mu = model.params["phaseout_compensation_wan_per_mu"]
        model.ledger["phaseout_compensation"] += share * per_mu * land_by_park.sum() / 1e4
        model.counts["enforced_exits"] += len(idx)
    f.alive[idx] = False
    f.exit_year[idx] = model.year
    f.output_yi[idx] = 0.0
    f.land_mu[idx] = 0.0
    f.floor_mu[idx] = 0.0
    model.counts["exits"] += len(idx)
