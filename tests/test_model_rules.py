"""Single rules on tiny hand-built states where the answer is known."""

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from model_fixtures import firms_of, model_stub, park_state, scenario_with, shipped

from parkabm.agents.firms import NOT_EVALUATED
from parkabm.agents.parks import MU_PER_M2
from parkabm.agents.population import MILESTONES_YI
from parkabm.model.city import ParkModel
from parkabm.model.rules import land
from parkabm.model.rules.chain_leaders import chain_leaders
from parkabm.model.rules.evaluation import PERSISTENT_D_YEARS, evaluate_mujun
from parkabm.model.rules.exit import exit_firms, exit_size_age_factor
from parkabm.model.rules.funds import MILESTONE_REWARDS_YI, pay_milestone_rewards
from parkabm.model.rules.race import rank_parks
from parkabm.model.rules.space import SEGMENTED_SORT_MIN, TWO_SORTS_MIN, allocate_space, serving_order
from parkabm.scenarios.loader import apply_changes
from parkabm.scenarios.parameters import defaults

# --- allocate_space -----------------------------------------------------------------------------------------------


def test_allocate_space_serves_requests_in_priority_order_and_the_last_one_in_part():
    state = park_state(vacant=[10.0])
    floor, granted = allocate_space(np.array([6.0, 6.0, 6.0]), np.zeros(3, dtype=np.int64),
                                         np.array([2.0, 0.0, 1.0]), state)
    np.testing.assert_allclose(granted, [0.0, 6.0, 4.0])
    np.testing.assert_allclose(floor, 0.0)
    assert state.vacant_mu[0] == pytest.approx(0.0)


def test_allocate_space_keeps_the_given_order_between_equal_priorities():
    state = park_state(vacant=[5.0])
    _, granted = allocate_space(np.array([4.0, 4.0]), np.zeros(2, dtype=np.int64), np.zeros(2), state)
    np.testing.assert_allclose(granted, [4.0, 1.0])


def test_allocate_space_hands_out_standard_factory_floor_before_vacant_land():
    state = park_state(vacant=[10.0], factory_space=[3.0])
    floor, granted = allocate_space(np.array([5.0]), np.zeros(1, dtype=np.int64), np.zeros(1), state)
    assert (floor[0], granted[0]) == pytest.approx((3.0, 2.0))
    assert (state.factory_space_mu[0], state.vacant_mu[0]) == pytest.approx((0.0, 8.0))


def test_allocate_space_can_hand_out_vacant_land_first():
    state = park_state(vacant=[10.0], factory_space=[3.0])
    floor, granted = allocate_space(np.array([5.0]), np.zeros(1, dtype=np.int64), np.zeros(1), state,
                                         floor_first=False)
    assert (floor[0], granted[0]) == pytest.approx((0.0, 5.0))


def test_allocate_space_serves_each_park_from_its_own_stock():
    state = park_state(vacant=[2.0, 100.0])
    _, granted = allocate_space(np.array([5.0, 5.0]), np.array([0, 1]), np.zeros(2), state)
    np.testing.assert_allclose(granted, [2.0, 5.0])
    np.testing.assert_allclose(state.vacant_mu, [0.0, 95.0])



@pytest.mark.parametrize("n", [TWO_SORTS_MIN, SEGMENTED_SORT_MIN, 3 * SEGMENTED_SORT_MIN])
@pytest.mark.parametrize("ties", ["none", "many", "nan"])
def test_serving_order_of_many_requests_is_that_of_one_lexsort(ties, n):
    # From TWO_SORTS_MIN distinct priorities are sorted, then their parks; above SEGMENTED_SORT_MIN the order is
    # found park by park. Ties and NaN keep the order given.
    rng = np.random.default_rng(3)
    park = rng.integers(0, 7, n).astype(np.int16)
    priority = rng.random(n) if ties != "many" else rng.integers(0, 40, n).astype(np.float64)
    if ties == "nan":
        priority[rng.integers(0, n, 30)] = np.nan
        priority[rng.integers(0, n, 30)] = -0.0
        priority[rng.integers(0, n, 30)] = 0.0
    np.testing.assert_array_equal(serving_order(park, priority), np.lexsort((priority, park)))


