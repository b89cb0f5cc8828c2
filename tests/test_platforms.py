"""赛马, 链主 and 进/退/聚 levers act as their clauses say; validity of the manufacturing opinions after 2021.

Every comparison is paired (common random numbers: same seeds, same parameters, one lever changed) on a small world,
and asserts that the 95% t interval of the paired differences excludes zero in the stated direction. Where noise
from diverging random streams would hide a mechanism, firm shocks (and recruitment) are switched off in both arms
so that the comparison isolates the rule under test.
"""

import numpy as np
import pytest
from model_fixtures import scenario_with, shipped
from scipy import stats

from parkabm.model.city import ParkModel
from parkabm.model.rules.race import assign_receivers
from parkabm.scenarios.loader import LAPSED_FUND_LEVERS, REPLACED_FUND_LEVERS, apply_changes, levers_after_2021
from parkabm.scenarios.parameters import defaults

SCALE = 0.25
SEEDS = range(12)
NO_SHOCKS = {"levers.mechanisms.shocks": 0}
QUIET = {**NO_SHOCKS, "levers.mechanisms.recruitment": 0}


def run(changes, seed, name="baseline"):
    """Run one small seeded model; return it with its first (2022) 赛马 ranking and base-year park output."""
    model = ParkModel(scenario_with(changes, name=name, scale=SCALE), parameters=defaults(), rng=seed)
    base_output = model.park_state.output_yi.copy()
    first_rank = None
    while model.running and model.year < model.horizon:
        model.step()
        if first_rank is None:
            first_rank = model.park_state.rank.copy()
    return model, first_rank, base_output


def lower_bound(differences):
    """Return the lower end of the 95% t interval of the mean of paired differences."""
    d = np.asarray(differences, dtype=float)
    return d.mean() - stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))


def paired(low, high, outcome, *, seeds=SEEDS):
    """Return high − low of ``outcome(model_high, model_low, rank_high, base_high)`` per seed."""
    out = []
    for seed in seeds:
        a = run(low, seed)
        b = run(high, seed)
        out.append(outcome(b, a))
    return np.array(out)


# --- 赛马 ---------------------------------------------------------------------------------------------------------

def land_share_of_first_top_half(arm):
    model, rank, _ = arm
    got = model.park_state.land_received_mu
    return got[rank < model.n_parks / 2].sum() / got.sum()


def test_a_higher_race_weight_gives_the_better_ranked_half_more_of_the_land_received():
    d = paired({"levers.race.weight": 0.0}, {"levers.race.weight": 1.0},
               lambda b, a: land_share_of_first_top_half(b) - land_share_of_first_top_half(a))
    assert lower_bound(d) > 0, d


def test_the_top_six_get_more_land_when_they_are_supported():
    def top_six_share(arm):
        model, rank, _ = arm
        got = model.park_state.land_received_mu
        return got[rank < 6].sum() / got.sum()

    d = paired({"levers.platforms.top_count": 0},
               {"levers.platforms.top_count": 6, "levers.platforms.top_bonus": 1.0},
               lambda b, a: top_six_share(b) - top_six_share(a))
    assert lower_bound(d) > 0, d


MERGE = {"levers.race.downgrade_after_years": 2, "levers.race.downgrade_bottom_positions": 3}


def test_persistently_weak_parks_are_merged_and_their_quota_goes_to_the_receiver():
    merged_counts, gains = [], []
    for seed in SEEDS:
        base, _, _ = run({}, seed)
        model, _, _ = run(MERGE, seed)
        state = model.park_state
        merged = state.downgraded
        merged_counts.append(merged.sum())
        assert (state.quota_share[merged] == 0).all()
        receivers = np.unique(state.receiver[merged])
        gains.append(state.land_received_mu[receivers].sum() - base.park_state.land_received_mu[receivers].sum())
        assert not base.park_state.downgraded.any()
    assert min(merged_counts) > 0
    assert lower_bound(gains) > 0, gains


# --- 链主 ---------------------------------------------------------------------------------------------------------

def test_a_lower_chain_leader_threshold_gives_more_leaders_and_more_spillover():
    def outcome(threshold, seed):
        model = ParkModel(scenario_with({**QUIET, "levers.chain_leaders.threshold_yi": threshold}, scale=SCALE),
                          parameters=defaults(), rng=seed)
        f = model.firms
        # Firms below both thresholds in leading industries at the base year: leaders in neither arm at first.
        group = np.flatnonzero(f.alive & model.lead_mask[f.park, f.sector] & (f.output_yi * model.scale < 20.0))
        model.run_model()
        return model.records[-1]["chain_leaders"], float((model.firms.output_yi / model.price)[group].sum())

    d = np.array([np.subtract(outcome(20.0, s), outcome(50.0, s)) for s in SEEDS])
    assert lower_bound(d[:, 0]) > 0, d
    assert lower_bound(d[:, 1]) > 0, d


# --- 进/退/聚 -----------------------------------------------------------------------------------------------------

