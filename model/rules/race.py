"""赛马 (the parks' race): rank parks each year and set their shares of the land and fund quotas (docs/ODD.md §7.12).

2022年7月征求意见稿 四.2 says funds and land/energy quotas follow the ranking; 嘉兴万亩千亿实施意见 三.(三) downgrades
parks ranked last
for years running.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from parkabm.model.city import ParkModel


def rank_parks(model: ParkModel) -> None:
    """赛马: rank parks on last year's growth, 亩均税收 and leading-industry share, and set this year's quota shares.

    Each park's rank score is the mean of its three ranks; shares are pro rata to industrial land ("equal
    treatment") blended with a rank-weighted allocation by the race weight: under full weight the best-ranked
    park's quota per 亩 is (1 + ``race_spread``) and the worst's (1 − ``race_spread``) times the average. Parks
    ranked last ``downgrade_after_years`` years running are downgraded (嘉兴万亩千亿实施意见 三.(三)) and get no quotas
    from
    then on.
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
    weight = 1.0 + model.params["race_spread"] * (1.0 - 2.0 * position / max(p - 1, 1))
    land = state.industrial_land_mu * ~state.downgraded
    share = (1.0 - w) * land / land.sum() + w * land * weight / (land * weight).sum()
    state.quota_share[:] = share


def race_factor(model: ParkModel) -> np.ndarray:
    """Return each park's 赛马 multiplier of its quota per unit of claim: ``(1 − w) + w · k_p``, 0 if downgraded.

    ``k_p = 1 + race_spread · (1 − 2 rank_p / (P − 1))`` (the best-ranked park 1 + spread, the worst 1 − spread)
    and ``w = levers.race.weight × m_race`` (at most 1). The redevelopment quota, claimed in proportion to
    low-efficiency land, is weighted by it (:func:`parkabm.model.rules.land.redevelopment_quota`).
    """
    state = model.park_state
    w = min(model.levers.race.weight * model.mechanisms.race, 1.0)
    p = model.n_parks
    k = 1.0 + model.params["race_spread"] * (1.0 - 2.0 * state.rank / max(p - 1, 1))
    return ((1.0 - w) + w * k) * ~state.downgraded
