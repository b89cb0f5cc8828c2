"""Differentiated resource prices, energy-use quotas and per-rule random streams (docs/ODD.md §7.11, §7.16, §7.17).

Direction tests pair runs with common random numbers (same seed, same parameters, one lever changed) on a small world
and require the 95% t interval of the paired differences to exclude zero.
"""

import numpy as np
import pytest
from model_fixtures import run_model, scenario_with
from scipy import stats

from parkabm.model.city import ParkModel
from parkabm.model.rules import resources
from parkabm.model.streams import start_rule_stream
from parkabm.scenarios.parameters import defaults

SCALE = 0.25
SEEDS = range(8)


def interval(differences) -> tuple[float, float]:
    """Return the 95% t interval of the mean of paired differences."""
    d = np.asarray(differences, dtype=float)
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return d.mean() - half, d.mean() + half


def paired_models(low: dict, high: dict, seeds=SEEDS, scale: float = SCALE, horizon: int = 2025):
    """Yield (low-arm model, high-arm model) per seed, each run to the horizon."""
    a, b = scenario_with(low, scale=scale, horizon=horizon), scenario_with(high, scale=scale, horizon=horizon)
    for seed in seeds:
        yield run_model(a, seed), run_model(b, seed)


# --- prices --------------------------------------------------------------------------------------------------

def test_resource_cost_share_follows_the_class_prices_and_the_units():
    model = ParkModel(scenario_with(scale=0.1, horizon=2022), parameters=defaults(), rng=1)
    f = model.firms
    d = np.flatnonzero(f.mujun_class == 3)[0]
    par = model.params
    lev = model.levers.evaluation
    expected = (lev.land_tax_change.d * par["land_use_tax_yuan_per_m2"] * 666.667 * f.land_mu[d]
                / (f.output_yi[d] * 1e8)
                + (lev.water_surcharge_yuan_per_m3.d * par["water_m3_per_kwh"]
                   + lev.gas_surcharge_yuan_per_m3.d * par["gas_m3_per_kwh"]) * f.electricity[d] / 1e4)
    assert model.resource_share[d] == pytest.approx(expected)
    a = np.flatnonzero(f.mujun_class == 0)
    assert (model.resource_share[a] < 0).all()  # A pays less land tax and no water or gas surcharge
    assert (model.resource_share[f.mujun_class == 4] == 0).all()
    both = resources.price_cost_share(model, np.array([d]))
    assert both[0] == pytest.approx(model.surcharge_share[d] + model.resource_share[d])


def class_prices(land_c: float, land_d: float, water_c: float, water_d: float, gas_c: float, gas_d: float) -> dict:
    """Return lever changes setting the C and D land-tax change and water and gas surcharges."""
    ev = "levers.evaluation"
    return {f"{ev}.land_tax_change.c": land_c, f"{ev}.land_tax_change.d": land_d,
            f"{ev}.water_surcharge_yuan_per_m3.c": water_c, f"{ev}.water_surcharge_yuan_per_m3.d": water_d,
            f"{ev}.gas_surcharge_yuan_per_m3.c": gas_c, f"{ev}.gas_surcharge_yuan_per_m3.d": gas_d}


