"""Space for firms and projects: allocation by 亩均 class and 市级统筹 relocation between parks (docs/ODD.md §7.2).

Parks hand out standard-factory floor first, then vacant land; under 差别化用地 A-class firms are served first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from parkabm.agents.parks import ParkState
from parkabm.model import kernels


@dataclass
class SpaceStocks:
    """The two stocks :func:`allocate_space` draws down, per park.

    A stand-in for a :class:`ParkState` when only a pool of space is allocated (the land reserved for leading
    industries, in project siting): building a whole park state for it cost more than the allocation.

    Attributes:
        vacant_mu: Vacant land, 亩.
        factory_space_mu: Unrented standard-factory floor, 亩 of land-equivalent.
    """

    vacant_mu: np.ndarray
    factory_space_mu: np.ndarray

if TYPE_CHECKING:
    from parkabm.model.city import ParkModel


def allocate_space(
    request_mu: np.ndarray, park: np.ndarray, priority: np.ndarray, state: ParkState | SpaceStocks, *,
    floor_first: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Hand out each park's available space to requests in priority order (lower ``priority`` first).

    Standard-factory floor is handed out before vacant land (it exists to be filled). A request is served in full
    or, for the last one served in a park, in part. The park's stocks are reduced by what was granted.

    Args:
        request_mu: Space requested, 亩 (≥ 0).
        park: Park index of each request (non-negative integers).
        priority: Sort key; ties keep their order.
        state: The :class:`ParkState` (or :class:`SpaceStocks`) whose ``factory_space_mu`` and ``vacant_mu`` are
            drawn down.
        floor_first: Serve standard-factory floor before vacant land.

    Returns:
        ``(floor_mu, land_mu)`` granted to each request, in the order given.
    """
    n = len(request_mu)
    if n == 0:
        return np.zeros(0), np.zeros(0)
    order = serving_order(park, priority)
    from_first, from_second = serve_in_order(request_mu[order], park[order], state, floor_first=floor_first)
    out_first = np.empty(n)
    out_second = np.empty(n)
    out_first[order] = from_first
    out_second[order] = from_second
    return (out_first, out_second) if floor_first else (out_second, out_first)


TWO_SORTS_MIN = 256
"""From this many requests :func:`serving_order` sorts the priorities, then their parks (faster than a lexsort)."""

SEGMENTED_SORT_MIN = 2048
"""Above this many requests :func:`serving_order` sorts each park's requests on their own (faster than one lexsort)."""


def stable_argsort(key: np.ndarray) -> np.ndarray:
    """Return ``np.argsort(key, kind="stable")``, found by the faster vector sort when the keys are distinct.

    Keys of random draws almost always are; only when the sorted keys are not strictly increasing (ties, or NaN)
    is the stable sort run, so ties keep the order given whatever the sorting algorithm.
    """
    order = key.argsort()
    ranked = key[order]
    if not (ranked[1:] > ranked[:-1]).all():
        order = key.argsort(kind="stable")
    return order


def serving_order(park: np.ndarray, priority: np.ndarray) -> np.ndarray:
    """Return the order in which requests are served: by park, then by ``priority``, ties in the order given.

    The permutation is that of ``np.lexsort((priority, park))``. From :data:`TWO_SORTS_MIN` requests it is a
    stable sort of the priorities (:func:`stable_argsort`) followed by a stable sort of their parks. For many
    requests it is found park by park: a stable sort by park, then one stable sort of each park's priorities, which
    costs about half as much (and less memory traffic) as sorting all of them together.

    Args:
        park: Park index of each request (non-negative integers).
        priority: Sort key of each request.

    Returns:
        Request indices in serving order.
    """
    if len(park) < TWO_SORTS_MIN:
        return np.lexsort((priority, park))
    if len(park) <= SEGMENTED_SORT_MIN:
        by_priority = stable_argsort(priority)
        return by_priority[park[by_priority].argsort(kind="stable")]  # a radix sort for the parks' small integers
    order = np.argsort(park, kind="stable")
    by_park = priority[order]
    start = 0
    for end in np.bincount(park).cumsum().tolist():
        if end - start > 1:
            order[start:end] = order[start:end][stable_argsort(by_park[start:end])]
        start = end
    return order


