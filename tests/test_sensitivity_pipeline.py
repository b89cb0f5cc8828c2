"""Sensitivity analysis and scenario discovery of the model, end to end on a small world."""

import pandas as pd
import pytest
from click.testing import CliRunner

from parkabm.experiments.analysis.sensitivity.analysis import sa_experiment, sensitivity
from parkabm.experiments.cli import main
from parkabm.experiments.design.spec import load_spec
from parkabm.experiments.execution.executors import SerialExecutor
from parkabm.scenarios.errors import UserInputError

SCENARIO = "name: small\nextends: baseline\nworld: {population_scale: 0.1, horizon: 2025}\n"


def write_spec(folder, design, replicates=2, factors=None):
    (folder / "small.yaml").write_text(SCENARIO, encoding="utf-8")
    factors = factors or [
        "{name: levers.land.redevelopment_mu_per_year, kind: lever, bounds: [0, 30000]}",
        "{name: levers.recruitment.leading_focus, kind: lever, bounds: [0.1, 1.0]}",
        "{name: trend_growth_multiplier, kind: uncertainty, bounds: [0.5, 1.5]}",
        "{name: base_output_multiplier, kind: uncertainty, bounds: [0.82, 1.24]}",
    ]
    text = ("name: small_sa\nscenarios: [small.yaml]\nfactors:\n" + "".join(f"  - {f}\n" for f in factors)
            + f"design: {design}\nreplicates: {replicates}\nseed: 5\n")
    path = folder / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_sobol_from_the_cli_writes_indices_with_cis_report_and_charts(tmp_path):
    spec = write_spec(tmp_path, "{kind: sobol, base_samples: 8}")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["sensitivity", str(spec), "--out", str(out), "--workers", "1",
                                       "--output", "total_output", "--output", "leading_share"])
    assert result.exit_code == 0, result.output
    indices = pd.read_csv(out / "analysis" / "sobol" / "indices.csv")
    assert set(indices["output"]) == {"total_output", "leading_share"}
    st = indices[(indices["index"] == "ST") & (indices["output"] == "total_output")]
    assert len(st) == 4 and (st["ci_low"] <= st["value"]).all() and (st["value"] <= st["ci_high"]).all()
    # The growth trend and the 2021 base drive output far more than the leading-industry focus does.
    top = st.sort_values("value", ascending=False)["factor"].head(2)
    assert set(top) == {"trend_growth_multiplier", "base_output_multiplier"}
    noise = pd.read_csv(out / "analysis" / "sobol" / "noise.csv")
    assert noise["noise_share_single_run"].between(0, 1).all()  # two replicates: the noise share is measured
    convergence = pd.read_csv(out / "analysis" / "sobol" / "convergence.csv")
    assert sorted(convergence["n"].unique()) == [4, 8]
    assert (out / "analysis" / "sobol" / "report.md").read_text(encoding="utf-8").startswith("# Sensitivity")
    assert (out / "analysis" / "sobol" / "sobol_small_total_output.en.png").stat().st_size > 10_000
    assert "trend_growth_multiplier" in result.output and "results in" in result.output


