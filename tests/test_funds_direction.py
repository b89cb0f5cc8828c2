"""Direction of the fund levers and of the 腾笼换鸟 chain, with common random numbers (docs/ODD.md §7.3, 7.4, 7.10).

Every comparison runs both arms on the same seeds and the same (default) parameters and asserts that the 95% t
interval of the paired difference excludes zero in the stated direction. A lever that stops acting makes the two arms
identical, so the interval collapses to zero and the test fails. The sizes of the blocks of seeds were settled on
other blocks of seeds of the same size, where the interval excluded zero as well.
"""

from functools import cache
from itertools import pairwise

import numpy as np
import pytest
from model_fixtures import scenario_with
from scipy import stats

from parkabm.experiments.analysis.effects import TRANSFER_LEVERS
from parkabm.model.city import ParkModel
from parkabm.model.rules.exit import compensation_acceptance
from parkabm.scenarios.parameters import defaults

SCALE = 0.5
FUND_COUNTS = ("upgrades", "subsidised_upgrades", "enforced_exits", "enforced_exit_land_mu", "fund_room_yi",
               "fund_subsidy_demand_yi")


def run(changes: dict, seed: int, *, horizon: int = 2025) -> dict[str, float]:
    """Run one seeded model; return its fund counts summed over the projected years and last-year outputs."""
    model = ParkModel(scenario_with(changes, scale=SCALE, horizon=horizon), parameters=defaults(), rng=seed)
    totals = dict.fromkeys(FUND_COUNTS, 0.0)
    yearly_room_minus_demand = []
    while model.running and model.year < model.horizon:
        model.step()
        for name in FUND_COUNTS:
            totals[name] += model.counts[name]
        yearly_room_minus_demand.append(model.counts["fund_room_yi"] - model.counts["fund_subsidy_demand_yi"])
    frame = model.yearly_frame().set_index("year")
    last = frame.loc[horizon]
    projected = frame.loc[model.base_year + 1:]
    return {**totals, "total_output_yi": last["total_output_yi"], "tax_per_mu_wan": last["tax_per_mu_wan"],
            "rd_to_gdp": last["rd_to_gdp"], "mean_low_efficiency": float(model.last_tally.park_low_efficiency_share
                                                                         .mean()),
            "fiscal_tech_upgrade_subsidy_yi": projected["fiscal_tech_upgrade_subsidy_yi"].sum(),
            "fiscal_phaseout_compensation_yi": projected["fiscal_phaseout_compensation_yi"].sum(),
            "min_slack_yi": min(yearly_room_minus_demand)}


@cache
def _paired(low: tuple, high: tuple, seeds: tuple, horizon: int) -> dict[str, np.ndarray]:
    pairs = [(run(dict(low), s, horizon=horizon), run(dict(high), s, horizon=horizon)) for s in seeds]
    return {k: np.array([h[k] - lo[k] for lo, h in pairs]) for k in pairs[0][0]}


def paired(low: dict, high: dict, seeds, *, horizon: int = 2025) -> dict[str, np.ndarray]:
    """Return per-seed differences high − low of every quantity of :func:`run` (computed once per comparison)."""
    return _paired(tuple(sorted(low.items())), tuple(sorted(high.items())), tuple(seeds), horizon)


def interval(d: np.ndarray) -> tuple[float, float, float]:
    """Return the mean of paired differences and its 95% t interval."""
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return float(d.mean()), float(d.mean() - half), float(d.mean() + half)


def assert_positive(d: np.ndarray) -> None:
    mean, low, high = interval(d)
    assert low > 0, (mean, low, high)


def assert_negative(d: np.ndarray) -> None:
    mean, low, high = interval(d)
    assert high < 0, (mean, low, high)


# --- the manufacturing fund: a ceiling that acts where it binds ---------------------------------------------------

def test_a_bigger_fund_changes_nothing_while_subsidy_demand_stays_below_its_room():
    # The baseline's 20亿 leaves room above full-rate demand in every year (the slack effects.md reports), so doubling
    # the fund leaves every run unchanged: the cap is a ceiling, not spending.
    for seed in range(3):
        base = run({}, seed)
        assert base["min_slack_yi"] > 0, base
        bigger = run({"levers.funds.manufacturing_fund_yi_per_year": 40.0}, seed)
        np.testing.assert_allclose(bigger.pop("fund_room_yi"), base.pop("fund_room_yi") + 20.0 * 4)
        np.testing.assert_allclose(bigger.pop("min_slack_yi"), base.pop("min_slack_yi") + 20.0)
        assert bigger == base


