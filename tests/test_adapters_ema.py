"""The EMA Workbench adapter: declarations become EMA parameters and outcomes, and EMA's own tools run on parkabm."""

import numpy as np
import pandas as pd
import pytest
import yaml
from ema_workbench import (
    CategoricalParameter,
    Constant,
    IntegerParameter,
    MultiprocessingEvaluator,
    RealParameter,
    ScalarOutcome,
    SequentialEvaluator,
    TimeSeriesOutcome,
)
from ema_workbench.analysis import feature_scoring, prim
from ema_workbench.em_framework.samplers import sample_levers, sample_uncertainties
from scipy import stats

from parkabm.experiments.adapters.ema import (
    ema_model,
    ema_parameter,
    experiment_for,
    model_function,
    replicator_model,
    run_stream,
)
from parkabm.experiments.design.spec import Factor, load_spec
from parkabm.model.simulate import simulate
from parkabm.scenarios.errors import UserInputError
from parkabm.scenarios.loader import apply_changes

TINY = "name: tiny\nextends: baseline\nworld: {population_scale: 0.15}\n"
"""The baseline on a small world (about 10 ms a run), to 2025."""

SPEC = {
    "name": "ema_small",
    "scenarios": ["tiny.yaml"],
    "factors": [
        {"name": "levers.land.redevelopment_mu_per_year", "kind": "lever", "bounds": [5000, 40000]},
        {"name": "levers.recruitment.leading_focus", "kind": "lever", "bounds": [0.2, 1.0]},
        {"name": "levers.land.redevelopment_lag_years", "kind": "lever", "bounds": [1, 3]},
        {"name": "trend_growth_multiplier", "kind": "uncertainty",
         "distribution": {"dist": "triangular", "low": 0.5, "mode": 1.0, "high": 1.5}},
        {"name": "base_output_multiplier", "kind": "uncertainty", "bounds": [0.82, 1.24]},
    ],
    "design": {"kind": "latin_hypercube", "samples": 8},
    "replicates": 2,
    "seed": 5,
}
"""Three levers (one an integer) and two uncertainties (one triangular)."""

LEVERS = ["levers__land__redevelopment_mu_per_year", "levers__recruitment__leading_focus",
          "levers__land__redevelopment_lag_years"]
