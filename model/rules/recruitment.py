"""精准招商 (targeted recruitment): new projects arrive, are sited on the parks' space and ramp up (DESIGN §4.7).

Seeds 000 三.3 (60 projects of ≥10亿 a year), 001 (六) (一园一主业, 以企招企).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from parkabm.model.rules.funds import co_invest_industry_fund
from parkabm.model.rules.space import allocate_space

if TYPE_CHECKING:
    from parkabm.model.city import ParkModel

LARGE_PROJECT_YI = 10.0
"""Projects of at least this investment count toward the target of 60 a year (seed 000 三.3 10亿元以上产业项目)."""


def recruit_projects(model: ParkModel) -> None:
    """精准招商: new projects arrive in proportion to available space S and effort, biased toward leading industries.

    Arrivals are proportional to S while space is scarce and saturate at ``rate · S_sat / 100`` a year when it is
    ample (a park's 招商 team signs only so many projects).

    Expected projects in park p and sector s::

        λ_p = m_rec · rate · effort_p · capacity_p · (S_p / 100) / (1 + S_p / S_sat)
        λ[p, s] = λ_p · w[p, s] · (1 + fund · lead[p, s])
        w[p, s] = (1 − focus) · mix[p, s] + focus · lead[p, s] / n_lead_p, then × (1 + pull · chain_leader[p, s])

    (一园一主业 focus, 以企招企 pull toward sectors with a chain leader, the industry fund adding leading-industry
    projects). Investments are lognormal; full-scale output is investment × output-per-investment, reached after
    ``rampup_years`` (投产 lag). New projects are ``new_project_productivity_premium`` times as productive per
    亩 as their sector's typical firm and take space for their full-scale output at ``project_capacity_slack``
    utilisation. Projects are sited in random order while space lasts; unsited projects are lost.
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
    productivity = (model.sector_output_per_mu[sector] / 1e4 * par["new_project_productivity_premium"]
                    * model.draw_land_productivity(total))
    need = target / par["project_capacity_slack"] / productivity
    floor, land = allocate_space(need, park, model.rng.random(total), state)
    sited = floor + land >= need * (1 - 1e-9)
    # A project that did not fit returns the partial space it was given.
    np.add.at(state.factory_space_mu, park[~sited], floor[~sited])
    np.add.at(state.vacant_mu, park[~sited], land[~sited])
    investment, target, productivity = co_invest_industry_fund(model, sited, park, sector, investment, target,
                                                               productivity)
    model.counts["projects_signed"] += int(sited.sum())
    model.counts["projects_unsited"] += int((~sited).sum())
    model.counts["projects_over_10yi"] += int((sited & (investment * model.scale >= LARGE_PROJECT_YI)).sum())
    model.counts["fai_yi"] += investment[sited].sum()
    model.add_firms(park[sited], sector[sited], target[sited], productivity[sited],
                    floor[sited], land[sited])
