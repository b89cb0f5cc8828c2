"""精准招商 (targeted recruitment): new projects arrive, are sited on the parks' space and ramp up (docs/ODD.md §7.8).

2022年7月征求意见稿 三.3 (60 projects of ≥10亿 a year), 杭政函〔2023〕13号 (六) (一园一主业, 以企招企).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from parkabm.model.rules.funds import co_invest_industry_fund
from parkabm.model.rules.space import SpaceStocks, serve_in_order, serving_order

if TYPE_CHECKING:
    from parkabm.model.city import ParkModel

LARGE_PROJECT_YI = 10.0
"""Projects of at least this investment count toward the 60 a year of 2022年7月征求意见稿 三.3 (10亿元以上产业项目)."""


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
    utilisation. Projects are sited in random order while space lasts; unsited projects are lost. Redeveloped land
    delivered this year and reserved for leading industries (``ParkState.reserved_mu``, 腾笼换鸟) is offered first to
    the park's leading-industry projects; other projects then take what they leave of it (:func:`site_projects`).
    Industrial sectors only: service firms grow but are not recruited onto industrial land.
    """
    mech = model.mechanisms
    if mech.recruitment <= 0:
        return
    par = model.params
    lev = model.levers.recruitment
    state = model.park_state
    space = np.where(state.closed, 0.0, state.available_space_mu)
    rate = mech.recruitment * par["recruitment_rate"] * state.recruitment_effort * state.recruitment_capacity
    lam_park = model.scale * rate * space / 100.0 / (1.0 + space / par["recruitment_saturation_mu"])
    weights = (1.0 - lev.leading_focus) * model.recruit_mix + lev.leading_focus * model.lead_weight
    weights = weights * (1.0 + lev.chain_pull * model.has_leader)
    fund = par["industry_fund_elasticity"] * model.levers.funds.industry_fund_yi / 100.0 * min(mech.funds, 1.0)
    lam = lam_park[:, None] * weights * (1.0 + fund * model.lead_mask)
    counts = model.rng.poisson(lam).ravel()
    total = int(counts.sum())
    if total == 0:
        state.reserved_mu[:] = 0.0
        return
    cell_park, cell_sector = cell_tables(model.n_parks, model.n_sectors)
    park = cell_park.repeat(counts)
    sector = cell_sector.repeat(counts)
    investment = np.exp(np.log(par["project_investment_median_yi"])
                        + par["project_investment_sigma"] * model.rng.standard_normal(total)) / model.scale
    park, first = site_on_platforms(model, park, sector, investment)
    target = investment * par["project_output_per_investment"]
    productivity = (model.sector_output_per_mu[sector] / 1e4 * par["new_project_productivity_premium"]
                    * model.draw_land_productivity(total))
    need = target / par["project_capacity_slack"] / productivity
    leading = model.lead_mask[park, sector]
    floor, land, sited = site_projects(model, need, park, leading, model.rng.random(total) - first)
    investment, target, productivity = co_invest_industry_fund(model, sited, park, sector, investment, target,
                                                               productivity, leading)
    signed = int(sited.sum())
    model.counts["projects_signed"] += signed
    model.counts["projects_signed_leading"] += int((sited & leading).sum())
    model.counts["projects_unsited"] += total - signed
    model.counts["projects_over_10yi"] += int((sited & (investment * model.scale >= LARGE_PROJECT_YI)).sum())
    model.counts["fai_yi"] += investment[sited].sum()
    model.add_firms(park[sited], sector[sited], target[sited], productivity[sited],
                    floor[sited], land[sited])


_CELL_TABLES: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}


