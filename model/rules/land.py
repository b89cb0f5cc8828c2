"""Land: redevelopment of low-efficiency land, standard factories and new land (docs/ODD.md §7.5–7.7, §7.13).

Land categories of each park add up to its industrial land at all times (see :class:`ParkState`); the city's
industrial land outside the zones changes only through the new-land quota, which moves scattered land into zones
(杭政函〔2023〕13号 (十) 引导现状零星工业用地向开发区集中; 制造业高质量发展若干意见 keeps the city's total at 300 km²).
How firms and projects
take the space these rules supply is :mod:`parkabm.model.rules.space`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from parkabm.agents.parks import Park, ParkState
from parkabm.model import kernels
from parkabm.model.rules.exit import remove_firms
from parkabm.model.rules.race import race_factor
from parkabm.model.rules.space import serving_order

if TYPE_CHECKING:
    from parkabm.model.city import ParkModel

CITY_INDUSTRIAL_LAND_MU = 300 * 1500.0
"""The city's industrial land, 亩: 300 km² (制造业高质量发展若干意见: 确保全市工业用地总规模保持在300平方公里)."""
LOW_EFFICIENCY_CAP = 0.30
"""2022年7月征求意见稿 三.2 / 2022年5月公开征求意见稿: 各园区平台低效用地占比原则上不超过30%."""


def firm_tax_per_mu(model: ParkModel) -> np.ndarray:
    """Return each firm's 亩均税收 in the evaluation's units (亿元 per 亩 of land and floor; 0 without space)."""
    f = model.firms
    space = f.space_mu
    return np.divide(f.output_yi * f.tax_ratio, space, out=np.zeros(f.n), where=space > 0)


def low_efficiency_firms(model: ParkModel) -> np.ndarray:
    """Return which firms' land is low-efficiency land (低效用地): a mask over the firm arrays.

    A firm counts when it is alive, industrial, holds land, and either produces at full scale with less 亩均税收
    than ``low_efficiency_tax_share`` of the base-year median of evaluated firms (indexed by the price level, as
    the evaluation's benchmark; :func:`parkabm.model.rules.evaluation.benchmarks`), or is a D-class firm past its
    rectification deadline (D for more than ``rectification_years``: the firms 腾笼换鸟 acts on). A D-class firm
    within its deadline is not low-efficiency by its class alone. Before the base-year evaluation has fixed the
    benchmark, only the deadline test applies.
    """
    return _low_efficiency(model)[0]


def _low_efficiency(model: ParkModel) -> tuple[np.ndarray, np.ndarray | None]:
    """Return :func:`low_efficiency_firms` and, when compiled, the land they hold per park (else None)."""
    f = model.firms
    rectification_years = model.levers.evaluation.rectification_years
    benchmark = model.mujun_benchmark
    with_tax = benchmark is not None
    share = model.params["low_efficiency_tax_share"]
    threshold = share * benchmark[0, 0] * model.price if benchmark is not None else 0.0
    if kernels.enabled():
        weak = np.empty(f.n, dtype=bool)
        land_by_park = np.zeros(model.n_parks)
        kernels.low_efficiency_rows(f.mujun_class, f.years_in_d, rectification_years, with_tax, threshold,
                                    f.output_yi, f.tax_ratio, f.land_mu, f.floor_mu, f.ramp_left, f.alive,
                                    f.industrial, f.park, weak, land_by_park)
        return weak, land_by_park
    # The tests run over whole firm arrays (no gathers of the rows in play) and keep the alive industrial firms
    # holding land at the end: their 亩均税收 is defined (they hold space); that of the others is discarded.
    weak = f.mujun_class == 3
    weak &= f.years_in_d > rectification_years
    if with_tax:
        with np.errstate(divide="ignore", invalid="ignore"):
            tax_per_mu = f.output_yi * f.tax_ratio
            tax_per_mu /= f.land_mu + f.floor_mu
        low = tax_per_mu < threshold
        low &= f.ramp_left == 0
        weak |= low
    weak &= f.alive
    weak &= f.industrial
    weak &= f.land_mu > 0
    return weak, None


def low_efficiency_land_mu(model: ParkModel, weak: np.ndarray | None = None) -> np.ndarray:
    """Return each park's low-efficiency land, 亩: idle + under redevelopment + land of :func:`low_efficiency_firms`.

    2022年7月征求意见稿 三.2 caps it at 30% of each park's industrial land (:data:`LOW_EFFICIENCY_CAP`).

    Args:
        model: The city model.
        weak: :func:`low_efficiency_firms` of the model as it is now, when the caller has it already.
    """
    f = model.firms
    firms_land = None
    if weak is None:
        weak, firms_land = _low_efficiency(model)
    if firms_land is None:
        rows = np.flatnonzero(weak)
        firms_land = np.bincount(f.park.take(rows), weights=f.land_mu.take(rows), minlength=model.n_parks)
    return model.park_state.idle_mu + model.park_state.pipeline_mu.sum(axis=1) + firms_land


