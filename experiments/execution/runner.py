"""Run an experiment's jobs in chunks through any executor and stream their results to the store.

The driver (:func:`run_batch`) expands the experiment into jobs (:meth:`Experiment.jobs
<parkabm.experiments.design.spec.Experiment.jobs>`), skips those the results folder already holds, groups the rest into
chunks and submits each chunk as one task (:func:`run_chunk`) to an executor
(:mod:`parkabm.experiments.execution.executors`).
At most about twice as many chunks as the executor has workers are in flight, and each chunk's rows are written to
the store as soon as it finishes, so the driver's memory stays flat however many jobs there are. A job that raises
is recorded as failed with its error; the other jobs of its chunk and of the batch go on.

**A job's random numbers** depend only on the master seed and the job's number: the job's seed is
``SeedSequence(seed, spawn_key=(job,))``, never which worker ran it or in what order (:func:`run_job`).

**Per job, a worker does only the run.** A chunk's jobs run headless (no Mesa DataCollector) and hand their outputs
over as numpy columns (:func:`~parkabm.model.simulate.simulate_columns`), copied into arrays sized for the whole
chunk (:class:`ChunkColumns`); pandas and Arrow are used once per chunk, to make its tables.
"""

from __future__ import annotations

import math
import os
import queue
import socket
import sys
import time
import traceback
from collections.abc import Iterator, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from parkabm.experiments.execution.query import SCHEMA_FILE, write_schema
from parkabm.experiments.execution.store import TRACEBACK_CHARS, ChunkResult, ResultsStore
from parkabm.model import kernels
from parkabm.model.simulate import RunResult, simulate, simulate_columns
from parkabm.scenarios.errors import UserInputError
from parkabm.scenarios.loader import apply_changes

MAX_CHUNK_SIZE = 100
"""Largest number of jobs in one task when the chunk size is chosen automatically."""

IN_FLIGHT_PER_WORKER = 2
"""Chunks kept submitted per worker: enough to keep every worker busy, few enough to keep memory flat."""

CHUNKS_PER_WORKER = 4
"""An automatic chunk holds at most 1/(this × workers) of the jobs still to hand out (and ≤ MAX_CHUNK_SIZE)."""

SMALLEST_SHARE = 10
"""An automatic chunk shrinks as the batch nears its end, down to 1/this of the first chunk's size."""


def job_seed(seed: int, job: int) -> np.random.SeedSequence:
    """Return the seed sequence of one job: child ``job`` of the master ``seed``.

    Built from the job's number, not by spawning in order, so a job's numbers never depend on which worker ran it
    or what ran before.
    """
    return np.random.SeedSequence(seed, spawn_key=(job,))


def run_job(scenario, *, seed: int, job: int, parameters: dict[str, float] | None = None,
            world=None) -> RunResult:
    """Run one job: a scenario (with its lever changes applied) under the job's seed.

    The behavioural parameters are drawn first, from the job seed's first child ``SeedSequence(seed,
    spawn_key=(job, 0))``: every parameter of the scenario's ``uncertainties`` is sampled (one uniform draw each,
    in name order, see :meth:`Scenario.parameter_values <parkabm.scenarios.schema.Scenario.parameter_values>`),
    then the experiment's uncertainty factors overwrite their parameters. Because every distribution consumes its
    draw even when overwritten, fixing one parameter never changes the values drawn for the others. The model then
    runs on the job's own seed ``SeedSequence(seed, spawn_key=(job,))`` (:func:`~parkabm.model.simulate.simulate`
    with ``replicate=job``), a stream independent of the parameter draws.

    Args:
        scenario: The resolved scenario.
        seed: The experiment's master seed.
        job: The job's random stream: its number (or its replicate, with common random numbers).
        parameters: Parameter values fixed by the design (uncertainty factors), by name.
        world: World tables; the shipped world when omitted.

    Returns:
        The run's yearly and per-park outputs and the parameter values it used.
    """
    return simulate(scenario, seed=seed, replicate=job, overrides=parameters, world=world)


@dataclass(frozen=True)
class JobTask:
    """What a worker needs to run one job.

    Attributes:
        job: The job's number.
        scenario: Name of its scenario (a key of :attr:`Chunk.scenarios`).
        sample: Its design point.
        levers: Lever changes of the design point, by dotted path.
        parameters: Parameter values of the design point's uncertainty factors, by name.
        stream: The job's random stream: its number, or its replicate with common random numbers.
    """

    job: int
    scenario: str
    sample: int
    levers: dict[str, Any]
    parameters: dict[str, float]
    stream: int


