"""Funds: milestone rewards, innovation support, the manufacturing and industry funds (docs/ODD.md §7.10).

制造业高质量发展若干意见: the city's manufacturing fund (每年统筹安排20亿元) pays milestone rewards, platform support
and 技术改造
subsidies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from parkabm.agents.population import MILESTONES_YI
from parkabm.model import kernels
from parkabm.model.rules.chain_leaders import cell_index
from parkabm.model.rules.space import stable_argsort
from parkabm.model.rules.upgrading import MAX_RD_INTENSITY

if TYPE_CHECKING:
    from parkabm.model.city import ParkModel

MILESTONE_REWARDS_YI = np.array([0.0, 0.02, 0.04, 0.08, 0.2, 1.0])
"""Reward for the highest output milestone reached, by level (0 = none, then 50/100/200/500/1000亿):
200万/400万/800万/2000万/1亿元; a firm moving up pays the difference (制造业高质量发展若干意见 三, 进档的奖励差额)."""


def pay_milestone_rewards(model: ParkModel) -> None:
    """Output-milestone rewards (制造业高质量发展若干意见 三): pay the difference when a firm first reaches a level."""
    reward_scale = model.levers.funds.milestone_reward_scale * min(model.mechanisms.funds, 1.0)
    f = model.firms
    if kernels.enabled():
        paid = np.empty(f.n)
        n_paid = kernels.milestones_reached(f.alive, f.industrial, f.output_yi, model.scale, MILESTONES_YI,
                                            MILESTONE_REWARDS_YI, f.reward_level, paid)
        if n_paid:
            model.ledger["milestone_rewards"] += reward_scale * paid[:n_paid].sum() / model.scale
        return
    scaled = f.output_yi * model.scale
    # A firm below the first milestone is at level 0 and cannot move up: only the others are looked at. The test is
    # "not below" rather than ">=" so that a NaN output stays in, as the search ranks NaN above every milestone.
    candidate = f.alive & f.industrial
    candidate &= ~(scaled < MILESTONES_YI[0])
    rows = np.flatnonzero(candidate)
    level = np.searchsorted(MILESTONES_YI, scaled[rows], side="right").astype(np.int8)
    reached = level > f.reward_level[rows]
    if reached.any():
        up = rows[reached]
        paid = MILESTONE_REWARDS_YI[level[reached]] - MILESTONE_REWARDS_YI[f.reward_level[up]]
        model.ledger["milestone_rewards"] += reward_scale * paid.sum() / model.scale
        f.reward_level[up] = level[reached]


def support_innovation(model: ParkModel) -> None:
    """Innovation-platform support: a yearly budget that raises R&D of 规上 leading-industry firms.

    The budget is split across parks by quota share and, within a park, in proportion to output
    (制造业高质量发展若干意见:
    公共服务平台 up to 30%, 3000万); each 元 of support adds ``innovation_rd_leverage`` 元 of R&D.
    """
    budget = model.levers.funds.innovation_support_yi_per_year * min(model.mechanisms.funds, 1.0)
    if budget <= 0:
        return
    f = model.firms
    leverage = model.params["innovation_rd_leverage"]
    pot = budget * model.park_state.quota_share
    park_output: np.ndarray
    if kernels.enabled():
        rows = np.empty(f.n, dtype=np.intp)
        park_output = np.zeros(model.n_parks)
        idx = rows[:kernels.leading_guishang_rows(f.alive, f.industrial, f.output_yi, f.guishang_threshold_yi, f.park,
                                                  f.sector, model.n_sectors, model.lead_mask.ravel(), rows,
                                                  park_output)]
        if len(idx) == 0:
            return
        per_output = np.divide(pot, park_output, out=np.zeros_like(pot), where=park_output > 0)
        kernels.add_rd_support(idx, f.park, f.rd_intensity, leverage, per_output, MAX_RD_INTENSITY)
    else:
        rows = np.flatnonzero(f.alive & f.industrial & (f.output_yi >= f.guishang_threshold_yi))  # 规上 industrial
        park = f.park[rows]
        leading = model.lead_mask.ravel().take(cell_index(model, park, f.sector[rows]))
        idx = rows[leading]
        if len(idx) == 0:
            return
        park = park[leading]
        park_output = np.bincount(park, weights=f.output_yi[idx], minlength=model.n_parks)
        per_output = np.divide(pot, park_output, out=np.zeros_like(pot), where=park_output > 0)
        f.rd_intensity[idx] = np.minimum(f.rd_intensity[idx] + leverage * per_output[park], MAX_RD_INTENSITY)
    model.ledger["innovation_support"] += float(pot[park_output > 0].sum())


def settle_fund(model: ParkModel) -> None:
    """Pay this year's 技术改造 subsidies within the manufacturing fund and set next year's rationing.

    The fund (制造业高质量发展若干意见 (二十二): 每年统筹安排20亿元) pays milestone rewards and innovation support
    first; 技术改造 subsidies get what remains, the room ``R = max(cap − rewards − support, 0)``. If demand exceeds
    it, subsidies are paid pro rata, and next year firms expect the rate scaled by ``min(1, R / D_full)``, what this
    year's room would have covered of full-rate demand ``D_full``. Money the year does not need stays unspent (the
    cap is a ceiling, not a transfer): a bigger fund changes nothing while ``D_full < R``, and the room and the
    demand are counted (``fund_room_yi``, ``fund_subsidy_demand_yi``) so that the slack can be reported.
    """
    cap = model.levers.funds.manufacturing_fund_yi_per_year
    committed = model.ledger["milestone_rewards"] + model.ledger["innovation_support"]
    room = max(cap - committed, 0.0)
    paid = min(model.subsidy_demand, room)
    model.ledger["tech_upgrade_subsidy"] += paid
    model.counts["fund_room_yi"] += room
    model.counts["fund_subsidy_demand_yi"] += model.subsidy_demand_full
    full = model.subsidy_demand_full
    model.subsidy_ration = min(1.0, room / full) if full > 1e-12 else 1.0
    model.subsidy_demand = model.subsidy_demand_full = 0.0



def co_invest_industry_fund(
    model: ParkModel, sited: np.ndarray, park: np.ndarray, sector: np.ndarray, investment: np.ndarray,
    target: np.ndarray, productivity: np.ndarray, leading: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The industry fund co-invests in this year's sited leading-industry projects, largest first, and books it.

    制造业高质量发展若干意见 (二十二) 产业基金规模扩大至100亿元 and (十一) 重大项目 … 产业基金投入 … 优先保障;
    2022年7月征求意见稿 三.6 the fund
    撬动 social capital for the parks' leading industries. The fund deploys ``B = industry_fund_yi × min(m_funds, 1)
    / industry_fund_deployment_years`` a year. A sited leading-industry project it joins grows from the investors'
    own ``I`` to ``I / (1 − industry_fund_stake_share)`` (the fund holds that share of the enlarged project), largest
    projects first while the year's money lasts (the last one partly). The fund's capital goes into the plot the
    project was sited on: full-scale output grows with the investment, and so does output per 亩 of space (投资强度),
    so the project needs no more land. The stakes are this year's fiscal cost ``industry_fund`` (booked when
    deployed; the fund's returns come after the horizon and are not netted).

    Args:
        model: The city model.
        sited: Whether each project of the year found space.
        park: Park index of each project.
        sector: Sector index of each project.
        investment: The investors' own investment of each project, 亿元 (at the model's scale).
        target: Full-scale real output of each project, 亿元.
        productivity: Output capacity per 亩 of space of each project, 亿元/亩.
        leading: Whether each project is in a leading industry of its park (``lead_mask[park, sector]``), when the
            caller has it already.

    Returns:
        ``(investment, target, productivity)`` with the co-invested projects enlarged.
    """
    budget = (model.levers.funds.industry_fund_yi * min(model.mechanisms.funds, 1.0)
              / model.params["industry_fund_deployment_years"])
    share = model.params["industry_fund_stake_share"]
    if leading is None:
        leading = model.lead_mask[park, sector]
    joined = np.flatnonzero(sited & leading)
    # Only the projects the fund may join are ranked (the others' stake is 0): largest first, ties in project order.
    wanted = investment[joined] * share / (1.0 - share)
    order = descending_order(wanted)
    wanted = wanted[order]
    before = wanted.cumsum()
    before -= wanted
    stake = np.zeros_like(investment)
    stake[joined[order]] = (budget - before).clip(0.0, wanted)
    model.ledger["industry_fund"] += float(stake.sum())
    growth = 1.0 + stake / investment
    return investment * growth, target * growth, productivity * growth


def descending_order(values: np.ndarray) -> np.ndarray:
    """Return the indices of ``values`` from largest to smallest, ties in the order given.

    The permutation of ``np.argsort(-values, kind="stable")`` (:func:`parkabm.model.rules.space.stable_argsort`).
    """
    return stable_argsort(-values)