@settings(max_examples=60, deadline=None)
@given(data=st.data(), n_parks=st.integers(1, 3), n=st.integers(0, 12))
def test_allocate_space_grants_min_of_requests_and_stock_without_overdrawing(data, n_parks, n):
    amounts = st.floats(0.0, 50.0, allow_nan=False)
    request = np.array(data.draw(st.lists(amounts, min_size=n, max_size=n)))
    park = np.array(data.draw(st.lists(st.integers(0, n_parks - 1), min_size=n, max_size=n)), dtype=np.int64)
    priority = np.array(data.draw(st.lists(st.floats(0.0, 4.0), min_size=n, max_size=n)))
    vacant = np.array(data.draw(st.lists(amounts, min_size=n_parks, max_size=n_parks)))
    floor_stock = np.array(data.draw(st.lists(amounts, min_size=n_parks, max_size=n_parks)))
    state = park_state(vacant=vacant, factory_space=floor_stock)
    floor, granted = allocate_space(request, park, priority, state)
    total = floor + granted
    tol = 1e-9
    assert (floor >= -tol).all() and (granted >= -tol).all() and (total <= request + tol).all()
    assert (state.vacant_mu >= 0).all() and (state.factory_space_mu >= 0).all()
    for p in range(n_parks):
        mine = park == p
        stock = vacant[p] + floor_stock[p]
        assert total[mine].sum() == pytest.approx(min(request[mine].sum(), stock), abs=1e-7)
        assert floor[mine].sum() == pytest.approx(min(request[mine].sum(), floor_stock[p]), abs=1e-7)
        assert state.vacant_mu[p] + state.factory_space_mu[p] == pytest.approx(stock - total[mine].sum(), abs=1e-7)
        # In priority order: served in full, then at most one served in part, then nothing.
        order = np.flatnonzero(mine)[np.argsort(priority[mine], kind="stable")]
        short = request[order] - total[order] > tol
        if short.any():
            first_short = int(np.argmax(short))
            assert (total[order[first_short + 1:]] <= tol).all()


def test_allocate_space_never_grants_negative_space_or_more_than_requested():
    state = park_state(vacant=[0.5], factory_space=[1.8])
    request = np.array([0.6, 0.3, 0.4])
    floor, granted = allocate_space(request, np.zeros(3, dtype=np.int64), np.arange(3.0), state)
    assert (granted >= 0).all()
    assert (floor <= request).all()


# --- 亩均 evaluation ----------------------------------------------------------------------------------------------

def synthetic_population(n=400, seed=0, **overrides):
    rng = np.random.default_rng(seed)
    columns = dict(
        park=np.zeros(n), sector=np.zeros(n), output_yi=0.3 + np.exp(rng.normal(0.0, 1.0, n)),
        land_mu=rng.uniform(5.0, 60.0, n), value_added_rate=rng.uniform(0.15, 0.35, n),
        tax_ratio=rng.uniform(0.02, 0.1, n), electricity=rng.uniform(50.0, 400.0, n),
        emission=rng.uniform(0.3, 2.0, n), labour_productivity=rng.uniform(80.0, 300.0, n),
        rd_intensity=rng.uniform(0.0, 0.06, n),
    )
    columns.update(overrides)
    return firms_of(**columns)


def evaluation_scenario(**changes):
    return apply_changes(shipped(), {f"levers.evaluation.{k}": v for k, v in changes.items()})


@pytest.mark.parametrize(("a", "b", "c"), [(0.25, 0.70, 0.95), (0.1, 0.5, 0.9), (0.4, 0.6, 0.8)])
def test_evaluate_mujun_class_shares_follow_the_cutoffs(a, b, c):
    n = 400
    model = model_stub(synthetic_population(n), evaluation_scenario(**{
        "class_cutoffs.a": a, "class_cutoffs.b": b, "class_cutoffs.c": c}))
    evaluate_mujun(model)
    shares = np.bincount(model.firms.mujun_class, minlength=5) / n
    np.testing.assert_allclose(shares[:4], [a, b - a, c - b, 1 - c], atol=2 / n)
    assert shares[NOT_EVALUATED] == 0


def test_evaluate_mujun_ranks_classes_by_score():
    model = model_stub(synthetic_population(300), evaluation_scenario())
    evaluate_mujun(model)
    cls, score = model.firms.mujun_class, model.score
    for better in range(3):
        assert score[cls == better].min() >= score[cls == better + 1].max()


def test_evaluate_mujun_puts_a_firm_better_on_every_indicator_in_a_class_at_least_as_good():
    firms = synthetic_population(200)
    firms.tax_ratio[0], firms.value_added_rate[0], firms.electricity[0] = 0.2, 0.6, 10.0
    firms.tax_ratio[1], firms.value_added_rate[1], firms.electricity[1] = 0.001, 0.06, 2000.0
    model = model_stub(firms, evaluation_scenario())
    evaluate_mujun(model)
    assert firms.mujun_class[0] == 0 and firms.mujun_class[1] == 3


