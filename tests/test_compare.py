"""`parkabm compare`: two small scenarios to 2025, the tidy table, the chart and the printed P(met)."""

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from batch_fixtures import cli, output_of, write_scenario

from parkabm.experiments.analysis.compare import COLUMNS, OUTCOME_METRICS, compare, comparison_experiment
from parkabm.experiments.charts import comparison_chart
from parkabm.scenarios.errors import UserInputError

SMALL = "name: small_{name}\nextends: {name}\nworld: {{population_scale: 0.15}}\n"


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    """``parkabm compare`` of a small baseline and a small land-first scenario, 3 replicates each, to 2025."""
    folder = tmp_path_factory.mktemp("compare")
    for name in ("baseline", "land_first"):
        write_scenario(folder, SMALL.format(name=name), name=f"small_{name}.yaml")
    out = folder / "out"
    result = cli("compare", folder / "small_baseline.yaml", folder / "small_land_first.yaml", "--reps", 3,
                 "--seed", 4, "--workers", 1, "--out", out)
    return result, out


def test_compare_prints_p_met_per_scenario_and_target(compared):
    result, out = compared
    assert result.exit_code == 0, output_of(result)
    lines = result.stdout.splitlines()
    header = next(line for line in lines if line.startswith("target"))
    assert "small_baseline" in header and "small_land_first" in header
    # a target is named by its label, with its value, unit and year; its id is the last column
    row = next(line for line in lines if line.startswith("Above-scale enterprises' gross output"))
    assert "≥ 30,000 亿元 in 2025" in row and row.count("[") == 2  # one P(met) [CI] per scenario
    assert row.endswith("total_output_2023")
    share = next(line for line in lines if line.startswith("Leading-industry share of output "))
    assert "≥ 60% in 2025" in share and share.endswith("leading_share_2023")
    assert any(line.startswith("in 2025: mean [p05, p95]") for line in lines)
    assert any(line.startswith("Zone output (100 million yuan)") for line in lines)
    # what runs and where its results go come first, before the batch starts
    assert lines[0] == "2 scenarios · 3 replicates each · seed 4 · 6 jobs"
    assert lines[1].startswith(f"results in {out}/ ")
    assert f"results in {out}/" in lines
    assert lines[-1] == "6 jobs: 6 done, 0 failed"


def test_compare_writes_a_tidy_table_and_a_chart(compared):
    _, out = compared
    table = pd.read_csv(out / "comparison.csv")
    assert list(table.columns) == COLUMNS
    assert list(dict.fromkeys(table["scenario"])) == ["small_baseline", "small_land_first"]
    targets = table[table["kind"] == "target"]
    assert {"total_output_2023", "leading_share_2023"} <= set(targets["name"])
    outcomes = targets[targets["status"] == "modelled"]
    assert (outcomes["n"] == 3).all()
    assert ((outcomes["ci_low"] <= outcomes["p_met"]) & (outcomes["p_met"] <= outcomes["ci_high"])).all()
    others = targets[targets["status"] != "modelled"]  # not modelled, met at base year: never a probability
    assert len(others) and (others["n"] == 0).all() and others["p_met"].isna().all()
    assert others["status_note"].str.len().gt(20).all()
    assert set(table["scope"]) == {"all_guishang"}
    metrics = table[table["kind"] == "metric"]
    assert sorted(metrics["name"].unique()) == sorted(OUTCOME_METRICS)
    assert (metrics["year"] == 2025).all()
    assert ((metrics["p05"] <= metrics["mean"]) & (metrics["mean"] <= metrics["p95"])).all()
    assert (out / "comparison.en.png").stat().st_size > 20_000
    assert (out / "manifest.json").is_file()  # the same store as any batch


def test_compare_function_resumes_the_same_comparison(compared, tmp_path, monkeypatch):
    _, out = compared
    folder = out.parent
    monkeypatch.chdir(folder)
    table = compare(["small_baseline.yaml", "small_land_first.yaml"], reps=3, seed=4, out=out, workers=1,
                    progress=False)
    pd.testing.assert_frame_equal(table.reset_index(drop=True), pd.read_csv(out / "comparison.csv"),
                                  check_dtype=False)


def test_a_changed_comparison_is_refused(compared):
    _, out = compared
    folder = out.parent
    again = cli("compare", folder / "small_baseline.yaml", "--reps", 3, "--workers", 1, "--out", out)
    assert again.exit_code == 2 and "Traceback" not in output_of(again)
    assert str(out) in output_of(again)


def test_comparison_chart_draws_on_given_axes(compared):
    _, out = compared
    table = pd.read_csv(out / "comparison.csv")
    fig, axes = plt.subplots(1, 2)
    returned = comparison_chart(table, ax=axes, lang="en")
    assert list(returned) == list(axes)
    assert len(axes[0].patches) == 4  # two headline targets × two scenarios
    assert [t.get_text() for t in axes[1].get_xticklabels()] == ["small_baseline", "small_land_first"]
    plt.close(fig)


def test_unknown_scenario_is_a_user_error():
    with pytest.raises(UserInputError, match=r"compare: scenarios\[1\] = 'land_frist'"):
        comparison_experiment(["baseline", "land_frist"], reps=2)
    result = cli("compare", "baseline", "land_frist", "--reps", 2)
    assert result.exit_code == 2 and "did you mean 'land_first'?" in output_of(result)
