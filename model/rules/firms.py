"""Firm rules, vectorised over the population: grow, need space, upgrade, exit (DESIGN §4.1–4.4, §4.8).

All quantities are real (base-year prices) inside the rules; ``output_yi`` is stored nominal, so each rule divides by
the price index of the year it reads and multiplies by the price index of the year it writes.
"""

from __future__ import annotations

import numpy as np

from parkabm.model.rules.land import allocate_space, class_priority_key, relocate_firms

GROWTH_BOUNDS = (-0.6, 1.0)
"""A firm's real growth in one year is kept within −60% … +100%. assumed: bounds the lognormal shock tails."""

MIN_SIZE_FOR_VOLATILITY_YI = 0.05
"""Sizes below this are treated as this size in the size-volatility law. assumed: avoids infinite volatility."""

RECTIFICATION_UPGRADE_FACTOR = {2: 1.5, 3: 2.0}
"""Upgrade-probability multiples for C and D firms under rectification (帮扶整治 / 整改). assumed (range 1–3)."""

CAPACITY_PRESSURE_UTILISATION = 0.97
"""Firms using more than this share of capacity are more likely to upgrade. assumed."""

CAPACITY_PRESSURE_FACTOR = 1.5
"""Upgrade-probability multiple of firms under capacity pressure. assumed (range 1–2)."""

UPGRADE_MAX_PROBABILITY = 0.9
"""Upper bound of the yearly upgrade probability."""

RD_GAIN_PER_UPGRADE = 0.10
"""Relative rise of R&D intensity after a 技术改造 project. assumed (range 0–0.3)."""

HIGHTECH_RD_THRESHOLD = 0.03
"""R&D intensity above which a 规上 firm counts toward 高新技术企业. assumed: the national certification asks
3–5% of revenue by firm size; the lowest band is used."""


def chain_leaders(model) -> None:
    """链主: mark firms at or above the threshold in their park's leading industries and where they are present.

    Threshold: 20亿 in the July 2022 draft (seed 000 三.1), 50亿 in the May 2022 draft (seed 002).
    Sets ``model.leader`` (per firm) and ``model.has_leader`` (parks × sectors).
    """
    f = model.firms
    real = f.output_yi / model.price
    model.leader = (f.alive & (real * model.scale >= model.levers.chain_leaders.threshold_yi)
                    & model.lead_mask[f.park, f.sector])
    s = model.n_sectors
    cells = np.bincount(f.park[model.leader].astype(np.int64) * s + f.sector[model.leader],
                        minlength=model.n_parks * s)
    model.has_leader = cells.reshape(model.n_parks, s) > 0


def agglomeration_index(model) -> None:
    """Log of each sector's share of its park's output over its share of the city's output, from last year."""
    f = model.firms
    s = model.n_sectors
    cell = np.bincount(f.park.astype(np.int64) * s + f.sector, weights=f.output_yi,
                       minlength=model.n_parks * s).reshape(model.n_parks, s)
    park_total = cell.sum(axis=1, keepdims=True)
    city_share = cell.sum(axis=0) / cell.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        idx = np.log(cell / park_total / city_share)
    model.agglomeration = np.clip(np.nan_to_num(idx, nan=0.0, neginf=0.0, posinf=0.0), -3.0, 3.0)