@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_evaluate_mujun_sets_surcharges_by_class_scaled_by_the_mechanism(scale):
    scenario = apply_changes(evaluation_scenario(**{"surcharge_yuan_per_kwh.c": 0.1,
                                                    "surcharge_yuan_per_kwh.d": 0.3}),
                             {"levers.mechanisms.evaluation": scale})
    model = model_stub(synthetic_population(), scenario)
    evaluate_mujun(model)
    f = model.firms
    per_class = np.array([0.0, 0.0, 0.1, 0.3, 0.0])[f.mujun_class]
    np.testing.assert_allclose(model.surcharge_share, scale * per_class * f.electricity / 1e4)
    assert (model.surcharge_share[f.mujun_class == 3] > 0).all()


def test_evaluate_mujun_raises_the_surcharge_of_firms_in_d_for_more_than_the_persistence_years():
    scenario = evaluation_scenario(**{"surcharge_yuan_per_kwh.d": 0.3, "persistent_d_surcharge_yuan_per_kwh": 0.4})
    model = model_stub(synthetic_population(), scenario)
    f = model.firms
    for year in range(1, PERSISTENT_D_YEARS + 3):
        evaluate_mujun(model)
        d = f.mujun_class == 3
        assert (f.years_in_d[d] == year).all() and (f.years_in_d[~d] == 0).all()
        expected = 0.4 if year > PERSISTENT_D_YEARS else 0.3
        np.testing.assert_allclose(model.surcharge_share[d], expected * f.electricity[d] / 1e4)


def test_evaluate_mujun_with_guishang_coverage_leaves_guixia_firms_unevaluated():
    firms = synthetic_population(400)
    firms.output_yi[:100] = 0.1  # below the 0.2亿 threshold
    model = model_stub(firms, evaluation_scenario(coverage="guishang"))
    evaluate_mujun(model)
    assert (firms.mujun_class[:100] == NOT_EVALUATED).all()
    assert (model.surcharge_share[:100] == 0).all()
    assert (firms.mujun_class[100:] < NOT_EVALUATED).all()
    model_all = model_stub(synthetic_population(400, output_yi=firms.output_yi.copy()), evaluation_scenario())
    evaluate_mujun(model_all)
    assert (model_all.firms.mujun_class < NOT_EVALUATED).all()


def test_evaluate_mujun_skips_firms_below_the_minimum_land_services_and_ramping_projects():
    firms = synthetic_population(200)
    firms.land_mu[:10] = 2.0
    firms.industrial[10:20] = False
    firms.ramp_left[20:30] = 1
    model = model_stub(firms, evaluation_scenario(min_land_mu=5.0))
    evaluate_mujun(model)
    assert (firms.mujun_class[:30] == NOT_EVALUATED).all()
    assert (firms.mujun_class[30:] < NOT_EVALUATED).all()


def test_evaluate_mujun_switched_off_gives_no_classes_and_no_surcharge():
    firms = synthetic_population()
    firms.years_in_d[:] = 3
    model = model_stub(firms, apply_changes(shipped(), {"levers.mechanisms.evaluation": 0}))
    evaluate_mujun(model)
    assert (firms.mujun_class == NOT_EVALUATED).all()
    assert (model.surcharge_share == 0).all() and (firms.years_in_d == 0).all()


# --- redevelopment pipeline -------------------------------------------------------------------------------------

ONLY_REDEVELOPMENT_MOVES_VACANT_LAND = {
    "levers.mechanisms.recruitment": 0, "levers.mechanisms.standard_factories": 0,
    "levers.mechanisms.land_quota": 0, "levers.mechanisms.space_constraint": 0,
    "levers.mechanisms.evaluation": 0, "levers.mechanisms.race": 0,
}