def test_sensitivity_resumes_an_interrupted_design_and_gives_the_same_indices(tmp_path):
    spec = write_spec(tmp_path, "{kind: sobol, base_samples: 8}", replicates=1)
    out = tmp_path / "out"
    with SerialExecutor() as ex:
        first = sensitivity(spec, out=out, executor=ex, outputs=["total_output"], progress=False)
    parts = sorted((out / "parts").glob("yearly-*.parquet"))
    for part in parts[: len(parts) // 2]:  # as if the batch had been killed before these chunks were written
        part.unlink()
    with SerialExecutor() as ex:
        again = sensitivity(spec, out=out, executor=ex, outputs=["total_output"], progress=False)
    pd.testing.assert_frame_equal(first.indices, again.indices)


@pytest.mark.parametrize("method, n, index", [("morris", 6, "mu_star"), ("delta", 60, "delta"),
                                              ("pawn", 60, "pawn_median")])
def test_other_methods_run_on_the_same_factors(tmp_path, method, n, index):
    spec = write_spec(tmp_path, "{kind: latin_hypercube, samples: 4}", replicates=1)
    with SerialExecutor() as ex:
        result = sensitivity(spec, method=method, n=n, out=tmp_path / method, executor=ex,
                             outputs=["total_output"], progress=False)
    ranked = result.ranking("total_output")
    assert set(ranked["index"]) == {index} and len(ranked) == 4
    assert ranked.iloc[0]["factor"] in {"trend_growth_multiplier", "base_output_multiplier"}


def test_bad_sizes_and_outputs_are_user_errors(tmp_path):
    spec = write_spec(tmp_path, "{kind: sobol, base_samples: 8}")
    with pytest.raises(UserInputError, match="power of two"):
        sa_experiment(spec, "sobol", 12)
    result = CliRunner().invoke(main, ["sensitivity", str(spec), "--output", "gdp", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "--output" in result.output and "Traceback" not in result.output


def test_shipped_sensitivity_spec_declares_at_least_twelve_factors():
    experiment = load_spec("sobol_levers")
    assert len(experiment.spec.factors) >= 12
    assert experiment.spec.design.kind == "sobol" and experiment.spec.design.base_samples == 1024
    assert load_spec("discovery_levers").spec.design.kind == "latin_hypercube"


def test_discover_finds_the_growth_uncertainties_behind_the_output_target(tmp_path):
    spec = write_spec(tmp_path, "{kind: latin_hypercube, samples: 160}", replicates=1, factors=[
        "{name: levers.race.weight, kind: lever, bounds: [0.0, 1.0]}",
        "{name: trend_growth_multiplier, kind: uncertainty, bounds: [0.5, 1.5]}",
        "{name: base_output_multiplier, kind: uncertainty, bounds: [0.82, 1.24]}",
    ])
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["discover", str(spec), "--out", str(out), "--workers", "1",
                                       "--target", "output", "--threshold", "0.7"])
    assert result.exit_code == 0, result.output
    box = pd.read_csv(out / "discovery" / "small_box.csv").set_index("factor")
    assert box.loc["trend_growth_multiplier", "restricted"] or box.loc["base_output_multiplier", "restricted"]
    assert not box.loc["levers.race.weight", "restricted"]
    assert "the output target (>= 30,000亿元 in 2025) is met in" in result.output
    assert all((out / "discovery" / f"small_{chart}.en.png").is_file() for chart in ("tradeoff", "box"))
    # The same folder can be analysed again without running anything.
    again = CliRunner().invoke(main, ["discover", str(out), "--target", "output", "--threshold", "0.7"])
    assert again.exit_code == 0 and "coverage" in again.output


@pytest.mark.parametrize("crn", [True, False])
def test_common_random_numbers_remove_the_noise_floor_of_a_dummy_factor(tmp_path, crn):
    (tmp_path / "small.yaml").write_text(
        SCENARIO + "levers:\n  mechanisms: {chain_leader_service: 0}\n", encoding="utf-8")
    text = ("name: dummy_sa\nscenarios: [small.yaml]\nfactors:\n"
            "  - {name: trend_growth_multiplier, kind: uncertainty, bounds: [0.5, 1.5]}\n"
            "  - {name: levers.chain_leaders.service_boost, kind: lever, bounds: [0.0, 0.1]}\n"
            "design: {kind: sobol, base_samples: 16}\nreplicates: 1\nseed: 2\n"
            f"common_random_numbers: {str(crn).lower()}\n")
    (tmp_path / "spec.yaml").write_text(text, encoding="utf-8")
    with SerialExecutor() as ex:
        result = sensitivity(tmp_path / "spec.yaml", out=tmp_path / "out", executor=ex, outputs=["total_output"],
                             progress=False)
    st = result.ranking("total_output").set_index("factor")["value"]
    dummy = st["levers.chain_leaders.service_boost"]  # switched off by its mechanism: no effect at all
    if crn:
        assert abs(dummy) < 1e-9
    else:
        assert dummy > 0.02  # different seeds per point: noise shows up as a spurious total effect
