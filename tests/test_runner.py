"""The runner: a job's seed and parameters, chunks, failing jobs that do not sink the batch, the batch command.

A failing job is made without touching the model: two lever factors whose values are each valid alone but not
together (the 亩均 class cut-offs must increase, a < b), so one design point of a grid fails in
``apply_changes`` on the worker, as a user's conflicting levers would.
"""

from concurrent.futures import Future

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from batch_fixtures import SMALL_SPEC, cli, output_of, write_spec

from parkabm.experiments.design.spec import load_spec
from parkabm.experiments.execution.executors import SerialExecutor
from parkabm.experiments.execution.runner import (
    BatchResult,
    Chunk,
    ChunkColumns,
    JobTask,
    batch,
    job_seed,
    run_batch,
    run_chunk,
    run_job,
)
from parkabm.experiments.execution.store import job_status, load_failures, load_results
from parkabm.model.city import ParkModel
from parkabm.model.simulate import draw_parameters, replicate_seed, simulate, simulate_columns
from parkabm.scenarios.loader import apply_changes, load_scenario

CONFLICTING_CUTOFFS = {
    **SMALL_SPEC,
    "name": "cutoffs",
    "factors": [
        {"name": "levers.evaluation.class_cutoffs.a", "kind": "lever", "levels": [0.25, 0.65]},
        {"name": "levers.evaluation.class_cutoffs.b", "kind": "lever", "levels": [0.70, 0.60]},
    ],
}
"""Design point 3 (a = 0.65, b = 0.60) breaks a < b: its two replicates fail, the six other jobs run."""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    write_spec(folder)
    return load_scenario(folder / "tiny.yaml")


def test_job_seed_is_child_job_of_the_master_seed():
    seq = job_seed(11, 7)
    assert seq.entropy == 11 and seq.spawn_key == (7,)
    assert np.random.default_rng(job_seed(11, 7)).random() == np.random.default_rng(job_seed(11, 7)).random()


def test_run_job_is_reproducible_and_jobs_differ(tiny):
    a = run_job(tiny, seed=3, job=5)
    b = run_job(tiny, seed=3, job=5)
    c = run_job(tiny, seed=3, job=6)
    pd.testing.assert_frame_equal(a.yearly, b.yearly)
    assert not np.allclose(a.yearly["total_output_yi"], c.yearly["total_output_yi"])


def test_uncertainty_factor_overrides_one_parameter_and_leaves_the_other_draws(tiny):
    free = run_job(tiny, seed=3, job=5)
    fixed = run_job(tiny, seed=3, job=5, parameters={"trend_growth_multiplier": 1.4})
    assert fixed.parameters["trend_growth_multiplier"] == 1.4
    assert free.parameters["trend_growth_multiplier"] != 1.4
    others = {k: v for k, v in free.parameters.items() if k != "trend_growth_multiplier"}
    assert others == {k: v for k, v in fixed.parameters.items() if k != "trend_growth_multiplier"}


def test_serial_batch_writes_every_job_and_replicates_differ(tmp_path):
    spec = write_spec(tmp_path)
    with SerialExecutor() as executor:
        result = run_batch(spec, tmp_path / "out", executor=executor, chunk_size=5, progress=False)
    assert isinstance(result, BatchResult)
    assert (result.jobs, result.done, result.failed, result.pending, result.ran) == (12, 12, 0, 0, 12)
    assert result.summary_line() == "12 jobs: 12 done, 0 failed"
    yearly = load_results(tmp_path / "out")
    assert len(yearly) == 12 * 3 and not yearly.duplicated(["job", "year"]).any()
    final = yearly[yearly["year"] == 2023].set_index(["sample", "replicate"])["total_output_yi"]
    assert (final.xs(0, level="replicate") != final.xs(1, level="replicate")).all()
    # the lever reached the model: more redevelopment, more land in the pipeline
    pipeline = yearly[yearly["year"] == 2023].groupby("levers.land.redevelopment_mu_per_year")["land_pipeline_mu"]
    assert pipeline.mean().is_monotonic_increasing
    assert len(list((tmp_path / "out" / "parts").glob("yearly-*.parquet"))) == 3  # chunks of 5, 5 and 2


