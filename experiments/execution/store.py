"""The results store: one folder per experiment, streamed to Parquet, safe to kill and to resume.

Layout::

    <out>/
      manifest.json                       the spec as given, its hash, package version, git commit, seed, number of
                                          jobs, created/updated times, counts, one record per invocation
      jobs.parquet                        the job table: job, scenario, sample, replicate, one column per factor,
                                          seed and spawn_key (the job's seed is SeedSequence(seed, spawn_key))
      parts/yearly-<first>-<last>.parquet citywide rows (job, year, outputs) of the jobs of one chunk that finished
      parts/parks-<first>-<last>.parquet  per-park rows of the same jobs (only when outputs.parks is true)
      failures/<first>-<last>.parquet     jobs of one chunk that raised: job, error, traceback (tail), times, worker
      status.parquet                      written when a batch ends: job, status (done|failed|pending), start, end,
                                          worker, error

``<first>`` and ``<last>`` are the chunk's first and last job, zero-padded; a retried chunk whose name is taken
gets a suffix ``-1``, ``-2`` …

**Crash safety.** Only the driver writes. Each file is written to a temporary name beginning with ``.tmp-`` in its
own folder, flushed to disk and renamed into place (an atomic replace), so a reader never sees half a file.
A chunk commits when its yearly part appears: the per-park part is written before it (one without its yearly
part is an orphan of a killed run, ignored and removed), and the yearly part records the jobs' run times in its
Parquet metadata. A job is done when a yearly part holds it; nothing else counts.

**Resume.** Running the same experiment on the same folder runs only the jobs that are not done: pending jobs
and failed ones (a failure is retried, since it may have come from a lost worker). A different experiment (its
spec hash differs) is refused, as is a folder that is not a results store. While a batch runs, ``.lock`` holds
its process id; a lock left by a killed process on this host is taken over.

Readers (:func:`load_results`, :func:`load_parks`, :func:`job_status`, :func:`summarise_results`) read only
committed files; DuckDB can read ``parts/yearly-*.parquet`` directly (see :func:`duckdb_relation`).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import traceback as tb
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from parkabm.scenarios.errors import UserInputError

if TYPE_CHECKING:
    from parkabm.experiments.design.spec import Experiment

STORE_FORMAT = 1
"""Version of the folder layout, recorded in the manifest."""

RUNS_KEY = b"parkabm.runs"
"""Parquet metadata key of a yearly part: JSON list of ``{job, start, end, worker}`` of the jobs it holds."""

TRACEBACK_CHARS = 2000
"""Characters of a failed job's traceback kept (its end, where the error is)."""

_TMP = ".tmp-"
_JOB_KEYS = ("job", "scenario", "sample", "replicate")


# ----------------------------------------------------------------------------------------------------
# What a chunk hands to the store
# ----------------------------------------------------------------------------------------------------


@dataclass
class ChunkResult:
    """The outcome of one chunk of jobs.

    Attributes:
        jobs: The chunk's jobs, ascending.
        yearly: Citywide rows of the jobs that finished (``job``, ``year``, outputs); None if none did.
        parks: Per-park rows of the jobs that finished, when kept.
        runs: One record per job: ``job``, ``status`` (``done``/``failed``), ``start`` and ``end`` (seconds
            since the epoch), ``worker`` (``host:pid``), and for failures ``error`` and ``traceback``.
    """

    jobs: list[int]
    yearly: pd.DataFrame | None = None
    parks: pd.DataFrame | None = None
    runs: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def lost(cls, jobs: Sequence[int], exc: BaseException) -> ChunkResult:
        """Record every job of a chunk whose task failed as a whole (a lost worker, a broken pool) as failed."""
        now = datetime.now(UTC).timestamp()
        error = f"{type(exc).__name__}: {exc}"
        trace = "".join(tb.format_exception(exc))[-TRACEBACK_CHARS:]
        runs = [{"job": int(j), "status": "failed", "start": now, "end": now, "worker": "(task lost)",
                 "error": error, "traceback": trace} for j in jobs]
        return cls(list(map(int, jobs)), None, None, runs)