@pytest.mark.parametrize("lag", [0, 1, 2])
def test_redeveloped_land_becomes_vacant_exactly_lag_years_after_the_year_it_is_worked_on(lag):
    settings = {**ONLY_REDEVELOPMENT_MOVES_VACANT_LAND, "levers.land.redevelopment_lag_years": lag}
    runs = {}
    for amount in (0.0, 6000.0):
        scenario = scenario_with({**settings, "levers.land.redevelopment_mu_per_year": amount}, horizon=2025)
        model = ParkModel(scenario, parameters=defaults(), rng=9)
        first_year = np.minimum(amount * model.park_state.quota_share, model.park_state.idle_mu).sum()
        model.run_model()
        runs[amount] = model.yearly_frame().set_index("year")["land_vacant_mu"]
    extra = runs[6000.0] - runs[0.0]
    assert first_year > 5000.0  # the idle stock does not bind in the first year
    np.testing.assert_allclose(extra.loc[:2021 + lag], 0.0, atol=1e-6)
    assert extra.loc[2022 + lag] == pytest.approx(first_year, rel=1e-9)


@pytest.mark.parametrize("lag", [0, 1, 3])
def test_pipeline_delivers_land_put_in_this_year_after_lag_deliveries(lag):
    model = ParkModel(scenario_with({"levers.land.redevelopment_lag_years": lag}), parameters=defaults(), rng=1)
    state = model.park_state
    state.pipeline_mu[:] = 0.0
    state.pipeline_mu[:, -1] = 100.0  # worked on this year (as redevelop_low_efficiency_land does)
    delivered = []
    for _ in range(lag + 2):
        before = state.vacant_mu.copy()
        land.deliver_pipeline(model)
        delivered.append(float((state.vacant_mu - before).sum()))
    expected = [0.0] * (lag + 2)
    expected[lag] = 100.0 * model.n_parks
    np.testing.assert_allclose(delivered, expected)


def test_redevelopment_costs_the_land_worked_on_times_the_unit_cost():
    scenario = scenario_with({**ONLY_REDEVELOPMENT_MOVES_VACANT_LAND, "levers.land.redevelopment_mu_per_year": 4000.0,
                              "levers.land.redevelopment_cost_wan_per_mu": 80.0})
    model = ParkModel(scenario, parameters=defaults(), rng=1)
    idle_before = model.park_state.idle_mu.sum()
    land.redevelop_low_efficiency_land(model)
    on_idle = idle_before - model.park_state.idle_mu.sum()
    worked = model.park_state.pipeline_mu[:, -1].sum()  # idle land and cleared firms' land
    assert 0 < on_idle <= 4000.0 + 1e-9 and worked >= on_idle - 1e-6
    assert model.ledger["redevelopment"] == pytest.approx(worked * 80.0 / 1e4)


def test_redevelopment_quota_serves_parks_above_the_cap_first_then_by_low_efficiency_land():
    model = ParkModel(scenario_with({"levers.race.weight": 0.0}), parameters=defaults(), rng=1)
    state = model.park_state
    low = land.low_efficiency_land_mu(model)
    excess = np.maximum(low - land.LOW_EFFICIENCY_CAP * state.industrial_land_mu, 0.0)
    small = 0.5 * excess.sum()
    quota = land.redevelopment_quota(model, small)
    np.testing.assert_allclose(quota, excess * small / excess.sum())
    big = excess.sum() + 5000.0
    quota = land.redevelopment_quota(model, big)
    np.testing.assert_allclose(quota - excess, 5000.0 * (low - excess) / (low - excess).sum())
    assert quota.sum() == pytest.approx(big)


def test_low_efficiency_land_counts_low_tax_and_overdue_d_firms_not_every_d_firm():
    model = ParkModel(scenario_with(), parameters=defaults(), rng=1)
    f = model.firms
    weak = land.low_efficiency_firms(model)
    threshold = model.params["low_efficiency_tax_share"] * model.mujun_benchmark[0, 0]
    tax = land.firm_tax_per_mu(model)
    held = f.alive & f.industrial & (f.land_mu > 0)
    assert np.all(weak[held & (f.ramp_left == 0) & (tax < threshold)])
    d_within_deadline = held & (f.mujun_class == 3) & (f.years_in_d <= 2) & (tax >= threshold)
    assert d_within_deadline.any() and not weak[d_within_deadline].any()
    expected = model.park_state.idle_mu + model.park_state.pipeline_mu.sum(axis=1) + np.bincount(
        f.park[weak], weights=f.land_mu[weak], minlength=model.n_parks)
    np.testing.assert_allclose(land.low_efficiency_land_mu(model), expected)


# --- standard factories -------------------------------------------------------------------------------------------

