"""Entry of service firms: the service half of the all-规上 scope gains firms as well as losing them.

Industrial firms enter through 精准招商 (:mod:`parkabm.model.rules.recruitment`), sited on industrial land; service
firms hold no industrial land and are born in the parks where their sector already is, at a yearly rate per firm.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from parkabm.agents.population import draw_entrant_sizes

if TYPE_CHECKING:
    from parkabm.model.city import ParkModel


def enter_service_firms(model: ParkModel) -> None:
    """Service firms enter each park × service sector cell at a rate per firm alive there.

    Expected entrants of cell c::

        λ_c = m_entry · service_entry_rate · n_c

    with ``n_c`` the firms of the cell alive after this year's exits (规下 included). Sizes are drawn from the
    population's size law (:func:`parkabm.agents.population.draw_entrant_sizes`) with median
    ``entry_size_ratio`` × the population's, truncated to ``[small_firm_floor_yi, entry_max_size_yi]``; their
    attributes are drawn around their sector's values like every firm's. Entrants produce at their size from their
    year of entry (no land, no ramp-up) and count toward 规上 output once at or above the threshold.
    """
    mech = model.mechanisms.entry
    if mech <= 0:
        return
    f = model.firms
    # Rows of the alive service firms, then their cells: gathering by row index is cheaper than by the mask twice.
    service = np.flatnonzero(f.alive & ~f.industrial)
    if service.size == 0:
        return
    par = model.params
    n_cells = model.n_parks * model.n_sectors
    cell_of_firm = f.park.take(service).astype(np.intp)
    cell_of_firm *= model.n_sectors
    cell_of_firm += f.sector.take(service)
    alive = np.bincount(cell_of_firm, minlength=n_cells)
    counts = model.rng.poisson(mech * par["service_entry_rate"] * alive)
    total = int(counts.sum())
    if total == 0:
        return
    cell = np.repeat(np.arange(n_cells), counts)
    size = draw_entrant_sizes(total, model.rng, scale=model.scale, size_ratio=par["entry_size_ratio"],
                              small_floor=par["small_firm_floor_yi"], max_size=par["entry_max_size_yi"])
    park, sector = np.divmod(cell, model.n_sectors)
    park, sector = park.astype(np.int16), sector.astype(np.int16)
    none = np.zeros(total)
    model.add_firms(park, sector, size, none, none, none, rampup_years=1)
    model.counts["service_entries"] += total