# ----------------------------------------------------------------------------------------------------
# Files
# ----------------------------------------------------------------------------------------------------


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # folders cannot be opened on some platforms
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _atomic_write(path: Path, write) -> None:
    """Write a file through a temporary name in the same folder, fsync it and rename it into place."""
    tmp = path.parent / f"{_TMP}{path.name}-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        with open(tmp, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def write_parquet(path: Path, table: pa.Table) -> None:
    """Write a Parquet file atomically (temporary name, fsync, rename)."""
    _atomic_write(path, lambda fh: pq.write_table(table, fh))


def write_json(path: Path, data: dict) -> None:
    """Write a JSON file atomically (UTF-8, indented)."""
    text = json.dumps(data, ensure_ascii=False, indent=1, default=_json_default).encode("utf-8")
    _atomic_write(path, lambda fh: fh.write(text))


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(type(value))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def package_version() -> str | None:
    """Return the installed parkabm version (None when the package metadata is missing)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("parkabm")
    except PackageNotFoundError:
        return None


def git_commit() -> dict[str, Any]:
    """Return ``{"commit", "dirty"}`` of the git checkout this package's source sits in, or nulls.

    Only a checkout that tracks this very file counts, so an installed copy inside some other repository reports
    null.
    """
    here = Path(__file__).resolve()

    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "-C", str(here.parent), *args], capture_output=True, text=True, timeout=20,
                              check=False)

    try:
        if git("ls-files", "--error-unmatch", here.name).returncode != 0:
            return {"commit": None, "dirty": None}
        head = git("rev-parse", "HEAD")
        if head.returncode != 0:
            return {"commit": None, "dirty": None}
        status = git("status", "--porcelain", "--untracked-files=no")
        return {"commit": head.stdout.strip(), "dirty": bool(status.stdout.strip()) if status.returncode == 0
                else None}
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}


def _stem_of(path: Path, kind: str) -> str:
    return path.name[len(kind) + 1: -len(".parquet")] if kind else path.name[: -len(".parquet")]


def _files(folder: Path, prefix: str) -> list[Path]:
    """Committed Parquet files of a kind (temporary files start with a dot and never match)."""
    return sorted(p for p in folder.glob(f"{prefix}*.parquet") if not p.name.startswith("."))


# ----------------------------------------------------------------------------------------------------
# The store
# ----------------------------------------------------------------------------------------------------


class ResultsStore:
    """One experiment's results folder, opened by the driver of a batch (see the module docstring).

    Use :meth:`open`; it creates the folder or checks that it belongs to the same experiment, takes the lock and
    removes what a killed run left behind. :meth:`close` writes ``status.parquet``, the manifest's counts, and
    releases the lock.
    """

    def __init__(self, out: Path, experiment: Experiment, manifest: dict[str, Any]) -> None:
        self.out = out
        self.experiment = experiment
        self.manifest = manifest
        self.parts = out / "parts"
        self.failures = out / "failures"
        self.width = max(6, len(str(max(experiment.n_jobs - 1, 0))))
        self.cleaned = 0

    # --- opening ------------------------------------------------------------------------------------------------

    @classmethod
    def open(cls, out: str | Path, experiment: Experiment) -> ResultsStore:
        """Create the results folder of an experiment, or reopen it to resume.

        Args:
            out: The results folder.
            experiment: The validated experiment.

        Returns:
            The open store (locked for this process).

        Raises:
            UserInputError: ``out`` is a file, a folder holding something else, the folder of another experiment,
                or in use by another batch.
        """
        out = Path(out)
        if out.exists() and not out.is_dir():
            raise UserInputError(f"--out: {out} — allowed: a folder (this is a file)")
        if not out.is_dir() or not any(out.iterdir()):
            cls._create(out, experiment)
        manifest = read_manifest(out)
        if manifest.get("store_format") != STORE_FORMAT:
            raise UserInputError(f"--out: {out} — store format {manifest.get('store_format')!r} is not "
                                 f"{STORE_FORMAT} — allowed: a new --out folder")
        if manifest.get("spec_hash") != experiment.spec_hash:
            raise UserInputError(
                f"--out: {out} holds the results of experiment {manifest.get('name')!r} with spec hash "
                f"{str(manifest.get('spec_hash'))[:16]}…, not of this experiment {experiment.name!r} (spec hash "
                f"{experiment.spec_hash[:16]}…) — allowed: the same experiment (to resume it), or a new --out "
                f"folder (or delete {out} to start again)")
        store = cls(out, experiment, manifest)
        store._lock()
        try:
            store._clean()
            if not (out / "jobs.parquet").is_file():
                write_parquet(out / "jobs.parquet", pa.Table.from_pandas(experiment.jobs(), preserve_index=False))
        except BaseException:
            store._unlock()
            raise
        return store

    @staticmethod
    def _create(out: Path, experiment: Experiment) -> None:
        """Make the folder with its job table and manifest in a staging folder, then rename it into place."""
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f"{_TMP}{out.name}-", dir=out.parent))
        try:
            (staging / "parts").mkdir()
            (staging / "failures").mkdir()
            write_parquet(staging / "jobs.parquet", pa.Table.from_pandas(experiment.jobs(), preserve_index=False))
            now = _now()
            git = git_commit()
            write_json(staging / "manifest.json", {
                "store_format": STORE_FORMAT,
                "name": experiment.name,
                "source": experiment.source,
                "spec": experiment.given,
                "spec_hash": experiment.spec_hash,
                "parkabm_version": package_version(),
                "git_commit": git["commit"],
                "git_dirty": git["dirty"],
                "seed": experiment.spec.seed,
                "jobs": experiment.n_jobs,
                "scenarios": list(experiment.scenarios),
                "design_points": experiment.n_points,
                "replicates": experiment.spec.replicates,
                "created": now,
                "updated": now,
                "counts": {"done": 0, "failed": 0, "pending": experiment.n_jobs},
                "invocations": [],
            })
            if out.is_dir():
                out.rmdir()  # empty: checked by the caller
            os.replace(staging, out)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def _lock(self) -> None:
        path = self.out / ".lock"
        me = {"pid": os.getpid(), "host": socket.gethostname(), "since": _now()}
        for attempt in range(2):
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                try:
                    holder = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    holder = {}
                if attempt == 0 and holder.get("host") == me["host"] and not _alive(holder.get("pid")):
                    path.unlink(missing_ok=True)  # left by a killed batch on this machine
                    continue
                raise UserInputError(
                    f"--out: {self.out} is in use by another batch (process {holder.get('pid')} on "
                    f"{holder.get('host')} since {holder.get('since')}) — allowed: wait for it to finish, or a new "
                    f"--out folder (delete {path} if no batch is running)") from None
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(me, fh)
            return

    def _unlock(self) -> None:
        (self.out / ".lock").unlink(missing_ok=True)

    def _clean(self) -> None:
        """Remove temporary files and per-park parts without their yearly part (left by a killed run)."""
        for folder in (self.out, self.parts, self.failures):
            for path in folder.glob(f"{_TMP}*"):
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
                self.cleaned += 1
        committed = {_stem_of(p, "yearly") for p in _files(self.parts, "yearly-")}
        for path in _files(self.parts, "parks-"):
            if _stem_of(path, "parks") not in committed:
                path.unlink(missing_ok=True)
                self.cleaned += 1

    # --- running ------------------------------------------------------------------------------------------------

    def done_jobs(self) -> np.ndarray:
        """Return the jobs held by committed yearly parts, ascending."""
        return np.unique(np.asarray([r["job"] for r in _done_runs(self.out)], dtype=np.int64))

    def pending_jobs(self) -> np.ndarray:
        """Return the jobs that still need to run (never run, interrupted or failed), ascending."""
        return np.setdiff1d(np.arange(self.experiment.n_jobs, dtype=np.int64), self.done_jobs())

    def _stem(self, jobs: Sequence[int]) -> str:
        base = f"{min(jobs):0{self.width}d}-{max(jobs):0{self.width}d}"
        stem, k = base, 0
        while any(p.exists() for p in (self.parts / f"yearly-{stem}.parquet", self.parts / f"parks-{stem}.parquet",
                                       self.failures / f"{stem}.parquet")):
            k += 1
            stem = f"{base}-{k}"
        return stem

    def write_chunk(self, result: ChunkResult) -> None:
        """Commit one chunk: per-park part, failures, then the yearly part (the commit point)."""
        stem = self._stem(result.jobs)
        done = [r for r in result.runs if r["status"] == "done"]
        failed = [r for r in result.runs if r["status"] == "failed"]
        if done and result.parks is not None:
            write_parquet(self.parts / f"parks-{stem}.parquet", pa.Table.from_pandas(result.parks,
                                                                                    preserve_index=False))
        if failed:
            frame = pd.DataFrame(failed, columns=["job", "error", "traceback", "start", "end", "worker"])
            write_parquet(self.failures / f"{stem}.parquet", pa.Table.from_pandas(frame, preserve_index=False))
        if done and result.yearly is not None:
            table = pa.Table.from_pandas(result.yearly, preserve_index=False)
            runs = [{k: r[k] for k in ("job", "start", "end", "worker")} for r in done]
            metadata = dict(table.schema.metadata or {})
            metadata[RUNS_KEY] = json.dumps(runs).encode("utf-8")
            write_parquet(self.parts / f"yearly-{stem}.parquet", table.replace_schema_metadata(metadata))

    def close(self, invocation: dict[str, Any]) -> dict[str, int]:
        """Write ``status.parquet`` and the manifest's counts, prune superseded failures, release the lock.

        Args:
            invocation: What this batch did (executor, jobs run, start), appended to the manifest.

        Returns:
            Jobs by status: ``done``, ``failed``, ``pending``.
        """
        try:
            status = job_status(self.out)
            write_parquet(self.out / "status.parquet", pa.Table.from_pandas(status, preserve_index=False))
            done = set(status.loc[status["status"] == "done", "job"].tolist())
            for path in _files(self.failures, ""):
                jobs = pq.read_table(str(path), columns=["job"]).column("job").to_pylist()
                if set(jobs) <= done:
                    path.unlink(missing_ok=True)  # every job of it has run since
            counts = {s: int((status["status"] == s).sum()) for s in ("done", "failed", "pending")}
            manifest = read_manifest(self.out)
            git = git_commit()
            manifest["updated"] = _now()
            manifest["counts"] = counts
            manifest["invocations"].append({**invocation, "ended": manifest["updated"], "counts": counts,
                                            "parkabm_version": package_version(), "git_commit": git["commit"]})
            write_json(self.out / "manifest.json", manifest)
            self.manifest = manifest
            return counts
        finally:
            self._unlock()


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ----------------------------------------------------------------------------------------------------
# Readers
# ----------------------------------------------------------------------------------------------------


def read_manifest(out: str | Path) -> dict[str, Any]:
    """Return the manifest of a results folder.

    Raises:
        UserInputError: The folder is not a results store.
    """
    out = Path(out)
    path = out / "manifest.json"
    if not path.is_file():
        raise UserInputError(f"--out: {out} — allowed: a results folder of parkabm batch (it has no "
                             "manifest.json), or a new or empty folder")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise UserInputError(f"{path}: not valid JSON ({exc}) — allowed: a manifest written by parkabm") from None


def _done_runs(out: Path) -> list[dict[str, Any]]:
    runs = []
    for path in _files(out / "parts", "yearly-"):
        metadata = pq.read_schema(path).metadata or {}
        runs += json.loads(metadata.get(RUNS_KEY, b"[]"))
    return runs


def read_parquet(path: str | Path, *, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Read one Parquet file into pandas, by path, with pyarrow.

    The project reads Parquet only through this function. ``pandas.read_parquet`` (pandas 2.x) hands pyarrow a
    Python file object, and the reader threads that still hold it can abort the interpreter at exit ("terminate
    called without an active exception", apache/arrow#34314; seen here in 20–40% of short processes with pyarrow
    19–22). Reading by path leaves no Python object to those threads.

    Args:
        path: The file.
        columns: Columns to read (all when omitted).
    """
    import pyarrow.parquet as pq

    return pq.read_table(str(path), columns=None if columns is None else list(columns)).to_pandas()


