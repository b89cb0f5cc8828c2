"""赛马 (the parks' race) and 进/退/聚: rank parks, set their quota shares, merge the weak (docs/ODD.md §7.12, §7.15).

2022年7月征求意见稿 四.2 says funds and land/energy quotas follow the ranking; 嘉兴万亩千亿实施意见 gives 万亩千亿
platforms priority (二(三)三), supports the six best-ranked platforms (三(三)) and merges (撤消、调整或归并) platforms
that stay weak for years (三(三)). The 嘉兴 clauses are levers that are off in the Hangzhou baseline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from parkabm.agents.parks import ParkState

if TYPE_CHECKING:
    from parkabm.model.city import ParkModel


def _flag(column: pd.Series) -> np.ndarray:
    return column.astype(str).str.lower().isin(["true", "1", "yes"]).to_numpy()


def mark_platforms(model: ParkModel) -> None:
    """Set the 万亩千亿 and 退出型 flags of the parks and each park's receiving platform, once, at the base year.

    万亩千亿 platforms: parks.csv ``wanmu_qianyi_platform``, overridden by ``levers.parks.<id>.wanmu_platform``.
    退出型 parks: parks.csv ``exit_type`` or ``levers.parks.<id>.exit_type``, plus the
    ``levers.platforms.exit_weakest`` parks with the lowest base-year 亩均税收 that are not 万亩千亿 platforms.
    Receivers: :func:`assign_receivers`. Reads the base-year tally, so it runs after the base year is recorded.
    """
    state = model.park_state
    listed_wanmu, listed_exit, districts = park_flags(model.world.parks, model.park_ids)
    wanmu, exit_type = listed_wanmu.copy(), listed_exit.copy()
    for pid, override in model.levers.parks.items():
        p = model.park_ids.index(pid)
        if override.wanmu_platform is not None:
            wanmu[p] = override.wanmu_platform
        if override.exit_type is not None:
            exit_type[p] = override.exit_type
    k = model.levers.platforms.exit_weakest
    if k > 0:
        tax = np.where(wanmu, np.inf, model.last_tally.park_tax_per_mu)
        exit_type[np.argsort(tax, kind="stable")[:k]] = True
    state.wanmu_platform[:] = wanmu & ~exit_type
    state.exit_type[:] = exit_type
    state.receiver[:] = assign_receivers(state, districts, model.lead_mask)


_PARK_FLAGS: dict[int, tuple[pd.DataFrame, tuple[str, ...], tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}


def park_flags(parks: pd.DataFrame, park_ids: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return parks.csv's 万亩千亿 and 退出型 flags and districts of ``park_ids``, read once per parks table.

    Every run of a batch shares the world's parks table; reading the flags through pandas at each run's set-up
    costs more than the rest of :func:`mark_platforms`, so they are kept per table object (callers copy what
    they change).
    """
    key = id(parks)
    cached = _PARK_FLAGS.get(key)
    if cached is not None and cached[0] is parks and cached[1] == tuple(park_ids):
        return cached[2]
    rows = parks.loc[park_ids]
    n = len(park_ids)
    flags = (
        _flag(rows["wanmu_qianyi_platform"]) if "wanmu_qianyi_platform" in rows else np.zeros(n, bool),
        _flag(rows["exit_type"]) if "exit_type" in rows else np.zeros(n, bool),
        rows["district_zh"].astype(str).to_numpy() if "district_zh" in rows else np.zeros(n),
    )
    _PARK_FLAGS[key] = (parks, tuple(park_ids), flags)
    return flags


def assign_receivers(state: ParkState, districts: np.ndarray, lead_mask: np.ndarray) -> np.ndarray:
    """Return the receiving park of every park: the neighbouring major platform (区位相临、产业相近的重大平台).

    Candidates are the major platforms (万亩千亿 platforms and provincial strategic-platform candidates) that are
    not 退出型, other than the park itself; with none, every other park that is not 退出型. The candidate with the
    highest ``4 · same district + 2 · shares a leading industry + 1 · 万亩千亿`` wins, ties to the most industrial
    land (嘉兴万亩千亿实施意见 二(二)三: 由区位相临、产业相近的重大平台统筹落实腾退任务).

    Args:
        state: The parks' :class:`parkabm.agents.parks.ParkState` (flags and land).
        districts: District of each park.
        lead_mask: Leading industries, parks × sectors.

    Returns:
        Receiver index per park (-1 when no other park qualifies).
    """
    wanmu, exit_type = state.wanmu_platform, state.exit_type
    major = (wanmu | state.strategic_candidate) & ~exit_type
    land = state.industrial_land_mu
    p = len(land)
    # Every park's candidates and scores at once, one row per park (the same arithmetic as park by park).
    others = ~np.eye(p, dtype=bool)
    pool = major[None, :] & others
    none_major = ~pool.any(axis=1)
    pool[none_major] = ~exit_type[None, :] & others[none_major]
    lead = lead_mask.astype(np.int64)
    shares_leading = (lead @ lead.T) > 0
    score = (4.0 * (districts[:, None] == districts[None, :]) + 2.0 * shares_leading
             + 1.0 * wanmu[None, :] + (land / (land.max() + 1.0))[None, :])
    out = np.argmax(np.where(pool, score, -np.inf), axis=1).astype(np.int64)
    out[~pool.any(axis=1)] = -1
    return out