def test_exit_type_parks_move_their_firms_into_the_receiving_platforms():
    moved, gains = [], []
    for seed in SEEDS:
        base, _, _ = run(NO_SHOCKS, seed)
        model, _, _ = run({**NO_SHOCKS, "levers.platforms.exit_weakest": 2}, seed)
        state = model.park_state
        exits = np.flatnonzero(state.exit_type)
        assert len(exits) == 2 and not base.park_state.exit_type.any()
        receivers = np.unique(state.receiver[exits])
        assert not state.exit_type[receivers].any()
        assert (state.quota_share[exits] == 0).all()
        assert (state.industrial_land_mu[exits] < base.park_state.industrial_land_mu[exits]).all()
        assert (state.land_returned_mu[exits] > 0).all()
        moved.append(state.relocated_in[receivers].sum())
        gains.append(state.output_yi[receivers].sum() - base.park_state.output_yi[receivers].sum())
    assert min(moved) > 0
    assert lower_bound(gains) > 0, gains


def test_wanmu_qianyi_priority_gives_the_platforms_more_land_and_output():
    def outcome(b, a):
        platforms = b[0].park_state.wanmu_platform
        return (b[0].park_state.land_received_mu[platforms].sum() - a[0].park_state.land_received_mu[platforms].sum(),
                b[0].park_state.output_yi[platforms].sum() - a[0].park_state.output_yi[platforms].sum())

    d = paired(NO_SHOCKS, {**NO_SHOCKS, "levers.platforms.wanmu_priority": 0.5}, outcome)
    assert lower_bound(d[:, 0]) > 0, d
    assert lower_bound(d[:, 1]) > 0, d


def test_receivers_are_neighbouring_major_platforms():
    model = ParkModel(scenario_with({"levers.platforms.exit_weakest": 2}, scale=SCALE), parameters=defaults(), rng=0)
    state = model.park_state
    districts = model.world.parks.loc[model.park_ids, "district_zh"].to_numpy()
    receivers = assign_receivers(state, districts, model.lead_mask)
    np.testing.assert_array_equal(receivers, state.receiver)
    major = (state.wanmu_platform | state.strategic_candidate) & ~state.exit_type
    assert major[receivers].all() and (receivers != np.arange(model.n_parks)).all()
    for p in range(model.n_parks):
        same = major & (districts == districts[p])
        same[p] = False
        if same.any():
            assert districts[receivers[p]] == districts[p]


def test_the_hangzhou_baseline_has_the_jiaxing_levers_off_and_the_jiaxing_scenario_on():
    base = shipped("baseline").levers
    assert (base.platforms.wanmu_priority, base.platforms.exit_weakest, base.platforms.top_count,
            base.race.downgrade_after_years) == (0, 0, 0, 0)
    jx = shipped("jiaxing_platforms").levers
    assert jx.platforms.wanmu_priority > 0 and jx.platforms.exit_weakest > 0 and jx.platforms.top_count == 6
    assert jx.race.downgrade_after_years > 0
    model = ParkModel(scenario_with({}, scale=SCALE), parameters=defaults(), rng=0)
    assert not model.park_state.exit_type.any() and model.park_state.wanmu_platform.any()


# --- validity of 制造业高质量发展若干意见 after 2021 ------------------------------------------------------------------

def test_lapsed_and_replaced_opinions_zero_their_fund_levers_from_2022_only():
    scenario = shipped("baseline")
    assert scenario.world.manufacturing_opinions_after_2021 == "continued"
    assert levers_after_2021(scenario) == scenario.levers
    for choice, names in (("lapsed", LAPSED_FUND_LEVERS), ("replaced", REPLACED_FUND_LEVERS)):
        changed = apply_changes(scenario, {"world.manufacturing_opinions_after_2021": choice})
        after = levers_after_2021(changed).funds
        for name in type(after).model_fields:
            expected = 0.0 if name in names else getattr(scenario.levers.funds, name)
            assert getattr(after, name) == expected, (choice, name)
    backcast = scenario_with({"world.base_year": 2019, "world.manufacturing_opinions_after_2021": "lapsed"},
                             scale=SCALE, horizon=2023)
    model = ParkModel(backcast, parameters=defaults(), rng=0)
    model.step()
    assert model.year == 2020 and model.levers.funds.manufacturing_fund_yi_per_year > 0
    model.step()
    model.step()
    assert model.year == 2022 and model.levers.funds.manufacturing_fund_yi_per_year == 0


@pytest.mark.parametrize(("metric", "pairs"), [
    ("fiscal_total_yi", (("lapsed", "replaced"), ("replaced", "continued"))),
    ("upgrades", (("lapsed", "continued"),)),
])
def test_lapsed_opinions_cost_less_and_bring_fewer_upgrades_than_continued_ones(metric, pairs):
    def total(arm):
        frame = arm[0].yearly_frame().set_index("year")
        return frame.loc[2022:, metric].sum()

    # A generous 技术改造 schedule, so that its lapse has upgrades to remove (as in test_direction.py).
    generous = {"levers.funds.manufacturing_fund_yi_per_year": 200.0, "levers.funds.tech_upgrade_subsidy_rate": 0.4}
    for low, high in pairs:
        d = paired({**generous, "world.manufacturing_opinions_after_2021": low},
                   {**generous, "world.manufacturing_opinions_after_2021": high}, lambda b, a: total(b) - total(a))
        assert lower_bound(d) > 0, (low, high, d)