def grow_firms(model) -> None:
    """Grow every producing firm, subject to space; ramp up new projects.

    Real growth of firm i in sector s and park p::

        g = trend_s · m_trend + a · A[p, s] + spill · leader_in(p, s) · (not leader) + boost · leader
            − pass_through · surcharge_share_i + σ_s · m_vol · size_i^(−β) · ε_i

    (each term scaled by its mechanism lever). Capacity per 亩 grows by ``land_productivity_growth`` a year
    (in-place intensification, with the trend mechanism). An industrial firm whose desired output exceeds its capacity
    (space × productivity) asks its park for the missing space; parks serve A-class firms first (差别化用地).
    规上 firms still missing at least ``relocation_min_shortfall`` of their space may relocate
    (市级统筹); the rest produce at capacity. Service firms hold no industrial
    land and are not space-constrained. Projects in ramp-up produce a rising share of their full scale.
    """
    f = model.firms
    par = model.params
    mech = model.mechanisms
    year = model.year
    sec = f.sector
    old_real = f.output_yi / model.price_prev

    ramping = f.alive & (f.ramp_left > 0) & (f.entry_year < year)
    if ramping.any():
        f.ramp_left[ramping] -= 1
        share = (model.rampup_years - f.ramp_left[ramping]) / model.rampup_years
        f.output_yi[ramping] = f.target_output_yi[ramping] * share * model.price

    grow = f.alive & (f.ramp_left == 0) & (f.entry_year < year) & ~ramping
    idx = np.flatnonzero(grow)
    s = sec[idx]
    p = f.park[idx]
    real = old_real[idx]
    g = mech.growth_trend * model.sector_trend[s] * par["trend_growth_multiplier"]
    if mech.agglomeration:
        g += mech.agglomeration * par["agglomeration_elasticity"] * model.agglomeration[p, s]
    leader = model.leader[idx]
    if mech.chain_spillover:
        g += mech.chain_spillover * par["chain_spillover"] * (model.has_leader[p, s] & ~leader)
    if mech.chain_leader_service:
        g += mech.chain_leader_service * model.levers.chain_leaders.service_boost * leader
    g -= par["surcharge_pass_through"] * model.surcharge_share[idx]
    if mech.shocks:
        size = np.maximum(real * model.scale, MIN_SIZE_FOR_VOLATILITY_YI)
        vol = model.sector_volatility[s] * par["volatility_multiplier"] * size ** (-par["size_volatility_exponent"])
        g += mech.shocks * vol * model.rng.standard_normal(len(idx))
    np.clip(g, *GROWTH_BOUNDS, out=g)
    desired = real * (1.0 + g)

    industrial = f.industrial[idx]
    f.productivity[idx] *= 1.0 + mech.growth_trend * par["land_productivity_growth"]
    if mech.space_constraint > 0:
        capacity = f.space_mu[idx] * f.productivity[idx]
        short = industrial & (desired > capacity)
        if short.any():
            ask = idx[short]
            need = (desired[short] - capacity[short]) / f.productivity[ask]
            floor, land = allocate_space(need, f.park[ask], class_priority_key(model, ask), model.park_state)
            f.floor_mu[ask] += floor
            f.land_mu[ask] += land
            missing = need - floor - land
            still = (missing > par["relocation_min_shortfall"] * f.space_mu[ask]) & f.guishang[ask]
            moved = relocate_firms(model, ask[still], missing[still])
            capacity = f.space_mu[idx] * f.productivity[idx]
            fixed = np.isin(idx, moved)
            desired = np.where(industrial & ~fixed, np.minimum(desired, capacity), desired)
    f.output_yi[idx] = desired * model.price
    f.last_growth[idx] = np.divide(desired, real, out=np.ones_like(real), where=real > 0) - 1.0