def cell_tables(n_parks: int, n_sectors: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the park and the sector of each cell of a parks × sectors table, flattened (``int16``, read-only).

    Repeating them by the cells' project counts gives the projects' parks and sectors directly. Kept per table
    shape: every run of a batch has the same one.
    """
    key = (n_parks, n_sectors)
    tables = _CELL_TABLES.get(key)
    if tables is None:
        cell = np.arange(n_parks * n_sectors)
        tables = ((cell // n_sectors).astype(np.int16), (cell % n_sectors).astype(np.int16))
        for table in tables:
            table.flags.writeable = False
        _CELL_TABLES[key] = tables
    return tables


def site_projects(model: ParkModel, need: np.ndarray, park: np.ndarray, leading: np.ndarray,
                  order_key: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Site projects on their parks' space: reserved redeveloped land to leading-industry projects first.

    First, leading-industry projects take the park's reserved land (``ParkState.reserved_mu``) in ``order_key``
    order. Then every project not yet sited takes the park's remaining space (floor first, then vacant land, what is
    left of the reserve included) in the same order. The reserve is a priority, not a set-aside: land no
    leading-industry project takes goes to the others the same year. A project is sited only if it gets all it
    needs; a project that did not fit returns the partial space it was given.

    Args:
        model: The city model (its :class:`ParkState` is drawn down).
        need: Space each project needs, 亩.
        park: Park of each project.
        leading: Whether each project is in a leading industry of its park.
        order_key: Siting order (lower first).

    Returns:
        ``(floor_mu, land_mu, sited)`` of each project.
    """
    state = model.park_state
    n = len(need)
    floor, land = np.zeros(n), np.zeros(n)
    sited = np.zeros(n, dtype=bool)
    reserve = np.minimum(state.reserved_mu, state.vacant_mu)
    state.reserved_mu[:] = 0.0
    # Both rounds serve in one order: the projects are sorted once, and a round's projects keep that order.
    order = serving_order(park, order_key)
    if reserve.sum() > 0 and leading.any():
        pool = SpaceStocks(vacant_mu=reserve, factory_space_mu=np.zeros_like(reserve))
        first = order[leading[order]]
        # The pool is only read: what the sited projects take is booked on the park's vacant land below.
        got, _ = serve_in_order(need[first], park[first], pool, floor_first=False, draw_down=False)
        ok = got >= need[first] * (1 - 1e-9)
        land[first[ok]] = got[ok]
        sited[first[ok]] = True
        taken = np.bincount(park[sited], weights=land[sited], minlength=len(reserve))  # summed in project order
        state.vacant_mu -= taken
    rest = order[~sited[order]]
    fl, ld = serve_in_order(need[rest], park[rest], state)
    ok = fl + ld >= need[rest] * (1 - 1e-9)
    floor[rest], land[rest] = fl, ld
    sited[rest[ok]] = True
    # A project that did not fit returns the partial space it was given (to the stocks in project order); the
    # projects not sited now are those.
    failed = np.flatnonzero(~sited)
    np.add.at(state.factory_space_mu, park[failed], floor[failed])
    np.add.at(state.vacant_mu, park[failed], land[failed])
    floor[failed] = 0.0
    land[failed] = 0.0
    return floor, land, sited


def site_on_platforms(model: ParkModel, park: np.ndarray, sector: np.ndarray,
                      investment: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """万亩千亿 priority in project siting: large projects go to the platforms and are sited there first.

    With ``p = levers.platforms.wanmu_priority`` > 0 and open 万亩千亿 platforms, a project of at least
    :data:`LARGE_PROJECT_YI` drawn for another park, in a sector that is a leading industry of some open platform,
    moves with probability ``p`` to one of those platforms, chosen in proportion to their available space
    (嘉兴万亩千亿实施意见 二(三)四 招大引强, 二(三)三 要素指标优先配置重大平台内优质项目; 二(三)一 each platform's
    主导产业); large projects on a platform are then sited before the platform's other projects. With ``p = 0``
    nothing changes and no random number is drawn.

    Args:
        model: The city model.
        park: Park of each project (not changed; a changed copy is returned).
        sector: Sector of each project.
        investment: Investment of each project, 亿元 (model units).

    Returns:
        ``(park, first)``: the parks after the moves, and 1 for the large projects on a platform (subtracted
        from their siting key), 0 for the others.
    """
    state = model.park_state
    pi = model.levers.platforms.wanmu_priority * min(model.mechanisms.recruitment, 1.0)
    first = np.zeros(len(park))
    if pi <= 0 or len(park) == 0:
        return park, first
    platforms = state.wanmu_platform & ~state.closed
    if not platforms.any():
        return park, first
    big = investment * model.scale >= LARGE_PROJECT_YI
    hosts = model.lead_mask & platforms[:, None]  # platforms × sectors: the platform leads in the sector
    move = big & ~platforms[park] & hosts[:, sector].any(axis=0) & (model.rng.random(len(park)) < min(pi, 1.0))
    park = park.copy()
    for j in np.flatnonzero(move):
        ids = np.flatnonzero(hosts[:, sector[j]])
        weights = state.available_space_mu[ids] + 1e-9 * state.industrial_land_mu[ids]
        pick = int(np.searchsorted(np.cumsum(weights) / weights.sum(), model.rng.random(), side="right"))
        park[j] = ids[min(pick, len(ids) - 1)]
    first[big & platforms[park]] = 1.0
    return park, first
