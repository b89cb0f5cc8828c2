"""Differentiated resource prices and energy-use quotas by 亩均 class (docs/ODD.md §7.11, §7.16).

制造业高质量发展若干意见 (十九) 全面推进"亩均论英雄"改革 … 差别化用地、用能、排放等资源要素配置; DATA-SOURCES
亩均论英雄: differentiated prices for land, power, water and gas (provincial policy 2018) and reduced energy quotas
for C/D. The electricity surcharge stays in :mod:`parkabm.model.rules.evaluation`, which classes the firms; this
module turns the classes into

- the **land, water and gas price differences** of each firm as a cost share of its output
  (:func:`set_resource_costs`), which growth adds to the electricity surcharge (:func:`price_cost_share`);
- the **land released** by firms whose land costs more (:func:`release_unused_land`): a firm that pays more
  城镇土地使用税 per 亩 hands part of the land it does not use back to its park;
- the **energy-use quota** (用能指标, :func:`cap_energy_growth`): the city's yearly increment of energy use is split
  between parks by their 赛马 rank (2022年7月征求意见稿 四.2: land/energy quotas follow the ranking) and within a park
  by class, A first and D none; an energy-intensive firm whose extra energy need exceeds its allotment grows less.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from parkabm.agents.firms import NOT_EVALUATED
from parkabm.agents.parks import MU_PER_M2
from parkabm.model import kernels
from parkabm.model.rules.race import race_factor

if TYPE_CHECKING:
    from parkabm.model.city import ParkModel


YUAN_PER_YI = 1e8
"""元 per 亿元."""

QUOTA_ORDER = (0, 1, 2)
"""Classes served from a park's energy-use quota, in order: A, B, then C (with the firms not evaluated); D gets
none (DATA-SOURCES 亩均论英雄: reduced energy quotas for C/D; D 淘汰关停)."""

BIND_TOLERANCE = 1e-9
"""Relative shortfall of an allotment below which a firm does not count as bound by the quota (rounding)."""


def class_values(a: float, b: float, c: float, d: float) -> np.ndarray:
    """Return a per-class lookup over the class codes (A, B, C, D, not evaluated = 0)."""
    return np.array([a, b, c, d, 0.0])


def set_resource_costs(model: ParkModel, rows: np.ndarray, cls: np.ndarray) -> None:
    """Set each firm's land, water and gas price differences as a cost share of its output (``resource_share``).

    For a firm of class ``k`` with land ``L`` (亩, its own land; standard-factory floor pays rent, not the tax),
    nominal output ``Y`` (亿元) and electricity intensity ``e`` (kWh/万元)::

        share = m_eval · [ t_k · τ · 666.7 · L / (Y · 10⁸)  +  (w_k · ω + g_k · γ) · e / 10⁴ ]

    with ``t_k`` the class's change of the land-use tax (share of the standard rate ``τ``,
    ``land_use_tax_yuan_per_m2``; negative = a reduction), ``w_k`` and ``g_k`` the class's water and gas price
    differences (元/m³), and ``ω``, ``γ`` the water and gas used per kWh of electricity (``water_m3_per_kwh``,
    ``gas_m3_per_kwh``: the firm's resource use scales with its energy intensity). ``m_eval`` is the ``evaluation``
    mechanism. Firms not evaluated pay no difference: their share is 0.

    Args:
        model: The city model.
        rows: The evaluated firms.
        cls: Their class codes (0–3 for A–D).
    """
    f = model.firms
    scale = model.mechanisms.evaluation
    land_per_mu, per_kwh_class = resource_coefficients(model)
    code = np.asarray(cls, dtype=np.intp)  # no copy when the caller passes indices already
    land_yuan = land_per_mu[code]
    land_yuan *= f.land_mu[rows]
    per_kwh = per_kwh_class[code]
    output_yuan = f.output_yi[rows] * YUAN_PER_YI
    # land / output where output > 0, else 0: divided over every row (an unmasked, vectorised loop), then the few
    # rows without output set to 0, as a masked division would leave them.
    with np.errstate(divide="ignore", invalid="ignore"):
        land_share = np.divide(land_yuan, output_yuan, out=land_yuan)
    land_share[np.flatnonzero(~(output_yuan > 0))] = 0.0
    per_kwh *= f.electricity[rows]
    per_kwh /= 1e4
    land_share += per_kwh
    model.resource_share = f.new_column()
    np.multiply(scale, land_share, out=land_share)  # scale · (land share + per_kwh · e / 10⁴)
    model.resource_share[rows] = land_share


def resource_coefficients(model: ParkModel) -> tuple[np.ndarray, np.ndarray]:
    """Return, per class code, the land-use tax change per 亩 (元) and the water and gas price differences per kWh.

    The per-class part of :func:`set_resource_costs`: ``t_k · τ / (m² per 亩)`` and ``w_k · ω + g_k · γ``.
    """
    lev = model.levers.evaluation
    par = model.params
    t = lev.land_tax_change
    w = lev.water_surcharge_yuan_per_m3
    g = lev.gas_surcharge_yuan_per_m3
    land_per_mu = class_values(t.a, t.b, t.c, t.d) * par["land_use_tax_yuan_per_m2"] / MU_PER_M2
    per_kwh_class = (class_values(w.a, w.b, w.c, w.d) * par["water_m3_per_kwh"]
                     + class_values(g.a, g.b, g.c, g.d) * par["gas_m3_per_kwh"])
    return land_per_mu, per_kwh_class


def price_cost_share(model: ParkModel, idx: np.ndarray) -> np.ndarray:
    """Return the cost share of output of all 亩均 price differences of firms ``idx``: electricity, land, water, gas.

    Growth subtracts ``surcharge_pass_through`` times this. Firms added since the evaluation (this year's projects)
    pay no difference yet.
    """
    share = model.surcharge_share[idx]
    resource = model.resource_share
    if len(idx) == 0 or idx.max() < len(resource):
        share += resource[idx]
    else:
        known = idx < len(resource)
        share[known] += resource[idx[known]]
    return share


def release_unused_land(model: ParkModel) -> None:
    """Firms whose land-use tax rose hand part of their unused land back to their park's vacant land.

    A producing industrial firm with land-tax change ``t_k > 0`` (its class's, :func:`set_resource_costs`) releases
    ``min(1, ρ · t_k)`` of the land it does not use, ``L · max(0, 1 − u)`` with utilisation ``u`` = real output /
    (space × land productivity), and never more land than it holds (ρ ``land_release_response``, scaled by the
    ``evaluation`` mechanism). The land becomes vacant land of its park, available to other firms and projects
    (差别化用地 pushes idle land held by weak firms back onto the market). Runs from the second evaluation on.
    """
    f = model.firms
    if model.year <= model.base_year or model.mechanisms.evaluation <= 0:
        return
    t = model.levers.evaluation.land_tax_change
    # The release rate of each class (the same arithmetic on the five class values), then one lookup per firm.
    class_rate = np.minimum(model.params["land_release_response"] * min(model.mechanisms.evaluation, 1.0)
                            * np.maximum(class_values(t.a, t.b, t.c, t.d), 0.0), 1.0)
    if not (class_rate > 0).any():
        return
    if kernels.enabled():
        released_by_park = np.zeros(model.n_parks)
        if kernels.release_land(f.mujun_class, class_rate, f.alive, f.industrial, f.ramp_left, f.land_mu, f.floor_mu,
                                f.productivity, f.output_yi, model.price, released_by_park, f.park):
            model.park_state.vacant_mu += released_by_park
        return
    rate = class_rate[f.mujun_class.astype(np.intp)]
    eligible = f.alive & f.industrial & (f.ramp_left == 0) & (rate > 0) & (f.land_mu > 0)
    idx = np.flatnonzero(eligible)
    if len(idx) == 0:
        return
    space = f.land_mu[idx] + f.floor_mu[idx]
    capacity = space * f.productivity[idx]
    real = f.output_yi[idx] / model.price
    unused = np.clip(1.0 - np.divide(real, capacity, out=np.ones(len(idx)), where=capacity > 0), 0.0, 1.0)
    released = np.minimum(rate[idx] * unused * space, f.land_mu[idx])
    f.land_mu[idx] -= released
    model.park_state.vacant_mu += np.bincount(f.park[idx], weights=released, minlength=model.n_parks)


def energy_intensive(model: ParkModel, idx: np.ndarray) -> np.ndarray:
    """Return which of firms ``idx`` need 用能指标 to grow: industrial firms with electricity intensity ≥ threshold."""
    threshold = model.levers.evaluation.energy_quota.energy_intensive_kwh_per_wan
    f = model.firms
    return f.industrial[idx] & (f.electricity[idx] >= threshold)


def park_energy_quota(model: ParkModel, energy: np.ndarray, park: np.ndarray) -> np.ndarray:
    """Return each park's energy-use increment this year (万元 × kWh/万元).

    The city's increment is ``increment_share`` of last year's energy use of its energy-intensive firms,
    ``Q = s · Σ_i E_i``; park ``p`` gets ``Q · E_p r_p / Σ_q E_q r_q`` with ``E_p`` its energy-intensive firms' use
    and ``r_p`` its 赛马 multiplier (:func:`parkabm.model.rules.race.race_factor`: 1 for every park without the
    race, above 1 for high-ranked parks, 0 for downgraded ones).

    Args:
        model: The city model.
        energy: Last year's energy use of each energy-intensive firm.
        park: Park index of each of them.
    """
    return park_energy_quota_of_use(model, np.bincount(park, weights=energy, minlength=model.n_parks))


def park_energy_quota_of_use(model: ParkModel, use: np.ndarray) -> np.ndarray:
    """:func:`park_energy_quota` from the energy-intensive firms' use already summed by park."""
    share = model.levers.evaluation.energy_quota.increment_share
    weighted = use * race_factor(model)
    total = weighted.sum()
    if total <= 0:
        return np.zeros(model.n_parks)
    return share * use.sum() * weighted / total


def cap_energy_growth(model: ParkModel, idx: np.ndarray, real: np.ndarray, desired: np.ndarray) -> np.ndarray:
    """用能指标: cap the desired output of energy-intensive firms at what their park's quota lets them use.

    An energy-intensive firm (:func:`energy_intensive`) that wants to grow needs ``(desired − real) · e`` more energy
    (``e`` its electricity intensity). Each park's increment (:func:`park_energy_quota`) goes to classes A, B, then
    C and the firms not evaluated (:data:`QUOTA_ORDER`); within a class, pro rata to the requests; D-class firms
    get none. A firm granted less than it asked for grows by ``grant / e``. Firms that shrink need no quota and
    free none. The ``energy_quota`` mechanism scales the cut (0 = off). Sets ``energy_quota_bound`` (firms capped),
    ``energy_quota_requested`` and ``energy_quota_granted`` (per park).

    Args:
        model: The city model.
        idx: The growing firms.
        real: Their output last year, real (亿元).
        desired: Their desired real output this year (亿元).

    Returns:
        The desired output after the quota (``desired``, capped in place).
    """
    m = model.mechanisms.energy_quota
    model.energy_quota_bound = 0
    model.energy_quota_granted = np.zeros(model.n_parks)
    model.energy_quota_requested = np.zeros(model.n_parks)
    if m <= 0 or len(idx) == 0:
        return desired
    f = model.firms
    if kernels.enabled():
        return _cap_energy_compiled(model, idx, real, desired, m)
    heavy = np.flatnonzero(energy_intensive(model, idx))  # positions in idx
    if len(heavy) == 0:
        return desired
    rows = idx[heavy]
    e = f.electricity[rows]
    park = f.park[rows].astype(np.int64)
    real_h, desired_h = real[heavy], desired[heavy]
    quota = park_energy_quota(model, real_h * 1e4 * e, park)
    need = np.maximum(desired_h - real_h, 0.0)
    need *= 1e4
    need *= e
    cls = f.mujun_class[rows].astype(np.int64)
    cls[cls == NOT_EVALUATED] = 2
    # The requests of every (class, park) cell in one pass: a cell's sum runs over its firms in row order, as a
    # pass per class would. Classes are then served in QUOTA_ORDER from what each park has left; D gets nothing.
    n_parks = model.n_parks
    cell = cls * n_parks
    cell += park
    asked = np.bincount(cell, weights=need, minlength=(NOT_EVALUATED + 1) * n_parks).reshape(-1, n_parks)
    ratio = served_shares(asked, quota)
    grant = ratio.ravel()[cell]
    grant *= need
    shortfall = need - grant
    cut = shortfall * m
    cut /= 1e4 * e
    bound = shortfall > BIND_TOLERANCE * np.maximum(need, 1e-12)
    desired[heavy] = np.maximum(desired_h - cut, np.minimum(real_h, desired_h))
    model.energy_quota_bound = int(np.count_nonzero(bound))
    model.energy_quota_requested = np.bincount(park, weights=need, minlength=n_parks)
    model.energy_quota_granted = np.bincount(park, weights=grant, minlength=n_parks)
    return desired


def _cap_energy_compiled(model: ParkModel, idx: np.ndarray, real: np.ndarray, desired: np.ndarray,
                         m: float) -> np.ndarray:
    """:func:`cap_energy_growth` in two compiled passes around the per-park and per-class arithmetic (same numbers)."""
    f = model.firms
    n_parks = model.n_parks
    n = len(idx)
    heavy, need, cell = np.empty(n, dtype=np.intp), np.empty(n), np.empty(n, dtype=np.intp)
    use = np.zeros(n_parks)
    asked_flat = np.zeros((NOT_EVALUATED + 1) * n_parks)
    found = kernels.energy_requests(idx, f.industrial, f.electricity,
                                    model.levers.evaluation.energy_quota.energy_intensive_kwh_per_wan, f.park,
                                    f.mujun_class, NOT_EVALUATED, n_parks, real, desired, heavy, need, cell, use,
                                    asked_flat)
    if found == 0:
        return desired
    quota = park_energy_quota_of_use(model, use)
    asked = asked_flat.reshape(-1, n_parks)
    ratio = served_shares(asked, quota)
    requested, granted = np.zeros(n_parks), np.zeros(n_parks)
    model.energy_quota_bound = kernels.apply_energy_quota(idx, heavy[:found], need[:found], cell[:found],
                                                          ratio.ravel(), m, BIND_TOLERANCE, f.electricity, f.park,
                                                          real, desired, requested, granted)
    model.energy_quota_requested = requested
    model.energy_quota_granted = granted
    return desired


def served_shares(asked: np.ndarray, quota: np.ndarray) -> np.ndarray:
    """Return the share of its request each (class, park) cell is granted: classes served in :data:`QUOTA_ORDER`.

    Args:
        asked: Requests by class code (rows) and park (columns).
        quota: Each park's increment.
    """
    ratio = np.zeros_like(asked)
    left = quota.copy()
    for code in QUOTA_ORDER:
        served = np.minimum(asked[code], left)
        np.divide(served, asked[code], out=ratio[code], where=asked[code] > 0)
        left -= served
    return ratio