def read_jobs(out: str | Path) -> pd.DataFrame:
    """Return the job table of a results folder (``seed`` and ``spawn_key`` left out)."""
    read_manifest(out)
    jobs = read_parquet(Path(out) / "jobs.parquet")
    return jobs.drop(columns=[c for c in ("seed", "spawn_key") if c in jobs.columns])


def _read_parts(files: list[Path], columns: list[str] | None) -> pd.DataFrame | None:
    if not files:
        return None
    import pyarrow.dataset as ds

    dataset = ds.dataset([str(f) for f in files], format="parquet")
    if columns is not None:
        columns = [c for c in columns if c in dataset.schema.names]
    return dataset.to_table(columns=columns).to_pandas()


def _joined(out: Path, rows: pd.DataFrame | None, order: list[str]) -> pd.DataFrame:
    jobs = read_jobs(out)
    if rows is None:
        return jobs.iloc[0:0].copy()
    frame = jobs.merge(rows, on="job", how="inner", validate="one_to_many")
    return frame.sort_values(order, kind="stable", ignore_index=True)


def load_results(out: str | Path, *, metrics: Sequence[str] | None = None) -> pd.DataFrame:
    """Return the citywide rows of every finished job, with the job table's columns.

    Args:
        out: The results folder.
        metrics: Outputs to read (all kept ones when omitted); fewer columns read faster.

    Returns:
        One row per job × year: ``job``, ``scenario``, ``sample``, ``replicate``, one column per factor,
        ``year`` and the outputs, sorted by job and year. Only committed parts are read.
    """
    out = Path(out)
    read_manifest(out)
    columns = None if metrics is None else ["job", "year", *metrics]
    return _joined(out, _read_parts(_files(out / "parts", "yearly-"), columns), ["job", "year"])


