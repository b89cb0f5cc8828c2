"""The rules' assumed numbers are declared parameters: fixed at their defaults in the baseline, read by the rules."""

import numpy as np
import pandas as pd
import pytest

from parkabm.model.city import ParkModel
from parkabm.scenarios.loader import apply_changes, load_scenario
from parkabm.scenarios.parameters import PARAMETERS, defaults

RULE_PARAMETERS = (
    "mujun_score_cap", "rectification_upgrade_factor_c", "rectification_upgrade_factor_d",
    "capacity_pressure_utilisation", "capacity_pressure_upgrade_factor", "rd_gain_per_upgrade", "existing_plot_ratio",
    "factory_land_share_of_vacant", "prior_redevelopment_mu_per_year", "phaseout_compensation_wan_per_mu",
    "race_spread", "new_project_productivity_premium", "project_capacity_slack", "innovation_rd_leverage",
    "utilisation_sd", "small_firm_floor_yi", "exit_size_elasticity", "exit_young_multiplier", "exit_young_years",
    "service_entry_rate", "entry_size_ratio", "entry_max_size_yi", "upgrade_margin", "upgrade_hurdle_rate",
    "upgrade_return_sd", "industry_fund_deployment_years", "industry_fund_stake_share",
    "low_efficiency_tax_share",
    "phaseout_acceptance_elasticity",
    "land_use_tax_yuan_per_m2", "water_m3_per_kwh", "gas_m3_per_kwh", "land_release_response",
)


def small_baseline():
    return apply_changes(load_scenario("baseline"), {"world.population_scale": 0.2})


def run(seed: int = 15, **overrides) -> pd.DataFrame:
    # Seed 15: a small world where most rule parameters bind (the vacant-land cap of standard factories is reached,
    # young firms exit); a parameter that binds only in rarer situations is tried on a few more seeds.
    model = ParkModel(small_baseline(), parameters={**defaults(), **overrides}, rng=seed)
    model.run_model()
    return model.yearly_frame()


@pytest.mark.parametrize("name", RULE_PARAMETERS)
def test_the_baseline_fixes_each_rule_parameter_at_its_default_without_a_draw(name):
    p = PARAMETERS[name]
    assert p.low <= p.default <= p.high and p.low < p.high
    assert p.source.startswith("assumed:") and not p.sampled_in_baseline
    scenario = load_scenario("baseline")
    assert name not in scenario.uncertainties
    assert scenario.parameter_values(np.random.default_rng(0))[name] == p.default


def test_the_rule_parameters_are_the_ones_the_baseline_does_not_sample():
    assert {n for n, p in PARAMETERS.items() if not p.sampled_in_baseline} == set(RULE_PARAMETERS)


@pytest.mark.parametrize("name", RULE_PARAMETERS)
def test_moving_a_rule_parameter_to_the_end_of_its_range_changes_the_run(name):
    p = PARAMETERS[name]
    far = p.high if p.high - p.default >= p.default - p.low else p.low
    assert any(not run(seed, **{name: far}).equals(run(seed)) for seed in (15, 1, 2, 3, 4, 6))


def test_phaseout_compensation_scales_the_citys_compensation_cost_in_proportion():
    base = run()["fiscal_phaseout_compensation_yi"]
    doubled = run(phaseout_compensation_wan_per_mu=200.0)["fiscal_phaseout_compensation_yi"]
    assert base.iloc[1:].sum() > 0
    np.testing.assert_allclose(doubled, 2 * base, rtol=1e-12)


def test_a_rule_parameter_can_be_sampled_as_an_uncertainty():
    scenario = apply_changes(small_baseline(), {"uncertainties.race_spread": {"dist": "uniform", "low": 0.25,
                                                                              "high": 0.9}})
    values = {scenario.parameter_values(np.random.default_rng(s))["race_spread"] for s in range(5)}
    assert len(values) == 5 and all(0.25 <= v <= 0.9 for v in values)
