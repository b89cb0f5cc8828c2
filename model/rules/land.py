"""Land and space (DESIGN §4.2, §4.5, §4.6, §4.12).

Redevelopment of low-efficiency land, standard factories, new land quotas, allocation of space to firms by 亩均
class, and relocation between parks.

Land categories of each park add up to its industrial land at all times (see :class:`ParkState`); the city's
industrial land outside the zones changes only through the new-land quota, which moves scattered land into zones
(seed 001 (十) 引导现状零星工业用地向开发区集中; seed 004 keeps the city's total at 300 km²).
"""

from __future__ import annotations

import numpy as np

from parkabm.agents.parks import MU_PER_M2

CITY_INDUSTRIAL_LAND_MU = 300 * 1500.0
"""The city's industrial land, 亩: seed 004 (确保全市工业用地总规模保持在300平方公里); 1 km² = 1500 亩."""

EXISTING_PLOT_RATIO = 1.2
"""容积率 of the plots firms occupy today, which converts standard-factory floor into land-equivalent capacity.
assumed: typical of older single-storey industrial plots in Zhejiang (range 1.0–1.5)."""

FACTORY_LAND_SHARE_OF_VACANT = 0.5
"""Standard factories are built on at most this share of a park's vacant land each year. assumed: parks keep serviced
land for land-based projects (range 0.3–0.8)."""


PRIOR_REDEVELOPMENT_MU_PER_YEAR = 5000.0
"""Redevelopment under way when the run starts, per year of lag, taken from the idle stock. assumed: 整治 has run
since the 2019 platform consolidation at about half the 2023 target (range 2000–10000 亩/yr)."""


def start_pipeline(state, lag: int) -> None:
    """Fill the redevelopment pipeline with the land already under way at the base year (from the idle stock)."""
    if lag <= 0:
        return
    share = state.industrial_land_mu / state.industrial_land_mu.sum()
    per_year = np.minimum(PRIOR_REDEVELOPMENT_MU_PER_YEAR * share, state.idle_mu / lag)
    state.pipeline_mu[:, :lag] = per_year[:, None]
    state.idle_mu -= per_year * lag