@dataclass(frozen=True)
class Chunk:
    """One task: a few jobs of one experiment, with everything a worker needs (no files are read there).

    Attributes:
        seed: The master seed.
        scenarios: The resolved scenarios the jobs use, by name.
        jobs: The jobs, in job order.
        metrics: Outputs to keep; all when None.
        parks: Keep per-park rows.
        source: How lever problems name the experiment.
        firm_years_ahead: About how many firm-years the worker will step for this batch from this chunk on (its
            share of the pending jobs); lets it choose the compiled kernels from its first job
            (:func:`parkabm.model.kernels.expect_firm_years`).
    """

    seed: int
    scenarios: dict[str, Any]
    jobs: tuple[JobTask, ...]
    metrics: tuple[str, ...] | None
    parks: bool
    source: str
    firm_years_ahead: int = 0


class ChunkColumns:
    """The rows of one chunk, column by column, in arrays allocated for the whole chunk and filled run by run.

    Written here rather than taken from pandas or pyarrow: ``pandas.concat`` of one frame per run built and copied
    a frame per job, and pyarrow's builders append Python values one at a time. The arrays are sized at the first
    run (its rows times the chunk's runs) and grow only if a later run has more rows; one table is made at the end
    (:meth:`table`). Columns follow ``pandas.concat``'s rules when runs differ (scenarios of different scopes have
    different group columns): a column missing from some runs is missing there (NaN; a whole-number column becomes
    ``float64``), and a column's dtype is promoted as the runs require, so the parts are those the per-run frames
    gave.

    Args:
        runs: Runs the chunk expects (sizes the arrays).
    """

    def __init__(self, runs: int) -> None:
        self.runs = max(1, runs)
        self.rows = 0
        self.columns: dict[str, np.ndarray] = {}

    def append(self, columns: Mapping[str, Any]) -> None:
        """Copy one run's columns (arrays of equal length) after the rows held."""
        arrays = {name: np.asarray(values) for name, values in columns.items()}
        for name, values in arrays.items():
            if values.dtype.kind in "US":  # text as Python strings: a fixed-width array would cut longer ones
                arrays[name] = values.astype(object)
        n = len(next(iter(arrays.values())))
        start, stop = self.rows, self.rows + n
        capacity = len(next(iter(self.columns.values()))) if self.columns else 0
        if stop > capacity:
            capacity = max(stop, 2 * capacity, n * self.runs)
            self.columns = {name: _resized(column, capacity, start) for name, column in self.columns.items()}
        for name, values in arrays.items():
            column = self.columns.get(name)
            if column is None:  # a column the earlier runs (if any) did not have: missing there
                column = self.columns[name] = (np.empty(capacity, dtype=values.dtype) if start == 0
                                               else _missing(values.dtype, capacity, start))
            elif np.result_type(column.dtype, values.dtype) != column.dtype:
                column = self.columns[name] = column.astype(np.result_type(column.dtype, values.dtype))
            column[start:stop] = values
        for name, column in self.columns.items():
            if name not in arrays:  # a column this run does not have
                if column.dtype.kind in "iub":
                    column = self.columns[name] = column.astype(np.float64 if column.dtype.kind != "b" else object)
                column[start:stop] = np.nan if column.dtype.kind == "f" else None
        self.rows = stop

    def table(self) -> pa.Table | None:
        """Return the rows as one Arrow table (None when no run was appended).

        Made through one pandas frame, so the table carries pandas' schema metadata as parts always have (a pandas
        reader gets the same dtypes back).
        """
        if not self.rows:
            return None
        frame = pd.DataFrame({name: column[:self.rows] for name, column in self.columns.items()})
        return pa.Table.from_pandas(frame, preserve_index=False)


def _missing(dtype: np.dtype, capacity: int, rows: int) -> np.ndarray:
    """An array of ``capacity`` rows for a new column of ``dtype``, its first ``rows`` missing.

    Missing numbers are NaN (whole numbers become ``float64``), other values None (``object``), as in
    ``pandas.concat``.
    """
    column = np.empty(capacity, dtype=np.float64 if dtype.kind in "iuf" else object)
    column[:rows] = np.nan if column.dtype.kind == "f" else None
    return column


