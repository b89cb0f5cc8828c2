"""技术改造 (technical transformation): firms invest when it pays; subsidies lower the cost (docs/ODD.md §7.3)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import ndtr

from parkabm.model import kernels, threads

if TYPE_CHECKING:
    from parkabm.model.city import ParkModel

UPGRADE_MAX_PROBABILITY = 0.9
"""Upper bound of the yearly upgrade probability (a probability cap, not a behavioural assumption)."""

MAX_VALUE_ADDED_RATE = 0.7
"""An upgrade never lifts a firm's value-added rate above this (no industry in sectors.csv is above 0.5)."""

MAX_RD_INTENSITY = 0.3
"""Upgrades and innovation support never lift a firm's R&D intensity above this share of output."""


def upgrade_firms(model: ParkModel) -> None:
    """技术改造: firms invest when the expected return beats a hurdle rate; a subsidy lowers the cost.

    A producing industrial firm has a project with expected yearly return per 元 invested
    ``ρ_i = gain · margin · (v_i / v_sector) / investment_ratio`` (the extra output ``gain × output`` at the margin
    ``upgrade_margin``, scaled by the firm's value-added rate relative to its sector, per 元 of the investment
    ``investment_ratio × output``); the project's realised return is ``ρ_i · ε`` with ``ε`` lognormal of median 1 and
    log-sd ``upgrade_return_sd``. The firm invests if the return beats ``upgrade_hurdle_rate`` on its own share of
    the cost, ``(1 − rate_i)``, which happens with probability
    ``A_i = Φ(ln(ρ_i / (hurdle · (1 − rate_i))) / sd)`` (:func:`investment_acceptance`). Probability::

        p = m_up · propensity · A_i / A_ref · rectification(class) · pressure(utilisation)

    with ``A_ref`` the acceptance of the typical firm without subsidy (so ``propensity`` stays the typical firm's
    rate without subsidy, its calibrated meaning), ``rate_i`` the subsidy rate the firm expects (zero for D-class
    firms and for projects below the investment threshold: 5000万, 2000万 for strategic sectors,
    制造业高质量发展若干意见 (十)),
    reduced by last year's rationing of the manufacturing fund; a higher rate makes more projects clear the hurdle,
    and the subsidy paid follows the projects; ``rectification`` is ``rectification_upgrade_factor_c`` / ``_d`` for
    C and D firms and ``pressure`` is ``capacity_pressure_upgrade_factor`` above ``capacity_pressure_utilisation``.
    An upgrade invests ``investment_ratio × output``, raises land productivity by ``gain``, the value-added rate by
    ``gain/2``, R&D intensity by ``rd_gain_per_upgrade``, cuts electricity and emission intensity, and lifts output
    by ``gain/2``. The subsidy is paid from the fund (rationed if the fund runs short).
    """
    f = model.firms
    par = model.params
    lev = model.levers.funds
    if model.mechanisms.upgrading <= 0:
        return
    # One draw per firm row: paired runs keep each firm's draw. In a large world it is drawn span by span in the
    # background while the screen works on the spans drawn (parkabm.model.threads); the same numbers.
    drawing = threads.Draw(model.rng.random, np.empty(f.n))
    typical = investment_acceptance(par, np.ones(1), np.zeros(1))[0]
    # Rectification by class code (A, B, not evaluated: 1, which leaves a probability unchanged to the bit).
    rectification = np.array([1.0, 1.0, par["rectification_upgrade_factor_c"], par["rectification_upgrade_factor_d"],
                              1.0])
    pressure_factor = par["capacity_pressure_upgrade_factor"]
    # A producing firm whose draw reaches the largest probability any firm can have cannot upgrade: only the
    # others' probabilities are computed (idx: those firms, in row order).
    bound = upgrade_probability_bound(model, typical, rectification)
    idx = upgrade_candidates(model, drawing, bound)
    drawn = drawing.wait()[idx]
    full_rate = lev.tech_upgrade_subsidy_rate * min(model.mechanisms.funds, 1.0)
    rate = full_rate * model.subsidy_ration
    gain = par["upgrade_productivity_gain"]
    if kernels.enabled():
        # In spans of the candidates on several threads in a large world (parkabm.model.threads), then joined.
        n = len(idx)
        investment, eligible, ratio = np.empty(n), np.empty(n, dtype=bool), np.empty(n)
        invested, subsidised = np.empty(n), np.empty(n)

        def upgrade(start: int, stop: int) -> tuple[int, int]:
            part = slice(start, stop)
            kernels.upgrade_terms(idx[part], f.output_yi, f.sector, f.mujun_class, f.value_added_rate,
                                  model.sector_table["value_added_rate"], model.sector_strategic,
                                  par["upgrade_investment_ratio"], model.scale, lev.strategic_min_investment_yi,
                                  lev.tech_upgrade_min_investment_yi, rate,
                                  par["upgrade_productivity_gain"] * par["upgrade_margin"],
                                  par["upgrade_hurdle_rate"], investment[part], eligible[part], ratio[part])
            accept = acceptance_of_ratio(par, ratio[part])
            return kernels.apply_upgrades(
                idx[part], accept, drawn[part], f.mujun_class, rectification,
                model.mechanisms.upgrading * par["upgrade_propensity"], typical, f.land_mu, f.floor_mu,
                f.productivity, f.output_yi, model.price, par["capacity_pressure_utilisation"], pressure_factor,
                UPGRADE_MAX_PROBABILITY, eligible[part], investment[part], 1.0 + gain, 1.0 + gain / 2,
                1.0 + par["rd_gain_per_upgrade"], MAX_VALUE_ADDED_RATE, MAX_RD_INTENSITY, f.value_added_rate,
                f.electricity, f.emission, f.rd_intensity, f.upgrades, invested[part], subsidised[part])

        parts = threads.spans(n)
        ups, subsidies = (list(x) for x in zip(*threads.run_spans(upgrade, n), strict=True))
        n_up = threads.join_found(invested, parts, ups)
        n_subsidised = threads.join_found(subsidised, parts, subsidies)
        model.counts["upgrades"] += n_up
        model.counts["fai_yi"] += invested[:n_up].sum()
        model.counts["subsidised_upgrades"] += n_subsidised
        model.subsidy_demand += rate * subsidised[:n_subsidised].sum()
        model.subsidy_demand_full += full_rate * subsidised[:n_subsidised].sum()
        return
    output = f.output_yi[idx]
    sector = f.sector[idx].astype(np.intp)
    investment = par["upgrade_investment_ratio"] * output
    threshold = np.where(model.sector_strategic[sector], lev.strategic_min_investment_yi,
                         lev.tech_upgrade_min_investment_yi)
    cls = f.mujun_class[idx]
    eligible = (investment * model.scale >= threshold) & (cls != 3)
    relative_margin = f.value_added_rate[idx] / model.sector_table["value_added_rate"][sector]
    accept = investment_acceptance(par, relative_margin, rate * eligible)
    prob = accept  # this call's own array: the factors below apply in place
    prob *= model.mechanisms.upgrading * par["upgrade_propensity"]
    prob /= typical
    prob *= rectification[cls]
    capacity = f.land_mu[idx]
    capacity += f.floor_mu[idx]
    capacity *= f.productivity[idx]
    capacity *= model.price
    capacity *= par["capacity_pressure_utilisation"]
    pressure = output > capacity  # the firms of idx are industrial
    np.multiply(prob, pressure_factor, out=prob, where=pressure)
    np.minimum(prob, UPGRADE_MAX_PROBABILITY, out=prob)
    do = drawn < prob
    up = idx[do]
    f.productivity[up] *= 1.0 + gain
    f.value_added_rate[up] = np.minimum(f.value_added_rate[up] * (1.0 + gain / 2), MAX_VALUE_ADDED_RATE)
    f.electricity[up] /= 1.0 + gain / 2
    f.emission[up] /= 1.0 + gain
    f.rd_intensity[up] = np.minimum(f.rd_intensity[up] * (1.0 + par["rd_gain_per_upgrade"]), MAX_RD_INTENSITY)
    f.output_yi[up] *= 1.0 + gain / 2
    f.upgrades[up] += 1
    model.counts["upgrades"] += len(up)
    model.counts["fai_yi"] += investment[do].sum()
    model.counts["subsidised_upgrades"] += int((do & eligible).sum())
    model.subsidy_demand += rate * investment[do & eligible].sum()
    model.subsidy_demand_full += full_rate * investment[do & eligible].sum()