CD_CHEAP = class_prices(0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
CD_DEAR = class_prices(1.0, 2.0, 2.0, 4.0, 1.0, 2.0)


def test_dearer_land_water_and_gas_for_c_and_d_lower_the_low_efficiency_share():
    """C and D firms release unused land; 亩均税收 moves both ways (released land against slower C/D growth)."""
    low_eff = []
    for cheap, dear in paired_models(CD_CHEAP, CD_DEAR):
        low_eff.append(dear.last_tally.park_low_efficiency_share.mean()
                       - cheap.last_tally.park_low_efficiency_share.mean())
    assert interval(low_eff)[1] < 0, low_eff


# --- energy-use quota ----------------------------------------------------------------------------------------

def energy_intensive_output_and_va_per_energy(model: ParkModel) -> tuple[float, float]:
    """Return the real output of the alive energy-intensive firms and the value added per kWh of all industry."""
    f = model.firms
    alive = f.alive & f.industrial
    heavy = alive & (f.electricity >= model.levers.evaluation.energy_quota.energy_intensive_kwh_per_wan)
    out = f.output_yi / model.price
    va_per_energy = (out * f.value_added_rate)[alive].sum() / (out * f.electricity)[alive].sum()
    return float(out[heavy].sum()), float(va_per_energy)


def test_a_tighter_energy_quota_lowers_energy_intensive_output_and_raises_value_added_per_energy():
    loose = {"levers.evaluation.energy_quota.increment_share": 0.3}
    tight = {"levers.evaluation.energy_quota.increment_share": 0.02}
    out, vae, bound = [], [], []
    for a, b in paired_models(loose, tight):
        (oa, va), (ob, vb) = energy_intensive_output_and_va_per_energy(a), energy_intensive_output_and_va_per_energy(b)
        out.append(ob - oa)
        vae.append(vb - va)
        bound.append(b.energy_quota_bound - a.energy_quota_bound)
    assert interval(out)[1] < 0, out
    assert interval(vae)[0] > 0, vae
    assert interval(bound)[0] > 0, bound


def test_switching_the_energy_quota_off_removes_its_cap():
    model = run_model(scenario_with({"levers.mechanisms.energy_quota": 0.0,
                                     "levers.evaluation.energy_quota.increment_share": 0.0}, scale=0.1,
                                    horizon=2022), 2)
    assert model.energy_quota_bound == 0 and model.energy_quota_granted.sum() == 0


def test_the_quota_serves_class_a_first_and_gives_d_nothing():
    model = ParkModel(scenario_with({"levers.evaluation.energy_quota.increment_share": 0.03}, scale=0.3,
                                    horizon=2022), parameters=defaults(), rng=4)
    f = model.firms
    idx = np.flatnonzero(f.alive & (f.ramp_left == 0) & resources.energy_intensive(
        model, np.arange(f.n)))
    real = f.output_yi[idx].copy()
    desired = real * 1.3
    capped = resources.cap_energy_growth(model, idx, real, desired.copy())  # caps its argument in place
    got = (capped - real) / (desired - real)
    cls = f.mujun_class[idx]
    assert (cls == 3).any() and (got[cls == 3] == 0).all()
    first = np.isin(cls, (0, 1))
    assert first.any() and got[first].mean() > got[cls == 2].mean()
    assert model.energy_quota_bound > 0


def test_quota_follows_the_race_ranking():
    """Under the race, firms in better-ranked parks get more of the energy they ask for than under equal treatment."""
    gap = {}
    for weight in (0.0, 1.0):
        gaps = []
        scenario = scenario_with({"levers.race.weight": weight,
                                  "levers.evaluation.energy_quota.increment_share": 0.04}, scale=SCALE, horizon=2023)
        for seed in SEEDS:
            model = run_model(scenario, seed)
            top = model.park_state.rank < model.n_parks / 2
            granted, asked = model.energy_quota_granted, model.energy_quota_requested
            gaps.append(granted[top].sum() / asked[top].sum() - granted[~top].sum() / asked[~top].sum())
        gap[weight] = np.array(gaps)
    low, _ = interval(gap[1.0] - gap[0.0])
    assert low > 0, gap


def test_park_quota_is_pro_rata_to_use_without_race_and_tilted_by_rank_with_it():
    model = ParkModel(scenario_with({"levers.race.weight": 1.0}, scale=0.1, horizon=2022), parameters=defaults(),
                      rng=3)
    p = model.n_parks
    model.park_state.rank[:] = np.arange(p)
    energy = np.ones(p)
    quota = resources.park_energy_quota(model, energy, np.arange(p))
    assert quota.sum() == pytest.approx(model.levers.evaluation.energy_quota.increment_share * p)
    assert np.all(np.diff(quota) < 0)  # rank 0 is best


# --- random streams ------------------------------------------------------------------------------------------

def test_each_rule_draws_from_its_own_stream_whatever_the_rules_before_it_drew():
    model = ParkModel(scenario_with(scale=0.1, horizon=2022), parameters=defaults(), rng=9)
    start_rule_stream(model, 3, 10)
    first = model.rng.random(4)
    model.rng.random(17)  # another rule draws more or less
    start_rule_stream(model, 3, 10)
    assert np.array_equal(model.rng.random(4), first)
    start_rule_stream(model, 4, 10)
    assert not np.array_equal(model.rng.random(4), first)


def test_a_lever_that_changes_classes_keeps_the_draws_of_later_rules():
    """Changing the 亩均 weights (hence some firms' classes) leaves the recruitment draws of 2022 as they were."""
    w = {"levers.evaluation.weights.tax_per_mu": 0.45, "levers.evaluation.weights.value_added_per_mu": 0.05}
    a = run_model(scenario_with(scale=0.2, horizon=2022), 5)
    b = run_model(scenario_with(w, scale=0.2, horizon=2022), 5)
    assert (a.firms.mujun_class != b.firms.mujun_class).any()
    n = min(a.firms.n, b.firms.n)
    new = a.firms.entry_year[:n] == 2022
    assert new.any()
    assert np.array_equal(a.firms.target_output_yi[:n][new], b.firms.target_output_yi[:n][new])