def load_parks(out: str | Path) -> pd.DataFrame:
    """Return the per-park rows of every finished job (empty unless the experiment kept them).

    Returns:
        One row per job × year × park, with the job table's columns, sorted by job, year and park.
    """
    out = Path(out)
    read_manifest(out)
    committed = {_stem_of(p, "yearly") for p in _files(out / "parts", "yearly-")}
    files = [p for p in _files(out / "parts", "parks-") if _stem_of(p, "parks") in committed]
    return _joined(out, _read_parts(files, None), ["job", "year", "park"])


def load_failures(out: str | Path) -> pd.DataFrame:
    """Return the last failure of every job that has not run successfully since.

    Returns:
        ``job``, ``error``, ``traceback``, ``start``, ``end`` (UTC timestamps), ``worker``.
    """
    out = Path(out)
    read_manifest(out)
    columns = ["job", "error", "traceback", "start", "end", "worker"]
    files = _files(out / "failures", "")
    if not files:
        return pd.DataFrame(columns=columns)
    frame = pd.concat([read_parquet(p) for p in files], ignore_index=True)
    done = {r["job"] for r in _done_runs(out)}
    frame = frame[~frame["job"].isin(done)].sort_values(["job", "end"]).drop_duplicates("job", keep="last")
    for c in ("start", "end"):
        frame[c] = pd.to_datetime(frame[c], unit="s", utc=True)
    return frame[columns].reset_index(drop=True)


