"""Experiment specs: a catalogue of bad files (file and key named, exit 2, no traceback), designs and the job table."""

import numpy as np
import pytest
from batch_fixtures import SMALL_SPEC, cli, output_of, write_spec

from parkabm.experiments.design import spec as spec_module
from parkabm.experiments.design.designs import DESIGNS, DesignKind, DesignSettings
from parkabm.experiments.design.spec import load_spec, resolve_spec, shipped_specs
from parkabm.scenarios.errors import UserInputError


def with_changes(**changes):
    return {**SMALL_SPEC, **changes}


LEVER = {"name": "levers.land.redevelopment_mu_per_year", "kind": "lever", "bounds": [5000, 20000]}
TREND = {"name": "trend_growth_multiplier", "kind": "uncertainty", "bounds": [0.8, 1.2]}
LHS = {"kind": "latin_hypercube", "samples": 3}

# id, spec (mapping or raw YAML text), key path expected in the problem, a text expected in the same line
BAD_SPECS = [
    ("malformed_yaml", "name: x\nscenarios: [tiny.yaml\nreplicates: 2\n", "-", "valid YAML"),
    ("duplicate_key", "name: x\nname: y\n", "-", "'name' appears twice"),
    ("empty_file", "# nothing\n", "-", "(empty file)"),
    ("unknown_key", with_changes(replicate=3), "replicate", "did you mean 'replicates'?"),
    ("unknown_lever_path", with_changes(factors=[{**LEVER, "name": "levers.land.redevelopment_mu"}], design=LHS),
     "factors[0].name", "did you mean 'levers.land.redevelopment_mu_per_year'?"),
    ("not_a_lever", with_changes(factors=[{**LEVER, "name": "world.horizon"}], design=LHS), "factors[0].name",
     "a lever path"),
    ("lever_bounds_out_of_range", with_changes(factors=[{**LEVER, "bounds": [5000, 90000]}], design=LHS),
     "factors[0].bounds", "from 0 to 50000"),
    ("lever_level_not_allowed", with_changes(
        factors=[{"name": "levers.evaluation.coverage", "kind": "lever", "levels": ["all", "some"]}]),
     "factors[0].levels", "one of 'all' or 'guishang'"),
    ("integer_lever_without_whole_number", with_changes(
        factors=[{"name": "levers.land.redevelopment_lag_years", "kind": "lever", "bounds": [0.2, 0.8]}],
        design=LHS), "factors[0].bounds", "whole number"),
    ("unknown_parameter", with_changes(factors=[{**TREND, "name": "trend_growth"}], design=LHS), "factors[0].name",
     "did you mean 'trend_growth_multiplier'?"),
    ("parameter_bounds_outside_hard_bounds", with_changes(factors=[{**TREND, "bounds": [0.1, 1.2]}], design=LHS),
     "factors[0].bounds", "from 0.5 to 1.5"),
    ("parameter_distribution_outside_hard_bounds", with_changes(factors=[{
        "name": "trend_growth_multiplier", "kind": "uncertainty",
        "distribution": {"dist": "uniform", "low": 0.8, "high": 2.0}}], design=LHS),
     "factors[0].distribution.high", "from 0.5 to 1.5"),
    ("unknown_distribution", with_changes(factors=[{**TREND, "bounds": None, "distribution": {"dist": "beta"}}],
                                          design=LHS), "factors[0].distribution.dist", "'uniform'"),
    ("two_ranges", with_changes(factors=[{**TREND, "levels": [1.0]}], design=LHS), "factors[0]",
     "exactly one of bounds, distribution, levels"),
    ("bounds_reversed", with_changes(factors=[{**TREND, "bounds": [1.2, 0.8]}], design=LHS), "factors[0].bounds",
     "low < high"),
    ("duplicate_factor", with_changes(factors=[TREND, TREND], design=LHS), "factors[1].name", "distinct"),
    ("unknown_output", with_changes(outputs={"metrics": ["total_output"]}), "outputs.metrics[0]",
     "did you mean 'total_output_yi'?"),
    ("unknown_scenario", with_changes(scenarios=["baselin"]), "scenarios[0]", "did you mean 'baseline'?"),
    ("missing_scenario_file", with_changes(scenarios=["nowhere/policy.yaml"]), "scenarios[0]", "does not exist"),
    ("no_scenarios", with_changes(scenarios=[]), "scenarios", "non-empty list"),
    ("empty_factors_for_grid", with_changes(factors=[]), "factors", "at least one factor"),
    ("grid_without_levels", with_changes(factors=[LEVER]), "factors[0].levels", "needs the levels"),
    ("factors_without_design", with_changes(design=None), "design", "required when factors are given"),
    ("unknown_design", with_changes(design={"kind": "latin_hypercub"}), "design.kind",
     "did you mean 'latin_hypercube'?"),
    ("random_design_without_samples", with_changes(factors=[TREND], design={"kind": "monte_carlo"}),
     "design.samples", "required"),
    ("replicates_zero", with_changes(replicates=0), "replicates", "a whole number ≥ 1"),
    ("replicates_text", with_changes(replicates="ten"), "replicates", "a whole number ≥ 1"),
    ("horizon_beyond_2030", with_changes(horizon=2040), "horizon", "2030"),
    ("horizon_before_base_year", with_changes(horizon=2021), "horizon", "a year from 2022"),
    ("bad_name", with_changes(name="My Experiment"), "name", "lowercase letters"),
    ("run_setting_in_spec", with_changes(workers=4), "workers", "known keys"),
]


