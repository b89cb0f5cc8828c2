"""`parkabm effects`: every lever of the schema stepped, common random numbers, paired intervals, files and errors."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
from batch_fixtures import cli, output_of, write_scenario
from model_fixtures import scenario_with, shipped
from scipy import stats

from parkabm.experiments.analysis.effects import (
    CHAIN_THRESHOLD,
    NOT_STEPPED,
    OUTCOMES,
    LeverStep,
    effect_table,
    inert_levers,
    lever_fields,
    lever_steps,
    paired_interval,
    read_lever_file,
    run_effects,
)
from parkabm.experiments.execution.executors import ProcessPool, SerialExecutor
from parkabm.scenarios.errors import UserInputError
from parkabm.scenarios.loader import apply_changes
from parkabm.scenarios.schema import Levers

SMALL = "name: small\nextends: baseline\nworld: {population_scale: 0.15}\n"
"""A small baseline world to 2025 for the command-line tests."""


def _leaves(data: dict, prefix: str) -> list[str]:
    """Dotted paths of the leaves of a nested mapping (an enumeration independent of the pydantic walk)."""
    paths = []
    for key, value in data.items():
        path = f"{prefix}.{key}"
        if path in NOT_STEPPED:
            continue
        paths += _leaves(value, path) if isinstance(value, dict) else [path]
    return paths


# --- steps ----------------------------------------------------------------------------------------------------


def test_every_lever_of_the_schema_has_a_step_that_validates_and_moves_it():
    scenario = shipped("baseline")
    steps = lever_steps(scenario)
    schema_levers = _leaves(Levers().model_dump(), "levers")
    assert [path for path, _ in lever_fields()] == schema_levers
    assert set(schema_levers) - {s.lever for s in steps} == set()
    assert len(schema_levers) > 40  # land, funds, evaluation, recruitment, chain leaders, race, 16 mechanisms
    for step in steps:
        changed = apply_changes(scenario, step.changes).model_dump()
        node = changed
        for part in step.lever.split("."):
            node = node[part]
        assert node == step.to_value != step.from_value, step
    assert len({s.key for s in steps}) == len(steps)


def test_a_new_lever_in_the_schema_is_stepped_or_stops_the_step_rules():
    from pydantic import Field

    class WithNewLevers(Levers):
        new_subsidy_yi: float = Field(5.0, ge=0, le=8)

    class WithText(Levers):
        motto: str = "亩均论英雄"

    added = [s for s in lever_steps(shipped("baseline"), WithNewLevers) if s.lever == "levers.new_subsidy_yi"]
    assert [(s.change, s.to_value) for s in added] == [("×2", 8.0), ("×0.5", 2.5)]  # 10 clipped to the bound 8
    with pytest.raises(TypeError, match=r"levers\.motto"):
        lever_steps(shipped("baseline"), WithText)


def test_numeric_steps_double_halve_clip_and_step_zero_up():
    steps = {s.key: s for s in lever_steps(shipped("baseline"))}
    assert steps["levers.land.new_land_quota_mu_per_year ×2"].to_value == 6000.0
    assert steps["levers.land.new_land_quota_mu_per_year ×0.5"].to_value == 1500.0
    assert steps["levers.recruitment.leading_focus ×2"].to_value == 1.0  # 1.2 clipped to the bound 1
    assert "levers.land.class_priority ×2" not in steps  # at its bound: only halved
    assert steps["levers.recruitment.rampup_years ×0.5"].to_value == 1  # whole years, rounded down
    assert steps["levers.race.downgrade_after_years +3"].to_value == 3  # 0 steps up by the stated amount
    assert steps["levers.mechanisms.race off"].to_value == 0.0
    assert steps["levers.evaluation.coverage → guishang"].to_value == "guishang"
    cut = steps["levers.evaluation.class_cutoffs.b ×2"]
    assert cut.to_value == pytest.approx(0.85)  # halfway to the strict bound 1, below c = 0.95
    weights = steps["levers.evaluation.weights.tax_per_mu ×2"]
    assert weights.to_value == 0.6 and sum(weights.also.values()) + 0.6 == pytest.approx(1.0)
    surcharge = steps["levers.evaluation.surcharge_yuan_per_kwh.a +0.1"]
    assert surcharge.also == {"levers.evaluation.surcharge_yuan_per_kwh.b": 0.1}


def test_the_chain_leader_threshold_steps_to_the_other_draft():
    baseline = [s for s in lever_steps(shipped("baseline")) if s.lever == CHAIN_THRESHOLD]
    may = [s for s in lever_steps(shipped("draft_may_2022")) if s.lever == CHAIN_THRESHOLD]
    assert [(s.from_value, s.to_value) for s in baseline] == [(20.0, 50.0)]
    assert "May 2022" in baseline[0].change
    assert [(s.from_value, s.to_value) for s in may] == [(50.0, 20.0)]
    assert "July 2022" in may[0].change


def test_paired_interval_is_the_t_interval_of_the_differences():
    d = np.random.default_rng(3).normal(2.0, 1.5, size=25)
    mean, low, high, n = paired_interval(d)
    expected = stats.ttest_1samp(d, 0.0).confidence_interval(0.95)
    assert (n, mean) == (25, pytest.approx(d.mean()))
    assert (low, high) == (pytest.approx(expected.low), pytest.approx(expected.high))
    assert paired_interval(np.zeros(5)) == (0.0, 0.0, 0.0, 5)
    assert all(math.isnan(v) for v in paired_interval(np.array([1.0]))[:3])


# --- effects -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_effects(tmp_path_factory):
    """A no-op step, more new land and a larger land quota (a lever known to act) on a small world, 8 replicates."""
    scenario = scenario_with(scale=0.15)
    steps = [LeverStep("levers.land.redevelopment_mu_per_year", "no-op", 10000.0, 10000.0),
             LeverStep("levers.land.new_land_quota_mu_per_year", "→ 30000", 3000.0, 30000.0),
             LeverStep("levers.land.standard_factory_cost_yuan_per_m2", "×2", 3000.0, 6000.0)]
    out = tmp_path_factory.mktemp("effects") / "out"
    return run_effects("small", reps=8, seed=5, out=out, steps=steps, scenario=scenario,
                       executor=SerialExecutor())


def test_a_no_op_change_has_effect_exactly_zero(small_effects):
    rows = small_effects.table[(small_effects.table["change"] == "no-op")
                               & (small_effects.table["status"] == "evaluated")]
    assert len(rows) >= len(OUTCOMES) + 5
    assert (rows["effect"] == 0).all() and (rows["ci_low"] == 0).all() and (rows["ci_high"] == 0).all()
    assert not rows["significant"].any()
    assert rows["fiscal_cost_yi"].eq(0).all()


def test_more_land_quota_raises_2025_output_with_an_interval_above_zero(small_effects):
    table = small_effects.table.set_index(["change", "outcome"])
    row = table.loc[("→ 30000", "total_output_yi")]
    assert row["significant"] and row["ci_low"] > 0
    assert row["n_reps"] == 8 and row["changed_value"] - row["baseline_value"] == pytest.approx(row["effect"])


def test_a_cost_lever_changes_cost_only_and_gets_a_per_yi_figure(small_effects):
    table = small_effects.table.set_index(["change", "outcome"])
    cost = table.loc[("×2", "fiscal_cost_cumulative_yi")]
    output = table.loc[("×2", "total_output_yi")]
    assert cost["significant"] and cost["effect"] > 0
    assert output["effect"] == 0 and output["effect_per_yi"] == 0
    # the no-op lever and the cost-only lever do nothing for the targets; the land quota does
    assert inert_levers(small_effects.table) == ["levers.land.redevelopment_mu_per_year",
                                                 "levers.land.standard_factory_cost_yuan_per_m2"]


def test_targets_are_reported_per_step_and_unmodelled_ones_say_so(small_effects):
    table = small_effects.table
    targets = table[table["kind"] == "target"]
    assert {"p_met:total_output_2023", "p_met:leading_share_2023"} <= set(targets["outcome"])
    from parkabm.model.outputs.targets import MODELLED, target_status
    from parkabm.scenarios.world import load_world

    csv = {r["target"]: target_status(r)[0] for r in load_world().targets.reset_index().to_dict("records")}
    for r in targets.itertuples(index=False):
        expected = "evaluated" if csv[r.outcome.removeprefix("p_met:")] == MODELLED else csv[r.outcome[6:]]
        assert r.status == expected, r.outcome
        if expected != "evaluated":  # a target that is not an outcome never gets an effect on a probability
            assert math.isnan(r.effect) and math.isnan(r.ci_low) and r.n_reps == 0, r.outcome
    assert {"not modelled", "met at base year"} <= set(targets["status"])
    fake = pd.DataFrame([{"target": "unicorns_2023", "metric": "unicorns", "comparison": ">=", "value": 5,
                          "year": 2025, "name_en": "Unicorns", "name_zh": "独角兽", "source": "test"}])
    runs = pd.DataFrame({"arm": [0, 0, 1, 1], "replicate": [0, 1, 0, 1], "year": 2025,
                         **{name: 1.0 for name in OUTCOMES}, "fiscal_total_yi": 1.0})
    step = LeverStep("levers.race.weight", "×2", 0.5, 1.0)
    row = effect_table(runs, [step], fake, year=2025, base_year=2021).set_index("outcome").loc["p_met:unicorns_2023"]
    assert row["status"] == "not modelled" and math.isnan(row["effect"])


def test_serial_and_process_pool_give_the_same_effects(small_effects, tmp_path):
    steps = small_effects.steps[1:2]
    with ProcessPool(2) as pool:
        pooled = run_effects("small", reps=8, seed=5, out=tmp_path / "pool", steps=steps,
                             scenario=scenario_with(scale=0.15), executor=pool)
    serial = small_effects.table[small_effects.table["change"] == steps[0].change].reset_index(drop=True)
    pd.testing.assert_frame_equal(pooled.table, serial)


# --- files and the command line ----------------------------------------------------------------------------------


def test_the_command_writes_the_table_report_and_charts(tmp_path):
    write_scenario(tmp_path, SMALL, name="small.yaml")
    (tmp_path / "levers.yaml").write_text(
        "levers:\n  - levers.land.new_land_quota_mu_per_year\n  - levers.mechanisms.race\n", encoding="utf-8")
    out = tmp_path / "out"
    result = cli("effects", tmp_path / "small.yaml", "--reps", 3, "--workers", 1, "--out", out,
                 "--levers", tmp_path / "levers.yaml", "--lang", "zh")
    assert result.exit_code == 0, output_of(result)
    table = pd.read_csv(out / "effects.csv")
    assert {"lever", "change", "outcome", "effect", "ci_low", "ci_high", "fiscal_cost_yi", "unit", "significant",
            "n_reps", "baseline_value"} <= set(table.columns)
    assert list(dict.fromkeys(table["change"])) == ["×2", "×0.5", "off"]
    report = (out / "effects.md").read_text(encoding="utf-8")
    assert "新增用地指标" in report and "开发区(园区)总产值" in report
    for name in ("effects_output", "effects_leading_share"):
        assert (out / f"{name}.en.png").stat().st_size > 0 and (out / f"{name}.zh.png").stat().st_size > 0
    assert f"results in {out}/" in result.stdout


@pytest.mark.parametrize(("args", "message"), [
    (["no_such_scenario"], "no_such_scenario"),
    (["baseline", "--reps", "1"], "--reps: 1 — allowed: a whole number ≥ 2"),
    (["baseline", "--levers", "{folder}/bad_levers.yaml"], "levers.land.no_such_lever"),
])
def test_bad_input_exits_2_with_one_message_and_writes_nothing(tmp_path, args, message):
    (tmp_path / "bad_levers.yaml").write_text("levers: [levers.land.no_such_lever]\n", encoding="utf-8")
    out = tmp_path / "out"
    result = cli("effects", *[a.format(folder=tmp_path) for a in args], "--workers", 1, "--out", out)
    assert result.exit_code == 2
    text = output_of(result)
    assert message in text and "Traceback" not in text
    assert len(text.strip().splitlines()) == 1
    assert not out.exists()


def test_a_lever_file_can_give_values_and_rejects_non_lists(tmp_path):
    steps = lever_steps(shipped("baseline"))
    good = tmp_path / "good.yaml"
    good.write_text("levers:\n  levers.race.weight: [0, 1]\n", encoding="utf-8")
    chosen = read_lever_file(good, steps)
    assert [(s.lever, s.to_value) for s in chosen] == [("levers.race.weight", 0), ("levers.race.weight", 1)]
    bad = tmp_path / "bad.yaml"
    bad.write_text("levers:\n  levers.race.weight: 2\n", encoding="utf-8")
    with pytest.raises(UserInputError, match=re.escape("bad.yaml: levers.race.weight = 2 — allowed: a list of values")):
        read_lever_file(bad, steps)