def test_outputs_keep_only_the_named_metrics(tmp_path):
    spec = write_spec(tmp_path, {**SMALL_SPEC, "outputs": {"metrics": ["total_output_yi", "exits"]}})
    with SerialExecutor() as executor:
        run_batch(spec, tmp_path / "out", executor=executor, progress=False)
    columns = load_results(tmp_path / "out").columns
    assert list(columns[-3:]) == ["year", "total_output_yi", "exits"]


def test_a_failing_job_is_recorded_and_the_others_complete(tmp_path):
    spec = write_spec(tmp_path, CONFLICTING_CUTOFFS)
    with SerialExecutor() as executor:
        result = run_batch(spec, tmp_path / "out", executor=executor, chunk_size=3, progress=False)
    assert (result.done, result.failed, result.pending) == (6, 2, 0)
    failures = load_failures(tmp_path / "out")
    assert failures["job"].tolist() == [6, 7]
    assert failures["error"].str.startswith("UserInputError: ").all()
    assert failures["error"].str.contains("spec.yaml (design point 3): levers.evaluation.class_cutoffs",
                                          regex=False).all()
    assert failures["traceback"].str.contains("apply_changes").all()
    status = job_status(tmp_path / "out")
    assert status["status"].tolist() == ["done"] * 6 + ["failed"] * 2
    assert sorted(load_results(tmp_path / "out")["job"].unique()) == list(range(6))


