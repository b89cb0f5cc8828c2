"""The lever-effect registry (scenarios/data/lever_effects.csv): every lever's documented direction of effect, checked.

Every lever of the scenario schema (walked by :func:`parkabm.experiments.analysis.effects.lever_fields`) must have a
row. A row with ``detect = test`` is checked here: the scenario is run with the row's step and without it on the same
replicate seeds and parameter draws (common random numbers, the machinery of ``parkabm effects``), and the paired
effect on the row's outcome must have the documented sign with its 95% interval excluding zero. A row with
``detect = effects`` states an effect too small to detect at this size (checked by ``parkabm effects`` at full
size, with the reason in its source).
"""

from __future__ import annotations

import pandas as pd
import pytest

from parkabm.experiments.analysis.effects import (
    CUMULATIVE_FISCAL,
    MEAN_LOW_EFFICIENCY,
    OUTCOMES,
    EffectTask,
    effect_table,
    lever_fields,
    lever_steps,
    run_effect_task,
)
from parkabm.model.outputs.registry import CITY_OUTPUTS
from parkabm.scenarios.loader import apply_changes, load_scenario
from parkabm.scenarios.world import DATA_DIR

REGISTRY = DATA_DIR / "lever_effects.csv"
REPS = 40
"""Paired replicates per arm: the default of ``parkabm effects`` (a run of the baseline takes about 0.02 s)."""
SEED = 0
SCALE = 1.0
"""population_scale of the test world: the shipped one (at 0.5 four of the documented effects are lost in the noise
at 40 replicates)."""
WORKERS = 2
"""Local worker processes running the replicates (two tasks of 20 replicates, every arm in each)."""
SIGNS = {"+", "-", "0"}
KINDS = {"behaviour", "cost", "transfer"}
DETECT = {"test", "effects"}
CITES = ("DATA-SOURCES", "assumed:", "docs/ODD.md", "2022年7月征求意见稿", "杭政函〔2023〕13号",
         "2022年5月公开征求意见稿", "嘉兴万亩千亿实施意见", "制造业高质量发展若干意见")


