"""链主 (chain leaders): the firms that anchor their park's leading industries (docs/ODD.md §7.9).

Threshold: 20亿 in the July 2022 draft (2022年7月征求意见稿 三.1), 50亿 in the May 2022 draft (2022年5月公开征求意见稿).
Leaders get the
service boost of :func:`parkabm.model.rules.growth.grow_firms`, pull same-sector firms of their park (spillover) and
pull recruitment toward their sector (以企招企, :mod:`parkabm.model.rules.recruitment`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from parkabm.model.city import ParkModel


def chain_leaders(model: ParkModel) -> None:
    """链主: mark firms at or above the threshold in their park's leading industries and where they are present.

    Sets ``model.leader`` (per firm) and ``model.has_leader`` (parks × sectors).
    """
    f = model.firms
    real = f.output_yi / model.price
    s = model.n_sectors
    cell = f.park.astype(np.intp) * s + f.sector
    leader = f.new_column(bool)  # spare rows behind it: this year's entrants extend it without a copy
    np.logical_and(f.alive, real * model.scale >= model.levers.chain_leaders.threshold_yi, out=leader)
    leader &= model.lead_mask.ravel()[cell]
    model.leader = leader
    cells = np.bincount(cell[leader], minlength=model.n_parks * s)
    model.has_leader = cells.reshape(model.n_parks, s) > 0
