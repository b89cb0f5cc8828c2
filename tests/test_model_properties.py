"""Invariants that hold every year under any lever setting (hypothesis draws the levers)."""

import math

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from model_fixtures import ROUNDING_MU, invariant_problems, land_balance_gap, scenario_with

from parkabm.model.city import ParkModel
from parkabm.model.rules.land import CITY_INDUSTRIAL_LAND_MU
from parkabm.scenarios.parameters import defaults
from parkabm.scenarios.schema import Mechanisms

MECHANISMS = sorted(Mechanisms.model_fields)

levers = st.fixed_dictionaries({
    "levers.land.redevelopment_mu_per_year": st.floats(0, 50_000),
    "levers.land.redevelopment_lag_years": st.integers(0, 5),
    "levers.land.standard_factory_m2_per_year": st.floats(0, 20_000_000),
    "levers.land.standard_factory_plot_ratio": st.floats(0.5, 6),
    "levers.land.new_land_quota_mu_per_year": st.floats(0, 30_000),
    "levers.land.relocation_probability": st.floats(0, 1),
    "levers.land.class_priority": st.floats(0, 1),
    "levers.evaluation.enforcement": st.floats(0, 1),
    "levers.evaluation.coverage": st.sampled_from(["all", "guishang"]),
    "levers.recruitment.leading_focus": st.floats(0, 1),
    "levers.funds.tech_upgrade_subsidy_rate": st.floats(0, 0.5),
    "levers.race.weight": st.floats(0, 1),
    "levers.race.downgrade_after_years": st.integers(0, 3),
})
switched_off = st.one_of(st.none(), st.sampled_from(MECHANISMS))

PROPERTY_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def stepped(changes, off, seed, horizon=2024):
    """Yield the model after set-up and after each year, with the city's zone land and outside land before it."""
    if off is not None:
        changes = {**changes, f"levers.mechanisms.{off}": 0}
    scenario = scenario_with(changes, scale=0.2, horizon=horizon)
    model = ParkModel(scenario, parameters=defaults(), rng=seed)
    yield model, None
    while model.year < model.horizon:
        before = (model.park_state.industrial_land_mu.sum(), model.outside_land_mu,
                  model.records[-1]["firms_alive"])
        model.step()
        yield model, before


@PROPERTY_SETTINGS
@given(changes=levers, off=switched_off, seed=st.integers(0, 2**32 - 1))
def test_land_is_conserved_in_every_park_and_citywide_every_year(changes, off, seed):
    for model, before in stepped(changes, off, seed):
        gap = land_balance_gap(model)
        assert np.abs(gap).max() < 1e-6, (model.year, gap)
        zones = model.park_state.industrial_land_mu.sum()
        assert math.isclose(zones + model.outside_land_mu, CITY_INDUSTRIAL_LAND_MU, rel_tol=1e-12)
        if before is not None:
            quota = model.levers.land.new_land_quota_mu_per_year * model.mechanisms.land_quota
            assert math.isclose(zones - before[0], min(quota, before[1]), rel_tol=1e-9, abs_tol=1e-6)


@PROPERTY_SETTINGS
@given(changes=levers, off=switched_off, seed=st.integers(0, 2**32 - 1))
def test_shares_stay_in_the_unit_interval_and_nothing_goes_negative(changes, off, seed):
    for model, _ in stepped(changes, off, seed):
        assert invariant_problems(model) == [], model.year


@PROPERTY_SETTINGS
@given(changes=levers, off=switched_off, seed=st.integers(0, 2**32 - 1))
def test_firm_counts_reconcile_with_entries_and_exits(changes, off, seed):
    for model, before in stepped(changes, off, seed):
        record = model.records[-1]
        f = model.firms
        assert record["firms_alive"] == f.alive.sum()
        if before is not None:
            assert record["firms_alive"] == before[2] + record["entries"] - record["exits"]
            assert record["exits"] == (f.exit_year == model.year).sum()
            assert record["entries"] == (f.entry_year == model.year).sum()
            assert record["enforced_exits"] <= record["exits"]
        dead = ~f.alive
        assert (f.exit_year[dead] > 0).all()
        assert (f.output_yi[dead] == 0).all() and (f.land_mu[dead] == 0).all() and (f.floor_mu[dead] == 0).all()


def test_land_moved_into_the_zones_never_exceeds_the_citys_industrial_land():
    changes = {"levers.land.new_land_quota_mu_per_year": 30_000.0}
    zones = []
    for model, _ in stepped(changes, None, seed=5, horizon=2030):
        assert model.outside_land_mu >= -ROUNDING_MU
        zones.append(model.park_state.industrial_land_mu.sum())
    assert math.isclose(zones[-1], CITY_INDUSTRIAL_LAND_MU, rel_tol=1e-12)
    assert np.diff(zones).min() >= 0
    assert (np.diff(zones) < 30_000.0 - 1).any()  # the last transfer was cut to what was left outside
