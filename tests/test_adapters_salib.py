"""The SALib adapter: a ProblemSpec in real units that reproduces parkabm's own Sobol indices."""

import numpy as np
import pytest
import yaml
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import sobol as sobol_sample

from parkabm.experiments.adapters.salib import problem_spec, real_samples
from parkabm.experiments.analysis.sensitivity.analysis import sa_experiment, sensitivity
from parkabm.experiments.design.sensitivity import unit_problem
from parkabm.experiments.design.spec import load_spec
from parkabm.experiments.execution.executors import SerialExecutor
from parkabm.experiments.execution.store import load_results
from parkabm.scenarios.errors import UserInputError

TINY = "name: tiny\nextends: baseline\nworld: {population_scale: 0.15}\n"

FACTORS = [
    {"name": "levers.land.redevelopment_mu_per_year", "kind": "lever", "bounds": [5000, 40000]},
    {"name": "trend_growth_multiplier", "kind": "uncertainty",
     "distribution": {"dist": "triangular", "low": 0.5, "mode": 1.0, "high": 1.5}},
    {"name": "base_output_multiplier", "kind": "uncertainty",
     "distribution": {"dist": "normal", "mean": 1.0, "sd": 0.1, "low": 0.82, "high": 1.24}},
]
SPEC = {"name": "salib_small", "scenarios": ["tiny.yaml"], "factors": FACTORS,
        "design": {"kind": "sobol", "base_samples": 32}, "replicates": 1, "seed": 4}


def write(folder, spec):
    (folder / "tiny.yaml").write_text(TINY, encoding="utf-8")
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def spec_file(tmp_path_factory):
    return write(tmp_path_factory.mktemp("salib"), SPEC)


def test_problem_spec_in_real_units_with_dists(spec_file):
    sp = problem_spec(spec_file)
    assert sp["names"] == [f["name"] for f in FACTORS]
    assert sp["dists"] == ["unif", "triang", "truncnorm"]
    assert sp["bounds"] == [[5000.0, 40000.0], [0.5, 1.5, 0.5], [0.82, 1.24, 1.0, 0.1]]
    assert sp["groups"] == sp["names"]  # SALib fills in one group per factor when none are given


def test_salib_samples_are_the_factor_values_of_the_same_unit_points(spec_file):
    experiment = load_spec(spec_file)
    real = sobol_sample.sample(problem_spec(experiment), 16, calc_second_order=False, seed=9)
    unit = sobol_sample.sample(unit_problem(experiment.spec.factors).to_salib(), 16, calc_second_order=False,
                               seed=9)
    mapped = np.array([[f.value_at(u) for f, u in zip(experiment.spec.factors, row, strict=True)] for row in unit])
    np.testing.assert_allclose(real, mapped, rtol=1e-12)


def test_groups_are_passed_on(tmp_path):
    grouped = [{**FACTORS[0], "group": "land"}, {**FACTORS[1], "group": "economy"},
               {**FACTORS[2], "group": "economy"}]
    sp = problem_spec(write(tmp_path, {**SPEC, "factors": grouped}))
    assert sp["groups"] == ["land", "economy", "economy"]
    assert sp["num_vars"] == 3


@pytest.mark.parametrize(("factor", "key", "says"), [
    ({"name": "levers.race.weight", "kind": "lever", "levels": [0.0, 1.0]}, "factors[0].levels", "continuous"),
    ({"name": "trend_growth_multiplier", "kind": "uncertainty", "distribution": {"dist": "fixed", "value": 1.0}},
     "factors[0].distribution", "does not vary"),
    ({"name": "trend_growth_multiplier", "kind": "uncertainty",
      "distribution": {"dist": "triangular", "low": 0.5, "mode": 1.5, "high": 1.5}},
     "factors[0].distribution", "mode below high"),
])
def test_what_salib_cannot_express_is_a_clear_problem(tmp_path, factor, key, says):
    path = write(tmp_path, {**SPEC, "factors": [factor, FACTORS[0]]})
    with pytest.raises(UserInputError) as caught:
        problem_spec(path)
    [problem] = caught.value.problems
    assert (problem.key, problem.file) == (key, str(path))
    assert says in problem.allowed and factor["name"] in problem.allowed


def test_problem_spec_analyze_reproduces_the_project_sobol_indices(spec_file, tmp_path):
    with SerialExecutor() as executor:
        result = sensitivity(spec_file, method="sobol", out=tmp_path / "out", executor=executor,
                             outputs=["total_output"], progress=False)
    experiment = sa_experiment(spec_file, "sobol", None)
    sp = problem_spec(experiment, outputs=["total_output"])
    yearly = load_results(tmp_path / "out")
    at = yearly[yearly["year"] == 2025]
    Y = at.groupby("sample")["total_output_yi"].mean().reindex(range(experiment.n_points)).to_numpy()
    sp.set_samples(real_samples(experiment))
    sp.set_results(Y)
    sp.analyze(sobol_analyze.analyze, calc_second_order=False, num_resamples=200, conf_level=0.95,
               seed=experiment.spec.seed)
    ours = result.indices[(result.indices["output"] == "total_output") & (result.indices["n"] == 32)]
    for index in ("S1", "ST"):
        rows = ours[ours["index"] == index].set_index("factor").loc[sp["names"]]
        np.testing.assert_allclose(sp.analysis[index], rows["value"].to_numpy(), rtol=0, atol=1e-12)
        np.testing.assert_allclose(sp.analysis[f"{index}_conf"], (rows["ci_high"] - rows["value"]).to_numpy(),
                                   rtol=0, atol=1e-12)
    # the samples handed to SALib are the design's values in real units
    points = experiment.points()
    np.testing.assert_array_equal(sp.samples[:, 0], points["levers.land.redevelopment_mu_per_year"].to_numpy())
    assert sp.samples.shape == (32 * (3 + 2), 3)