def serve_in_order(request_mu: np.ndarray, park: np.ndarray, state: ParkState | SpaceStocks, *,
                   floor_first: bool = True, draw_down: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Serve requests already in :func:`serving_order`: the allocation of :func:`allocate_space` without the sort.

    Args:
        request_mu: Space requested, 亩 (≥ 0), in serving order.
        park: Park index of each request, in serving order (so grouped by park).
        state: The stocks drawn down (as in :func:`allocate_space`).
        floor_first: Serve standard-factory floor before vacant land.
        draw_down: Reduce the stocks by what was granted; without it they are only read (for a caller that books
            what is taken itself).

    Returns:
        ``(from_first, from_second)``: what each request got from the stock served first (floor when
        ``floor_first``, else vacant land) and from the other, in the order given.
    """
    n = len(request_mu)
    first_stock = state.factory_space_mu if floor_first else state.vacant_mu
    second_stock = state.vacant_mu if floor_first else state.factory_space_mu
    if kernels.enabled():  # the same arithmetic in one compiled pass (a few requests a call: NumPy's calls dominate)
        from_first, from_second = np.empty(n), np.empty(n)
        kernels.serve_requests(request_mu, park, first_stock, second_stock, draw_down, from_first, from_second)
        return from_first, from_second
    p = len(state.vacant_mu)
    # Space asked for by the park's requests served before each request: a running total less the park's offset.
    before = request_mu.cumsum()
    before -= request_mu
    if n > 4096:  # the first request of each park: from the parks' counts (linear) rather than a binary search
        counts = np.bincount(park, minlength=p)
        first = (counts.cumsum() - counts)[park]
    else:
        first = park.searchsorted(park, side="left")
    before -= before[first]
    a = first_stock[park]
    granted = a + second_stock[park]
    granted -= before
    granted.clip(0.0, request_mu, out=granted)
    from_first = np.minimum(before + granted, a)
    from_first -= before
    from_first.clip(0.0, request_mu, out=from_first)
    from_second = granted - from_first
    from_second.clip(0.0, request_mu - from_first, out=from_second)
    if not draw_down:
        return from_first, from_second
    first_stock -= np.bincount(park, weights=from_first, minlength=p)
    second_stock -= np.bincount(park, weights=from_second, minlength=p)
    np.maximum(first_stock, 0.0, out=first_stock)
    np.maximum(second_stock, 0.0, out=second_stock)
    return from_first, from_second


def grant_space_by_class(model: ParkModel, ask: np.ndarray, need_mu: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Serve firms' space requests in :func:`class_priority_key` order (差别化用地) and count what A-class firms got.

    Adds the space A-class firms asked for and were granted to ``counts`` (``space_requested_a_mu``,
    ``space_granted_a_mu``): the output ``class_a_space_met_share`` shows whether the priority binds.

    Args:
        model: The city model.
        ask: Firms asking for space.
        need_mu: Space each of them asks for, 亩.

    Returns:
        ``(floor_mu, land_mu)`` granted to each of them.
    """
    floor, land = allocate_space(need_mu, model.firms.park[ask], class_priority_key(model, ask), model.park_state)
    a = model.firms.mujun_class[ask] == 0
    model.counts["space_requested_a_mu"] += float(need_mu[a].sum())
    model.counts["space_granted_a_mu"] += float((floor + land)[a].sum())
    return floor, land


def class_priority_key(model: ParkModel, idx: np.ndarray) -> np.ndarray:
    """Return the space-allocation sort key of firms ``idx``: 亩均 class first, by the ``class_priority`` lever.

    With priority 1, A-class firms are served before B, C and D (差别化用地), in random order within a class;
    with priority 0 the order is random. Firms not evaluated rank with C.
    """
    c = model.levers.land.class_priority
    cls = model.firms.mujun_class[idx].astype(np.float64)
    cls[cls > 3] = 2.0
    u = model.rng.random(len(idx))
    return c * cls + u * (4.0 * (1.0 - c) + 0.5)


def relocate_firms(model: ParkModel, idx: np.ndarray, need_mu: np.ndarray) -> np.ndarray:
    """市级统筹 of cross-park moves: firms short of space move, with a probability, to the park with most space.

    A moving firm needs its whole space (held + missing) in the new park; it leaves its land vacant and its
    standard-factory floor free in the old park. 杭政函〔2023〕13号 (六) 产业跨区域迁移 市级统筹.

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
    chosen = np.flatnonzero(model.rng.random(len(idx)) < min(p, 1.0))
    f = model.firms
    state = model.park_state
    movers, need = idx[chosen], need_mu[chosen]
    moved = np.zeros(len(movers), dtype=bool)
    if kernels.enabled():
        kernels.relocate_in_order(movers, need, f.park, f.land_mu, f.floor_mu, state.closed, state.vacant_mu,
                                   state.factory_space_mu,
                                   np.where(state.closed, 0.0, state.vacant_mu + state.factory_space_mu), moved)
    else:
        # As Python, the same loop runs on the parks' stocks as lists of floats (the same arithmetic as on the
        # arrays, without the cost of array calls on a few values); the stocks are written back at the end.
        closed = state.closed.tolist()
        vacant, factory = state.vacant_mu.tolist(), state.factory_space_mu.tolist()
        available = [0.0 if c else v + s for c, v, s in zip(closed, vacant, factory, strict=True)]
        kernels.relocate_in_order(movers.tolist(), need.tolist(), f.park, f.land_mu, f.floor_mu, closed, vacant,
                                   factory, available, moved)
        if moved.any():
            state.vacant_mu[:] = vacant
            state.factory_space_mu[:] = factory
    model.counts["relocations"] += int(np.count_nonzero(moved))
    return movers[moved]