def build_factories(plot_ratio, m2=4_000_000.0):
    scenario = scenario_with({"levers.land.standard_factory_plot_ratio": plot_ratio,
                              "levers.land.standard_factory_m2_per_year": m2})
    model = ParkModel(scenario, parameters=defaults(), rng=1)
    state = model.park_state
    before = {k: getattr(state, k).copy() for k in ("vacant_mu", "factory_land_mu", "factory_space_mu")}
    land.build_standard_factories(model)
    used = state.factory_land_mu - before["factory_land_mu"]
    space = state.factory_space_mu - before["factory_space_mu"]
    np.testing.assert_allclose(before["vacant_mu"] - state.vacant_mu, used)
    return model, used, space


@pytest.mark.parametrize("plot_ratio", [0.5, 1.2, 2.5, 5.0])
def test_standard_factories_convert_floor_to_space_through_the_plot_ratio(plot_ratio):
    model, used, space = build_factories(plot_ratio)
    np.testing.assert_allclose(space, used * plot_ratio / model.params["existing_plot_ratio"])
    built_m2 = model.counts["standard_factory_m2"]
    assert built_m2 == pytest.approx(used.sum() * plot_ratio / MU_PER_M2)


def test_higher_plot_ratio_gives_more_space_per_mu_of_land_and_uses_less_land():
    low, used_low, space_low = build_factories(2.5, m2=1_000_000.0)
    high, used_high, space_high = build_factories(5.0, m2=1_000_000.0)
    assert low.counts["standard_factory_m2"] == pytest.approx(1_000_000.0)  # land does not bind
    assert high.counts["standard_factory_m2"] == pytest.approx(1_000_000.0)
    assert space_high.sum() / used_high.sum() > space_low.sum() / used_low.sum()
    assert used_high.sum() == pytest.approx(used_low.sum() / 2)
    assert space_high.sum() == pytest.approx(space_low.sum())


def test_standard_factories_use_at_most_half_the_vacant_land_of_a_park():
    model, used, _ = build_factories(0.5, m2=20_000_000.0)
    vacant_before = model.park_state.vacant_mu + used
    assert (used <= model.params["factory_land_share_of_vacant"] * vacant_before + 1e-9).all()
    assert model.counts["standard_factory_m2"] < 20_000_000.0  # the cap binds somewhere


# --- new land quota ------------------------------------------------------------------------------------------------

def test_new_land_quota_stops_when_the_citys_land_outside_the_zones_runs_out():
    model = ParkModel(scenario_with({"levers.land.new_land_quota_mu_per_year": 3000.0}), parameters=defaults(), rng=1)
    model.outside_land_mu = 1000.0
    zones = model.park_state.industrial_land_mu.sum()
    land.supply_new_land(model)
    assert model.outside_land_mu == pytest.approx(0.0, abs=1e-9)
    assert model.park_state.industrial_land_mu.sum() == pytest.approx(zones + 1000.0)
    land.supply_new_land(model)
    assert model.park_state.industrial_land_mu.sum() == pytest.approx(zones + 1000.0)


# --- milestone rewards -------------------------------------------------------------------------------------------

def reward_stub(output, scenario=None, **columns):
    firms = firms_of(output_yi=np.asarray(output, dtype=float), **columns)
    firms.reward_level[:] = np.searchsorted(MILESTONES_YI, firms.output_yi, side="right")
    return model_stub(firms, scenario)


def test_milestone_rewards_pay_each_level_once_and_only_the_difference():
    model = reward_stub([40.0])
    paid = []
    for output in (60.0, 120.0, 120.0, 60.0, 130.0, 99.0):
        before = model.ledger["milestone_rewards"]
        model.firms.output_yi[0] = output
        pay_milestone_rewards(model)
        paid.append(model.ledger["milestone_rewards"] - before)
    np.testing.assert_allclose(paid, [0.02, 0.02, 0.0, 0.0, 0.0, 0.0])


def test_milestone_reward_of_a_firm_jumping_several_levels_is_the_reward_of_the_highest():
    model = reward_stub([40.0, 40.0])
    model.firms.output_yi[:] = [250.0, 1500.0]
    pay_milestone_rewards(model)
    assert model.ledger["milestone_rewards"] == pytest.approx(MILESTONE_REWARDS_YI[3] + MILESTONE_REWARDS_YI[5])
    assert model.ledger["milestone_rewards"] == pytest.approx(0.08 + 1.0)


def test_milestone_rewards_scale_with_the_lever_and_skip_services_and_exited_firms():
    scenario = apply_changes(shipped(), {"levers.funds.milestone_reward_scale": 2.5})
    model = reward_stub([40.0, 40.0, 40.0], scenario, industrial=[True, False, True], alive=[True, True, False])
    model.firms.output_yi[:] = 60.0
    pay_milestone_rewards(model)
    assert model.ledger["milestone_rewards"] == pytest.approx(2.5 * 0.02)


