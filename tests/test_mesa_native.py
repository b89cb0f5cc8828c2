"""ParkModel as a Mesa model: scenario by name, flat lever keywords, seed, DataCollector, running, batch_run."""

import math

import mesa
import numpy as np
import pandas as pd
import pytest

from parkabm.agents.parks import Park
from parkabm.model.city import LEVER_KEYWORDS, ParkModel, lever_keywords
from parkabm.model.outputs.registry import CITY_OUTPUTS, PARK_OUTPUTS
from parkabm.model.simulate import replicate_seed
from parkabm.scenarios.errors import UserInputError
from parkabm.scenarios.loader import apply_changes, load_scenario

SMALL = 0.1
"""population_scale of these tests: a tenth of the firms."""


def test_a_shipped_name_and_flat_keywords_give_the_numbers_of_the_resolved_scenario():
    changed = apply_changes(load_scenario("baseline"), {"levers.land.redevelopment_mu_per_year": 20000,
                                                          "world.population_scale": SMALL})
    by_name = ParkModel("baseline", rng=replicate_seed(0, 1), redevelopment_mu_per_year=20000,
                        population_scale=SMALL)
    resolved = ParkModel(changed, rng=replicate_seed(0, 1))
    by_name.run_model()
    resolved.run_model()
    assert by_name.policy.levers.land.redevelopment_mu_per_year == 20000
    pd.testing.assert_frame_equal(by_name.yearly_frame(), resolved.yearly_frame())


def test_seed_works_like_an_integer_rng_and_not_both():
    a = ParkModel(seed=5, population_scale=SMALL)
    b = ParkModel(rng=5, population_scale=SMALL)
    a.step()
    b.step()
    pd.testing.assert_frame_equal(a.yearly_frame(), b.yearly_frame())
    with pytest.raises(ValueError, match="seed or rng"):
        ParkModel(seed=1, rng=1)


def test_keywords_cover_nested_levers_mechanisms_and_world_settings():
    model = ParkModel(seed=1, population_scale=SMALL, class_cutoffs_a=0.3, mechanism_exit=0.0,
                      threshold_yi=50.0, coverage="guishang")
    levers = model.policy.levers
    assert levers.evaluation.class_cutoffs.a == 0.3
    assert levers.mechanisms.exit == 0.0
    assert levers.chain_leaders.threshold_yi == 50.0
    assert levers.evaluation.coverage == "guishang"
    assert model.scale == SMALL


def test_every_keyword_is_documented_with_its_path_unit_and_allowed_values():
    keywords = lever_keywords()
    names = [k.name for k in keywords]
    assert len(names) == len(set(names))
    by_name = {k.name: k for k in keywords}
    lever = by_name["redevelopment_mu_per_year"]
    assert (lever.path, lever.unit, lever.low, lever.high) == ("levers.land.redevelopment_mu_per_year", "亩/yr",
                                                               0, 50000)
    assert lever.description
    assert by_name["surcharge_yuan_per_kwh_d"].path == "levers.evaluation.surcharge_yuan_per_kwh.d"
    assert by_name["mechanism_race"].path == "levers.mechanisms.race"
    assert by_name["scope"].choices == ("industrial", "all_guishang")
    assert all(k.path.startswith(("levers.", "world.")) for k in keywords)


@pytest.mark.parametrize(("keywords", "named", "allowed"), [
    ({"redevelopment_mu": 5}, "redevelopment_mu", "a keyword of parkabm.model.city.lever_keywords()"),
    ({"redevelopment_mu_per_year": -1}, "redevelopment_mu_per_year", "a number from 0 to 50000"),
    ({"relocation_probability": "high"}, "relocation_probability", "a number from 0 to 1"),
    ({"scope": "everything"}, "scope", "one of industrial, all_guishang"),
])
def test_an_unknown_keyword_or_a_value_it_does_not_allow_names_the_keyword_and_what_is_allowed(
        keywords, named, allowed):
    with pytest.raises(UserInputError) as caught:
        ParkModel(seed=1, **keywords)
    message = str(caught.value)
    assert f"ParkModel: {named} = " in message
    assert allowed in message


