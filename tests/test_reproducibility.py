"""Same seed, same result; replicates independent of run order; Parquet round trip; the golden baseline."""

import random

import numpy as np
import pytest
from model_fixtures import (
    GOLDEN_METRICS,
    GOLDEN_PATH,
    GOLDEN_RTOL,
    GOLDEN_SETTINGS,
    golden_differences,
    golden_values,
    read_golden,
    run_model,
    scenario_with,
)
from pandas.testing import assert_frame_equal

from parkabm.experiments.execution.store import read_parquet
from parkabm.model.city import ParkModel
from parkabm.model.simulate import replicate_seed, simulate


@pytest.fixture(scope="module")
def scenario():
    return scenario_with(horizon=2024)


def test_simulate_twice_with_the_same_seed_and_replicate_gives_identical_outputs(scenario):
    a = simulate(scenario, seed=7, replicate=2)
    b = simulate(scenario, seed=7, replicate=2)
    assert_frame_equal(a.yearly, b.yearly)
    assert_frame_equal(a.parks, b.parks)
    assert a.parameters == b.parameters


def test_different_replicates_give_different_parameters_and_outputs(scenario):
    a = simulate(scenario, seed=7, replicate=0)
    b = simulate(scenario, seed=7, replicate=1)
    assert a.parameters != b.parameters
    assert not a.yearly["total_output_yi"].iloc[1:].equals(b.yearly["total_output_yi"].iloc[1:])


def test_different_master_seeds_give_different_outputs(scenario):
    a = simulate(scenario, seed=1, replicate=0).yearly
    b = simulate(scenario, seed=2, replicate=0).yearly
    assert not a["total_output_yi"].equals(b["total_output_yi"])


def test_seed_zero_is_a_seed_not_a_request_for_fresh_entropy(scenario):
    a = run_model(scenario, seed=0).yearly_frame()
    b = run_model(scenario, seed=0).yearly_frame()
    assert_frame_equal(a, b)


def test_runs_do_not_depend_on_the_global_random_generators(scenario):
    # The legacy global generators are touched on purpose: the model must not read them.
    np.random.seed(1)  # noqa: NPY002
    random.seed(1)
    a = simulate(scenario, seed=3, replicate=0).yearly
    np.random.seed(99)  # noqa: NPY002
    random.seed(99)
    np.random.random(10)  # noqa: NPY002
    b = simulate(scenario, seed=3, replicate=0).yearly
    assert_frame_equal(a, b)


def test_replicate_seed_is_the_spawned_child_of_the_master_seed():
    children = np.random.SeedSequence(2024).spawn(4)
    for r, child in enumerate(children):
        np.testing.assert_array_equal(replicate_seed(2024, r).generate_state(4), child.generate_state(4))


def test_simulate_seeds_the_model_with_the_replicates_seed_sequence(scenario):
    result = simulate(scenario, seed=5, replicate=3)
    child = np.random.SeedSequence(5).spawn(4)[3]
    drawn = scenario.parameter_values(np.random.default_rng(child.spawn(1)[0]))
    assert result.parameters == drawn  # parameters come from the replicate seed's first child
    model = ParkModel(scenario, parameters=drawn, rng=np.random.SeedSequence(5).spawn(4)[3])
    model.run_model()
    assert_frame_equal(result.yearly, model.yearly_frame())


def test_overriding_one_parameter_keeps_every_other_draw(scenario):
    base = simulate(scenario, seed=5, replicate=1).parameters
    changed = simulate(scenario, seed=5, replicate=1, overrides={"exit_base_hazard": 0.04}).parameters
    assert changed["exit_base_hazard"] == 0.04
    assert {k: v for k, v in changed.items() if k != "exit_base_hazard"} == {
        k: v for k, v in base.items() if k != "exit_base_hazard"}


def test_a_replicates_result_does_not_depend_on_which_replicates_ran_before(scenario):
    alone = simulate(scenario, seed=11, replicate=2).yearly
    for r in (0, 1):
        simulate(scenario, seed=11, replicate=r)
    after = simulate(scenario, seed=11, replicate=2).yearly
    reversed_order = [simulate(scenario, seed=11, replicate=r).yearly for r in (3, 2)][1]
    assert_frame_equal(alone, after)
    assert_frame_equal(alone, reversed_order)


