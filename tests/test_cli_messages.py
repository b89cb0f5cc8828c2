"""What the command line tells a user: headers before work, Ctrl-C, warnings on stderr, implausible levers, tables."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import warnings

import pytest
from batch_fixtures import SMALL_SPEC, cli, write_scenario, write_spec

from parkabm.experiments import cli as cli_module
from parkabm.experiments.cli import INTERRUPTED_EXIT_CODE, format_target_table, summarise_warnings
from parkabm.scenarios.loader import list_scenarios, load_scenario
from parkabm.scenarios.plausibility import implausible_levers

STOPPED = "stopped; run the same command again to resume"

TYPO = ("name: typo\nextends: baseline\ndescription: {en: 400 meant as 400万m², zh: 单位写错}\n"
        "world: {population_scale: 0.15, horizon: 2022}\nlevers:\n  land:\n    standard_factory_m2_per_year: 400\n")


def test_batch_prints_its_header_and_folder_before_it_runs_and_ctrl_c_says_how_to_resume(tmp_path, monkeypatch):
    import parkabm.experiments.execution.runner as runner

    seen = {}

    def interrupted(experiment, out, **kwargs):
        seen["called"] = True
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "run_batch", interrupted)
    out = tmp_path / "out"
    result = cli("batch", write_spec(tmp_path), "--workers", 1, "--out", out)
    assert seen == {"called": True}
    assert result.exit_code == INTERRUPTED_EXIT_CODE
    # the header and the folder were printed although the batch never returned
    assert result.stdout.splitlines()[0].startswith("experiment small · 12 jobs")
    assert f"results in {out}/" in result.stdout
    assert STOPPED in result.stderr and "Aborted" not in result.stderr + result.stdout


def test_a_command_that_does_not_resume_says_stopped_without_the_hint(tmp_path, monkeypatch):
    import parkabm.experiments.analysis.projection as projection

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(projection, "project", interrupted)
    result = cli("run", write_scenario(tmp_path), "--reps", 1, "--out", tmp_path / "out")
    assert result.exit_code == INTERRUPTED_EXIT_CODE
    assert "stopped" in result.stderr and "resume" not in result.stderr


@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_stops_a_running_batch_with_exit_130_and_the_resume_hint(tmp_path, workers):
    """SIGINT to the process group, as a terminal sends it: the driver and its pool workers all receive it."""
    spec = {**SMALL_SPEC, "replicates": 400}  # 2400 jobs: still running when the signal arrives
    path = write_spec(tmp_path, spec)
    out = tmp_path / "out"
    command = [sys.executable, "-c", "from parkabm.experiments.cli import main; main()", "batch"]
    process = subprocess.Popen([*command, str(path), "--workers", str(workers), "--chunk-size", "5", "--out", str(out)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"}, start_new_session=True)
    header = [process.stdout.readline(), process.stdout.readline()]
    assert header[0].startswith("experiment small · 2400 jobs"), header
    assert header[1].startswith(f"results in {out}/"), header
    while process.poll() is None and not any((out / "parts").glob("*")):  # the workers are running jobs
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)
    stdout, stderr = process.communicate()
    assert process.returncode == INTERRUPTED_EXIT_CODE, stderr
    assert STOPPED in stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr and "ran " not in stdout


def test_warnings_raised_by_a_command_go_to_stderr_one_line_per_kind_with_a_count(tmp_path, monkeypatch):
    import parkabm.scenarios.loader as loader

    real = loader.list_scenarios

    def noisy(*args, **kwargs):
        for column in ("a", "b", "c"):
            warnings.warn(f"invalid value encountered in divide (column {column})", RuntimeWarning, stacklevel=1)
        warnings.warn("The default of observed=False is deprecated", FutureWarning, stacklevel=1)
        warnings.warn("an internal API moved", DeprecationWarning, stacklevel=1)  # for developers: not shown
        return real(*args, **kwargs)

    monkeypatch.setattr(loader, "list_scenarios", noisy)
    result = cli("scenarios")
    assert result.exit_code == 0
    assert "warning" not in result.stdout.lower() and "baseline" in result.stdout
    lines = result.stderr.splitlines()
    assert lines == ["warning (3×): RuntimeWarning: invalid value encountered in divide (column a)",
                     "warning: FutureWarning: The default of observed=False is deprecated"]


def test_summarise_warnings_groups_messages_that_differ_only_in_names_and_numbers():
    notes = [
        "baseline/total_output: ST(levers.race.weight) interval [0.01, 0.21] is wider than 0.2; increase --n",
        "baseline/leading_share: S1(recruitment_rate) interval [-0.11, 0.37] is wider than 0.2; increase --n",
        "baseline/total_output: S1(recruitment_rate) = -0.029 is negative — the sample is too small",
    ]
    lines = summarise_warnings(notes, prefix="analysis warning")
    assert len(lines) == 2
    assert lines[0].startswith("analysis warning (2×): baseline/total_output: ST(levers.race.weight) interval")
    assert lines[1].startswith("analysis warning: baseline/total_output: S1(recruitment_rate) = -0.029")


def test_an_implausible_lever_magnitude_is_a_warning_in_validate_and_run(tmp_path, monkeypatch):
    path = tmp_path / "typo.yaml"
    path.write_text(TYPO, encoding="utf-8")
    notes = implausible_levers(load_scenario(path))
    assert len(notes) == 1 and notes[0].startswith("levers.land.standard_factory_m2_per_year")
    assert "below 1% of its default" in notes[0]

    validated = cli("validate", path)
    assert validated.exit_code == 0  # a warning, not an error
    assert f"ok  {path}" in validated.stdout and "standard_factory_m2_per_year" not in validated.stdout
    assert "warning:" in validated.stderr and "standard_factory_m2_per_year" in validated.stderr

    import parkabm.experiments.analysis.projection as projection

    def stop(*args, **kwargs):
        raise KeyboardInterrupt  # the warning must come before the run

    monkeypatch.setattr(projection, "project", stop)
    ran = cli("run", path, "--reps", 1, "--out", tmp_path / "out")
    assert "standard_factory_m2_per_year" in ran.stderr and "check the unit" in ran.stderr


def test_a_hundredfold_lever_is_flagged_and_the_shipped_scenarios_are_not():
    baseline = load_scenario("baseline")
    levers = baseline.levers
    # no lever's bounds reach 100× its default, so the value is set past validation, as a unit slip upward would be
    funds = levers.funds.model_copy(update={"industry_fund_yi": levers.funds.industry_fund_yi * 150})
    big = baseline.model_copy(update={"levers": levers.model_copy(update={"funds": funds})})
    assert [n.split(" ")[0] for n in implausible_levers(big)] == ["levers.funds.industry_fund_yi"]
    for name in list_scenarios()["name"]:
        assert implausible_levers(load_scenario(name)) == [], name


def test_the_target_table_names_targets_by_label_with_unit_and_their_own_year():
    summary = {"scenario": "s", "scope": "all_guishang", "reps": 10, "seed": 0, "until": 2025, "targets": [
        {"name": "total_output_2023", "name_en": "Above-scale enterprises' gross output", "comparison": ">=",
         "target": 30000.0, "year": 2025, "p_met": 0.3, "ci_low": 0.1078, "ci_high": 0.6032},
        {"name": "leading_share_2023", "name_en": "Leading-industry share of output", "comparison": ">=",
         "target": 0.6, "year": 2025, "p_met": None, "ci_low": None, "ci_high": None},
    ]}
    text = format_target_table(summary)
    row = next(line for line in text.splitlines() if line.startswith("Above-scale"))
    assert "≥ 30,000 亿元 in 2025" in row and "30%" in row and "[11%, 60%]" in row and "total_output_2023" in row
    share = next(line for line in text.splitlines() if line.startswith("Leading-industry"))
    assert "≥ 60% in 2025" in share and "not evaluated" in share
    assert " year " not in text.splitlines()[1]  # no year column to contradict a target's own year


def test_discover_help_names_its_argument_one_way():
    text = cli("discover", "--help").stdout
    assert "RESULTS_DIR|SPEC" not in text
    assert "discover [OPTIONS] SOURCE\n" in text and "SOURCE is the results folder" in text


@pytest.mark.parametrize("command", sorted(cli_module.RESUMABLE_COMMANDS))
def test_the_resumable_commands_exist(command):
    assert command in cli_module.main.commands



def test_sensitivity_prints_results_on_stdout_and_its_warnings_summarised_on_stderr(tmp_path):
    spec = {**SMALL_SPEC, "factors": [
        {"name": "levers.land.redevelopment_mu_per_year", "kind": "lever", "bounds": [5000, 40000]},
        {"name": "trend_growth_multiplier", "kind": "uncertainty", "bounds": [0.8, 1.2]},
    ], "design": {"kind": "sobol", "base_samples": 4}, "replicates": 1}
    out = tmp_path / "out"
    result = cli("sensitivity", write_spec(tmp_path, spec), "--n", 4, "--workers", 1, "--out", out)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "warning" not in result.stdout.lower()
    assert result.stdout.splitlines()[0].startswith("sobol analysis of small")  # printed before the runs
    assert any(line.startswith("ST ") and "Low-efficiency land redevelopment" in line
               for line in result.stdout.splitlines())  # factors by their label, then their id
    notes = [line for line in result.stderr.splitlines() if line.startswith("analysis warning")]
    assert notes and len(notes) == len(set(notes))  # one line per kind
    assert any("analysis warnings in all" in line for line in result.stderr.splitlines())