def test_the_datacollector_holds_every_registry_output_citywide_and_per_park_each_year():
    model = ParkModel(seed=2, population_scale=SMALL)
    model.run_model()
    city = model.datacollector.get_model_vars_dataframe()
    assert list(city.columns) == list(CITY_OUTPUTS)
    yearly = model.yearly_frame()
    assert len(city) == len(yearly) == model.horizon - model.base_year + 1
    for name in CITY_OUTPUTS:
        np.testing.assert_array_equal(city[name].to_numpy(), yearly[name].to_numpy())
    parks = model.datacollector.get_agent_vars_dataframe()
    assert list(parks.columns) == list(PARK_OUTPUTS)
    last = parks.xs(parks.index.get_level_values("Step").max(), level="Step")
    frame = model.parks_frame()
    final = frame[frame["year"] == model.horizon].reset_index(drop=True)
    agents = list(model.agents_by_type[Park])
    assert len(last) == len(agents) == len(final)
    np.testing.assert_array_equal(last["output_yi"].to_numpy(), final["output_yi"].to_numpy())


def test_the_model_stops_running_at_the_horizon_and_a_further_step_changes_nothing():
    model = ParkModel(seed=3, population_scale=SMALL)
    years = model.horizon - model.base_year
    for _ in range(years - 1):
        model.step()
        assert model.running
    model.step()
    assert not model.running and model.year == model.horizon
    recorded = len(model.records)
    model.step()
    assert model.year == model.horizon and len(model.records) == recorded


def test_park_phases_run_through_the_park_agents_in_park_order():
    model = ParkModel(seed=4, population_scale=SMALL)
    parks = list(model.agents_by_type[Park])
    assert [p.index for p in parks] == list(range(model.n_parks))
    state = model.park_state
    before = state.vacant_mu.copy()
    parks[0].receive_new_land(1000.0)
    assert state.vacant_mu[0] == pytest.approx(before[0] + 1000.0 * state.quota_share[0])
    np.testing.assert_array_equal(state.vacant_mu[1:], before[1:])


def test_mesa_batch_run_runs_the_model_over_a_lever_and_returns_the_registry_outputs():
    results = mesa.batch_run(
        ParkModel,
        parameters={"scenario": "baseline", "population_scale": SMALL, "redevelopment_mu_per_year": [0, 40000]},
        iterations=2, max_steps=4, display_progress=False,
    )
    # Mesa 3.3 returns the step before the last (mesa issue #2514, fixed later); Step k is year base + k either way.
    last = max(r["Step"] for r in results)
    assert last >= 3
    rows = [r for r in results if r["Step"] == last]
    assert {r["RunId"] for r in rows} == {0, 1, 2, 3}
    assert {r["redevelopment_mu_per_year"] for r in rows} == {0, 40000}
    for row in rows:
        assert set(CITY_OUTPUTS) <= set(row) and set(PARK_OUTPUTS) <= set(row)
        assert all(isinstance(row[name], float) for name in CITY_OUTPUTS)
    idle = {lever: {r["land_idle_mu"] for r in rows if r["redevelopment_mu_per_year"] == lever} for lever in (0, 40000)}
    assert min(idle[0]) > max(idle[40000])
    assert all(not math.isnan(r["total_output_yi"]) for r in rows)


def test_keyword_names_follow_the_schema_without_collisions():
    assert "a" not in LEVER_KEYWORDS and "class_cutoffs_a" in LEVER_KEYWORDS
    assert "parks" not in LEVER_KEYWORDS


def test_a_model_without_the_datacollector_records_the_numbers_the_collector_would_hold():
    collected = ParkModel(seed=6, population_scale=SMALL)
    headless = ParkModel(seed=6, population_scale=SMALL, mesa_datacollector=False)
    collected.run_model()
    headless.run_model()
    assert headless.datacollector is None and collected.datacollector is not None
    pd.testing.assert_frame_equal(headless.yearly_frame(), collected.yearly_frame())
    pd.testing.assert_frame_equal(headless.parks_frame(), collected.parks_frame())
    city = collected.datacollector.get_model_vars_dataframe()
    for name in CITY_OUTPUTS:  # what the collector read each year is what the headless model recorded
        np.testing.assert_array_equal(city[name].to_numpy(), headless.yearly_frame()[name].to_numpy())
    parks = collected.datacollector.get_agent_vars_dataframe()
    frame = headless.parks_frame()
    for step, year in enumerate(range(headless.base_year, headless.horizon + 1)):  # Step 0: the base year
        held = parks.xs(step, level="Step")
        np.testing.assert_array_equal(held["output_yi"].to_numpy(), frame.loc[frame["year"] == year, "output_yi"])