def test_milestone_rewards_are_not_paid_when_funds_are_switched_off():
    model = reward_stub([40.0], apply_changes(shipped(), {"levers.mechanisms.funds": 0}))
    model.firms.output_yi[0] = 60.0
    pay_milestone_rewards(model)
    assert model.ledger["milestone_rewards"] == 0.0


# --- chain leaders ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("threshold", "expected"), [(20.0, [False, True, True, False, False]),
                                                     (50.0, [False, False, True, False, False])])
def test_chain_leaders_are_firms_in_a_leading_industry_at_or_above_the_threshold(threshold, expected):
    firms = firms_of(output_yi=[19.9, 20.0, 60.0, 60.0, 60.0], park=[0, 0, 1, 1, 0], sector=[0, 0, 1, 0, 0],
                     alive=[True, True, True, True, False])
    scenario = apply_changes(shipped(), {"levers.chain_leaders.threshold_yi": threshold})
    lead_mask = np.array([[True, False], [False, True]])  # park 0 leads in sector 0, park 1 in sector 1
    model = model_stub(firms, scenario, lead_mask=lead_mask, n_sectors=2, n_parks=2)
    chain_leaders(model)
    assert model.leader.tolist() == expected
    assert model.has_leader.tolist() == [[expected[1], False], [False, expected[2]]]


def test_chain_leader_count_reported_is_the_number_of_firms_the_rules_treat_as_leaders():
    model = ParkModel(scenario_with({"levers.chain_leaders.threshold_yi": 30.0}, scale=1.0),
                      parameters=defaults(), rng=6)
    for _ in range(2):
        assert model.records[-1]["chain_leaders"] == model.leader.sum() > 0
        model.step()
        chain_leaders(model)  # the rules mark leaders from the state the year was recorded in


def test_cell_index_is_the_flat_parks_by_sectors_index_in_any_integer_width():
    from parkabm.model.rules.chain_leaders import cell_index

    model = SimpleNamespace(n_parks=16, n_sectors=18)
    park = np.array([0, 3, 15], dtype=np.int16)
    sector = np.array([17, 0, 17], dtype=np.int16)
    expected = park.astype(np.int64) * 18 + sector
    np.testing.assert_array_equal(cell_index(model, park, sector), expected)
    np.testing.assert_array_equal(cell_index(model, park.astype(np.int64), sector), expected)


def test_fund_ranking_is_largest_first_with_ties_in_project_order():
    from parkabm.model.rules.funds import descending_order

    values = np.array([2.0, 5.0, 2.0, 7.0, 5.0, 0.0])
    np.testing.assert_array_equal(descending_order(values), np.argsort(-values, kind="stable"))
    values = np.random.default_rng(5).random(500)
    np.testing.assert_array_equal(descending_order(values), np.argsort(-values, kind="stable"))


# --- 赛马 ranking --------------------------------------------------------------------------------------------------

def ranked_model(weight, downgrade_after=0):
    scenario = scenario_with({"levers.race.weight": weight, "levers.race.downgrade_after_years": downgrade_after})
    model = ParkModel(scenario, parameters=defaults(), rng=1)
    p = model.n_parks
    good = np.linspace(1.0, 0.0, p)  # park 0 best on all three metrics, the last park worst
    model.last_tally.park_growth[:] = good
    model.last_tally.park_tax_per_mu[:] = good
    model.last_tally.park_leading_share[:] = good
    return model


@pytest.mark.parametrize("weight", [0.0, 0.5, 1.0])
def test_race_quota_shares_blend_land_shares_and_rank_weights(weight):
    model = ranked_model(weight)
    rank_parks(model)
    state = model.park_state
    p = model.n_parks
    land_share = state.industrial_land_mu / state.industrial_land_mu.sum()
    rank_weight = 1 + model.params["race_spread"] * (1 - 2 * np.arange(p) / (p - 1))
    ranked = state.industrial_land_mu * rank_weight / (state.industrial_land_mu * rank_weight).sum()
    np.testing.assert_allclose(state.quota_share, (1 - weight) * land_share + weight * ranked)
    np.testing.assert_array_equal(state.rank, np.arange(p))