def test_yearly_and_park_outputs_survive_a_parquet_round_trip(scenario, tmp_path):
    pytest.importorskip("pyarrow")
    result = simulate(scenario, seed=4, replicate=0)
    for name, frame in (("yearly", result.yearly), ("parks", result.parks)):
        path = tmp_path / f"{name}.parquet"
        frame.to_parquet(path, engine="pyarrow", index=False)
        assert_frame_equal(read_parquet(path), frame)


# --- golden baseline ----------------------------------------------------------------------------------------------

def test_golden_baseline_is_reproduced():
    stored = read_golden()
    assert stored["settings"] == GOLDEN_SETTINGS, "golden settings changed: run `python tests/update_golden.py`"
    assert tuple(stored["metrics"]) == GOLDEN_METRICS
    differences = golden_differences(stored["values"], golden_values(), rtol=GOLDEN_RTOL)
    if differences:
        shown = "\n".join(f"  replicate {r} {year} {metric}: stored {old!r}, now {new!r}"
                          for r, year, metric, old, new in differences[:12])
        more = f"\n  … and {len(differences) - 12} more" if len(differences) > 12 else ""
        pytest.fail(
            f"the golden baseline run ({GOLDEN_PATH.name}) changed in {len(differences)} values:\n{shown}{more}\n"
            "If the change is intended, run `python tests/update_golden.py` and commit the new "
            "tests/golden/baseline.json with the change that caused it.",
            pytrace=False,
        )


def test_golden_file_covers_every_replicate_year_and_metric():
    stored = read_golden()["values"]
    assert sorted(stored) == [str(r) for r in range(GOLDEN_SETTINGS["replicates"])]
    for years in stored.values():
        assert sorted(years) == [str(y) for y in range(2021, GOLDEN_SETTINGS["horizon"] + 1)]
        for values in years.values():
            assert sorted(values) == sorted(GOLDEN_METRICS)


def test_golden_comparison_flags_a_change_beyond_the_tolerance():
    old = {"0": {"2025": {"total_output_yi": 100.0, "exits": 3.0}}}
    tiny = {"0": {"2025": {"total_output_yi": 100.0 * (1 + 1e-12), "exits": 3.0}}}
    real = {"0": {"2025": {"total_output_yi": 100.0 * (1 + 1e-6), "exits": 3.0}}}
    missing = {"0": {"2025": {"total_output_yi": 100.0}}}
    assert golden_differences(old, tiny) == []
    assert [d[:3] for d in golden_differences(old, real)] == [("0", "2025", "total_output_yi")]
    assert [d[:3] for d in golden_differences(old, missing)] == [("0", "2025", "exits")]


@pytest.mark.parametrize("name", ["baseline", "jiaxing_platforms"])
def test_only_the_rules_that_start_a_stream_draw_random_numbers(name):
    """Every rule outside RANDOM_RULES leaves the generator's state as it found it.

    Such a rule runs on whatever stream the previous rule left: if it drew, its draws would move with what that rule
    drew, and paired runs would lose common random numbers. Every listed rule must be a rule of the year.
    """
    from parkabm.model import schedule

    assert schedule.RANDOM_RULES <= set(schedule.RULE_INDEX)
    drew: set[str] = set()

    def watched(rule):
        def run(model):
            before = model.rng.bit_generator.state
            rule(model)
            if model.rng.bit_generator.state != before:
                drew.add(rule.__name__)
        run.__name__ = rule.__name__
        return run

    original = {phase.name: phase.rules for phase in schedule.PHASES}
    try:
        for phase in schedule.PHASES:
            object.__setattr__(phase, "rules", tuple(watched(rule) for rule in phase.rules))
        for replicate in range(3):
            ParkModel(scenario_with(name=name), rng=replicate_seed(3, replicate), mesa_datacollector=False).run_model()
    finally:
        for phase in schedule.PHASES:
            object.__setattr__(phase, "rules", original[phase.name])
    assert drew - schedule.RANDOM_RULES == set()
    assert {"grow_firms", "exit_firms", "upgrade_firms", "recruit_projects"} <= drew