def upgrade_candidates(model: ParkModel, drawing: threads.Draw, bound: float) -> np.ndarray:
    """Return the producing firms whose draw is below ``bound``, in row order (the only ones that can upgrade).

    Producing: alive, industrial, at full scale and entered before this year; ``drawing`` holds one draw per row (a
    compiled span waits for its own rows' draws only). Compiled (:func:`parkabm.model.kernels.upgrade_candidates`)
    or in NumPy, with the same rows.
    """
    f = model.firms
    if kernels.enabled():
        return threads.find_rows(lambda rows, out: kernels.upgrade_candidates(
            f.alive[rows], f.industrial[rows], f.ramp_left[rows], f.entry_year[rows], model.year,
            drawing.wait(rows.stop)[rows], bound, out), f.n)
    row_draw = drawing.wait()
    producing = np.flatnonzero(f.alive & f.industrial & (f.ramp_left == 0) & (f.entry_year < model.year))
    return producing[row_draw[producing] < bound]


def upgrade_probability_bound(model: ParkModel, typical: float, rectification: np.ndarray) -> float:
    """Return a probability that no firm's upgrade probability this year exceeds.

    It is the probability of a firm that accepts surely (``A_i = 1``) with the largest rectification and pressure
    factors, computed with the same operations as a firm's probability in :func:`upgrade_firms`; the acceptance is
    at most 1 and rounding is monotone, so every firm's probability is at most this value, to the bit.

    Args:
        model: The city model.
        typical: The acceptance of the typical firm without subsidy.
        rectification: The rectification factor of each class code.
    """
    par = model.params
    bound = np.array([model.mechanisms.upgrading * par["upgrade_propensity"]])
    bound /= typical
    bound *= rectification.max()
    bound *= max(par["capacity_pressure_upgrade_factor"], 1.0)
    np.minimum(bound, UPGRADE_MAX_PROBABILITY, out=bound)
    return float(bound[0])