@pytest.mark.parametrize("metric", ["upgrades", "fiscal_tech_upgrade_subsidy_yi"])
def test_where_subsidy_demand_exceeds_the_fund_a_bigger_fund_brings_more_upgrades(metric):
    # At a 30% rate full-rate demand exceeds the room of 20亿 (subsidies are rationed, and firms expect less next
    # year); a fund of 60亿 pays them in full.
    rate = {"levers.funds.tech_upgrade_subsidy_rate": 0.3}
    assert run(rate, 0)["min_slack_yi"] < 0
    d = paired(rate, {**rate, "levers.funds.manufacturing_fund_yi_per_year": 60.0}, range(20))
    assert_positive(d[metric])


# --- milestone rewards: a pure transfer ---------------------------------------------------------------------------

def test_milestone_rewards_are_a_pure_transfer_and_reported_as_one():
    assert "levers.funds.milestone_reward_scale" in TRANSFER_LEVERS
    for seed in range(3):
        low = ParkModel(scenario_with({"levers.funds.milestone_reward_scale": 0.0}, scale=SCALE),
                        parameters=defaults(), rng=seed)
        high = ParkModel(scenario_with({"levers.funds.milestone_reward_scale": 5.0}, scale=SCALE),
                         parameters=defaults(), rng=seed)
        low.run_model()
        high.run_model()
        a, b = low.yearly_frame(), high.yearly_frame()
        fiscal = [c for c in a.columns if c.startswith("fiscal_")]
        assert (b["fiscal_milestone_rewards_yi"].iloc[1:] >= a["fiscal_milestone_rewards_yi"].iloc[1:]).all()
        assert b["fiscal_milestone_rewards_yi"].sum() > 0 == a["fiscal_milestone_rewards_yi"].sum()
        assert a.drop(columns=fiscal).equals(b.drop(columns=fiscal))


# --- 技术改造: rate and thresholds ----------------------------------------------------------------------------------

BIG_FUND = {"levers.funds.manufacturing_fund_yi_per_year": 200.0}


@pytest.mark.parametrize("metric", ["upgrades", "subsidised_upgrades", "fiscal_tech_upgrade_subsidy_yi"])
def test_doubling_the_upgrade_subsidy_rate_brings_more_upgrades_and_costs_more(metric):
    d = paired({"levers.funds.tech_upgrade_subsidy_rate": 0.1}, {"levers.funds.tech_upgrade_subsidy_rate": 0.2},
               range(20))
    assert_positive(d[metric])


@pytest.mark.parametrize("metric", ["total_output_yi", "tax_per_mu_wan"])
def test_upgrade_subsidies_raise_output_and_tax_per_mu_by_2030(metric):
    # By 2025 the effect is within the noise (upgrades accumulate); by 2030 it is not.
    d = paired({**BIG_FUND, "levers.funds.tech_upgrade_subsidy_rate": 0.0},
               {**BIG_FUND, "levers.funds.tech_upgrade_subsidy_rate": 0.4}, range(30), horizon=2030)
    assert_positive(d[metric])


@pytest.mark.parametrize("metric", ["subsidised_upgrades", "fiscal_tech_upgrade_subsidy_yi"])
def test_lower_investment_thresholds_make_more_upgrades_eligible(metric):
    d = paired({"levers.funds.tech_upgrade_min_investment_yi": 1.0, "levers.funds.strategic_min_investment_yi": 0.4},
               {"levers.funds.tech_upgrade_min_investment_yi": 0.25,
                "levers.funds.strategic_min_investment_yi": 0.1}, range(10))
    assert_positive(d[metric])


# --- innovation support -------------------------------------------------------------------------------------------

def test_more_innovation_support_raises_rd_over_gdp():
    d = paired({}, {"levers.funds.innovation_support_yi_per_year": 6.0}, range(10))
    assert_positive(d["rd_to_gdp"])


# --- 淘汰落后产能 compensation ----------------------------------------------------------------------------------------