def redevelopment_quota(model: ParkModel, city_mu: float, weak: np.ndarray | None = None) -> np.ndarray:
    """Split the city's redevelopment quota: parks above the 30% cap first, then by low-efficiency land.

    With low-efficiency land ``L_p``, industrial land ``T_p`` and excess ``X_p = max(0, L_p − 0.3 T_p)``, each
    park first gets ``X_p · min(1, Q / ΣX)``; what remains, ``R``, goes in proportion to its remaining
    low-efficiency land times its 赛马 multiplier (:func:`parkabm.model.rules.race.race_factor`):
    ``R · (L_p − first_p) r_p / Σ (L − first) r``. Downgraded parks get nothing. ``weak`` is
    :func:`low_efficiency_firms`, when the caller has it already.
    """
    state = model.park_state
    factor = race_factor(model)
    low = low_efficiency_land_mu(model, weak) * (factor > 0)
    excess = np.maximum(low - LOW_EFFICIENCY_CAP * state.industrial_land_mu, 0.0)
    excess_total = excess.sum()
    first = excess * min(1.0, city_mu / excess_total) if excess_total > 0 else np.zeros_like(low)
    claim = (low - first) * factor
    rest = city_mu - first.sum()
    claim_total = claim.sum()
    second = rest * claim / claim_total if rest > 0 and claim_total > 0 else np.zeros_like(low)
    return first + second


def start_pipeline(state: ParkState, lag: int, per_year_mu: float) -> None:
    """Fill the redevelopment pipeline with the land already under way at the base year (from the idle stock).

    Args:
        state: The parks' stocks; ``pipeline_mu`` is filled and ``idle_mu`` drawn down.
        lag: Years from the start of 整治 to serviced land.
        per_year_mu: Citywide land entering redevelopment per year of lag (``prior_redevelopment_mu_per_year``),
            split by industrial land and limited by each park's idle stock.
    """
    if lag <= 0:
        return
    share = state.industrial_land_mu / state.industrial_land_mu.sum()
    per_year = np.minimum(per_year_mu * share, state.idle_mu / lag)
    state.pipeline_mu[:, :lag] = per_year[:, None]
    state.idle_mu -= per_year * lag


def deliver_pipeline(model: ParkModel) -> None:
    """Move land whose redevelopment lag has passed from the pipeline to vacant land, park by park."""
    model.agents_by_type[Park].do("deliver_redeveloped_land")


def redevelop_low_efficiency_land(model: ParkModel) -> None:
    """低效用地整治: turn idle low-efficiency land, then low-efficiency firms' land, into serviced land after a lag.

    The city's yearly target (杭政函〔2023〕13号 (十): 整治低效工业用地1万亩以上) is split across parks by
    :func:`redevelopment_quota` (parks above the 30% cap first, then by low-efficiency land and 赛马 standing) and
    works first on each park's idle low-efficiency stock. What a park cannot use on idle land clears
    low-efficiency firms (:func:`low_efficiency_firms`; 腾笼换鸟, lowest 亩均税收 first) in proportion to the
    enforcement lever; cleared firms exit with
    淘汰落后产能 compensation. Redeveloped land joins the pipeline and becomes vacant ``lag`` years later.
    Cost: ``redevelopment_cost_wan_per_mu`` per 亩 worked on (that of cleared firms' land is booked by
    :func:`parkabm.model.rules.exit.remove_firms`).
    """
    lev = model.levers.land
    state = model.park_state
    # The low-efficiency firms are found once: nothing changes the firms between the quota and the clearing.
    weak = low_efficiency_firms(model)
    quota = redevelopment_quota(model, lev.redevelopment_mu_per_year * model.mechanisms.redevelopment, weak)
    on_idle = np.minimum(quota, state.idle_mu)
    state.idle_mu -= on_idle
    leftover = (quota - on_idle) * model.levers.evaluation.enforcement * min(model.mechanisms.evaluation, 1.0)
    if leftover.sum() > 0:
        f = model.firms
        d = np.flatnonzero(weak & (f.entry_year < model.year))
        if len(d):
            tax_per_mu = f.output_yi[d] * f.tax_ratio[d] / (f.land_mu[d] + f.floor_mu[d])  # they hold land
            order = d[serving_order(f.park[d], tax_per_mu)]
            land = f.land_mu[order]
            pk = f.park[order]
            before = np.cumsum(land) - land
            before = before - before[np.searchsorted(pk, pk, side="left")]
            chosen = order[before < leftover[pk]]
            remove_firms(model, chosen, enforced=True, land_to="pipeline")
    state.pipeline_mu[:, -1] += on_idle
    top = state.rank < model.n_parks / 2
    model.counts["redevelopment_mu"] += float(quota.sum())
    model.counts["redevelopment_top_half_mu"] += float(quota[top].sum())
    model.ledger["redevelopment"] += on_idle.sum() * lev.redevelopment_cost_wan_per_mu / 1e4