def _resized(column: np.ndarray, capacity: int, rows: int) -> np.ndarray:
    """``column`` moved into an array of ``capacity`` rows (its first ``rows`` kept)."""
    bigger = np.empty(capacity, dtype=column.dtype)
    bigger[:rows] = column[:rows]
    return bigger


def run_chunk(chunk: Chunk) -> ChunkResult:
    """Run the jobs of one chunk in order; a job that raises is recorded as failed and the next one runs.

    Lever changes are applied once per design point (jobs of one point are consecutive). Each job's outputs are
    copied into the chunk's columns (:class:`ChunkColumns`), which become one Arrow table per kind at the end:
    the rows of :func:`run_job`'s frames with a ``job`` column first. Runs in a worker: it touches no files and no
    global state.

    Args:
        chunk: The jobs and what they need.

    Returns:
        The finished jobs' rows and one run record per job.
    """
    worker = f"{socket.gethostname()}:{os.getpid()}"
    kernels.expect_firm_years(chunk.firm_years_ahead)  # the same numbers either way; only the speed differs
    changed: dict[tuple[str, int], Any] = {}
    yearly, parks = ChunkColumns(len(chunk.jobs)), ChunkColumns(len(chunk.jobs))
    runs = []
    for task in chunk.jobs:
        start = time.time()
        try:
            key = (task.scenario, task.sample)
            scenario = changed.get(key)
            if scenario is None:
                scenario = chunk.scenarios[task.scenario]
                if task.levers:
                    scenario = apply_changes(scenario, task.levers, source=f"{chunk.source} (design point "
                                                                           f"{task.sample})")
                changed = {key: scenario}
            result = simulate_columns(scenario, seed=chunk.seed, replicate=task.stream, overrides=task.parameters,
                                      parks=chunk.parks)
            kept = result.yearly if chunk.metrics is None else {
                name: result.yearly[name] for name in ("year", *chunk.metrics)}
            rows = {"job": np.full(len(kept["year"]), task.job, dtype=np.int64), **kept}
            per_park = {"job": np.full(len(result.parks["year"]), task.job, dtype=np.int64),
                        **result.parks} if chunk.parks else None
        except Exception as exc:
            runs.append({"job": task.job, "status": "failed", "start": start, "end": time.time(), "worker": worker,
                         "error": f"{type(exc).__name__}: {exc}",
                         "traceback": traceback.format_exc()[-TRACEBACK_CHARS:]})
            continue
        yearly.append(rows)
        if per_park is not None:
            parks.append(per_park)
        runs.append({"job": task.job, "status": "done", "start": start, "end": time.time(), "worker": worker})
    return ChunkResult(jobs=[t.job for t in chunk.jobs], yearly=yearly.table(), parks=parks.table(), runs=runs)


FIRM_ROWS_AT_SCALE_ONE = 7000
"""Firm rows of a baseline run at ``population_scale`` 1 (about 5,800 firms and the entrants of 2022–2025;
benchmarks/bench_run.py prints the median): the runner's estimate of the firm-years a batch will step."""