def registry() -> pd.DataFrame:
    return pd.read_csv(REGISTRY, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def scenario():
    return apply_changes(load_scenario("baseline"), {"world.population_scale": SCALE})


@pytest.fixture(scope="module")
def steps(scenario):
    return {s.key: s for s in lever_steps(scenario)}


def test_every_lever_of_the_schema_has_a_row():
    levers = {path for path, _ in lever_fields()}
    missing = sorted(levers - set(registry()["lever"]))
    assert not missing, f"levers without a documented effect in lever_effects.csv: {missing}"


def test_rows_name_known_levers_steps_outcomes_signs_and_sources(steps):
    table = registry()
    levers = {path for path, _ in lever_fields()}
    assert set(table["lever"]) <= levers, set(table["lever"]) - levers
    assert set(table["expected_sign"]) <= SIGNS and set(table["kind"]) <= KINDS and set(table["detect"]) <= DETECT
    unknown_steps = [f"{r.lever} {r.step}" for r in table.itertuples() if f"{r.lever} {r.step}" not in steps]
    assert not unknown_steps, f"steps that parkabm effects does not take: {unknown_steps}"
    outcomes = set(OUTCOMES) | set(CITY_OUTPUTS)
    assert set(table["outcome"]) <= outcomes, set(table["outcome"]) - outcomes
    uncited = [r.lever for r in table.itertuples() if not any(c in r.source for c in CITES)]
    assert not uncited, f"rows whose source cites no clause, DATA-SOURCES line, docs/ODD.md or assumption: {uncited}"
    assert not table.duplicated(["lever", "step", "outcome"]).any()


def test_a_pure_transfer_says_so_and_is_documented_by_its_cost():
    from parkabm.experiments.analysis.effects import TRANSFER_LEVERS

    table = registry()
    transfers = set(table.loc[table["kind"] == "transfer", "lever"])
    assert set(TRANSFER_LEVERS) <= transfers, "a lever the effects report calls a transfer is not one in the registry"
    cost_rows = table[table["kind"].isin(["cost", "transfer"])]
    assert (cost_rows["outcome"] == CUMULATIVE_FISCAL).all(), "a cost or transfer row documents the fiscal cost"
    transfer_rows = table[table["kind"] == "transfer"]
    assert transfer_rows["source"].str.contains("pure transfer").all(), "a transfer row says it is a pure transfer"


def test_rows_that_are_not_tested_here_give_their_reason():
    table = registry()
    for r in table[table["detect"] != "test"].itertuples():
        assert f"{r.detect}" in r.source, f"{r.lever} {r.step}: no reason for {r.detect}"


def _measured(scenario, steps, rows: pd.DataFrame) -> pd.DataFrame:
    chosen = list(dict.fromkeys(f"{r.lever} {r.step}" for r in rows.itertuples()))
    arm_steps = [steps[k] for k in chosen]
    extra = sorted(set(rows["outcome"]) - set(OUTCOMES))
    metrics = tuple(dict.fromkeys([*(o for o in OUTCOMES if o not in (CUMULATIVE_FISCAL, MEAN_LOW_EFFICIENCY)),
                                   "fiscal_total_yi", *extra]))
    from parkabm.experiments.execution.executors import make_executor

    arms = tuple([{}] + [s.changes for s in arm_steps])
    tasks = [EffectTask(scenario, arms, tuple(range(first, REPS, WORKERS)), SEED, metrics) for first in range(WORKERS)]
    with make_executor(workers=WORKERS) as executor:
        runs = pd.concat([f.result() for f in [executor.submit(run_effect_task, t) for t in tasks]],
                         ignore_index=True)
    table = effect_table(runs, arm_steps, pd.DataFrame(columns=["target", "metric", "comparison", "value", "year"]),
                         year=2025, base_year=scenario.world.base_year)
    # outcomes of the registry outside OUTCOMES: paired differences in 2025, with the same interval
    from parkabm.experiments.analysis.effects import paired_interval

    at = runs[runs["year"] == 2025].set_index(["arm", "replicate"]).sort_index()
    extra_rows = []
    for k, s in enumerate(arm_steps, start=1):
        for name in extra:
            effect, low, high, n = paired_interval(at[name].xs(k).to_numpy() - at[name].xs(0).to_numpy())
            extra_rows.append({"lever": s.lever, "change": s.change, "outcome": name, "effect": effect,
                               "ci_low": low, "ci_high": high, "n_reps": n})
    return pd.concat([table, pd.DataFrame(extra_rows)], ignore_index=True)


@pytest.fixture(scope="module")
def measured(scenario, steps):
    table = registry()
    rows = table[table["detect"] == "test"]
    return _measured(scenario, steps, rows).set_index(["lever", "change", "outcome"])


def _check(measured, row) -> None:
    m = measured.loc[(row["lever"], row["step"], row["outcome"])]
    text = (f"{row['lever']} {row['step']} on {row['outcome']}: "
            f"{m['effect']:+.4g} [{m['ci_low']:+.4g}, {m['ci_high']:+.4g}]")
    assert m["n_reps"] == REPS, text
    if row["expected_sign"] == "+":
        assert m["ci_low"] > 0, f"expected an increase: {text}"
    elif row["expected_sign"] == "-":
        assert m["ci_high"] < 0, f"expected a decrease: {text}"
    else:
        assert m["ci_low"] <= 0 <= m["ci_high"], f"expected no effect: {text}"


TESTED = [r for r in registry().to_dict("records") if r["detect"] == "test"]


@pytest.mark.parametrize("row", TESTED, ids=[f"{r['lever']} {r['step']} {r['outcome']}" for r in TESTED])
def test_a_lever_has_its_documented_effect(measured, row):
    _check(measured, row)