def upgrade_firms(model) -> None:
    """技术改造: firms invest when it pays; subsidies lower the cost, so more firms invest.

    Probability for a producing industrial firm::

        p = m_up · propensity · (1 + elasticity · rate_i) · rectification(class) · pressure(utilisation)

    where ``rate_i`` is the subsidy rate the firm expects (zero for D-class firms and for projects below the
    investment threshold: 5000万, 2000万 for strategic sectors, seed 004), reduced by last year's rationing of the
    manufacturing fund. An upgrade invests ``investment_ratio × output``, raises land productivity by ``gain``, the
    value-added rate by ``gain/2``, R&D intensity by 10%, cuts electricity and emission intensity, and lifts output
    by ``gain/2``. The subsidy is paid from the fund (rationed if the fund runs short).
    """
    f = model.firms
    par = model.params
    lev = model.levers.funds
    if model.mechanisms.upgrading <= 0:
        return
    idx = np.flatnonzero(f.alive & f.industrial & (f.ramp_left == 0) & (f.entry_year < model.year))
    output = f.output_yi[idx]
    investment = par["upgrade_investment_ratio"] * output
    threshold = np.where(model.sector_strategic[f.sector[idx]], lev.strategic_min_investment_yi,
                         lev.tech_upgrade_min_investment_yi)
    cls = f.mujun_class[idx]
    eligible = (investment * model.scale >= threshold) & (cls != 3)
    full_rate = lev.tech_upgrade_subsidy_rate * min(model.mechanisms.funds, 1.0)
    rate = full_rate * model.subsidy_ration
    prob = model.mechanisms.upgrading * par["upgrade_propensity"] * (
        1.0 + par["upgrade_subsidy_elasticity"] * rate * eligible)
    for code, factor in RECTIFICATION_UPGRADE_FACTOR.items():
        prob[cls == code] *= factor
    capacity = f.space_mu[idx] * f.productivity[idx] * model.price
    pressure = f.industrial[idx] & (output > CAPACITY_PRESSURE_UTILISATION * capacity)
    prob[pressure] *= CAPACITY_PRESSURE_FACTOR
    np.minimum(prob, UPGRADE_MAX_PROBABILITY, out=prob)
    do = model.rng.random(len(idx)) < prob
    up = idx[do]
    gain = par["upgrade_productivity_gain"]
    f.productivity[up] *= 1.0 + gain
    f.value_added_rate[up] = np.minimum(f.value_added_rate[up] * (1.0 + gain / 2), 0.7)
    f.electricity[up] /= 1.0 + gain / 2
    f.emission[up] /= 1.0 + gain
    f.rd_intensity[up] = np.minimum(f.rd_intensity[up] * (1.0 + RD_GAIN_PER_UPGRADE), 0.3)
    f.output_yi[up] *= 1.0 + gain / 2
    f.upgrades[up] += 1
    model.counts["upgrades"] += len(up)
    model.counts["fai_yi"] += investment[do].sum()
    model.subsidy_demand += rate * investment[do & eligible].sum()
    model.subsidy_demand_full += full_rate * investment[do & eligible].sum()


def exit_firms(model) -> None:
    """Exit: a base hazard, raised by output decline and by enforcement on overdue D-class firms.

    Enforcement (腾笼换鸟, 低散乱整治, 淘汰落后产能) applies to D-class firms past their rectification deadline, more
    strongly when the city compensates exits (seed 004: up to 30%).

    ``h = m_exit · h0 · [1 + loss · max(0, −g) + e · (d − 1) · (1 + c) · 1(D, overdue)]``. Land of exiting firms
    becomes idle low-efficiency land in their park.
    """
    f = model.firms
    par = model.params
    lev = model.levers
    if model.mechanisms.exit <= 0:
        return
    idx = np.flatnonzero(f.alive & (f.entry_year < model.year))
    h0 = par["exit_base_hazard"]
    hazard = 1.0 + par["exit_loss_sensitivity"] * np.maximum(0.0, -f.last_growth[idx])
    overdue = (f.mujun_class[idx] == 3) & (f.years_in_d[idx] > lev.evaluation.rectification_years)
    enforcement = lev.evaluation.enforcement * min(model.mechanisms.evaluation, 1.0)
    compensation = lev.funds.phaseout_compensation_share * min(model.mechanisms.funds, 1.0)
    hazard += overdue * enforcement * (par["exit_d_multiplier"] - 1.0) * (1.0 + compensation)
    hazard *= model.mechanisms.exit * h0
    leave = model.rng.random(len(idx)) < hazard
    enforced = leave & overdue & (enforcement > 0)
    model.remove_firms(idx[leave & ~enforced], enforced=False, land_to="idle")
    model.remove_firms(idx[enforced], enforced=True, land_to="idle")
