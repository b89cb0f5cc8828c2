"""Land: redevelopment of low-efficiency land, its pipeline, standard factories and new land (DESIGN §4.5, §4.6, §4.12).

Land categories of each park add up to its industrial land at all times (see :class:`ParkState`); the city's
industrial land outside the zones changes only through the new-land quota, which moves scattered land into zones
(seed 001 (十) 引导现状零星工业用地向开发区集中; seed 004 keeps the city's total at 300 km²). How firms and projects
take the space these rules supply is :mod:`parkabm.model.rules.space`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from parkabm.agents.parks import Park, ParkState
from parkabm.model.rules.exit import remove_firms

if TYPE_CHECKING:
    from parkabm.model.city import ParkModel

CITY_INDUSTRIAL_LAND_MU = 300 * 1500.0
"""The city's industrial land, 亩: seed 004 (确保全市工业用地总规模保持在300平方公里); 1 km² = 1500 亩."""


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
    cleared: np.ndarray = np.zeros_like(quota)
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
            remove_firms(model, chosen, enforced=True, land_to="pipeline")
    state.pipeline_mu[:, -1] += on_idle
    model.ledger["redevelopment"] += (on_idle.sum() + cleared.sum()) * lev.redevelopment_cost_wan_per_mu / 1e4


def build_standard_factories(model: ParkModel) -> None:
    """标准厂房: build the city's yearly floor target on vacant land, split by quota shares.

    Floor ``F`` m² at plot ratio ``r`` takes ``F / (r · 666.67)`` 亩 of vacant land (at most
    ``factory_land_share_of_vacant`` of it) and offers ``F / (existing_plot_ratio · 666.67)`` 亩 of land-equivalent
    capacity, so a plot ratio above the existing one multiplies the capacity a 亩 of land carries (seed 001 (十)
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
    The city's industrial land is conserved (seed 004): the quota is limited by what remains outside the zones.
    """
    quota = model.levers.land.new_land_quota_mu_per_year * model.mechanisms.land_quota
    quota = min(quota, model.outside_land_mu)
    model.agents_by_type[Park].do("receive_new_land", quota)
    added = quota * model.park_state.quota_share
    model.outside_land_mu = max(model.outside_land_mu - added.sum(), 0.0)