def job_status(out: str | Path) -> pd.DataFrame:
    """Return every job's status as the folder stands now.

    Returns:
        ``job``, ``status`` (``done``, ``failed`` or ``pending``), ``start``, ``end`` (UTC timestamps),
        ``worker`` (``host:pid``) and ``error`` (failed jobs), sorted by job.
    """
    out = Path(out)
    n = int(read_manifest(out)["jobs"])
    status = pd.DataFrame({"job": np.arange(n, dtype=np.int64), "status": "pending", "start": np.nan,
                           "end": np.nan, "worker": None, "error": None})
    failures = load_failures(out)
    if len(failures):
        idx = failures["job"].to_numpy()
        status.loc[idx, "status"] = "failed"
        status.loc[idx, "start"] = failures["start"].astype("int64").to_numpy() / 1e9
        status.loc[idx, "end"] = failures["end"].astype("int64").to_numpy() / 1e9
        status.loc[idx, "worker"] = failures["worker"].to_numpy()
        status.loc[idx, "error"] = failures["error"].to_numpy()
    runs = pd.DataFrame(_done_runs(out), columns=["job", "start", "end", "worker"])
    if len(runs):
        idx = runs["job"].to_numpy()
        status.loc[idx, "status"] = "done"
        status.loc[idx, "start"] = runs["start"].to_numpy()
        status.loc[idx, "end"] = runs["end"].to_numpy()
        status.loc[idx, "worker"] = runs["worker"].to_numpy()
        status.loc[idx, "error"] = None
    for c in ("start", "end"):
        status[c] = pd.to_datetime(status[c], unit="s", utc=True)
    return status