@pytest.mark.parametrize("case, body, key, fragment", BAD_SPECS, ids=[c[0] for c in BAD_SPECS])
def test_bad_spec_names_file_key_and_what_is_allowed(tmp_path, monkeypatch, case, body, key, fragment):
    monkeypatch.chdir(tmp_path)
    write_spec(tmp_path, body)
    with pytest.raises(UserInputError) as caught:
        load_spec("spec.yaml")
    lines = str(caught.value).splitlines()
    assert any(line.startswith(f"spec.yaml: {key} = ") and fragment in line for line in lines), lines


@pytest.mark.parametrize("case, body, key, fragment", BAD_SPECS[::3], ids=[c[0] for c in BAD_SPECS[::3]])
def test_bad_spec_on_the_command_line_exits_2_without_traceback(tmp_path, monkeypatch, case, body, key, fragment):
    monkeypatch.chdir(tmp_path)
    write_spec(tmp_path, body)
    result = cli("batch", "spec.yaml", "--workers", 1)
    text = output_of(result)
    assert result.exit_code == 2, text
    assert "Traceback" not in text
    assert f"spec.yaml: {key} = " in text and fragment in text
    assert not (tmp_path / "results").exists()


def test_missing_spec_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("batch", "absent.yaml")
    assert result.exit_code == 2
    assert "absent.yaml: - = (no such file)" in output_of(result)


def test_every_problem_of_a_file_is_reported_at_once(tmp_path):
    path = write_spec(tmp_path, with_changes(scenarios=["baselin", "tiny.yaml"], outputs={"metrics": ["nope"]},
                                             factors=[{**TREND, "name": "nope"}, LEVER], design=LHS))
    with pytest.raises(UserInputError) as caught:
        load_spec(path)
    keys = {p.key for p in caught.value.problems}
    assert {"scenarios[0]", "factors[0].name", "outputs.metrics[0]"} <= keys


def test_scenario_paths_are_relative_to_the_spec_file(tmp_path, monkeypatch):
    folder = tmp_path / "study"
    folder.mkdir()
    write_spec(folder)
    monkeypatch.chdir(tmp_path)
    experiment = load_spec("study/spec.yaml")
    assert list(experiment.scenarios) == ["tiny"]
    assert experiment.scenarios["tiny"].world.population_scale == 0.15


def test_shipped_examples_are_valid_and_named_by_their_name():
    assert {"land_supply", "chain_leaders"} <= set(shipped_specs())
    for name in shipped_specs():
        experiment = load_spec(name)
        assert experiment.n_jobs == len(experiment.jobs()) > 0


def test_job_table_is_deterministic_and_scenario_major(tmp_path):
    experiment = load_spec(write_spec(tmp_path, with_changes(scenarios=["tiny.yaml", "baseline"])))
    jobs = experiment.jobs()
    again = load_spec(tmp_path / "spec.yaml").jobs()
    assert jobs.equals(again)
    assert list(jobs.columns) == ["job", "scenario", "sample", "replicate", "levers.land.redevelopment_mu_per_year",
                                  "trend_growth_multiplier", "seed", "spawn_key"]
    assert len(jobs) == experiment.n_jobs == 2 * 6 * 2
    assert jobs["job"].tolist() == list(range(24))
    assert jobs["scenario"].tolist() == ["tiny"] * 12 + ["baseline"] * 12
    assert jobs["replicate"].tolist() == [0, 1] * 12
    assert jobs["spawn_key"].map(list).tolist() == [[j] for j in range(24)]
    # a grid varies the first factor slowest; replicates of a point share its values
    points = jobs[jobs["replicate"] == 0].iloc[:6]
    assert points["levers.land.redevelopment_mu_per_year"].tolist() == [5000, 5000, 20000, 20000, 40000, 40000]
    assert points["trend_growth_multiplier"].tolist() == [0.8, 1.2] * 3
    pairs = jobs.groupby(["scenario", "sample"])["trend_growth_multiplier"].nunique()
    assert (pairs == 1).all()