def test_compensation_acceptance_is_one_without_a_city_share_and_rises_with_it():
    assert compensation_acceptance(0.0, 1.0) == 1.0
    values = [compensation_acceptance(c, 1.0) for c in (0.0, 0.15, 0.3, 0.6, 0.9)]
    assert all(a < b for a, b in pairwise(values))
    assert compensation_acceptance(1.0, 1.0) == values[-1]  # the share enters capped (a numerical guard)
    assert compensation_acceptance(0.6, 2.0) > compensation_acceptance(0.6, 1.0)


@pytest.mark.parametrize("metric", ["enforced_exits", "enforced_exit_land_mu", "fiscal_phaseout_compensation_yi"])
def test_a_higher_compensation_share_brings_more_exits_and_land_into_redevelopment(metric):
    d = paired({"levers.funds.phaseout_compensation_share": 0.0},
               {"levers.funds.phaseout_compensation_share": 0.6}, range(20))
    assert_positive(d[metric])


# --- 腾笼换鸟: stricter enforcement and output, with space not binding and binding -------------------------------

SPACE_BOUND = {"levers.land.new_land_quota_mu_per_year": 0.0, "levers.land.standard_factory_m2_per_year": 0.0,
               "levers.land.redevelopment_mu_per_year": 0.0}
"""No new land, no standard factories and no redevelopment quota: only enforced exits free land for recruits."""
LAX, STRICT = {"levers.evaluation.enforcement": 0.0}, {"levers.evaluation.enforcement": 1.0}


def test_stricter_enforcement_lowers_2025_output_where_space_does_not_bind():
    # Baseline: exits remove output at once; new land and standard factories already give recruits space, so the
    # redeveloped land adds little by 2025.
    d = paired(LAX, STRICT, range(30))
    assert_negative(d["total_output_yi"])
    assert_positive(d["tax_per_mu_wan"])
    assert_negative(d["mean_low_efficiency"])


def test_stricter_enforcement_raises_2030_output_where_space_binds():
    # Only the land of enforced exits reaches the recruits, after the lag, and the replacements are more productive
    # per 亩 than the D firms they replace.
    d = paired({**SPACE_BOUND, **LAX}, {**SPACE_BOUND, **STRICT}, range(40), horizon=2030)
    assert_positive(d["enforced_exit_land_mu"])
    assert_positive(d["total_output_yi"])
    assert_positive(d["tax_per_mu_wan"])


# --- the effects report's fund sections ---------------------------------------------------------------------------

def test_the_effects_report_gives_each_fund_lever_its_channel_and_says_whether_the_fund_binds():
    import pandas as pd

    from parkabm.experiments.analysis.effects import (
        CHANNELS,
        LeverStep,
        channel_effects,
        fund_sections,
        fund_slack,
    )

    lever = "levers.funds.tech_upgrade_subsidy_rate"
    assert CHANNELS[lever] == ("upgrades", "sum")
    rows = []
    for arm in (0, 1):
        for replicate in range(4):
            for year in (2021, 2022, 2023):
                rows.append({"arm": arm, "replicate": replicate, "year": year,
                             "upgrades": 10 + arm * (3 + replicate % 2) if year > 2021 else 99,
                             "fiscal_tech_upgrade_subsidy_yi": 5.0 if replicate else 16.8,
                             "fiscal_milestone_rewards_yi": 0.2, "fiscal_innovation_support_yi": 3.0})
    runs = pd.DataFrame(rows)
    step = LeverStep(lever, "×2", 0.1, 0.2)
    channels = channel_effects(runs, [step], year=2023, base_year=2021)
    row = channels.iloc[0]
    assert row["metric"] == "upgrades" and row["significant"] and row["effect"] == 7.0  # (3 or 4) × 2 years
    slack = fund_slack(runs, 20.0, year=2023, base_year=2021)
    assert slack is not None
    np.testing.assert_allclose([slack["room_yi"], slack["binding_share"]], [16.8, 0.25])
    np.testing.assert_allclose(slack["slack_yi"], 0.75 * 11.8)
    text = "\n".join(fund_sections(channels, slack, 20.0, "en"))
    assert "binds in 25% of replicate-years" in text and "Not binding in this scenario" in text
    assert "binds in 100%" in "\n".join(fund_sections(None, {**slack, "binding_share": 1.0}, 20.0, "en"))
    assert "Not binding" not in "\n".join(fund_sections(None, {**slack, "binding_share": 1.0}, 20.0, "en"))
    assert fund_slack(runs.drop(columns="fiscal_innovation_support_yi"), 20.0, year=2023, base_year=2021) is None
