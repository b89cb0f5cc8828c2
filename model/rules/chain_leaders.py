"""链主 (chain leaders): the firms that anchor their park's leading industries (docs/ODD.md §7.9).

Threshold: 20亿 in the July 2022 draft (2022年7月征求意见稿 三.1), 50亿 in the May 2022 draft (2022年5月公开征求意见稿).
Leaders get the
service boost of :func:`parkabm.model.rules.growth.grow_firms`, pull same-sector firms of their park (spillover) and
pull recruitment toward their sector (以企招企, :mod:`parkabm.model.rules.recruitment`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from parkabm.model import kernels

if TYPE_CHECKING:
    from parkabm.model.city import ParkModel


def chain_leaders(model: ParkModel) -> None:
    """链主: mark firms at or above the threshold in their park's leading industries and where they are present.

    Sets ``model.leader`` (per firm) and ``model.has_leader`` (parks × sectors).
    """
    f = model.firms
    s = model.n_sectors
    if kernels.enabled():
        model.leader = f.new_column(bool)  # spare rows behind it: this year's entrants extend it without a copy
        has_leader = np.zeros(model.n_parks * s, dtype=bool)
        threshold = model.levers.chain_leaders.threshold_yi
        kernels.mark_leaders(f.alive, f.output_yi, model.price, model.scale, threshold,
                             kernels.below_for_sure(threshold, model.price, model.scale), f.park, f.sector, s,
                             model.lead_mask.ravel(), model.leader, has_leader)
        model.has_leader = has_leader.reshape(model.n_parks, s)
        return
    real = f.output_yi / model.price
    real *= model.scale
    leader = f.new_column(bool)  # spare rows behind it: this year's entrants extend it without a copy
    np.greater_equal(real, model.levers.chain_leaders.threshold_yi, out=leader)
    leader &= f.alive
    # The firms at the threshold are few: only their cells are looked up in the parks' leading industries.
    big = np.flatnonzero(leader)
    cell = cell_index(model, f.park[big], f.sector[big])
    leading = model.lead_mask.ravel().take(cell)
    leader[big[~leading]] = False
    model.leader = leader
    cells = np.bincount(cell[leading], minlength=model.n_parks * s)
    model.has_leader = cells.reshape(model.n_parks, s) > 0


_CELL_INDEX_INT16_MAX = int(np.iinfo(np.int16).max)


def cell_index(model: ParkModel, park: np.ndarray, sector: np.ndarray) -> np.ndarray:
    """Return the flat index ``park · n_sectors + sector`` into a parks × sectors table (such as ``lead_mask``).

    In the firms' own 16-bit integers when every cell index fits in them (half the memory traffic of a cast to
    ``intp`` on a million firms; wider integer inputs widen the result), in ``intp`` otherwise.
    """
    s = model.n_sectors
    if model.n_parks * s <= _CELL_INDEX_INT16_MAX:
        return park * np.int16(s) + sector
    return park.astype(np.intp) * s + sector