def test_random_designs_cover_their_ranges_and_depend_on_the_seed(tmp_path):
    lag = {"name": "levers.land.redevelopment_lag_years", "kind": "lever", "bounds": [0, 3]}
    normal = {"name": "volatility_multiplier", "kind": "uncertainty",
              "distribution": {"dist": "normal", "mean": 1.0, "sd": 0.5}}
    body = with_changes(factors=[LEVER, TREND, lag, normal], design={"kind": "latin_hypercube", "samples": 40})
    experiment = load_spec(write_spec(tmp_path, body))
    points = experiment.points()
    assert len(points) == 40
    strata = np.floor((points[LEVER["name"]] - 5000) / 15000 * 40).astype(int)
    assert sorted(strata) == list(range(40)), "one point per stratum"
    assert points[lag["name"]].dtype == np.int64 and set(points[lag["name"]]) == {0, 1, 2, 3}
    # a normal without truncation gets the parameter's hard bounds (0.5 to 1.5)
    assert points[normal["name"]].between(0.5, 1.5).all()
    other = load_spec(write_spec(tmp_path, {**body, "seed": 12}, name="other.yaml")).points()
    assert not np.allclose(points[LEVER["name"]], other[LEVER["name"]])
    mc = load_spec(write_spec(tmp_path, {**body, "design": {"kind": "monte_carlo", "samples": 5}}, name="mc.yaml"))
    assert mc.points()[TREND["name"]].between(0.8, 1.2).all()


def test_design_kinds_are_one_explicit_table(tmp_path, monkeypatch):
    class Corners(DesignSettings):
        kind: str

    def corners(factors, settings, rng):
        return np.array([[0.0] * len(factors), [0.999] * len(factors)])

    monkeypatch.setitem(DESIGNS, "corners", DesignKind("corners", Corners, corners, lambda factors, settings: 2))
    experiment = load_spec(write_spec(tmp_path, with_changes(factors=[TREND], design={"kind": "corners"})))
    assert experiment.points()[TREND["name"]].round(3).tolist() == [0.8, 1.2]
    assert spec_module.DESIGNS is DESIGNS  # the spec reads the one table of designs.py
    assert set(DESIGNS) == {"grid", "monte_carlo", "latin_hypercube", "sobol", "morris", "corners"}


def test_hash_is_canonical_and_follows_the_scenarios(tmp_path):
    first = load_spec(write_spec(tmp_path))
    explicit = load_spec(write_spec(tmp_path, with_changes(outputs={"metrics": None, "parks": False}, horizon=None),
                                    name="explicit.yaml"))
    assert first.spec_hash == explicit.spec_hash  # defaults written out do not change the experiment
    (tmp_path / "tiny.yaml").write_text(
        "name: tiny\nextends: baseline\nworld: {population_scale: 0.2, horizon: 2023}\n", encoding="utf-8")
    assert load_spec(tmp_path / "spec.yaml").spec_hash != first.spec_hash


def test_spec_built_in_code(tmp_path):
    experiment = resolve_spec({"name": "two", "scenarios": ["baseline", "land_first"], "replicates": 3},
                              source="notebook")
    assert experiment.n_jobs == 6 and experiment.n_points == 1
    assert experiment.factor_values(0) == ({}, {})
    with pytest.raises(UserInputError, match="notebook: replicates"):
        resolve_spec({"name": "two", "scenarios": ["baseline"], "replicates": -1}, source="notebook")


def test_latin_hypercube_points_are_scipys_drawn_from_the_specs_generator():
    from scipy.stats import qmc

    from parkabm.experiments.design.designs import LatinHypercubeDesign, latin_hypercube_points

    settings = LatinHypercubeDesign(kind="latin_hypercube", samples=12)
    factors = [object()] * 3  # the sampler reads only how many factors there are
    points = latin_hypercube_points(factors, settings, np.random.default_rng(5))
    expected = qmc.LatinHypercube(d=3, rng=np.random.default_rng(5)).random(12)
    np.testing.assert_array_equal(points, expected)
    for column in points.T:  # one point in each of the 12 strata of every factor
        assert sorted(np.floor(column * 12).astype(int)) == list(range(12))
    assert latin_hypercube_points([], settings, np.random.default_rng(5)).shape == (12, 0)