def allocate_space(
    request_mu: np.ndarray, park: np.ndarray, priority: np.ndarray, state, *, floor_first: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Hand out each park's available space to requests in priority order (lower ``priority`` first).

    Standard-factory floor is handed out before vacant land (it exists to be filled). A request is served in full
    or, for the last one served in a park, in part. The park's stocks are reduced by what was granted.

    Args:
        request_mu: Space requested, 亩 (≥ 0).
        park: Park index of each request.
        priority: Sort key; ties keep their order.
        state: The :class:`ParkState` whose ``factory_space_mu`` and ``vacant_mu`` are drawn down.
        floor_first: Serve standard-factory floor before vacant land.

    Returns:
        ``(floor_mu, land_mu)`` granted to each request, in the order given.
    """
    n = len(request_mu)
    if n == 0:
        return np.zeros(0), np.zeros(0)
    order = np.lexsort((priority, park))
    req = request_mu[order]
    pk = park[order]
    before = np.cumsum(req) - req
    first = np.searchsorted(pk, pk, side="left")
    before = before - before[first]
    first_stock = state.factory_space_mu if floor_first else state.vacant_mu
    second_stock = state.vacant_mu if floor_first else state.factory_space_mu
    a = first_stock[pk]
    granted = np.clip(a + second_stock[pk] - before, 0.0, req)
    from_first = np.clip(np.minimum(before + granted, a) - before, 0.0, req)
    from_second = np.clip(granted - from_first, 0.0, req - from_first)
    p = len(state.vacant_mu)
    first_stock -= np.bincount(pk, weights=from_first, minlength=p)
    second_stock -= np.bincount(pk, weights=from_second, minlength=p)
    np.maximum(first_stock, 0.0, out=first_stock)
    np.maximum(second_stock, 0.0, out=second_stock)
    out_first = np.empty(n)
    out_second = np.empty(n)
    out_first[order] = from_first
    out_second[order] = from_second
    return (out_first, out_second) if floor_first else (out_second, out_first)


def class_priority_key(model, idx: np.ndarray) -> np.ndarray:
    """Return the space-allocation sort key of firms ``idx``: 亩均 class first, by the ``class_priority`` lever.

    With priority 1, A-class firms are served before B, C and D (差别化用地), in random order within a class;
    with priority 0 the order is random. Firms not evaluated rank with C.
    """
    c = model.levers.land.class_priority
    cls = model.firms.mujun_class[idx].astype(np.float64)
    cls[cls > 3] = 2.0
    u = model.rng.random(len(idx))
    return c * cls + u * (4.0 * (1.0 - c) + 0.5)


def deliver_pipeline(model) -> None:
    """Move land whose redevelopment lag has passed from the pipeline to vacant land."""
    state = model.park_state
    pipe = state.pipeline_mu
    state.vacant_mu += pipe[:, 0]
    pipe[:, :-1] = pipe[:, 1:]
    pipe[:, -1] = 0.0


def redevelop_low_efficiency_land(model) -> None:
    """低效用地整治: turn idle low-efficiency land, then D-class firms' land, into serviced land after a lag.

    The city's yearly target (seed 001 (十): 整治低效工业用地1万亩以上) is split across parks by the 赛马 quota
    shares and works first on each park's idle low-efficiency stock. What a park cannot use on idle land clears
    D-class firms (腾笼换鸟, lowest score first) in proportion to the enforcement lever; cleared firms exit with
    淘汰落后产能 compensation. Redeveloped land joins the pipeline and becomes vacant ``lag`` years later.
    Cost: ``redevelopment_cost_wan_per_mu`` per 亩 worked on.
    """
    lev = model.levers.land
    state = model.park_state
    quota = lev.redevelopment_mu_per_year * model.mechanisms.redevelopment * state.quota_share
    on_idle = np.minimum(quota, state.idle_mu)
    state.idle_mu -= on_idle
    cleared = np.zeros_like(quota)
    leftover = (quota - on_idle) * model.levers.evaluation.enforcement * min(model.mechanisms.evaluation, 1.0)
    if leftover.sum() > 0:
        f = model.firms
        d = np.flatnonzero(f.alive & f.industrial & (f.mujun_class == 3) & (f.entry_year < model.year))
        if len(d):
            order = d[np.lexsort((model.score[d], f.park[d]))]
            land = f.land_mu[order]
            pk = f.park[order]
            before = np.cumsum(land) - land
            before = before - before[np.searchsorted(pk, pk, side="left")]
            chosen = order[before < leftover[pk]]
            cleared = np.bincount(f.park[chosen], weights=f.land_mu[chosen], minlength=len(quota))
            model.remove_firms(chosen, enforced=True, land_to="pipeline")
    state.pipeline_mu[:, -1] += on_idle
    model.ledger["redevelopment"] += (on_idle.sum() + cleared.sum()) * lev.redevelopment_cost_wan_per_mu / 1e4


def build_standard_factories(model) -> None:
    """标准厂房: build the city's yearly floor target on vacant land, split by quota shares.

    Floor ``F`` m² at plot ratio ``r`` takes ``F / (r · 666.67)`` 亩 of vacant land and offers
    ``F / (EXISTING_PLOT_RATIO · 666.67)`` 亩 of land-equivalent capacity, so a plot ratio above the existing one
    multiplies the capacity a 亩 of land carries (seed 001 (十) 提高工业用地建筑密度和开发强度).
    Cost: ``standard_factory_cost_yuan_per_m2`` per m² built.
    """
    lev = model.levers.land
    state = model.park_state
    floor = lev.standard_factory_m2_per_year * model.mechanisms.standard_factories * state.quota_share
    land_needed = floor * MU_PER_M2 / lev.standard_factory_plot_ratio
    land_used = np.minimum(land_needed, FACTORY_LAND_SHARE_OF_VACANT * state.vacant_mu)
    built = land_used * lev.standard_factory_plot_ratio / MU_PER_M2
    state.vacant_mu -= land_used
    state.factory_land_mu += land_used
    state.factory_space_mu += built * MU_PER_M2 / EXISTING_PLOT_RATIO
    model.ledger["standard_factories"] += built.sum() * lev.standard_factory_cost_yuan_per_m2 / 1e8
    model.counts["standard_factory_m2"] += built.sum()
    model.counts["fai_yi"] += built.sum() * lev.standard_factory_cost_yuan_per_m2 / 1e8


def supply_new_land(model) -> None:
    """Move the yearly new-land quota from scattered industrial land outside the zones into the zones' vacant land.

    The city's industrial land is conserved (seed 004): the quota is limited by what remains outside the zones.
    """
    state = model.park_state
    quota = model.levers.land.new_land_quota_mu_per_year * model.mechanisms.land_quota
    quota = min(quota, model.outside_land_mu)
    added = quota * state.quota_share
    state.vacant_mu += added
    state.industrial_land_mu += added
    model.outside_land_mu = max(model.outside_land_mu - added.sum(), 0.0)


def relocate_firms(model, idx: np.ndarray, need_mu: np.ndarray) -> np.ndarray:
    """市级统筹 of cross-park moves: firms short of space move, with a probability, to the park with most space.

    A moving firm needs its whole space (held + missing) in the new park; it leaves its land vacant and its
    standard-factory floor free in the old park. Seed 001 (六) 产业跨区域迁移 市级统筹.

    Args:
        model: The city model.
        idx: Firms whose space request was not met in full.
        need_mu: Space each of them still lacks, 亩.

    Returns:
        The subset of ``idx`` that moved (they now hold enough space for their desired output).
    """
    p = model.levers.land.relocation_probability * model.mechanisms.relocation
    if p <= 0 or len(idx) == 0:
        return idx[:0]
    movers = idx[model.rng.random(len(idx)) < min(p, 1.0)]
    moved = []
    f = model.firms
    state = model.park_state
    need = dict(zip(idx.tolist(), need_mu.tolist(), strict=True))
    for i in movers.tolist():
        available = np.where(state.downgraded, 0.0, state.available_space_mu)
        available[f.park[i]] = 0.0
        target = int(np.argmax(available))
        total = f.land_mu[i] + f.floor_mu[i] + need[i]
        if available[target] < total:
            continue
        old = f.park[i]
        state.vacant_mu[old] += f.land_mu[i]
        state.factory_space_mu[old] += f.floor_mu[i]
        floor = min(total, state.factory_space_mu[target])  # one request: floor first, then land (allocate_space)
        land = total - floor
        state.factory_space_mu[target] -= floor
        state.vacant_mu[target] = max(state.vacant_mu[target] - land, 0.0)
        f.land_mu[i], f.floor_mu[i] = land, floor
        f.park[i] = target
        moved.append(i)
    model.counts["relocations"] += len(moved)
    return np.array(moved, dtype=np.int64)