def test_race_downgrades_a_park_ranked_last_for_the_set_number_of_years():
    model = ranked_model(0.5, downgrade_after=2)
    state = model.park_state
    rank_parks(model)
    assert not state.downgraded.any() and state.quota_share[-1] > 0
    rank_parks(model)
    assert state.downgraded.tolist() == [False] * (model.n_parks - 1) + [True]
    assert state.quota_share[-1] == 0 and state.quota_share.sum() == pytest.approx(1.0)


# --- growth, exit ------------------------------------------------------------------------------------------------

ONLY_TREND_GROWTH = {
    f"levers.mechanisms.{m}": 0 for m in (
        "agglomeration", "chain_spillover", "shocks", "upgrading", "space_constraint", "relocation", "exit",
        "recruitment", "chain_leader_service", "evaluation", "funds", "entry", "energy_quota",
        "macro_shocks")
}


@pytest.mark.parametrize("trend_scale", [1.0, 2.0])
def test_firms_grow_by_their_sector_trend_and_the_price_path_when_other_growth_terms_are_off(trend_scale):
    scenario = scenario_with({**ONLY_TREND_GROWTH, "levers.mechanisms.growth_trend": trend_scale})
    params = {**defaults(), "trend_growth_multiplier": 1.3, "price_growth_2022": 0.05}
    model = ParkModel(scenario, parameters=params, rng=2)
    before = model.firms.output_yi.copy()
    model.step()
    f = model.firms
    channels = params["macro_trend_channels_industry"] * f.industrial
    trend = (model.sector_trend[f.sector] * 1.3 - channels) * trend_scale
    price = np.where(f.industrial, 1.05, 1.0 + params["macro_service_price_growth"])
    np.testing.assert_allclose(f.output_yi, before * (1 + trend) * price, rtol=1e-12)


@pytest.mark.parametrize("size_elasticity", [0.2, 0.6])
def test_exit_rate_equals_the_base_hazard_by_size_without_losses_or_enforcement(size_elasticity):
    scenario = scenario_with({**{k: 0 for k in ONLY_TREND_GROWTH if not k.endswith(".exit")},
                              "levers.evaluation.enforcement": 0.0}, scale=1.0)
    params = {**defaults(), "exit_base_hazard": 0.05, "exit_loss_sensitivity": 0.0,
              "exit_size_elasticity": size_elasticity}
    model = ParkModel(scenario, parameters=params, rng=3)
    model.year += 1  # base-year firms are eligible from the first projected year
    alive = model.firms.alive.sum()
    idx = np.flatnonzero(model.firms.alive)
    size = np.maximum(model.firms.output_yi[idx], 0.2)
    hazard = 0.05 * size ** -size_elasticity  # base-year firms are not young in their first projected year
    exit_firms(model)
    exits = alive - model.firms.alive.sum()
    assert model.counts["exits"] == exits
    assert abs(exits - hazard.sum()) < 4 * np.sqrt((hazard * (1 - hazard)).sum())


def test_large_firms_exit_far_less_often_than_small_ones():
    scenario = scenario_with({**{k: 0 for k in ONLY_TREND_GROWTH if not k.endswith(".exit")},
                              "levers.evaluation.enforcement": 0.0}, scale=1.0)
    model = ParkModel(scenario, parameters={**defaults(), "exit_loss_sensitivity": 0.0}, rng=3)
    model.year += 1
    factor = exit_size_age_factor(model, np.flatnonzero(model.firms.alive))
    size = model.firms.output_yi[model.firms.alive]
    assert factor[size >= 100].max() < 0.2 * factor[(size >= 0.2) & (size < 1)].min()


def test_evaluate_mujun_keeps_its_base_year_benchmarks_so_firms_that_improve_leave_class_d():
    firms = synthetic_population(400)
    model = model_stub(firms, evaluation_scenario())
    evaluate_mujun(model)
    benchmark, cutoffs = model.mujun_benchmark.copy(), model.mujun_cutoffs.copy()
    assert np.mean(firms.mujun_class == 3) == pytest.approx(0.05, abs=2 / 400)
    firms.output_yi *= 1.5  # every firm pays more tax and adds more value per 亩
    evaluate_mujun(model)
    np.testing.assert_array_equal(model.mujun_benchmark, benchmark)
    np.testing.assert_array_equal(model.mujun_cutoffs, cutoffs)
    assert np.mean(firms.mujun_class == 3) < 0.035  # from 5%: two of the six indicators rise
    assert np.mean(firms.mujun_class == 0) > 0.25 + 0.05


