"""Exit of firms: a base hazard, output decline, and enforcement on overdue D-class firms (DESIGN §4.4).

Enforcement (腾笼换鸟, 低散乱整治, 淘汰落后产能) applies to D-class firms past their rectification deadline, more
strongly when the city compensates exits (seed 004: up to 30% of what the district pays).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    from parkabm.model.city import ParkModel


def exit_firms(model: ParkModel) -> None:
    """Exit: a base hazard, raised by output decline and by enforcement on overdue D-class firms.

    ``h = m_exit · h0 · [1 + loss · max(0, −g) + e · (d − 1) · (1 + c) · 1(D, overdue)]``. Land of exiting firms
    becomes idle low-efficiency land in their park; that of enforced exits enters their park's redevelopment
    pipeline (腾笼换鸟: cleared, compensated and re-serviced, delivered after the redevelopment lag).
    """
    f = model.firms
    par = model.params
    lev = model.levers
    if model.mechanisms.exit <= 0:
        return
    idx = np.flatnonzero(f.alive & (f.entry_year < model.year))
    h0 = par["exit_base_hazard"]
    hazard = 1.0 + par["exit_loss_sensitivity"] * np.maximum(0.0, -f.last_growth[idx])
    overdue = (f.mujun_class[idx] == 3) & (f.years_in_d[idx] > lev.evaluation.rectification_years)
    enforcement = lev.evaluation.enforcement * min(model.mechanisms.evaluation, 1.0)
    compensation = lev.funds.phaseout_compensation_share * min(model.mechanisms.funds, 1.0)
    hazard += overdue * enforcement * (par["exit_d_multiplier"] - 1.0) * (1.0 + compensation)
    hazard *= model.mechanisms.exit * h0
    leave = model.rng.random(len(idx)) < hazard
    enforced = leave & overdue & (enforcement > 0)
    remove_firms(model, idx[leave & ~enforced], enforced=False, land_to="idle")
    # 腾笼换鸟: the land of enforced exits is cleared for redevelopment in their park (idle if redevelopment is off).
    land_to: Literal["idle", "pipeline"] = "pipeline" if model.mechanisms.redevelopment > 0 else "idle"
    remove_firms(model, idx[enforced], enforced=True, land_to=land_to)


def remove_firms(model: ParkModel, idx: np.ndarray, *, enforced: bool, land_to: Literal["idle", "pipeline"]) -> None:
    """Mark firms as exited and return their space to their parks.

    An enforced exit costs the city ``phaseout_compensation_share`` of the district's compensation,
    ``phaseout_compensation_wan_per_mu`` per 亩 of the firm's land (seed 004). Land sent to the pipeline costs
    ``redevelopment_cost_wan_per_mu`` per 亩 (it is redeveloped like idle land).

    Args:
        model: The city model.
        idx: Rows of the exiting firms.
        enforced: Exit under 亩均 enforcement or 腾笼换鸟; the city pays its share of compensation.
        land_to: ``idle`` (land becomes low-efficiency land awaiting 整治) or ``pipeline`` (cleared for
            redevelopment this year).
    """
    if len(idx) == 0:
        return
    f = model.firms
    state = model.park_state
    land_by_park = np.bincount(f.park[idx], weights=f.land_mu[idx], minlength=model.n_parks)
    if land_to == "pipeline":
        state.pipeline_mu[:, -1] += land_by_park
        model.ledger["redevelopment"] += land_by_park.sum() * model.levers.land.redevelopment_cost_wan_per_mu / 1e4
    else:
        state.idle_mu += land_by_park
    state.factory_space_mu += np.bincount(f.park[idx], weights=f.floor_mu[idx], minlength=model.n_parks)
    if enforced:
        share = model.levers.funds.phaseout_compensation_share * min(model.mechanisms.funds, 1.0)
        per_mu = model.params["phaseout_compensation_wan_per_mu"]
        model.ledger["phaseout_compensation"] += share * per_mu * land_by_park.sum() / 1e4
        model.counts["enforced_exits"] += len(idx)
    f.alive[idx] = False
    f.exit_year[idx] = model.year
    f.output_yi[idx] = 0.0
    f.land_mu[idx] = 0.0
    f.floor_mu[idx] = 0.0
    model.counts["exits"] += len(idx)
