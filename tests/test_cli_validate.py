"""`parkabm validate` on a catalogue of bad inputs: exit code 2, file + key path named, never a traceback."""

import subprocess
import sys
import textwrap

import click
import pytest
from click.testing import CliRunner

from parkabm.experiments.cli import ParkabmGroup, main, report_user_errors
from parkabm.scenarios.errors import Problem, UserInputError


def make_runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # click < 8.2 mixes stderr into output unless told not to
    except TypeError:
        return CliRunner()


def run_cli(*args):
    result = make_runner().invoke(main, list(args))
    assert "Traceback" not in result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


CHILD = "name: bad\nextends: baseline\n"


def child(body: str) -> str:
    return CHILD + textwrap.dedent(body)


# Each case: id, file content (str, bytes, or None: no file), key path expected, a text expected in its line.
CASES = [
    ("missing_file", None, "-", "(no such file)"),
    ("malformed_yaml", "name: bad\nlevers:\n  land: [1, 2\n  funds: {}\n", "-", "line 4, column"),
    ("empty_file", "# only a comment\n", "-", "(empty file)"),
    ("top_level_list", "- name: bad\n- extends: baseline\n", "-", "(a list at the top level)"),
    ("not_utf8", b"name: bad\nextends: baseline\ndescription: {en: caf\xe9, zh: x}\n", "-", "not UTF-8"),
    ("duplicate_key", "name: bad\nextends: baseline\nname: again\n", "-", "'name' appears twice"),
    ("unknown_top_key", child("lever: {}\n"), "lever", "did you mean 'levers'?"),
    ("unknown_nested_key", child("levers: {land: {redevelopment_mu: 5}}\n"), "levers.land.redevelopment_mu",
     "did you mean 'redevelopment_mu_per_year'?"),
    ("wrong_type", child("levers: {funds: {manufacturing_fund_yi_per_year: lots}}\n"),
     "levers.funds.manufacturing_fund_yi_per_year", "a number from 0 to 200"),
    ("mapping_instead_of_number", child("levers: {race: {weight: {a: 1}}}\n"), "levers.race.weight",
     "a number from 0 to 1"),
    ("negative_land", child("levers: {land: {redevelopment_mu_per_year: -100}}\n"),
     "levers.land.redevelopment_mu_per_year", "a number from 0 to 50000"),
    ("share_above_one", child("levers: {land: {relocation_probability: 1.5}}\n"),
     "levers.land.relocation_probability", "a number from 0 to 1"),
    ("negative_subsidy", child("levers: {funds: {tech_upgrade_subsidy_rate: -0.1}}\n"),
     "levers.funds.tech_upgrade_subsidy_rate", "a number from 0 to 0.5"),
    ("weights_not_summing", child("levers: {evaluation: {weights: {tax_per_mu: 0.5}}}\n"),
     "levers.evaluation.weights", "sum to 1"),
    ("cutoffs_not_increasing", child("levers: {evaluation: {class_cutoffs: {a: 0.8, b: 0.7}}}\n"),
     "levers.evaluation.class_cutoffs", "strictly increasing"),
    ("surcharges_decreasing", child("levers: {evaluation: {surcharge_yuan_per_kwh: {c: 0.5, d: 0.2}}}\n"),
     "levers.evaluation.surcharge_yuan_per_kwh", "non-decreasing"),
    ("persistent_surcharge_below_d", child("levers: {evaluation: {surcharge_yuan_per_kwh: {d: 0.5}}}\n"),
     "levers.evaluation.persistent_d_surcharge_yuan_per_kwh", "a number from 0.5 (surcharge_yuan_per_kwh.d)"),
    ("unknown_park", child("levers: {parks: {nowhere_zone: {recruitment_effort: 2}}}\n"),
     "levers.parks.nowhere_zone", "a park id of the world: east_zone, west_zone"),
    ("unknown_sector", child("levers: {parks: {east_zone: {leading: [biomed, steel]}}}\n"),
     "levers.parks.east_zone.leading[1]", "a sector id of the world"),
    ("three_leading_sectors", child("levers: {parks: {east_zone: {leading: [biomed, chips, textiles]}}}\n"),
     "levers.parks.east_zone.leading", "1 to 2 items"),
    ("unknown_parent", "name: bad\nextends: basline\n", "extends", "did you mean 'baseline'?"),
    ("missing_parent_path", "name: bad\nextends: ../nowhere/parent.yaml\n", "extends",
     "a path relative to it"),
    ("self_cycle", "name: bad\nextends: bad.yaml\n", "extends", "cycle"),
    ("horizon_not_after_base_year", child("world: {base_year: 2020, horizon: 2020}\n"), "world.horizon",
     "a year from 2021 (base_year + 1) to 2030"),
    ("horizon_after_2030", child("world: {horizon: 2035}\n"), "world.horizon", "to 2030"),
    ("unknown_scope", child("world: {scope: services}\n"), "world.scope", "'industrial'"),
    ("unknown_uncertainty", child("uncertainties: {trend_growth: {dist: fixed, value: 1}}\n"),
     "uncertainties.trend_growth", "did you mean 'trend_growth_multiplier'?"),
    ("low_not_below_high",
     child("uncertainties: {volatility_multiplier: {dist: uniform, low: 1.2, high: 0.8}}\n"),
     "uncertainties.volatility_multiplier.high", "greater than low (1.2)"),
    ("sd_not_positive", child("uncertainties: {volatility_multiplier: {dist: normal, mean: 1, sd: 0}}\n"),
     "uncertainties.volatility_multiplier.sd", "greater than 0"),
    ("outside_parameter_bounds",
     child("uncertainties: {exit_base_hazard: {dist: triangular, low: 0.001, mode: 0.02, high: 0.05}}\n"),
     "uncertainties.exit_base_hazard.low", "hard bounds of parameter 'exit_base_hazard'"),
    ("unknown_dist", child("uncertainties: {exit_base_hazard: {dist: lognormal, mean: 0.02}}\n"),
     "uncertainties.exit_base_hazard.dist", "'triangular'"),
    ("name_not_identifier", "name: Land-First\nextends: baseline\n", "name", "lowercase letters"),
    ("child_without_name", "extends: baseline\nlevers: {race: {weight: 0.2}}\n", "name", "(missing)"),
]