def _open_receiver(state: ParkState, p: int) -> int:
    """Follow the receivers from park ``p`` to the first park that is not closed (-1 if there is none)."""
    receiver, closed = state.receiver, state.closed
    q = int(receiver[p])
    for _ in range(len(receiver)):
        if q < 0 or not closed[q]:
            return q
        q = int(receiver[q])
    return -1


def rank_parks(model: ParkModel) -> None:
    """赛马: rank parks on last year's growth, 亩均税收 and leading-industry share, and set this year's quota shares.

    Each park's rank score is the mean of its three ranks. The claim of an open park (not merged, not 退出型) is its
    industrial land plus that of the parks merged into it; shares are pro rata to claims ("equal treatment")
    blended with a rank-weighted allocation by the race weight: under full weight the best-ranked park's quota per
    亩 is (1 + ``race_spread``) and the worst's (1 − ``race_spread``) times the average. The shares of the
    ``top_count`` best-ranked open parks are multiplied by ``1 + top_bonus`` and all shares renormalised
    (嘉兴万亩千亿实施意见 三(三) 前6名 重点支持). Then ``wanmu_priority`` of the quotas goes to the open
    万亩千亿 platforms, pro rata to their land, before the rest is split as above (二(三)三
    统筹指标主要配置重大平台). 退出型 parks get nothing (一律不再配置工业用地增量指标).

    An open park ranked in the last ``downgrade_bottom_positions`` positions among the open parks
    ``downgrade_after_years`` years running is merged (嘉兴万亩千亿实施意见 三(三) 撤消、调整或归并): from then
    on it gets no quota and recruits no projects, and its claim goes to its receiving park
    (:func:`assign_receivers`).
    """
    state = model.park_state
    lev = model.levers.race
    plat = model.levers.platforms
    w = min(lev.weight * model.mechanisms.race, 1.0)
    p = model.n_parks
    tally = model.last_tally
    metrics = np.array([tally.park_growth, tally.park_tax_per_mu, tally.park_leading_share])
    # The sum of the three ranks orders the parks as their mean does (three times it, exactly, in integers).
    ranks = np.argsort(np.argsort(-metrics, axis=1, kind="stable"), axis=1, kind="stable").sum(axis=0)
    position = np.argsort(np.argsort(ranks, kind="stable"), kind="stable")
    state.rank[:] = position
    open_before = ~state.closed
    among_open = np.argsort(np.argsort(np.where(open_before, position, p), kind="stable"), kind="stable")
    weak = open_before & (among_open >= open_before.sum() - lev.downgrade_bottom_positions)
    state.bottom_years[:] = np.where(weak, state.bottom_years + 1, 0)
    if lev.downgrade_after_years > 0 and model.mechanisms.race > 0:
        state.downgraded |= (state.bottom_years >= lev.downgrade_after_years) & ~state.exit_type
    closed = state.closed
    land = state.industrial_land_mu * ~closed
    for q in np.flatnonzero(state.downgraded & ~state.exit_type):
        r = _open_receiver(state, int(q))
        if r >= 0:
            land[r] += state.industrial_land_mu[q]
    weight = 1.0 + model.params["race_spread"] * (1.0 - 2.0 * position / max(p - 1, 1))
    share = (1.0 - w) * land / land.sum() + w * land * weight / (land * weight).sum()
    if _has_top_bonus(model):
        share = share * _top_bonus(model, position, closed)
    share = share / share.sum()
    platforms = state.wanmu_platform & ~closed
    pi = plat.wanmu_priority
    if pi > 0 and platforms.any():
        platform_land = state.industrial_land_mu * platforms
        share = (1.0 - pi) * share + pi * platform_land / platform_land.sum()
    state.quota_share[:] = share


def _has_top_bonus(model: ParkModel) -> bool:
    """Whether some parks get a top bonus (without one, :func:`_top_bonus` is 1 everywhere and is not applied)."""
    plat = model.levers.platforms
    return plat.top_count > 0 and plat.top_bonus > 0


def _top_bonus(model: ParkModel, position: np.ndarray, closed: np.ndarray) -> np.ndarray:
    """Return ``1 + top_bonus`` for the ``top_count`` best-ranked open parks and 1 for the others."""
    plat = model.levers.platforms
    bonus = np.ones(model.n_parks)
    if _has_top_bonus(model):
        order = np.argsort(np.where(closed, np.inf, position), kind="stable")
        top = order[: plat.top_count]
        bonus[top[~closed[top]]] += plat.top_bonus
    return bonus


def race_factor(model: ParkModel) -> np.ndarray:
    """Return each park's 赛马 multiplier of its quota per unit of claim: ``((1 − w) + w · k_p) · b_p``, 0 if closed.

    ``k_p = 1 + race_spread · (1 − 2 rank_p / (P − 1))`` (the best-ranked park 1 + spread, the worst 1 − spread),
    ``w = levers.race.weight × m_race`` (at most 1) and ``b_p = 1 + top_bonus`` for the ``top_count`` best-ranked
    open parks (1 otherwise). Merged and 退出型 parks get 0. The redevelopment quota, claimed in proportion to
    low-efficiency land, is weighted by it (:func:`parkabm.model.rules.land.redevelopment_quota`).
    """
    state = model.park_state
    w = min(model.levers.race.weight * model.mechanisms.race, 1.0)
    p = model.n_parks
    k = 1.0 + model.params["race_spread"] * (1.0 - 2.0 * state.rank / max(p - 1, 1))
    closed = state.closed
    factor = (1.0 - w) + w * k
    if _has_top_bonus(model):
        factor = factor * _top_bonus(model, state.rank, closed)
    return factor * ~closed