def test_evaluate_mujun_indexes_the_per_mu_benchmarks_by_the_price_level():
    firms = synthetic_population(400)
    model = model_stub(firms, evaluation_scenario())
    evaluate_mujun(model)
    classes = firms.mujun_class.copy()
    firms.output_yi *= 1.3
    model.price = 1.3  # the same real output at higher prices
    evaluate_mujun(model)
    np.testing.assert_array_equal(firms.mujun_class, classes)


def test_reserved_redeveloped_land_goes_to_leading_industry_projects_first():
    from parkabm.model.rules.recruitment import site_projects

    model = ParkModel(scenario_with(), parameters=defaults(), rng=1)
    state = model.park_state
    state.factory_space_mu[:] = 0.0
    state.vacant_mu[:] = 0.0
    state.vacant_mu[0] = 100.0
    state.reserved_mu[:] = 0.0
    state.reserved_mu[0] = 60.0
    need = np.array([30.0, 50.0, 20.0])
    park = np.zeros(3, dtype=np.int16)
    leading = np.array([False, True, False])
    floor, land_mu, sited = site_projects(model, need, park, leading, np.array([0.0, 1.0, 2.0]))
    # The leading project takes 50 of the 60 reserved 亩 although it is second in line; the others share the 40
    # unreserved 亩 and the 10 reserved 亩 it left (a priority, not a set-aside).
    np.testing.assert_array_equal(sited, [True, True, True])
    np.testing.assert_allclose(land_mu + floor, [30.0, 50.0, 20.0])
    assert state.vacant_mu[0] == pytest.approx(0.0) and state.reserved_mu[0] == 0.0


def test_without_the_reserve_the_leading_project_second_in_line_finds_no_space():
    from parkabm.model.rules.recruitment import site_projects

    model = ParkModel(scenario_with(), parameters=defaults(), rng=1)
    state = model.park_state
    state.factory_space_mu[:] = 0.0
    state.vacant_mu[:] = 0.0
    state.vacant_mu[0] = 60.0
    state.reserved_mu[:] = 0.0
    _, _, sited = site_projects(model, np.array([30.0, 50.0]), np.zeros(2, dtype=np.int16), np.array([False, True]),
                                np.array([0.0, 1.0]))
    np.testing.assert_array_equal(sited, [True, False])
    state.vacant_mu[0], state.reserved_mu[0] = 60.0, 60.0
    _, _, sited = site_projects(model, np.array([30.0, 50.0]), np.zeros(2, dtype=np.int16), np.array([False, True]),
                                np.array([0.0, 1.0]))
    np.testing.assert_array_equal(sited, [False, True])


def test_enforced_exits_send_their_land_to_their_parks_redevelopment_pipeline():
    model = ParkModel(scenario_with(), parameters=defaults(), rng=1)
    from parkabm.model.rules.exit import remove_firms

    state = model.park_state
    i = int(np.flatnonzero(model.firms.alive & (model.firms.land_mu > 0))[0])
    p, held = int(model.firms.park[i]), float(model.firms.land_mu[i])
    idle, pipe = state.idle_mu.copy(), state.pipeline_mu[:, -1].copy()
    remove_firms(model, np.array([i]), enforced=True, land_to="pipeline")
    assert state.pipeline_mu[p, -1] == pytest.approx(pipe[p] + held)
    np.testing.assert_array_equal(state.idle_mu, idle)


@settings(max_examples=200, deadline=None)
@given(values=st.lists(st.one_of(st.floats(0.0, 1e6), st.sampled_from([0.0, 1.0, 2.5, np.inf, np.nan])),
                       min_size=1, max_size=60),
       q=st.lists(st.floats(0.0, 1.0), min_size=1, max_size=4))
def test_medians_and_quantiles_of_sorted_values_are_numpys(values, q):
    # The base-year benchmarks and class cut-offs come from sorted, non-negative indicator values and scores:
    # the same numbers as np.median and np.quantile, ties, infinities and NaN included.
    from parkabm.model.rules.evaluation import sorted_medians, sorted_quantiles

    rows = np.array([values, values[::-1]])
    with np.errstate(invalid="ignore"):
        got = sorted_medians(np.sort(rows, axis=1))
        want = np.median(rows, axis=1)
        assert got.tobytes() == want.tobytes()
        got = sorted_quantiles(np.sort(rows[0]), np.array(q))
        want = np.quantile(rows[0], np.array(q))
        assert got.tobytes() == want.tobytes()
