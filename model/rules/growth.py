"""Growth of firms: trend, agglomeration, chain-leader effects, surcharges, shocks and ramp-up (docs/ODD.md §7.1–4.2).

All quantities are real (base-year prices) inside the rules; ``output_yi`` is stored nominal, so each rule divides by
the price index of the year it reads and multiplies by the price index of the year it writes. A firm that wants to
grow beyond its capacity asks for space (:mod:`parkabm.model.rules.space`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from parkabm.model import kernels, threads
from parkabm.model.rules.resources import cap_energy_growth, price_cost_share
from parkabm.model.rules.space import grant_space_by_class, relocate_firms

if TYPE_CHECKING:
    from parkabm.model.city import ParkModel

GROWTH_BOUNDS = (-0.6, 1.0)
"""A firm's real growth in one year is kept within −60% … +100%: a numerical guard on the lognormal shock tails,
not a behavioural assumption (it binds for a handful of very small firms a year)."""

MIN_SIZE_FOR_VOLATILITY_YI = 0.05
"""Sizes below this are treated as this size in the size-volatility law: a numerical guard against infinite
volatility of vanishing firms."""

AGGLOMERATION_BOUNDS = (-3.0, 3.0)
"""The agglomeration index is a log share ratio kept within ±3 (a park holding 20 times or 1/20 of the city share)."""


def agglomeration_index(model: ParkModel) -> None:
    """Log of each sector's share of its park's output over its share of the city's output, from last year, centred.

    The output-weighted mean of the raw log share ratio is the mutual information of park and sector, never
    negative, so the raw index would add growth on average; it is centred (after clipping) so that its
    output-weighted mean is zero and agglomeration only moves growth between cells (docs/ODD.md §7.1, §7.18).
    Sets ``model.agglomeration`` (parks × sectors).
    """
    f = model.firms
    s = model.n_sectors
    cells: np.ndarray
    if kernels.enabled():
        cells = np.zeros(model.n_parks * s)
        kernels.cell_sums(f.park, f.sector, s, f.output_yi, cells)
    else:
        cells = np.bincount(f.park.astype(np.int64) * s + f.sector, weights=f.output_yi, minlength=model.n_parks * s)
    cell = cells.reshape(model.n_parks, s)
    park_total = cell.sum(axis=1, keepdims=True)
    total = cell.sum()
    city_share = cell.sum(axis=0) / total
    with np.errstate(divide="ignore", invalid="ignore"):
        clipped = np.log(cell / park_total / city_share)
    clipped[~np.isfinite(clipped)] = 0.0  # an empty cell, park or sector: no agglomeration (NaN and ±inf to 0)
    np.clip(clipped, *AGGLOMERATION_BOUNDS, out=clipped)
    model.agglomeration = clipped - (float((cell * clipped).sum() / total) if total > 0 else 0.0)


def grow_firms(model: ParkModel) -> None:
    """Grow every producing firm, subject to space; ramp up new projects.

    Real growth of firm i in sector s (group k) and park p::

        g = (trend_s − c · industrial_s) · m_trend + m_macro · (λ_k x_t + τ_t) + a · A[p, s]
            + spill · leader_in(p, s) · (not leader) + boost · leader
            − pass_through · surcharge_share_i + σ_s · m_vol · size_i^(−β) · ε_i

    (each term scaled by its mechanism lever; ``c`` is ``macro_trend_channels_industry``, the part of the
    observed trend the model's channels supply, and ``λ_k x_t + τ_t`` the macro term of
    :func:`parkabm.model.rules.macro.draw_macro_shocks`). Capacity per 亩 grows by ``land_productivity_growth``
    a year (in-place intensification, with the trend mechanism). An industrial firm whose desired output exceeds its
    capacity (space × productivity) asks its park for the missing space; parks serve A-class firms first (差别化用地).
    规上 firms still missing at least ``relocation_min_shortfall`` of their space may relocate
    (市级统筹); the rest produce at capacity. Service firms hold no industrial
    land and are not space-constrained. Projects in ramp-up produce a rising share of their full scale.
    """
    f = model.firms
    par = model.params
    mech = model.mechanisms
    year = model.year
    industrial_all = f.industrial
    established = f.alive & (f.entry_year < year)
    at_scale = f.ramp_left == 0  # read before this year's ramp-up step: firms ramping this year do not also grow
    # Prices and deflators are gathered over the rows in play only (ramping, growing), not over the whole population.
    # Industrial output is deflated by the industrial (PPI) index, service output by the service index (§7.18).
    ramping = np.flatnonzero(established & ~at_scale)
    if len(ramping):
        f.ramp_left[ramping] -= 1
        share = (model.rampup_years - f.ramp_left[ramping]) / model.rampup_years
        f.output_yi[ramping] = (f.target_output_yi[ramping] * share
                                * np.where(industrial_all[ramping], model.price, model.service_price))

    idx = np.flatnonzero(established & at_scale)  # disjoint from the ramping rows: their output is last year's
    # The formula and the capacity check run compiled when they can (parkabm.model.kernels: the same arithmetic in
    # one pass over the rows), else as whole-array NumPy operations; both give the same numbers.
    fast = kernels.enabled()
    real, desired = (_desired_compiled if fast else _desired_numpy)(model, idx)
    desired = cap_energy_growth(model, idx, real, desired)  # 用能指标 (resources.py)
    factor = 1.0 + mech.growth_trend * par["land_productivity_growth"]
    with_capacity = mech.space_constraint > 0
    productivity, capacity, short = (_capacity_compiled if fast else _capacity_numpy)(model, idx, desired, factor,
                                                                                       with_capacity)
    if with_capacity and len(short):
        ask = idx[short]
        need = desired[short]
        need -= capacity[short]
        need /= productivity[short]
        floor, land = grant_space_by_class(model, ask, need)
        f.floor_mu[ask] += floor
        f.land_mu[ask] += land
        missing = need - floor - land
        held = f.land_mu[ask] + f.floor_mu[ask]
        guishang = f.alive[ask] & (f.output_yi[ask] >= f.guishang_threshold_yi)
        still = (missing > par["relocation_min_shortfall"] * held) & guishang
        moved = relocate_firms(model, ask[still], missing[still])
        # Only the firms that asked can want more than their capacity (the others' desired output is within it,
        # so capping them changes nothing); those that did not move produce at most at their new capacity.
        moved_pos = np.zeros(len(ask), dtype=bool)
        moved_pos[np.searchsorted(ask, moved)] = True  # moved ⊂ ask, and ask is sorted
        capped = ~moved_pos
        at = short[capped]
        desired[at] = np.minimum(desired[at], (f.land_mu[ask[capped]] + f.floor_mu[ask[capped]]) * productivity[at])
    if fast:
        threads.run_spans(lambda start, stop: kernels.write_growth(
            idx[start:stop], f.industrial, desired[start:stop], real[start:stop], model.price, model.service_price,
            f.output_yi, f.last_growth), len(idx))
        return
    industrial = f.industrial[idx]
    f.output_yi[idx] = desired * np.where(industrial, model.price, model.service_price)
    # desired / real − 1 where real > 0, else 0: divided over every row (unmasked), the rare rows without output fixed.
    with np.errstate(divide="ignore", invalid="ignore"):
        growth = np.divide(desired, real)
    growth[np.flatnonzero(~(real > 0))] = 1.0
    growth -= 1.0
    f.last_growth[idx] = growth


def _desired_numpy(model: ParkModel, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the real output and the desired real output of firms ``idx`` (the formula of :func:`grow_firms`)."""
    f = model.firms
    par = model.params
    mech = model.mechanisms
    s = f.sector[idx].astype(np.intp)
    cell = f.park[idx].astype(np.intp) * model.n_sectors + s  # flat index into the parks × sectors tables
    industrial = f.industrial[idx]
    real = f.output_yi[idx] / np.where(industrial, model.price_prev, model.service_price_prev)
    # g is built in place in one array, term by term (the same operations in the same order as the formula).
    g = model.sector_trend[s]
    g *= par["trend_growth_multiplier"]
    g -= par["macro_trend_channels_industry"] * industrial
    g *= mech.growth_trend
    g += model.macro_growth[s]
    if mech.agglomeration:
        agglomeration = model.agglomeration.ravel()[cell]
        agglomeration *= mech.agglomeration * par["agglomeration_elasticity"]
        g += agglomeration
    leader = model.leader[idx]
    if mech.chain_spillover:
        g += mech.chain_spillover * par["chain_spillover"] * (model.has_leader.ravel()[cell] & ~leader)
    if mech.chain_leader_service:
        g += mech.chain_leader_service * model.levers.chain_leaders.service_boost * leader
    g -= par["surcharge_pass_through"] * price_cost_share(model, idx)  # electricity, land, water, gas by class
    if mech.shocks:
        size = np.maximum(real * model.scale, MIN_SIZE_FOR_VOLATILITY_YI)
        vol = model.sector_volatility[s]
        vol *= par["volatility_multiplier"]
        np.power(size, -par["size_volatility_exponent"], out=size)
        vol *= size
        vol *= mech.shocks
        # One draw per firm row, indexed, so a firm keeps its shock whichever other firms grow (common random numbers).
        vol *= model.rng.standard_normal(f.n)[idx]
        g += vol
    np.clip(g, *GROWTH_BOUNDS, out=g)
    g += 1.0
    return real, np.multiply(g, real, out=g)  # real · (1 + g)