def duckdb_relation(out: str | Path, *, table: str = "yearly", connection: Any = None) -> Any:
    """Return a DuckDB relation over a store's committed parts joined with the job table.

    DuckDB is optional (``pip install duckdb``); it queries the Parquet files in place, without loading them::

        rel = duckdb_relation("results/my_experiment")
        rel.filter("year = 2025").aggregate("scenario, avg(total_output_yi)").df()

    Args:
        out: The results folder.
        table: ``yearly`` (citywide rows) or ``parks`` (per-park rows).
        connection: A DuckDB connection; DuckDB's default connection when omitted.

    Returns:
        A ``duckdb.DuckDBPyRelation``.

    Raises:
        ModuleNotFoundError: DuckDB is not installed.
        UserInputError: ``out`` is not a results store, or ``table`` is unknown.
    """
    try:
        import duckdb
    except ImportError:
        raise ModuleNotFoundError("duckdb_relation needs DuckDB: pip install duckdb") from None
    out = Path(out)
    read_manifest(out)
    if table not in ("yearly", "parks"):
        raise UserInputError(f"table: {table!r} — allowed: 'yearly' or 'parks'")
    con = connection if connection is not None else duckdb.default_connection()
    committed = {_stem_of(p, "yearly") for p in _files(out / "parts", "yearly-")}
    files = [str(p) for p in _files(out / "parts", f"{table}-") if _stem_of(p, table) in committed]
    jobs = str(out / "jobs.parquet")
    if not files:
        return con.sql(f"select * exclude (seed, spawn_key) from read_parquet({_sql(jobs)}) limit 0")
    listing = "[" + ", ".join(_sql(f) for f in files) + "]"
    return con.sql(f"select j.* exclude (seed, spawn_key), p.* exclude (job) from read_parquet({_sql(jobs)}) j "
                   f"join read_parquet({listing}) p using (job)")


def _sql(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def summarise_results(out: str | Path, variant: str = "2023", *, by: Sequence[str] = ("scenario",)) -> pd.DataFrame:
    """Return the probability of meeting each target, with its Wilson 95% interval, per scenario.

    Args:
        out: The results folder.
        variant: Which text's targets (``2023``, ``2022_jul``, ``2022_may``; see :mod:`parkabm.model.outputs.targets`).
        by: Columns of the job table to group by, e.g. ``("scenario", "sample")`` for one row per design point.

    Returns:
        One row per group × target: the group columns, ``target``, names, ``metric``, ``comparison``,
        ``target_value``, ``year``, ``p_met``, ``ci_low``, ``ci_high``, ``n`` (finished runs reaching the year)
        and ``source``. ``n`` is 0 and the probability NaN when the runs end before the target's year.
    """
    from parkabm.model.outputs.targets import select_targets, target_probabilities, targets_met
    from parkabm.scenarios.world import load_world

    by = list(by)
    targets = select_targets(load_world().targets, variant)
    yearly = load_results(out, metrics=sorted(set(targets["metric"])))
    met = targets_met(yearly, targets)
    for column in by:
        if column not in met.columns:
            met[column] = yearly.drop_duplicates("job").set_index("job")[column].reindex(met["job"]).to_numpy()
    table = target_probabilities(met, targets, by=by)
    if not len(table):  # no finished run: still one row per group and target
        groups = read_jobs(out)[by].drop_duplicates()
        table = groups.merge(target_probabilities(met.iloc[0:0], targets), how="cross")
    return table
