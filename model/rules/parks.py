"""Park and city rules: 赛马 ranking and quota shares, 精准招商 recruitment, funds and subsidies.

DESIGN §4.7, §4.9, §4.11.
"""

from __future__ import annotations

import numpy as np

from parkabm.agents.population import MILESTONES_YI
from parkabm.model.rules.land import allocate_space

RACE_SPREAD = 0.5
"""Under full 赛马 weight, the best-ranked park's quota per 亩 is (1 + spread) and the worst's (1 − spread) times
the average. assumed: seed 000 四.2 says funds and land/energy quotas follow the ranking without a formula
(range 0.25–0.9)."""

NEW_PROJECT_PRODUCTIVITY_PREMIUM = 1.2
"""New projects' land productivity relative to their sector's typical firm (newer vintage, 标准地 standards).
assumed (range 1.0–1.5)."""

PROJECT_CAPACITY_SLACK = 0.9
"""New projects are sited with space for their full-scale output at this utilisation. assumed."""

LARGE_PROJECT_YI = 10.0
"""Projects of at least this investment count toward the target of 60 a year (seed 000 三.3 10亿元以上产业项目)."""

MILESTONE_REWARDS_YI = np.array([0.0, 0.02, 0.04, 0.08, 0.2, 1.0])
"""Reward for the highest output milestone reached, by level (0 = none, then 50/100/200/500/1000亿):
200万/400万/800万/2000万/1亿元; a firm moving up pays the difference (seed 004 三, 进档的奖励差额)."""

INNOVATION_RD_LEVERAGE = 1.0
"""R&D added per 元 of innovation-platform support. assumed: no crowding in or out (range 0.5–2)."""


def rank_parks(model) -> None:
    """赛马: rank parks on last year's growth, 亩均税收 and leading-industry share, and set this year's quota shares.

    Each park's rank score is the mean of its three ranks; shares are pro rata to industrial land ("equal
    treatment") blended with a rank-weighted allocation by the race weight. Parks ranked last
    ``downgrade_after_years`` years running are downgraded (seed 003 三.(三)) and get no quotas from then on.
    """
    state = model.park_state
    lev = model.levers.race
    w = min(lev.weight * model.mechanisms.race, 1.0)
    p = model.n_parks
    tally = model.last_tally
    metrics = np.stack([tally.park_growth, tally.park_tax_per_mu, tally.park_leading_share])
    ranks = np.argsort(np.argsort(-metrics, axis=1, kind="stable"), axis=1, kind="stable").mean(axis=0)
    position = np.argsort(np.argsort(ranks, kind="stable"), kind="stable")
    state.rank[:] = position
    last = position == p - 1
    state.bottom_years[:] = np.where(last, state.bottom_years + 1, 0)
    if lev.downgrade_after_years > 0 and w > 0:
        state.downgraded |= state.bottom_years >= lev.downgrade_after_years
    weight = 1.0 + RACE_SPREAD * (1.0 - 2.0 * position / max(p - 1, 1))
    land = state.industrial_land_mu * ~state.downgraded
    share = (1.0 - w) * land / land.sum() + w * land * weight / (land * weight).sum()
    state.quota_share[:] = share