def _desired_compiled(model: ParkModel, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_desired_numpy` in two compiled passes (the power stays in NumPy), with the same numbers.

    In a large world the passes and the power run in spans on several threads, and the shocks are drawn meanwhile
    (:mod:`parkabm.model.threads`): the same numbers again.
    """
    f = model.firms
    par = model.params
    mech = model.mechanisms
    n = len(idx)
    real = np.empty(n)
    size = np.empty(n if mech.shocks else 0)
    # One draw per firm row, as in the NumPy code; nothing else draws from the generator until it is taken.
    shocks = threads.Draw(model.rng.standard_normal, np.empty(f.n)) if mech.shocks else None
    exponent = -par["size_volatility_exponent"]

    def deflate(start: int, stop: int) -> None:
        kernels.deflate_output(idx[start:stop], f.output_yi, f.industrial, model.price_prev,
                                model.service_price_prev, model.scale, MIN_SIZE_FOR_VOLATILITY_YI, real[start:stop],
                                size[start:stop])
        if mech.shocks:
            np.power(size[start:stop], exponent, out=size[start:stop])

    threads.run_spans(deflate, n)
    shock = shocks.wait() if shocks is not None else size
    desired = np.empty(n)
    agglomeration = model.agglomeration.ravel()
    has_leader = model.has_leader.ravel()

    def formula(start: int, stop: int) -> None:
        kernels.desired_output(
            idx[start:stop], f.sector, f.park, model.n_sectors, f.industrial, model.leader, real[start:stop],
            size[start:stop], shock, model.sector_trend, par["trend_growth_multiplier"],
            par["macro_trend_channels_industry"], mech.growth_trend, model.macro_growth, bool(mech.agglomeration),
            agglomeration, mech.agglomeration * par["agglomeration_elasticity"], bool(mech.chain_spillover),
            has_leader, mech.chain_spillover * par["chain_spillover"], bool(mech.chain_leader_service),
            mech.chain_leader_service * model.levers.chain_leaders.service_boost, par["surcharge_pass_through"],
            model.surcharge_share, model.resource_share, bool(mech.shocks), model.sector_volatility,
            par["volatility_multiplier"], mech.shocks, *GROWTH_BOUNDS, desired[start:stop])

    threads.run_spans(formula, n)
    return real, desired


def _capacity_numpy(model: ParkModel, idx: np.ndarray, desired: np.ndarray, factor: float,
                    with_capacity: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Raise the land productivity of firms ``idx`` by ``factor``; return it, their capacity and who is short.

    Returns ``(productivity, capacity, short)``: by position in ``idx``; ``short`` the positions of the industrial
    firms whose desired output exceeds their capacity (both empty without ``with_capacity``).
    """
    f = model.firms
    productivity = f.productivity[idx]
    productivity *= factor
    f.productivity[idx] = productivity
    if not with_capacity:
        return productivity, np.zeros(0), np.zeros(0, dtype=np.intp)
    capacity = f.land_mu[idx]
    capacity += f.floor_mu[idx]
    capacity *= productivity
    short = np.flatnonzero(f.industrial[idx] & (desired > capacity))  # positions in idx (picked once, then taken)
    return productivity, capacity, short


def _capacity_compiled(model: ParkModel, idx: np.ndarray, desired: np.ndarray, factor: float,
                       with_capacity: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_capacity_numpy` in one compiled pass (in spans on several threads in a large world), same numbers."""
    f = model.firms
    n = len(idx)
    productivity = np.empty(n)
    capacity = np.empty(n if with_capacity else 0)
    short = np.empty(n if with_capacity else 0, dtype=np.intp)

    def grow(start: int, stop: int) -> int:
        part = slice(start, stop) if with_capacity else slice(0, 0)
        return int(kernels.grow_capacity(idx[start:stop], f.industrial, f.productivity, f.land_mu, f.floor_mu,
                                         factor, desired[start:stop], with_capacity, productivity[start:stop],
                                         capacity[part], short[part]))

    found = threads.run_spans(grow, n)
    parts = threads.spans(n)
    return productivity, capacity, short[:threads.join_found(short, parts, found, [start for start, _ in parts])]