@pytest.mark.parametrize(("case", "content", "key", "fragment"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_reported_with_file_and_key(tmp_path, monkeypatch, use_tiny_world, case, content, key,
                                                 fragment):
    monkeypatch.chdir(tmp_path)
    if isinstance(content, bytes):
        (tmp_path / "bad.yaml").write_bytes(content)
    elif content is not None:
        (tmp_path / "bad.yaml").write_text(content, encoding="utf-8")
    result = run_cli("validate", "bad.yaml")
    assert result.exit_code == 2
    assert "ok  " not in result.stdout
    lines = result.stderr.strip().splitlines()
    ours = [line for line in lines if line.startswith(f"bad.yaml: {key} = ")]
    assert ours, lines
    assert any(fragment in line for line in ours), ours
    assert all(" — allowed: " in line for line in lines)


def test_a_directory_is_reported(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder.yaml").mkdir()
    result = run_cli("validate", "folder.yaml")
    assert result.exit_code == 2
    assert result.stderr.startswith("folder.yaml: - = (a directory) — allowed:")


def test_an_unknown_shipped_name_is_reported_with_a_suggestion():
    result = run_cli("validate", "land_frist")
    assert result.exit_code == 2
    assert result.stderr.startswith("land_frist: - = (no such file or shipped scenario)")
    assert "did you mean 'land_first'?" in result.stderr


def test_a_folder_named_like_a_shipped_scenario_does_not_hide_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "baseline").mkdir()
    result = run_cli("validate", "baseline")
    assert result.exit_code == 0
    assert result.stdout == "ok  baseline\n"


def test_a_cycle_through_two_files_names_both(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").write_text("name: a\nextends: b.yaml\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("name: b\nextends: ./a.yaml\n", encoding="utf-8")
    result = run_cli("validate", "a.yaml")
    assert result.exit_code == 2
    assert result.stderr.startswith("b.yaml: extends = './a.yaml' (cycle: a.yaml → b.yaml → a.yaml)")


def test_relative_paths_stay_relative_in_messages(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "parent.yaml").write_text(
        "name: parent\nextends: baseline\nlevers: {land: {class_priority: 7}}\n", encoding="utf-8")
    (tmp_path / "sub" / "child.yaml").write_text("name: child\nextends: parent.yaml\n", encoding="utf-8")
    result = run_cli("validate", "sub/child.yaml")
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "sub/parent.yaml: levers.land.class_priority = 7 — allowed: a number from 0 to 1")
    assert str(tmp_path) not in result.stderr


def test_one_file_with_three_problems_reports_all_three(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "three.yaml").write_text(child("""
        world: {horizon: 2040}
        levers:
          land: {redevelopment_mu_per_year: -1}
        uncertainties:
          trend_growth_multiplier: {dist: uniform, low: 1.4, high: 0.6}
    """), encoding="utf-8")
    result = run_cli("validate", "three.yaml")
    assert result.exit_code == 2
    keys = [line.split(" = ")[0] for line in result.stderr.strip().splitlines()]
    assert keys == [
        "three.yaml: world.horizon",
        "three.yaml: levers.land.redevelopment_mu_per_year",
        "three.yaml: uncertainties.trend_growth_multiplier.high",
    ]


def test_problems_in_several_files_are_all_reported(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "one.yaml").write_text(child("levers: {race: {weight: 3}}\n"), encoding="utf-8")
    (tmp_path / "two.yaml").write_text("", encoding="utf-8")
    result = run_cli("validate", "one.yaml", "baseline", "two.yaml")
    assert result.exit_code == 2
    assert result.stdout == "ok  baseline\n"
    files = [line.split(":")[0] for line in result.stderr.strip().splitlines()]
    assert files == ["one.yaml", "two.yaml"]


def test_valid_inputs_exit_0(tmp_path, monkeypatch, use_tiny_world):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.yaml").write_text(textwrap.dedent("""
        name: mine
        extends: baseline
        description: {en: My test., zh: 我的测试。}
        world: {horizon: 2030, scope: industrial, population_scale: 0.1}
        levers:
          land: {redevelopment_mu_per_year: 1.5e4}
          evaluation:
            weights: {tax_per_mu: 0.25, value_added_per_mu: 0.25, value_added_per_energy: 0.2,
                      value_added_per_emission: 0.1, labour_productivity: 0.1, rd_intensity: 0.1}
          parks: {east_zone: {leading: [chips], recruitment_effort: 2}}
        uncertainties:
          exit_base_hazard: {dist: normal, mean: 0.02, sd: 0.01}
    """), encoding="utf-8")
    result = run_cli("validate", "mine.yaml", "baseline", "combined")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ["ok  mine.yaml", "ok  baseline", "ok  combined"]
    assert result.stderr == ""


def test_every_shipped_scenario_validates():
    from parkabm.scenarios.loader import shipped_names

    result = run_cli("validate", *shipped_names())
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.splitlines()) == len(shipped_names())


def test_scenarios_command_lists_shipped_scenarios_in_both_languages():
    english = run_cli("scenarios")
    chinese = run_cli("scenarios", "--lang", "zh")
    assert english.exit_code == chinese.exit_code == 0
    lines = english.stdout.splitlines()
    assert lines[0].split() == ["name", "extends", "description"] and set(lines[1]) == {"─"}  # header, rule
    rows = lines[2:]
    assert [row.split()[0] for row in rows][:2] == ["baseline", "combined"]
    assert rows[0].split()[1] == "-"
    assert "Chain-leader threshold of the May 2022 draft" in english.stdout
    assert "征求意见稿" in chinese.stdout


def test_usage_errors_exit_2():
    assert run_cli("validate").exit_code == 2
    assert run_cli("no-such-command").exit_code == 2
    assert run_cli("scenarios", "--lang", "fr").exit_code == 2


def test_version_option():
    result = run_cli("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith("parkabm, version ")


def test_any_command_of_the_group_turns_user_errors_into_exit_2():
    group = ParkabmGroup(name="demo")

    @group.command()
    def later():
        raise UserInputError([Problem("x.yaml", "levers.race.weight", "3", "a number from 0 to 1")])

    result = make_runner().invoke(group, ["later"])
    assert result.exit_code == 2
    assert result.stderr == "x.yaml: levers.race.weight = 3 — allowed: a number from 0 to 1\n"
    assert result.stdout == ""


def test_decorator_turns_user_errors_into_exit_2_for_a_standalone_command():
    @click.command()
    @report_user_errors
    def standalone():
        raise UserInputError("--reps: 0 — allowed: a whole number ≥ 1")

    result = make_runner().invoke(standalone, [])
    assert result.exit_code == 2
    assert result.stderr == "--reps: 0 — allowed: a whole number ≥ 1\n"


CLI = [sys.executable, "-c", "from parkabm.experiments.cli import main; main()"]


def test_real_process_reports_problems_on_stderr_with_exit_2(tmp_path):
    (tmp_path / "bad.yaml").write_text(child("levers: {funds: {industry_fund_yi: -5}}\n"), encoding="utf-8")
    done = subprocess.run([*CLI, "validate", "bad.yaml"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        "bad.yaml: levers.funds.industry_fund_yi = -5 — allowed: a number from 0 to 2000 [亿元]\n"
    )


def test_real_process_missing_file_and_usage_error_exit_2(tmp_path):
    missing = subprocess.run([*CLI, "validate", "nope.yaml"], cwd=tmp_path, capture_output=True, text=True,
                             timeout=120, check=False)
    usage = subprocess.run([*CLI, "validate"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                           check=False)
    assert missing.returncode == usage.returncode == 2
    assert missing.stderr.startswith("nope.yaml: - = (no such file)")
    assert "Traceback" not in missing.stderr + usage.stderr


def test_importing_the_cli_does_not_import_matplotlib():
    code = "import sys, parkabm.experiments.cli; print('matplotlib' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          check=True)
    assert done.stdout.strip() == "False"