def build_standard_factories(model: ParkModel) -> None:
    """标准厂房: build the city's yearly floor target on vacant land, split by quota shares.

    Floor ``F`` m² at plot ratio ``r`` takes ``F / (r · 666.67)`` 亩 of vacant land (at most
    ``factory_land_share_of_vacant`` of it) and offers ``F / (existing_plot_ratio · 666.67)`` 亩 of land-equivalent
    capacity, so a plot ratio above the existing one multiplies the capacity a 亩 of land carries (杭政函〔2023〕13号
    (十)
    提高工业用地建筑密度和开发强度).
    Each park builds its quota share (:meth:`Park.build_standard_factories`). Cost:
    ``standard_factory_cost_yuan_per_m2`` per m² built.
    """
    lev = model.levers.land
    state = model.park_state
    model.agents_by_type[Park].do("build_standard_factories",
                                  lev.standard_factory_m2_per_year * model.mechanisms.standard_factories)
    built = state.factory_built_m2
    model.ledger["standard_factories"] += built.sum() * lev.standard_factory_cost_yuan_per_m2 / 1e8
    model.counts["standard_factory_m2"] += built.sum()
    model.counts["fai_yi"] += built.sum() * lev.standard_factory_cost_yuan_per_m2 / 1e8


def supply_new_land(model: ParkModel) -> None:
    """Move the yearly new-land quota from scattered industrial land outside the zones into the zones' vacant land.

    Each park takes its quota share (:meth:`Park.receive_new_land`).
    The city's industrial land is conserved (制造业高质量发展若干意见): the quota is limited by what remains outside the
    zones.
    """
    quota = model.levers.land.new_land_quota_mu_per_year * model.mechanisms.land_quota
    quota = min(quota, model.outside_land_mu)
    model.agents_by_type[Park].do("receive_new_land", quota)
    added = quota * model.park_state.quota_share
    model.outside_land_mu = max(model.outside_land_mu - added.sum(), 0.0)


def clear_exit_parks(model: ParkModel) -> None:
    """腾退 of 退出型 parks: their firms move to the receiving major platform or exit, and their land is returned.

    Each year every industrial firm of a 退出型 park (``ParkState.exit_type``) is cleared with probability
    ``levers.platforms.exit_clearance_share`` (嘉兴万亩千亿实施意见 二(二)三: 由区位相临、产业相近的重大平台统筹落实
    腾退任务, 推动低效企业加快退出; 规模大、效益好 firms 可搬迁入园). A cleared firm that is 规上 and not D-class
    moves, with its whole space, to the park's receiver (:func:`parkabm.model.rules.race.assign_receivers`) when
    the receiver has that much space (standard-factory floor first, then vacant land); every other cleared firm
    exits (腾笼换鸟, with 淘汰落后产能 compensation). The land a cleared firm held leaves the zones and returns to the
    city's industrial land outside them (the park gets no new industrial land, 一律不再配置工业用地增量指标; the
    new-land quota may move it into open parks later). No random draw is made while no park is 退出型.
    """
    state = model.park_state
    share = model.levers.platforms.exit_clearance_share
    if share <= 0 or not state.exit_type.any():
        return
    f = model.firms
    cand = np.flatnonzero(f.alive & f.industrial & state.exit_type[f.park] & (f.entry_year < model.year))
    if len(cand) == 0:
        return
    chosen = cand[model.rng.random(len(cand)) < min(share, 1.0)]
    movable = f.guishang[chosen] & (f.mujun_class[chosen] != 3)
    leaving = chosen[~movable].tolist()
    for i in chosen[movable].tolist():
        old = int(f.park[i])
        target = int(state.receiver[old])
        if target >= 0 and state.closed[target]:
            target = -1
        total = f.land_mu[i] + f.floor_mu[i]
        if target < 0 or state.available_space_mu[target] < total:
            leaving.append(i)
            continue
        _return_land(model, old, f.land_mu[i])
        state.factory_space_mu[old] += f.floor_mu[i]
        floor = min(total, state.factory_space_mu[target])
        state.factory_space_mu[target] -= floor
        state.vacant_mu[target] = max(state.vacant_mu[target] - (total - floor), 0.0)
        f.land_mu[i], f.floor_mu[i] = total - floor, floor
        f.park[i] = target
        state.relocated_in[target] += 1
        state.relocated_out[old] += 1
    if leaving:
        idx = np.array(leaving, dtype=np.int64)
        land_by_park = np.bincount(f.park[idx], weights=f.land_mu[idx], minlength=model.n_parks)
        np.add.at(state.cleared_exits, f.park[idx], 1)
        remove_firms(model, idx, enforced=True, land_to="idle")
        for q in np.flatnonzero(land_by_park > 0):
            state.idle_mu[q] -= land_by_park[q]
            _return_land(model, int(q), float(land_by_park[q]))


def _return_land(model: ParkModel, park: int, mu: float) -> None:
    """Take ``mu`` of a 退出型 park's industrial land out of the zones, back to the city's land outside them."""
    state = model.park_state
    state.industrial_land_mu[park] -= mu
    state.land_returned_mu[park] += mu
    model.outside_land_mu += mu