UNCERTAINTIES = ["trend_growth_multiplier", "base_output_multiplier"]


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ema")
    (folder / "tiny.yaml").write_text(TINY, encoding="utf-8")
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(SPEC, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def model(spec_file):
    return ema_model(spec_file)


@pytest.fixture(scope="module")
def results(model):
    """20 scenarios × 2 policies, one run each, sequentially."""
    np.random.seed(3)  # noqa: NPY002 - EMA 2.5's Latin hypercube draws from NumPy's global generator
    with SequentialEvaluator(model) as evaluator:
        return evaluator.perform_experiments(scenarios=20, policies=2)


def test_parameters_have_the_declared_kinds_units_and_ranges(model):
    assert sorted(model.levers.keys()) == sorted(LEVERS)
    assert sorted(model.uncertainties.keys()) == sorted(UNCERTAINTIES)
    land = model.levers["levers__land__redevelopment_mu_per_year"]
    assert isinstance(land, RealParameter) and (land.lower_bound, land.upper_bound) == (5000, 40000)
    assert land.variable_name == ["levers.land.redevelopment_mu_per_year"]  # what reaches the run
    lag = model.levers["levers__land__redevelopment_lag_years"]
    assert isinstance(lag, IntegerParameter) and (lag.lower_bound, lag.upper_bound) == (1, 3)
    trend = model.uncertainties["trend_growth_multiplier"]
    assert trend.dist.dist.name == "triang"
    assert (trend.lower_bound, trend.upper_bound) == pytest.approx((0.5, 1.5))
    factor = load_spec_factor("trend_growth_multiplier")
    for u in (0.05, 0.3, 0.5, 0.9):  # EMA samples what a parkabm design samples
        assert trend.dist.ppf(u) == pytest.approx(factor.distribution.ppf(u))


def load_spec_factor(name):
    return Factor.model_validate(next(f for f in SPEC["factors"] if f["name"] == name))


def test_levels_normal_and_fixed_factors_map_to_ema_types():
    levels = ema_parameter(Factor(name="levers.race.weight", kind="lever", levels=[0.0, 0.5, 1.0]))
    assert isinstance(levels, CategoricalParameter)
    assert [c.value for c in levels.categories] == [0.0, 0.5, 1.0]
    normal = Factor(name="recruitment_rate", kind="uncertainty",
                    distribution={"dist": "normal", "mean": 2.0, "sd": 0.5, "low": 1.0, "high": 3.0})
    parameter = ema_parameter(normal)
    assert parameter.dist.dist.name == "truncnorm"
    assert (parameter.lower_bound, parameter.upper_bound) == pytest.approx((1.0, 3.0))
    assert parameter.dist.ppf(0.3) == pytest.approx(normal.distribution.ppf(0.3))
    fixed = ema_parameter(Factor(name="recruitment_rate", kind="uncertainty",
                                 distribution={"dist": "fixed", "value": 2.0}))
    assert isinstance(fixed, Constant) and fixed.value == 2.0
    lag = ema_parameter(Factor(name="levers.land.redevelopment_lag_years", kind="lever",
                               distribution={"dist": "uniform", "low": 1, "high": 3}), integer=True)
    assert isinstance(lag, IntegerParameter) and (lag.lower_bound, lag.upper_bound) == (1, 3)
    uniform = ema_parameter(Factor(name="x", kind="lever", distribution={"dist": "uniform", "low": 2, "high": 4}))
    assert isinstance(uniform.dist.dist, type(stats.uniform))


def test_outcomes_come_from_the_registry_and_targets(model):
    kinds = {o.name: (type(o), o.kind) for o in model.outcomes}
    assert kinds["total_output_yi"] == (ScalarOutcome, ScalarOutcome.MAXIMIZE)
    assert kinds["leading_share"] == (ScalarOutcome, ScalarOutcome.MAXIMIZE)
    for target in ("p_output_target", "p_leading_target", "p_both_targets"):
        assert kinds[target] == (ScalarOutcome, ScalarOutcome.MAXIMIZE)
    assert kinds["total_output_yi_by_year"][0] is TimeSeriesOutcome and kinds["TIME"][0] is TimeSeriesOutcome


def test_perform_experiments_and_the_outcomes_are_parkabm_runs(results, spec_file):
    experiments, outcomes = results
    assert len(experiments) == 40 and experiments["policy"].nunique() == 2
    assert set(LEVERS + UNCERTAINTIES) <= set(experiments.columns)
    assert outcomes["total_output_yi_by_year"].shape == (40, 5)
    np.testing.assert_array_equal(outcomes["TIME"][0], [2021, 2022, 2023, 2024, 2025])
    np.testing.assert_array_equal(outcomes["total_output_yi"], outcomes["total_output_yi_by_year"][:, -1])
    met = (outcomes["total_output_yi"] >= 30000) & (outcomes["leading_share"] >= 0.6)
    np.testing.assert_array_equal(outcomes["p_both_targets"], met.astype(float))
    # one row, rerun by hand with the values EMA drew and the stream the adapter documents
    row = experiments.iloc[7]
    run = model_function(spec_file)
    values = {"levers.land.redevelopment_mu_per_year": float(row[LEVERS[0]]),
              "levers.recruitment.leading_focus": float(row[LEVERS[1]]),
              "levers.land.redevelopment_lag_years": int(row[LEVERS[2]]),
              "trend_growth_multiplier": float(row["trend_growth_multiplier"]),
              "base_output_multiplier": float(row["base_output_multiplier"])}
    scenario = apply_changes(run.scenario, {k: v for k, v in values.items() if k.startswith("levers.")})
    yearly = simulate(scenario, seed=5, replicate=run_stream(values, 0),
                      overrides={k: v for k, v in values.items() if not k.startswith("levers.")}).yearly
    assert outcomes["total_output_yi"][7] == yearly["total_output_yi"].iloc[-1]


def test_prim_finds_a_box_on_the_levers_and_uncertainties(results):
    experiments, outcomes = results
    x = experiments[LEVERS + UNCERTAINTIES]
    y = outcomes["total_output_yi"] >= np.median(outcomes["total_output_yi"])
    box = prim.Prim(x, y, threshold=0.6).find_box()
    limits = box.box_lims[-1]
    assert list(limits.columns) == LEVERS + UNCERTAINTIES and list(limits.index) == [0, 1]
    assert len(box.peeling_trajectory) > 1
    assert box.peeling_trajectory["density"].iloc[-1] > box.peeling_trajectory["density"].iloc[0]
    assert 0 < box.peeling_trajectory["coverage"].iloc[-1] <= 1


def test_feature_scoring_ranks_the_levers(results):
    experiments, outcomes = results
    scalars = {k: v for k, v in outcomes.items() if v.ndim == 1}
    scores = feature_scoring.get_feature_scores_all(experiments.drop(columns=["model"]), scalars)
    assert isinstance(scores, pd.DataFrame)
    assert set(LEVERS + UNCERTAINTIES) <= set(scores.index)
    assert "total_output_yi" in scores.columns
    assert scores["total_output_yi"].sum() == pytest.approx(1.0)


def test_multiprocessing_gives_the_sequential_numbers(model):
    np.random.seed(8)  # noqa: NPY002 - as above
    scenarios = sample_uncertainties(model, 3)
    policies = sample_levers(model, 2)
    with SequentialEvaluator(model) as evaluator:
        serial_x, serial = evaluator.perform_experiments(scenarios=scenarios, policies=policies)
    with MultiprocessingEvaluator(model, n_processes=2) as evaluator:
        pooled_x, pooled = evaluator.perform_experiments(scenarios=scenarios, policies=policies)
    pd.testing.assert_frame_equal(serial_x[LEVERS + UNCERTAINTIES], pooled_x[LEVERS + UNCERTAINTIES])
    np.testing.assert_array_equal(serial["total_output_yi_by_year"], pooled["total_output_yi_by_year"])
    assert len(np.unique(serial["total_output_yi"])) == 6  # distinct points, distinct runs


def test_replicator_model_averages_its_replications(spec_file):
    model = replicator_model(spec_file, replications=3)
    run = model_function(spec_file)
    point = {"levers.land.redevelopment_mu_per_year": 20000.0, "levers.recruitment.leading_focus": 0.6,
             "levers.land.redevelopment_lag_years": 2, "trend_growth_multiplier": 1.1,
             "base_output_multiplier": 1.0}
    from ema_workbench import Policy, Scenario

    scenario = Scenario("s", **{k: point[k] for k in ("trend_growth_multiplier", "base_output_multiplier")})
    policy = Policy("p", **{name: point[declared] for name, declared in zip(LEVERS, point, strict=False)})
    with SequentialEvaluator(model) as evaluator:
        _, outcomes = evaluator.perform_experiments(scenarios=[scenario], policies=[policy])
    singles = [run(replicate=r, **point) for r in range(3)]
    assert outcomes["total_output_yi"][0] == pytest.approx(np.mean([s["total_output_yi"] for s in singles]))
    assert outcomes["p_output_target"][0] == pytest.approx(np.mean([s["p_output_target"] for s in singles]))
    assert len({s["total_output_yi"] for s in singles}) == 3  # replications differ in their seeds only


def test_common_random_numbers_share_streams_across_points(spec_file):
    shared = model_function(spec_file, common_random_numbers=True)
    own = model_function(spec_file)
    a, b = {"trend_growth_multiplier": 1.0}, {"trend_growth_multiplier": 1.2}

    def by_hand(values, stream):
        return simulate(shared.scenario, seed=5, replicate=stream, overrides=values).yearly["total_output_yi"].iloc[-1]

    assert shared(replicate=1, **a)["total_output_yi"] == by_hand(a, 1)
    assert shared(replicate=1, **b)["total_output_yi"] == by_hand(b, 1)  # the same stream at another point
    assert own(replicate=1, **a)["total_output_yi"] == by_hand(a, run_stream(a, 1))
    assert run_stream(a, 1) != run_stream(b, 1) and run_stream(a, 0) != run_stream(a, 1)
    lever = "levers.land.redevelopment_mu_per_year"  # a whole number and its float are the same point
    assert own(**{lever: 20000})["total_output_yi"] == own(**{lever: 20000.0})["total_output_yi"]


def test_optimize_searches_the_levers(model):
    with SequentialEvaluator(model) as evaluator:
        front = evaluator.optimize(nfe=30, searchover="levers", epsilons=[500, 0.01, 0.5, 0.5, 0.5],
                                   population_size=10)
    assert len(front) >= 1
    assert set(LEVERS) <= set(front.columns) and "total_output_yi" in front.columns
    low, high = 5000, 40000
    assert front["levers__land__redevelopment_mu_per_year"].between(low, high).all()


def test_scenario_and_factor_list_without_a_file():
    experiment = experiment_for("baseline", [{"name": "levers.land.redevelopment_mu_per_year", "kind": "lever",
                                              "bounds": [5000, 20000]}], seed=2)
    model = ema_model(experiment)
    assert list(model.levers.keys()) == ["levers__land__redevelopment_mu_per_year"]
    assert not list(model.uncertainties.keys())
    with pytest.raises(UserInputError, match="factors"):
        experiment_for("baseline", [{"name": "levers.land.nonsense", "kind": "lever", "bounds": [0, 1]}])


def test_unknown_scenario_is_a_clear_error(spec_file):
    with pytest.raises(UserInputError, match="allowed: one of tiny"):
        ema_model(load_spec(spec_file), scenario="baseline")


def test_levels_reach_the_run_as_their_values(spec_file):
    experiment = experiment_for(spec_file.parent / "tiny.yaml", [
        {"name": "levers.land.redevelopment_lag_years", "kind": "lever", "levels": [1, 3]},
        {"name": "trend_growth_multiplier", "kind": "uncertainty", "bounds": [0.8, 1.2]},
    ], seed=5)
    model = ema_model(experiment)
    np.random.seed(1)  # noqa: NPY002 - EMA 2.5's samplers draw from NumPy's global generator
    with SequentialEvaluator(model) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=2, policies=2)
    lags = experiments["levers__land__redevelopment_lag_years"]
    assert set(lags) <= {1, 3}
    run = model_function(experiment)
    for i in range(len(experiments)):
        values = {"levers.land.redevelopment_lag_years": lags.iloc[i],
                  "trend_growth_multiplier": experiments["trend_growth_multiplier"].iloc[i]}
        assert run(**values)["total_output_yi"] == outcomes["total_output_yi"][i]
