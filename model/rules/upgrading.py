"""技术改造 (technical transformation): firms invest when it pays; subsidies lower the cost (DESIGN §4.3, seed 004)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from parkabm.model.city import ParkModel

UPGRADE_MAX_PROBABILITY = 0.9
"""Upper bound of the yearly upgrade probability (a probability cap, not a behavioural assumption)."""

MAX_VALUE_ADDED_RATE = 0.7
"""An upgrade never lifts a firm's value-added rate above this (no industry in sectors.csv is above 0.5)."""

MAX_RD_INTENSITY = 0.3
"""Upgrades and innovation support never lift a firm's R&D intensity above this share of output."""


def upgrade_firms(model: ParkModel) -> None:
    """技术改造: firms invest when it pays; subsidies lower the cost, so more firms invest.

    Probability for a producing industrial firm::

        p = m_up · propensity · (1 + elasticity · rate_i) · rectification(class) · pressure(utilisation)

    where ``rate_i`` is the subsidy rate the firm expects (zero for D-class firms and for projects below the
    investment threshold: 5000万, 2000万 for strategic sectors, seed 004), reduced by last year's rationing of the
    manufacturing fund; ``rectification`` is ``rectification_upgrade_factor_c`` / ``_d`` for C and D firms and
    ``pressure`` is ``capacity_pressure_upgrade_factor`` above ``capacity_pressure_utilisation``. An upgrade invests
    ``investment_ratio × output``, raises land productivity by ``gain``, the value-added rate by ``gain/2``, R&D
    intensity by ``rd_gain_per_upgrade``, cuts electricity and emission intensity, and lifts output by ``gain/2``.
    The subsidy is paid from the fund (rationed if the fund runs short).
    """
    f = model.firms
    par = model.params
    lev = model.levers.funds
    if model.mechanisms.upgrading <= 0:
        return
    idx = np.flatnonzero(f.alive & f.industrial & (f.ramp_left == 0) & (f.entry_year < model.year))
    output = f.output_yi[idx]
    investment = par["upgrade_investment_ratio"] * output
    threshold = np.where(model.sector_strategic[f.sector[idx]], lev.strategic_min_investment_yi,
                         lev.tech_upgrade_min_investment_yi)
    cls = f.mujun_class[idx]
    eligible = (investment * model.scale >= threshold) & (cls != 3)
    full_rate = lev.tech_upgrade_subsidy_rate * min(model.mechanisms.funds, 1.0)
    rate = full_rate * model.subsidy_ration
    prob = model.mechanisms.upgrading * par["upgrade_propensity"] * (
        1.0 + par["upgrade_subsidy_elasticity"] * rate * eligible)
    for code, factor in ((2, par["rectification_upgrade_factor_c"]), (3, par["rectification_upgrade_factor_d"])):
        prob[cls == code] *= factor
    capacity = f.space_mu[idx] * f.productivity[idx] * model.price
    pressure = f.industrial[idx] & (output > par["capacity_pressure_utilisation"] * capacity)
    prob[pressure] *= par["capacity_pressure_upgrade_factor"]
    np.minimum(prob, UPGRADE_MAX_PROBABILITY, out=prob)
    do = model.rng.random(len(idx)) < prob
    up = idx[do]
    gain = par["upgrade_productivity_gain"]
    f.productivity[up] *= 1.0 + gain
    f.value_added_rate[up] = np.minimum(f.value_added_rate[up] * (1.0 + gain / 2), MAX_VALUE_ADDED_RATE)
    f.electricity[up] /= 1.0 + gain / 2
    f.emission[up] /= 1.0 + gain
    f.rd_intensity[up] = np.minimum(f.rd_intensity[up] * (1.0 + par["rd_gain_per_upgrade"]), MAX_RD_INTENSITY)
    f.output_yi[up] *= 1.0 + gain / 2
    f.upgrades[up] += 1
    model.counts["upgrades"] += len(up)
    model.counts["fai_yi"] += investment[do].sum()
    model.subsidy_demand += rate * investment[do & eligible].sum()
    model.subsidy_demand_full += full_rate * investment[do & eligible].sum()