def expected_upgrade_return(par: dict[str, float], relative_margin: np.ndarray) -> np.ndarray:
    """Return the expected yearly return per 元 of a 技术改造 project, ``gain · margin · v_rel / investment_ratio``.

    Args:
        par: The run's behavioural parameters.
        relative_margin: The firm's value-added rate over its sector's (its margin relative to the typical firm).
    """
    return (par["upgrade_productivity_gain"] * par["upgrade_margin"] * relative_margin
            / par["upgrade_investment_ratio"])


def investment_acceptance(par: dict[str, float], relative_margin: np.ndarray, subsidy_rate: np.ndarray) -> np.ndarray:
    """Return the probability that a project's return beats the hurdle on the firm's share of the cost.

    ``Φ(ln(ρ / (hurdle · (1 − s))) / sd)``: the realised return ``ρ · ε`` (``ε`` lognormal, median 1, log-sd
    ``upgrade_return_sd``) exceeds ``upgrade_hurdle_rate × (1 − s)`` when the subsidy pays the share ``s``.

    Args:
        par: The run's behavioural parameters.
        relative_margin: The firm's value-added rate over its sector's.
        subsidy_rate: The subsidy rate the firm expects (0 where it is not eligible).
    """
    rho = expected_upgrade_return(par, relative_margin)
    hurdle = np.subtract(1.0, subsidy_rate)
    hurdle *= par["upgrade_hurdle_rate"]
    rho /= hurdle  # in place from here on: rho is this call's own array (one temporary less per step)
    return acceptance_of_ratio(par, rho)


def acceptance_of_ratio(par: dict[str, float], ratio: np.ndarray) -> np.ndarray:
    """Return ``Φ(ln(ratio) / sd)`` (in place in ``ratio``): the acceptance of a return over its hurdle."""
    np.log(ratio, out=ratio)
    ratio /= par["upgrade_return_sd"]
    return ndtr(ratio, out=ratio)