def recruit_projects(model) -> None:
    """精准招商: new projects arrive in proportion to available space S and effort, biased toward leading industries.

    Arrivals are proportional to S while space is scarce and saturate at ``rate · S_sat / 100`` a year when it is
    ample (a park's 招商 team signs only so many projects).

    Expected projects in park p and sector s::

        λ_p = m_rec · rate · effort_p · capacity_p · (S_p / 100) / (1 + S_p / S_sat)
        λ[p, s] = λ_p · w[p, s] · (1 + fund · lead[p, s])
        w[p, s] = (1 − focus) · mix[p, s] + focus · lead[p, s] / n_lead_p, then × (1 + pull · chain_leader[p, s])

    (一园一主业 focus, 以企招企 pull toward sectors with a chain leader, the industry fund adding leading-industry
    projects). Investments are lognormal; full-scale output is investment × output-per-investment, reached after
    ``rampup_years`` (投产 lag). Projects are sited in random order while space lasts; unsited projects are lost.
    Industrial sectors only: service firms grow but are not recruited onto industrial land.
    """
    mech = model.mechanisms
    if mech.recruitment <= 0:
        return
    par = model.params
    lev = model.levers.recruitment
    state = model.park_state
    space = np.where(state.downgraded, 0.0, state.available_space_mu)
    rate = mech.recruitment * par["recruitment_rate"] * state.recruitment_effort * state.recruitment_capacity
    lam_park = model.scale * rate * space / 100.0 / (1.0 + space / par["recruitment_saturation_mu"])
    weights = (1.0 - lev.leading_focus) * model.recruit_mix + lev.leading_focus * model.lead_weight
    weights = weights * (1.0 + lev.chain_pull * model.has_leader)
    fund = par["industry_fund_elasticity"] * model.levers.funds.industry_fund_yi / 100.0 * min(mech.funds, 1.0)
    lam = lam_park[:, None] * weights * (1.0 + fund * model.lead_mask)
    counts = model.rng.poisson(lam).ravel()
    total = int(counts.sum())
    if total == 0:
        return
    cell = np.repeat(np.arange(counts.size), counts)
    park = (cell // model.n_sectors).astype(np.int16)
    sector = (cell % model.n_sectors).astype(np.int16)
    investment = np.exp(np.log(par["project_investment_median_yi"])
                        + par["project_investment_sigma"] * model.rng.standard_normal(total)) / model.scale
    target = investment * par["project_output_per_investment"]
    productivity = (model.sector_output_per_mu[sector] / 1e4 * NEW_PROJECT_PRODUCTIVITY_PREMIUM
                    * model.draw_land_productivity(total))
    need = target / PROJECT_CAPACITY_SLACK / productivity
    floor, land = allocate_space(need, park, model.rng.random(total), state)
    sited = floor + land >= need * (1 - 1e-9)
    # A project that did not fit returns the partial space it was given.
    np.add.at(state.factory_space_mu, park[~sited], floor[~sited])
    np.add.at(state.vacant_mu, park[~sited], land[~sited])
    model.counts["projects_signed"] += int(sited.sum())
    model.counts["projects_unsited"] += int((~sited).sum())
    model.counts["projects_over_10yi"] += int((sited & (investment * model.scale >= LARGE_PROJECT_YI)).sum())
    model.counts["fai_yi"] += investment[sited].sum()
    model.add_firms(park[sited], sector[sited], target[sited], productivity[sited],
                    floor[sited], land[sited])


def pay_milestone_rewards(model) -> None:
    """Output-milestone rewards (seed 004 三): pay the difference when an industrial firm first reaches a level."""
    reward_scale = model.levers.funds.milestone_reward_scale * min(model.mechanisms.funds, 1.0)
    f = model.firms
    level = np.searchsorted(MILESTONES_YI, f.output_yi * model.scale, side="right").astype(np.int8)
    up = f.alive & f.industrial & (level > f.reward_level)
    if up.any():
        paid = MILESTONE_REWARDS_YI[level[up]] - MILESTONE_REWARDS_YI[f.reward_level[up]]
        model.ledger["milestone_rewards"] += reward_scale * paid.sum() / model.scale
        f.reward_level[up] = level[up]


def support_innovation(model) -> None:
    """Innovation-platform support: a yearly budget that raises R&D of 规上 leading-industry firms.

    The budget is split across parks by quota share and, within a park, in proportion to output (seed 004:
    公共服务平台 up to 30%, 3000万).
    """
    budget = model.levers.funds.innovation_support_yi_per_year * min(model.mechanisms.funds, 1.0)
    if budget <= 0:
        return
    f = model.firms
    target = f.guishang & f.industrial & model.lead_mask[f.park, f.sector]
    idx = np.flatnonzero(target)
    if len(idx) == 0:
        return
    park_output = np.bincount(f.park[idx], weights=f.output_yi[idx], minlength=model.n_parks)
    pot = budget * model.park_state.quota_share
    per_output = np.divide(pot, park_output, out=np.zeros_like(pot), where=park_output > 0)
    f.rd_intensity[idx] = np.minimum(f.rd_intensity[idx] + INNOVATION_RD_LEVERAGE * per_output[f.park[idx]], 0.3)
    model.ledger["innovation_support"] += float(pot[park_output > 0].sum())


def settle_fund(model) -> None:
    """Pay this year's 技术改造 subsidies within the manufacturing fund and set next year's rationing.

    The fund (seed 004: 每年统筹安排20亿元) pays milestone rewards and innovation support first; 技术改造
    subsidies get what remains. If demand exceeds it, subsidies are paid pro rata, and next year firms expect the
    rate scaled by what this year's room would have covered of full-rate demand.
    """
    cap = model.levers.funds.manufacturing_fund_yi_per_year
    committed = model.ledger["milestone_rewards"] + model.ledger["innovation_support"]
    room = max(cap - committed, 0.0)
    paid = min(model.subsidy_demand, room)
    model.ledger["tech_upgrade_subsidy"] += paid
    full = model.subsidy_demand_full
    model.subsidy_ration = min(1.0, room / full) if full > 1e-12 else 1.0
    model.subsidy_demand = model.subsidy_demand_full = 0.0
