"""`parkabm run` end to end on a small world: the files it writes, their shape, and its user errors."""

import json
import os
import re
import stat
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from parkabm.experiments.cli import main
from parkabm.experiments.execution.files import MARKER
from parkabm.experiments.execution.store import read_parquet

REPS = 4


@pytest.fixture
def small_scenario(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(
        "name: small\nextends: baseline\nworld:\n  population_scale: 0.2\n  horizon: 2024\n", encoding="utf-8")
    return path


def run(*args):
    return CliRunner().invoke(main, ["run", *map(str, args)])


def test_run_writes_summary_parquet_and_charts(small_scenario, tmp_path):
    out = tmp_path / "out"
    result = run(small_scenario, "--reps", REPS, "--seed", 7, "--out", out)
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["scenario"] == "small"
    assert (summary["seed"], summary["reps"], summary["until"], summary["scope"]) == (7, REPS, 2024, "all_guishang")
    assert set(summary["metrics"]["total_output_yi"]) == {"2021", "2022", "2023", "2024"}
    stats = summary["metrics"]["leading_share"]["2024"]
    assert 0 <= stats["p05"] <= stats["p50"] <= stats["p95"] <= 1
    # Targets for 2025 cannot be judged in a run that stops in 2024: listed, but neither met nor missed.
    assert {"total_output_2023", "leading_share_2023"} <= {t["name"] for t in summary["targets"]}
    assert all(t["p_met"] is None and t["ci_low"] is None for t in summary["targets"])
    assert "not evaluated" in result.output

    yearly = read_parquet(out / "yearly.parquet")
    assert len(yearly) == REPS * 4
    assert sorted(yearly["replicate"].unique()) == list(range(REPS))
    parks = read_parquet(out / "parks.parquet")
    assert len(parks) == REPS * 4 * 16
    for chart in ("fan_total_output.en.png", "fan_leading_share.en.png"):
        assert (out / chart).stat().st_size > 10_000
    assert str(out) in result.output


def test_run_to_2025_reports_probabilities_with_wilson_intervals(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text("name: small\nextends: baseline\nworld:\n  population_scale: 0.2\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run(path, "--reps", REPS, "--out", out, "--format", "svg")
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    names = {t["name"] for t in summary["targets"]}
    assert {"total_output_2023", "leading_share_2023"} <= names
    for t in summary["targets"]:
        assert t["source"]
        if t["status"] != "modelled":  # not an outcome: a status and its reason, never a probability
            assert t["p_met"] is None and t["ci_low"] is None and t["status_note"], t["name"]
            continue
        assert 0 <= t["ci_low"] <= t["p_met"] <= t["ci_high"] <= 1
    assert (out / "fan_total_output.en.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
    assert "total_output_2023" in result.output


def test_the_run_summary_gives_the_output_target_under_both_scopes(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text("name: small\nextends: baseline\nworld:\n  population_scale: 0.2\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run(path, "--reps", 3, "--out", out, "--format", "svg")
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    scopes = {s["scope"]: s for s in summary["output_target_by_scope"]}
    assert set(scopes) == {"all_guishang", "industrial"} and scopes["all_guishang"]["this_run"]
    yearly = read_parquet(out / "yearly.parquet")
    at = yearly[yearly["year"] == 2025]
    for scope, column in (("all_guishang", "total_output_yi"), ("industrial", "industrial_output_yi")):
        assert scopes[scope]["metric"] == column and scopes[scope]["n"] == 3
        assert scopes[scope]["p_met"] == pytest.approx(float((at[column] >= 30000).mean()))
    assert (at["industrial_output_yi"] < at["total_output_yi"]).all()  # two readings, not one number twice
    shown = result.output.split("by scope")[1]
    assert "all_guishang" in shown and "industrial" in shown and "this run's scope" in shown
    for t in summary["targets"]:
        if t["status"] != "modelled":
            line = next(x for x in result.output.splitlines() if x.rstrip().endswith(t["name"]))
            assert t["status"] in line and not re.search(r"\d+%\s+\[", line), line


def test_same_seed_same_numbers(small_scenario, tmp_path):
    for name in ("a", "b"):
        assert run(small_scenario, "--reps", 2, "--seed", 3, "--out", tmp_path / name).exit_code == 0
    pd.testing.assert_frame_equal(read_parquet(tmp_path / "a" / "yearly.parquet"),
                                  read_parquet(tmp_path / "b" / "yearly.parquet"))


@pytest.mark.parametrize("args, fragment", [
    (["--until", "2040"], "--until"),
    (["--until", "2021"], "--until"),
    (["--reps", "0"], "--reps"),
    (["--lang", "fr"], "--lang"),
])
def test_bad_options_exit_2_without_traceback(small_scenario, tmp_path, args, fragment):
    result = run(small_scenario, "--out", tmp_path / "o", *args)
    assert result.exit_code == 2
    assert fragment in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()


def test_out_folder_with_other_files_is_refused_and_left_alone(small_scenario, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    result = run(small_scenario, "--reps", 1, "--out", out)
    assert result.exit_code == 2
    assert "--out" in result.output
    assert (out / "notes.txt").read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_earlier_projection_is_replaced_whole_and_only_its_own_files_go(small_scenario, tmp_path):
    out = tmp_path / "out"
    assert run(small_scenario, "--reps", 1, "--out", out).exit_code == 0
    marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
    assert marker["kind"] == "projection" and "summary.json" in marker["files"]
    assert sorted(marker["files"]) == sorted(p.relative_to(out).as_posix() for p in out.rglob("*")
                                             if p.is_file() and p.name != MARKER)
    assert run(small_scenario, "--reps", 2, "--out", out).exit_code == 0
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["reps"] == 2
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".parkabm-")], "no staging or retired folders"


def test_a_file_added_to_a_projection_blocks_its_replacement(small_scenario, tmp_path):
    out = tmp_path / "out"
    assert run(small_scenario, "--reps", 1, "--out", out).exit_code == 0
    before = (out / "summary.json").read_bytes()
    (out / "stale.txt").write_text("mine", encoding="utf-8")
    result = run(small_scenario, "--reps", 2, "--out", out)
    assert result.exit_code == 2
    assert f"--out: {out} — holds files parkabm did not write (stale.txt)" in result.output
    assert (out / "stale.txt").read_text(encoding="utf-8") == "mine"
    assert (out / "summary.json").read_bytes() == before


def test_a_summary_json_does_not_make_a_folder_parkabms(small_scenario, tmp_path):
    out = tmp_path / "mine"
    (out / "data").mkdir(parents=True)
    (out / "summary.json").write_text("{}", encoding="utf-8")
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    (out / "data" / "survey.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    result = run(small_scenario, "--reps", 1, "--out", out)
    assert result.exit_code == 2
    assert f"it has no {MARKER}, so parkabm did not write it; nothing was changed" in result.output
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        "data", "data/survey.csv", "notes.txt", "summary.json"]


def test_a_forged_marker_cannot_reach_outside_the_folder(small_scenario, tmp_path):
    outside = tmp_path / "precious.txt"
    outside.write_text("keep", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / MARKER).write_text(json.dumps({"kind": "projection", "files": ["../precious.txt", str(outside)]}),
                              encoding="utf-8")
    assert run(small_scenario, "--reps", 1, "--out", out).exit_code == 0
    assert outside.read_text(encoding="utf-8") == "keep"
    assert (out / "summary.json").is_file()


def test_out_dot_inside_a_projection_replaces_it(small_scenario, tmp_path, monkeypatch):
    out = tmp_path / "proj"
    assert run(small_scenario, "--reps", 1, "--out", out).exit_code == 0
    monkeypatch.chdir(out)
    result = run(small_scenario, "--reps", 2, "--out", ".")
    assert result.exit_code == 0, result.output
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["reps"] == 2
    assert Path.cwd() == out and (Path.cwd() / "yearly.parquet").is_file()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "small.yaml") == ["proj"]


def test_a_link_to_a_projection_replaces_the_folder_it_points_to(small_scenario, tmp_path):
    real = tmp_path / "real"
    assert run(small_scenario, "--reps", 1, "--out", real).exit_code == 0
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    result = run(small_scenario, "--reps", 2, "--out", link)
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert json.loads((real / "summary.json").read_text(encoding="utf-8"))["reps"] == 2


def test_result_folders_follow_the_umask(small_scenario, tmp_path):
    old = os.umask(0o022)
    try:
        assert run(small_scenario, "--reps", 1, "--out", tmp_path / "o22").exit_code == 0
        os.umask(0o077)
        assert run(small_scenario, "--reps", 1, "--out", tmp_path / "o77").exit_code == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "o22").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "o77").stat().st_mode) == 0o700


def test_unknown_scenario_exits_2(tmp_path):
    result = run("no_such_scenario", "--out", tmp_path / "o")
    assert result.exit_code == 2
    assert "no_such_scenario" in result.output


def test_charts_plotted_into_a_projection_stay_parkabms(small_scenario, tmp_path):
    out = tmp_path / "out"
    assert run(small_scenario, "--reps", 1, "--out", out).exit_code == 0
    plotted = CliRunner().invoke(main, ["plot", str(out), "--lang", "zh"])  # charts the run did not write
    assert plotted.exit_code == 0, plotted.output
    assert "land_balance.zh.png" in json.loads((out / MARKER).read_text(encoding="utf-8"))["files"]
    again = run(small_scenario, "--reps", 1, "--out", out)
    assert again.exit_code == 0, again.output
    assert not (out / "land_balance.zh.png").exists(), "the replaced projection's charts went with it"


def test_calibrate_refuses_a_folder_with_a_fit_json_it_did_not_write(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "fit.json").write_text("{}", encoding="utf-8")
    (out / "notes.txt").write_text("keep", encoding="utf-8")
    result = CliRunner().invoke(main, ["calibrate", "--quick", "--out", str(out)])
    assert result.exit_code == 2
    assert f"the folder of an earlier calibration written by parkabm (it has no {MARKER}" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["fit.json", "notes.txt"]