def test_batch_command_exits_1_and_counts_failures(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_spec(tmp_path, CONFLICTING_CUTOFFS)
    result = cli("batch", "spec.yaml", "--workers", 1, "--out", "out")
    text = output_of(result)
    assert result.exit_code == 1, text
    assert "Traceback" not in text
    assert text.strip().splitlines()[-1] == "8 jobs: 6 done, 2 failed"
    assert "job 6: UserInputError" in text and "out/failures/" in text


def test_batch_command_reports_where_results_went(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_spec(tmp_path)
    result = cli("batch", "spec.yaml", "--workers", 1, "--chunk-size", 4)
    assert result.exit_code == 0, output_of(result)
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("experiment small · 12 jobs (1 scenarios × 6 design points × 2 replicates)")
    assert "results in results/small/" in lines
    assert lines[-1] == "12 jobs: 12 done, 0 failed"
    again = cli("batch", "spec.yaml", "--workers", 1)
    assert "ran 0 jobs" in again.stdout and again.exit_code == 0


class LosingExecutor(SerialExecutor):
    """Every task is lost as a whole, as when a worker process dies."""

    description = "an executor that loses its tasks"

    def submit(self, fn, *args):
        future = Future()
        future.set_exception(RuntimeError("worker died"))
        return future


def test_a_lost_task_fails_its_jobs_and_the_batch_goes_on(tmp_path):
    spec = write_spec(tmp_path)
    with LosingExecutor() as executor:
        result = run_batch(spec, tmp_path / "out", executor=executor, chunk_size=5, progress=False)
    assert (result.done, result.failed) == (0, 12)
    failures = load_failures(tmp_path / "out")
    assert failures["error"].eq("RuntimeError: worker died").all()
    assert failures["worker"].eq("(task lost)").all()
    with SerialExecutor() as executor:  # resuming retries them
        retried = run_batch(spec, tmp_path / "out", executor=executor, progress=False)
    assert (retried.ran, retried.done, retried.failed) == (12, 12, 0)
    assert not list((tmp_path / "out" / "failures").iterdir()), "failures superseded by later runs are pruned"


def test_bad_chunk_size_is_a_user_error(tmp_path):
    from parkabm.scenarios.errors import UserInputError

    with pytest.raises(UserInputError, match="--chunk-size"):
        run_batch(write_spec(tmp_path), tmp_path / "out", executor=SerialExecutor(), chunk_size=0)


def test_batch_function_returns_the_results(tmp_path):
    experiment = load_spec(write_spec(tmp_path, {**SMALL_SPEC, "replicates": 1}))
    frame = batch(experiment, tmp_path / "out", workers=1, progress=False)
    assert len(frame) == 6 * 3 and {"scenario", "sample", "trend_growth_multiplier"} <= set(frame.columns)
    with pytest.warns(UserWarning, match="2 failed"):
        batch(write_spec(tmp_path, CONFLICTING_CUTOFFS, name="bad.yaml"), tmp_path / "bad", workers=1,
              progress=False)


class BreaksAfterTwoSubmits(SerialExecutor):
    """A pool whose workers die after two tasks, as when the kernel kills one for memory."""

    def __init__(self):
        self.calls = 0

    def submit(self, fn, *args):
        self.calls += 1
        if self.calls > 2:
            from concurrent.futures.process import BrokenProcessPool

            raise BrokenProcessPool("a worker was killed")
        return super().submit(fn, *args)


def test_a_broken_executor_stops_the_batch_cleanly_and_a_rerun_finishes_it(tmp_path):
    spec = write_spec(tmp_path)
    out = tmp_path / "out"
    broken = run_batch(spec, out, executor=BreaksAfterTwoSubmits(), chunk_size=2, progress=False)
    assert broken.failed + broken.pending > 0 and broken.done == 4
    assert "BrokenProcessPool" in set(load_failures(out)["error"].str.split(":").str[0])
    with SerialExecutor() as ex:
        finished = run_batch(spec, out, executor=ex, chunk_size=2, progress=False)
    assert finished.done == finished.jobs and finished.failed == finished.pending == 0
    results = load_results(out)
    assert results.groupby("job").size().nunique() == 1 and results["job"].nunique() == finished.jobs


# --- a chunk's rows: columns filled run by run, the rows of the jobs' own frames -----------------------------------

def assert_same_table(table, frame):
    """``table`` is what the store wrote before for ``frame``: the same columns, types, values and pandas metadata."""
    expected = pa.Table.from_pandas(frame, preserve_index=False)
    assert table.schema.equals(expected.schema, check_metadata=True), (table.schema, expected.schema)
    assert table.equals(expected)
    pd.testing.assert_frame_equal(table.to_pandas(), expected.to_pandas())


def test_chunk_columns_follow_pandas_concat_when_runs_differ():
    runs = [
        {"job": np.array([0, 0]), "year": np.array([2021, 2022]), "x": np.array([1.5, 2.5])},
        {"job": np.array([1, 1, 1]), "year": np.array([2021, 2022, 2023]), "y": np.array([7, 8, 9])},
        {"job": np.array([2]), "year": np.array([2021]), "x": np.array([4]), "park": np.array(["a"])},
        {"job": np.array([3]), "year": np.array([2022]), "park": np.array(["a longer name"])},
    ]
    columns = ChunkColumns(1)  # sized for one run: the later runs make it grow
    for run in runs:
        columns.append(run)
    expected = pd.concat([pd.DataFrame(run) for run in runs], ignore_index=True)
    assert_same_table(columns.table(), expected)
    assert ChunkColumns(3).table() is None


@pytest.fixture(scope="module")
def two_scopes(tmp_path_factory):
    """The tiny scenario, and the same world in the all-规上 scope (other sector groups, so other columns)."""
    folder = tmp_path_factory.mktemp("scopes")
    write_spec(folder)
    (folder / "services.yaml").write_text("name: services\nextends: baseline\n"
                                          "world: {population_scale: 0.15, horizon: 2023, scope: all_guishang}\n",
                                          encoding="utf-8")
    return {"tiny": load_scenario(folder / "tiny.yaml"), "services": load_scenario(folder / "services.yaml")}


@pytest.mark.parametrize("metrics", [None, ("exits", "total_output_yi")])
def test_a_chunks_tables_hold_the_rows_of_its_jobs_frames_with_their_dtypes(two_scopes, metrics):
    lever = {"levers.land.redevelopment_mu_per_year": 30000}
    bad = {"levers.evaluation.class_cutoffs.a": 0.65, "levers.evaluation.class_cutoffs.b": 0.60}
    tasks = (JobTask(3, "tiny", 0, {}, {}, 3), JobTask(4, "tiny", 1, lever, {"trend_growth_multiplier": 1.2}, 4),
             JobTask(5, "services", 2, bad, {}, 5), JobTask(6, "services", 3, {}, {}, 1))
    result = run_chunk(Chunk(9, two_scopes, tasks, metrics, True, "test"))
    assert [r["status"] for r in result.runs] == ["done", "done", "failed", "done"]
    yearly, parks = [], []
    for task in (tasks[0], tasks[1], tasks[3]):
        scenario = apply_changes(two_scopes[task.scenario], task.levers) if task.levers else two_scopes[task.scenario]
        run = run_job(scenario, seed=9, job=task.stream, parameters=task.parameters)
        rows = run.yearly if metrics is None else run.yearly[["year", *metrics]]
        yearly.append(rows.assign(job=np.int64(task.job))[["job", *rows.columns]])
        parks.append(run.parks.assign(job=np.int64(task.job))[["job", *run.parks.columns]])
    expected = pd.concat(yearly, ignore_index=True)
    if metrics is None:  # the scopes' group columns differ: each is NaN in the other scope's rows
        assert expected.isna().any().any()
    assert_same_table(result.yearly, expected)
    assert_same_table(result.parks, pd.concat(parks, ignore_index=True))


def test_headless_runs_give_the_frames_of_a_model_with_its_datacollector(tiny):
    parameters = draw_parameters(tiny, 4, 2)
    model = ParkModel(tiny, parameters=parameters, rng=replicate_seed(4, 2))
    model.run_model()
    assert model.datacollector is not None
    result = simulate(tiny, seed=4, replicate=2)
    pd.testing.assert_frame_equal(result.yearly, model.yearly_frame())
    pd.testing.assert_frame_equal(result.parks, model.parks_frame())
    columns = simulate_columns(tiny, seed=4, replicate=2, parks=False)
    assert columns.parks == {} and columns.parameters == parameters == result.parameters
    pd.testing.assert_frame_equal(pd.DataFrame(columns.yearly), model.yearly_frame())


def test_a_batch_documents_its_columns_without_duckdb(tmp_path, monkeypatch):
    """DuckDB is optional: the batch's schema.json is read from the parts' own schema."""
    import json
    import sys

    monkeypatch.setitem(sys.modules, "duckdb", None)  # `import duckdb` now raises ImportError
    spec = write_spec(tmp_path, {**SMALL_SPEC, "outputs": {"metrics": ["total_output_yi", "exits"]}})
    with SerialExecutor() as executor:
        result = run_batch(spec, tmp_path / "out", executor=executor, progress=False)
    assert result.files["schema"] == tmp_path / "out" / "schema.json"
    schema = json.loads(result.files["schema"].read_text(encoding="utf-8"))
    assert [c["name"] for c in schema["columns"]][-3:] == ["year", "total_output_yi", "exits"]


def _spec_of(tmp_path, jobs: int):
    from parkabm.experiments.design.spec import resolve_spec

    (tmp_path / "one.yaml").write_text("name: one\nextends: baseline\nworld: {population_scale: 0.1}\n",
                                       encoding="utf-8")
    return resolve_spec({"name": "chunks", "scenarios": ["one.yaml"], "design": {"kind": "monte_carlo",
                         "samples": jobs // 20}, "replicates": 20, "factors": [
        {"name": "levers.land.redevelopment_mu_per_year", "kind": "lever", "bounds": [0, 30000]}]},
        source="test", base_dir=tmp_path)


def test_automatic_chunks_shrink_towards_the_end_and_hand_out_every_job_once(tmp_path):
    """2,000 jobs on 2 workers: chunks of 100 while 800 or more are left, then 1/8 of what is left, at least 10."""
    from parkabm.experiments.execution.runner import _chunks

    experiment = _spec_of(tmp_path, 2000)
    pending = np.arange(experiment.n_jobs)
    sizes = [len(c.jobs) for c in _chunks(experiment, pending, 100, workers=2, shrink=True)]
    jobs = [t.job for c in _chunks(experiment, pending, 100, workers=2, shrink=True) for t in c.jobs]
    assert jobs == pending.tolist()
    assert sizes[:14] == [100] * 13 + [88]  # 100 up to 800 jobs left, then ceil(700 / 8), ceil(612 / 8), …
    assert sizes[14] == 77 and sizes == sorted(sizes, reverse=True)
    assert sizes[-8:] == [10] * 7 + [9]  # at least a tenth of 100, but for the remainder
    fixed = [len(c.jobs) for c in _chunks(experiment, pending, 100, workers=2)]
    assert fixed == [100] * 20


def test_a_chosen_chunk_size_is_kept_to_the_end(tmp_path):
    """--chunk-size K: every chunk but the last holds K jobs (the parts are then the same on every executor)."""
    spec = write_spec(tmp_path)
    with SerialExecutor() as executor:
        run_batch(spec, tmp_path / "out", executor=executor, chunk_size=5, progress=False)
    commits = sorted(p.name for p in (tmp_path / "out" / "parts").glob("commit-*.json"))
    assert commits == ["commit-000000-000004.json", "commit-000005-000009.json", "commit-000010-000011.json"]