def _chunks(experiment, pending: np.ndarray, size: int, workers: int = 1, shrink: bool = False) -> Iterator[Chunk]:
    """Group pending jobs, in order, into chunks of ``size`` (made one at a time, as they are submitted).

    With ``shrink`` (the automatic chunk size), a chunk holds at most the jobs still to hand out divided by
    :data:`CHUNKS_PER_WORKER` × ``workers``, and no fewer than ``size`` / :data:`SMALLEST_SHARE`: the last chunks
    are small, so the workers finish nearly together instead of one idling while another runs a full last chunk
    (about 0.75 s of one core's 12 s in a 2,000-job baseline batch on 2 workers with chunks of 100). Which jobs
    run, their seeds and their results do not depend on the chunking.

    Each chunk carries the firm-years its worker can expect to step from it on: the pending jobs from this chunk,
    shared among ``workers``, times an estimate of a job's firm-years (the largest population scale and the
    longest horizon of the experiment's scenarios).
    """
    spec = experiment.spec
    job_firm_years = max(FIRM_ROWS_AT_SCALE_ONE * s.world.population_scale * max(s.world.horizon - s.world.base_year, 1)
                         for s in experiment.scenarios.values())
    names = list(experiment.scenarios)
    per_scenario = experiment.n_points * spec.replicates
    metrics = tuple(spec.outputs.metrics) if spec.outputs.metrics is not None else None
    point: tuple[int, tuple[dict, dict]] | None = None
    smallest = max(1, size // SMALLEST_SHARE)
    first = 0
    while first < len(pending):
        step = size
        if shrink:
            step = min(size, max(smallest, math.ceil((len(pending) - first) / (CHUNKS_PER_WORKER * max(workers, 1)))))
        tasks = []
        for job in pending[first: first + step].tolist():
            sample = (job // spec.replicates) % experiment.n_points
            if point is None or point[0] != sample:
                point = (sample, experiment.factor_values(sample))
            levers, parameters = point[1]
            stream = int(experiment.streams(np.array([job]))[0])
            tasks.append(JobTask(job, names[job // per_scenario], sample, levers, parameters, stream))
        used = {t.scenario for t in tasks}
        ahead = int((len(pending) - first) / max(workers, 1) * job_firm_years)
        yield Chunk(spec.seed, {n: s for n, s in experiment.scenarios.items() if n in used}, tuple(tasks), metrics,
                    spec.outputs.parks, experiment.source, ahead)
        first += step


@dataclass
class BatchResult:
    """What a batch did and where its results are.

    Attributes:
        out: The results folder.
        name: The experiment's name.
        jobs: Jobs of the experiment.
        done: Jobs finished (in this or an earlier batch on the same folder).
        failed: Jobs whose last attempt raised.
        pending: Jobs not run (the batch was interrupted).
        ran: Jobs run by this batch.
        skipped: Jobs already done when this batch started.
        executor: Where the jobs ran.
        cleaned: Files left by a killed batch that were removed.
        repaired: What reopening the folder repaired (a part missing, truncated or corrupt, whose jobs ran again).
    """

    out: Path
    name: str
    jobs: int
    done: int
    failed: int
    pending: int
    ran: int = 0
    skipped: int = 0
    executor: str = ""
    cleaned: int = 0
    files: dict[str, Path] = field(default_factory=dict)
    repaired: list[str] = field(default_factory=list)

    def summary_line(self) -> str:
        """Return ``N jobs: D done, F failed`` (and the pending count when some did not run)."""
        line = f"{self.jobs} jobs: {self.done} done, {self.failed} failed"
        return line + (f", {self.pending} pending" if self.pending else "")


def run_batch(spec, out: str | Path | None = None, *, executor=None, chunk_size: int | None = None,
              max_in_flight: int | None = None, progress: bool = True) -> BatchResult:
    """Run every job of an experiment that the results folder does not hold yet.

    Args:
        spec: An :class:`~parkabm.experiments.design.spec.Experiment`, or the path of an experiment file.
        out: The results folder (default ``results/<experiment name>``); an existing folder of the same
            experiment is resumed.
        executor: An executor already entered (``with``), e.g.
            :class:`~parkabm.experiments.execution.executors.ProcessPool` or
            :class:`~parkabm.experiments.execution.executors.DaskExecutor`, or any ``concurrent.futures`` executor;
            it is neither started nor shut down here. When omitted, a process pool of all available CPUs is started and
            shut down by this call.
        chunk_size: Jobs per task; by default ``pending / (4 × workers)``, between 1 and 100, shrinking towards the
            end of the batch (down to a tenth) so the workers finish together.
        max_in_flight: Chunks submitted but not yet finished; ``2 × workers`` by default.
        progress: Show a progress bar (terminal or notebook).

    Returns:
        The counts, where the results are, and what ran.

    Raises:
        UserInputError: A bad experiment file or chunk size, or a results folder that cannot be used.
    """
    from parkabm.experiments.design.spec import Experiment, load_spec
    from parkabm.experiments.execution.executors import ProcessPool

    experiment = spec if isinstance(spec, Experiment) else load_spec(spec)
    if chunk_size is not None and chunk_size < 1:
        raise UserInputError(f"--chunk-size: {chunk_size} — allowed: a whole number ≥ 1")
    out = Path(out) if out is not None else Path("results") / experiment.name
    store = ResultsStore.open(out, experiment)
    started = datetime.now(UTC).isoformat(timespec="seconds")
    ran, description = 0, ""
    try:
        pending = store.pending_jobs()
        skipped = experiment.n_jobs - len(pending)
        context = ProcessPool() if executor is None else nullcontext(executor)
        with context as ex:
            description = getattr(ex, "description", type(ex).__name__)
            if len(pending):
                ran = _drive(ex, experiment, store, pending, chunk_size, max_in_flight, progress)
    finally:
        counts = store.close({"started": started, "executor": description, "jobs_run": ran})
    files = {"manifest": out / "manifest.json", "jobs": out / "jobs.parquet", "parts": out / "parts",
             "failures": out / "failures", "status": out / "status.parquet"}
    if counts["done"]:
        try:  # the columns' units and descriptions for DuckDB users; never hides the batch's own result
            files["schema"] = write_schema(out)
        except (UserInputError, OSError) as error:
            print(f"warning: {out / SCHEMA_FILE} not written: {error}", file=sys.stderr)
    return BatchResult(out, experiment.name, experiment.n_jobs, counts["done"], counts["failed"], counts["pending"],
                       ran, skipped, description, store.cleaned, files, store.repaired)


def _drive(executor, experiment, store: ResultsStore, pending: np.ndarray, chunk_size: int | None,
           max_in_flight: int | None, progress: bool) -> int:
    """Submit chunks, keeping a bounded number in flight, and commit each as it finishes; return jobs run."""
    from tqdm.auto import tqdm

    workers = max(1, int(getattr(executor, "workers", 1)))
    size = chunk_size or max(1, min(MAX_CHUNK_SIZE, math.ceil(len(pending) / (CHUNKS_PER_WORKER * workers))))
    finished: queue.Queue = queue.Queue()
    in_flight: dict[Any, list[int]] = {}
    ran = 0
    with tqdm(total=len(pending), desc=experiment.name, unit="job", disable=not progress, smoothing=0.1) as bar:

        def collect() -> None:
            nonlocal ran
            future = finished.get()
            jobs = in_flight.pop(future)
            try:
                result = future.result()
            except Exception as exc:  # the task as a whole was lost: a dead worker, a broken pool
                result = ChunkResult.lost(jobs, exc)
            store.write_chunk(result)
            ran += len(jobs)
            bar.update(len(jobs))

        for chunk in _chunks(experiment, pending, size, workers, shrink=chunk_size is None):
            limit = max_in_flight or IN_FLIGHT_PER_WORKER * max(1, int(getattr(executor, "workers", 1)))
            while len(in_flight) >= limit:
                collect()
            jobs = [t.job for t in chunk.jobs]
            try:
                future = executor.submit(run_chunk, chunk)
            except Exception as exc:  # the executor is gone (a worker killed, a pool broken): stop submitting
                store.write_chunk(ChunkResult.lost(jobs, exc))
                ran += len(jobs)
                bar.update(len(jobs))
                break
            in_flight[future] = jobs
            future.add_done_callback(finished.put)
        while in_flight:
            collect()
    return ran


def batch(spec, out: str | Path | None = None, *, workers: int | None = None, scheduler: str | None = None,
          dask_local: int | None = None, chunk_size: int | None = None, progress: bool = True) -> pd.DataFrame:
    """Run an experiment (for notebooks) and return its citywide results.

    The same as ``parkabm batch``: resumes an earlier run in ``out``, and never holds more than a few chunks of
    results in memory while it runs. Failed jobs are reported with a warning; their errors are in
    :func:`~parkabm.experiments.execution.store.load_failures`. For very large experiments read selected outputs with
    :func:`~parkabm.experiments.execution.store.load_results` (``metrics=``) or DuckDB instead of everything at once.

    Args:
        spec: An experiment file, or an :class:`~parkabm.experiments.design.spec.Experiment`.
        out: The results folder (default ``results/<experiment name>``).
        workers: Local worker processes (1: in this process); all CPUs by default.
        scheduler: Address of a Dask scheduler instead.
        dask_local: Worker processes of a Dask local cluster instead.
        chunk_size: Jobs per task (chosen automatically by default).
        progress: Show a progress bar.

    Returns:
        One row per finished job × year, with the job table's columns (see
        :func:`~parkabm.experiments.execution.store.load_results`).
    """
    import warnings

    from parkabm.experiments.execution.executors import make_executor
    from parkabm.experiments.execution.store import load_results

    with make_executor(workers=workers, scheduler=scheduler, dask_local=dask_local) as executor:
        result = run_batch(spec, out, executor=executor, chunk_size=chunk_size, progress=progress)
    if result.failed:
        warnings.warn(f"{result.summary_line()}; errors in {result.out}/failures/ (load_failures)", stacklevel=2)
    return load_results(result.out)
