"""The results store: one folder per experiment, streamed to Parquet, safe to kill and to resume.

Layout::

    <out>/
      manifest.json                       the spec as given, its hash, package version, git commit, seed, number of
                                          jobs, created/updated times, counts, one record per invocation
      jobs.parquet                        the job table: job, scenario, sample, replicate, one column per factor,
                                          seed and spawn_key (the job's seed is SeedSequence(seed, spawn_key))
      parts/yearly-<first>-<last>.parquet citywide rows (job, year, outputs) of the jobs of one chunk that finished
      parts/parks-<first>-<last>.parquet  per-park rows of the same jobs (only when outputs.parks is true)
      parts/commit-<first>-<last>.json    the chunk's commit record: its jobs, the SHA-256 and size of each file it
                                          wrote, and the jobs' run times (start, end, worker)
      failures/<first>-<last>.parquet     jobs of one chunk that raised: job, error, traceback (tail), times, worker
      status.parquet                      written when a batch ends: job, status (done|failed|pending), start, end,
                                          worker, error

``<first>`` and ``<last>`` are the chunk's first and last job, zero-padded; a retried chunk whose name is taken
gets a suffix ``-1``, ``-2`` …

**Crash safety.** Only the driver writes. Each file is written to a temporary name beginning with ``.tmp-`` in its
own folder, flushed to disk and renamed into place (an atomic replace), so a reader never sees half a file.
A chunk commits when its commit record appears, after its parts: a part without a commit record is an orphan of
a killed run, ignored and removed. A job is done when a commit record lists it as done and every file the record
names is there with the recorded SHA-256; nothing else counts.

**Verified parts.** Parts are written with a CRC checksum on every Parquet data page, and read with the checksums
verified. Opening a store (a rerun) checks every part against its commit record; a part that is missing,
truncated or corrupt is reported on stderr, dropped with its record, and its jobs run again. The readers refuse
a part that does not match its record (a :class:`~parkabm.scenarios.errors.UserInputError` naming it). Parts
hold only the model's numbers — run times live in the commit records — so the same experiment with the same
chunk size gives byte-identical parts in this process, in a process pool and on Dask.

**Resume.** Running the same experiment on the same folder runs only the jobs that are not done: pending jobs
and failed ones (a failure is retried, since it may have come from a lost worker). A different experiment (its
spec hash differs) is refused, as is a folder that is not a results store. While a batch runs, ``.lock`` holds
its process id; a lock left by a killed process on this host is taken over.

Readers (:func:`load_results`, :func:`load_parks`, :func:`job_status`, :func:`summarise_results`) read only
committed files; DuckDB can read ``parts/yearly-*.parquet`` directly (see :func:`duckdb_relation`).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import subprocess
import sys
import traceback as tb
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from parkabm.experiments.execution.files import (
    TMP,
    check_writable,
    make_private_dir,
    process_alive,
    read_table,
    sha256,
    write_json,
    write_parquet,
)
from parkabm.scenarios.errors import UserInputError

if TYPE_CHECKING:
    from parkabm.experiments.design.spec import Experiment

STORE_FORMAT = 2
"""Version of the folder layout, recorded in the manifest."""

COMMIT_PREFIX = "commit-"
"""File name prefix of a chunk's commit record in ``parts/``."""

TRACEBACK_CHARS = 2000
"""Characters of a failed job's traceback kept (its end, where the error is)."""

_TMP = TMP
_JOB_KEYS = ("job", "scenario", "sample", "replicate")


# ----------------------------------------------------------------------------------------------------
# What a chunk hands to the store
# ----------------------------------------------------------------------------------------------------


@dataclass
class ChunkResult:
    """The outcome of one chunk of jobs.

    Attributes:
        jobs: The chunk's jobs, ascending.
        yearly: Citywide rows of the jobs that finished (``job``, ``year``, outputs), an Arrow table (as the runner
            makes them) or a pandas frame; None if none did.
        parks: Per-park rows of the jobs that finished, when kept (a table or a frame).
        runs: One record per job: ``job``, ``status`` (``done``/``failed``), ``start`` and ``end`` (seconds
            since the epoch), ``worker`` (``host:pid``), and for failures ``error`` and ``traceback``.
    """

    jobs: list[int]
    yearly: pa.Table | pd.DataFrame | None = None
    parks: pa.Table | pd.DataFrame | None = None
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


def _files(folder: Path, prefix: str) -> list[Path]:
    """Committed Parquet files of a kind (temporary files start with a dot and never match)."""
    return sorted(p for p in folder.glob(f"{prefix}*.parquet") if not p.name.startswith("."))


# ----------------------------------------------------------------------------------------------------
# Commit records
# ----------------------------------------------------------------------------------------------------


@dataclass
class Commit:
    """The commit record of one chunk (``parts/commit-<stem>.json``).

    Attributes:
        path: The record's file.
        stem: The chunk's file stem (``<first>-<last>``, maybe with a suffix).
        jobs: Every job of the chunk.
        runs: One ``{job, status, start, end, worker}`` per job.
        files: The files the chunk wrote, relative to the store, each with ``sha256`` and ``bytes``.
    """

    path: Path
    stem: str
    jobs: list[int]
    runs: list[dict[str, Any]]
    files: dict[str, dict[str, Any]]

    @property
    def done(self) -> list[dict[str, Any]]:
        """Run records of the jobs that finished."""
        return [r for r in self.runs if r.get("status") == "done"]

    def problem(self, out: Path, *, full: bool = True) -> str | None:
        """Return why a file of this chunk does not match the record (None when all match).

        Args:
            out: The store.
            full: Compare SHA-256 hashes too (else only that the files exist with the recorded sizes).
        """
        for name, meta in self.files.items():
            path = out / name
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                return f"{path} is missing"
            if size != meta.get("bytes"):
                return f"{path} has {size} bytes, not the {meta.get('bytes')} recorded (truncated or overwritten)"
            if full and sha256(path) != meta.get("sha256"):
                return f"{path} does not match its recorded SHA-256 (corrupt)"
        return None


def _commits(out: Path) -> tuple[list[Commit], list[Path]]:
    """Return the readable commit records of a store, and the paths of unreadable ones."""
    good, bad = [], []
    for path in sorted((out / "parts").glob(f"{COMMIT_PREFIX}*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            commit = Commit(path, str(data["stem"]), [int(j) for j in data["jobs"]], list(data["runs"]),
                            dict(data["files"]))
            if not all(isinstance(r, dict) and "job" in r for r in commit.runs):
                raise TypeError("runs")
        except (OSError, ValueError, KeyError, TypeError):
            bad.append(path)
            continue
        good.append(commit)
    return good, bad


def _commit_stem(path: Path) -> str:
    return path.name[len(COMMIT_PREFIX): -len(".json")]


# ----------------------------------------------------------------------------------------------------
# The store
# ----------------------------------------------------------------------------------------------------


class ResultsStore:
    """One experiment's results folder, opened by the driver of a batch (see the module docstring).

    Use :meth:`open`; it creates the folder or checks that it belongs to the same experiment, takes the lock,
    verifies the parts and removes what a killed run left behind. :meth:`close` writes ``status.parquet``, the
    manifest's counts, and releases the lock.
    """

    def __init__(self, out: Path, experiment: Experiment, manifest: dict[str, Any]) -> None:
        self.out = out
        self.experiment = experiment
        self.manifest = manifest
        self.parts = out / "parts"
        self.failures = out / "failures"
        self.width = max(6, len(str(max(experiment.n_jobs - 1, 0))))
        self.cleaned = 0
        self.repaired: list[str] = []

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
        for parent in out.absolute().parents:
            if parent.exists() and not parent.is_dir():
                raise UserInputError(f"--out: {out} — allowed: a folder whose parents are folders ({parent} is a "
                                     "file)")
            if parent.is_dir():
                break
        check_writable(out)
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
            store._repair()
            store._clean()
            if not (out / "jobs.parquet").is_file():
                write_parquet(out / "jobs.parquet", pa.Table.from_pandas(experiment.jobs(), preserve_index=False))
        except BaseException:
            store._unlock()
            raise
        return store

    @staticmethod
    def _create(out: Path, experiment: Experiment) -> None:
        """Make the folder with its job table and manifest in a staging folder, then rename it into place.

        Two batches starting at once on a new folder both stage one; the first rename wins, and the other batch
        goes on with the folder the first made (and finds it locked).
        """
        out.parent.mkdir(parents=True, exist_ok=True)
        _remove_dead_stagings(out)
        staging = make_private_dir(out.parent, f"{_TMP}{out.name}-{os.getpid()}-")
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
            try:
                if out.is_dir():
                    out.rmdir()  # empty: checked by the caller
                os.replace(staging, out)
            except FileNotFoundError:  # another batch removed the empty folder first
                os.replace(staging, out)
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST) or not (out / "manifest.json").is_file():
                raise
            # another batch made the folder first: go on with it (the lock says who runs)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def _lock(self) -> None:
        path = self.out / ".lock"
        me = {"pid": os.getpid(), "host": socket.gethostname(), "since": _now()}
        for attempt in range(2):
            try:
                fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666)
            except FileExistsError:
                try:
                    holder = json.loads(path.read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    holder = {}
                if not isinstance(holder, dict):
                    holder = {}
                if attempt == 0 and holder.get("host") == me["host"] and not process_alive(holder.get("pid")):
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

    def _say(self, text: str) -> None:
        """Report a repair on stderr as it is made (and keep it for the manifest's record of this batch)."""
        self.repaired.append(text)
        print(f"repair: {text}", file=sys.stderr, flush=True)

    def _repair(self) -> None:
        """Recreate missing folders and drop every chunk whose files do not match its commit record.

        A dropped chunk's jobs are pending again, so this batch runs them anew; each repair is reported.
        """
        for folder in (self.parts, self.failures):
            if not folder.is_dir():
                if folder.exists():
                    raise UserInputError(f"--out: {self.out} — {folder} is not a folder — allowed: a results folder "
                                         "written by parkabm batch (move that file away)")
                folder.mkdir()
                if folder == self.parts:
                    self._say(f"{folder} was missing: every job not recorded in it runs again")
        commits, unreadable = _commits(self.out)
        for path in unreadable:
            self._say(f"{path} is not a readable commit record: the jobs of chunk {_commit_stem(path)} run again")
            path.unlink(missing_ok=True)
            self.cleaned += 1
        for commit in commits:
            problem = commit.problem(self.out)
            if problem is None:
                continue
            self._say(f"{problem}: its {len(commit.done)} jobs run again")
            commit.path.unlink(missing_ok=True)  # first the record, so the chunk is never half committed
            for name in commit.files:
                (self.out / name).unlink(missing_ok=True)
            self.cleaned += 1

    def _clean(self) -> None:
        """Remove temporary files and parts without a commit record (left by a killed run)."""
        for folder in (self.out, self.parts, self.failures):
            for path in folder.glob(f"{_TMP}*"):
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)
                self.cleaned += 1
        commits, _ = _commits(self.out)
        recorded = {name for c in commits for name in c.files}
        for path in [*_files(self.parts, "yearly-"), *_files(self.parts, "parks-"), *_files(self.failures, "")]:
            if path.relative_to(self.out).as_posix() not in recorded:
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
                                       self.failures / f"{stem}.parquet",
                                       self.parts / f"{COMMIT_PREFIX}{stem}.json")):
            k += 1
            stem = f"{base}-{k}"
        return stem

    def write_chunk(self, result: ChunkResult) -> None:
        """Commit one chunk: per-park part, failures, yearly part, then the commit record (the commit point)."""
        stem = self._stem(result.jobs)
        done = [r for r in result.runs if r["status"] == "done"]
        failed = [r for r in result.runs if r["status"] == "failed"]
        written: list[Path] = []
        if done and result.parks is not None:
            written.append(self.parts / f"parks-{stem}.parquet")
            write_parquet(written[-1], _arrow(result.parks))
        if failed:
            frame = pd.DataFrame(failed, columns=["job", "error", "traceback", "start", "end", "worker"])
            written.append(self.failures / f"{stem}.parquet")
            write_parquet(written[-1], pa.Table.from_pandas(frame, preserve_index=False))
        if done and result.yearly is not None:
            written.append(self.parts / f"yearly-{stem}.parquet")
            write_parquet(written[-1], _arrow(result.yearly))
        files = {p.relative_to(self.out).as_posix(): {"sha256": sha256(p), "bytes": p.stat().st_size}
                 for p in written}
        runs = [{k: r[k] for k in ("job", "status", "start", "end", "worker")} for r in result.runs]
        write_json(self.parts / f"{COMMIT_PREFIX}{stem}.json",
                   {"stem": stem, "jobs": list(result.jobs), "runs": runs, "files": files})

    def _prune_failures(self, done: set[int]) -> None:
        """Remove the failure files whose jobs have all run since (the record is rewritten before the file goes)."""
        for commit in _commits(self.out)[0]:
            failed = {r["job"] for r in commit.runs if r.get("status") == "failed"}
            names = [n for n in commit.files if n.startswith("failures/")]
            if not names or not failed <= done:
                continue
            if commit.done:
                files = {n: m for n, m in commit.files.items() if n not in names}
                runs = [r for r in commit.runs if r.get("status") == "done"]
                write_json(commit.path, {"stem": commit.stem, "jobs": commit.jobs, "runs": runs, "files": files})
            else:
                commit.path.unlink(missing_ok=True)
            for name in names:
                (self.out / name).unlink(missing_ok=True)

    def close(self, invocation: dict[str, Any]) -> dict[str, int]:
        """Write ``status.parquet`` and the manifest's counts, release the lock.

        Args:
            invocation: What this batch did (executor, jobs run, start), appended to the manifest.

        Returns:
            Jobs by status: ``done``, ``failed``, ``pending``.
        """
        try:
            status = job_status(self.out)
            write_parquet(self.out / "status.parquet", pa.Table.from_pandas(status, preserve_index=False))
            counts = {s: int((status["status"] == s).sum()) for s in ("done", "failed", "pending")}
            self._prune_failures(set(status.loc[status["status"] == "done", "job"].tolist()))
            manifest = read_manifest(self.out)
            git = git_commit()
            manifest["updated"] = _now()
            manifest["counts"] = counts
            manifest.setdefault("invocations", []).append({
                **invocation, "ended": manifest["updated"], "counts": counts, "parkabm_version": package_version(),
                "git_commit": git["commit"], "repaired": self.repaired})
            write_json(self.out / "manifest.json", manifest)
            self.manifest = manifest
            return counts
        finally:
            self._unlock()


def _arrow(rows: pa.Table | pd.DataFrame) -> pa.Table:
    """Return a chunk's rows as an Arrow table (a pandas frame is converted, without its index)."""
    return rows if isinstance(rows, pa.Table) else pa.Table.from_pandas(rows, preserve_index=False)


_STAGED = {"parts", "failures", "jobs.parquet", "manifest.json"}


def _remove_dead_stagings(out: Path) -> None:
    """Remove the staging folders of ``out`` left by batches killed while creating it.

    Only folders named ``.tmp-<name>-<pid>-…`` whose process is gone and that hold nothing but what
    :meth:`ResultsStore._create` writes (empty ``parts/`` and ``failures/``, the job table, the manifest, temporary
    files) are removed.
    """
    start = f"{_TMP}{out.name}-"
    for path in out.parent.glob(f"{start}*"):
        pid = path.name[len(start):].split("-")[0]
        if not path.is_dir() or path.is_symlink() or not pid.isdigit() or process_alive(int(pid)):
            continue
        entries = list(path.iterdir())
        if all(e.name in _STAGED or e.name.startswith(_TMP) for e in entries) and not any(
                e.is_dir() and any(e.iterdir()) for e in entries if e.name in ("parts", "failures")):
            shutil.rmtree(path, ignore_errors=True)



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
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise UserInputError(f"{path}: not valid JSON ({exc}) — allowed: a manifest written by parkabm") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("jobs", 0), int):
        raise UserInputError(f"{path}: holds {type(manifest).__name__} {str(manifest)[:40]}, not a manifest — allowed: "
                             "a manifest written by parkabm batch (a JSON object); use a new --out folder")
    return manifest


def _done_runs(out: Path) -> list[dict[str, Any]]:
    """Run records of every job a commit record lists as done (files not hashed: see :func:`_verified`)."""
    commits, _ = _commits(out)
    return [r for c in commits for r in c.done]


def _verified(out: Path, kind: str) -> list[Path]:
    """The committed parts of a kind, each checked against its commit record.

    Raises:
        UserInputError: The store has no ``parts/`` folder, or a part is missing, truncated or corrupt.
    """
    if not (out / "parts").is_dir():
        raise UserInputError(f"{out / 'parts'}: missing — allowed: a complete results folder; run the same "
                             "parkabm batch on it again to re-run the missing jobs")
    files = []
    for commit in _commits(out)[0]:
        names = [n for n in commit.files if n.startswith(f"parts/{kind}-")]
        if not names:
            continue
        problem = commit.problem(out)
        if problem is not None:
            raise UserInputError(f"{problem} — allowed: a part as parkabm wrote it; run the same parkabm batch on "
                                 f"{out} again to re-run its jobs")
        files += [out / n for n in names]
    return sorted(files)


def committed_parts(out: str | Path, kind: str) -> list[Path]:
    """Return the committed parts of ``kind`` (``yearly`` or ``parks``) in file order, each checked against its record.

    Raises:
        UserInputError: The store has no ``parts/`` folder, or a part is missing, truncated or corrupt.
    """
    return _verified(Path(out), kind)


def read_parquet(path: str | Path, *, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Read one Parquet file into pandas, by path, with pyarrow, verifying its page checksums.

    The project reads Parquet only through this function. ``pandas.read_parquet`` (pandas 2.x) hands pyarrow a
    Python file object, and the reader threads that still hold it can abort the interpreter at exit ("terminate
    called without an active exception", apache/arrow#34314; seen here in 20–40% of short processes with pyarrow
    19–22). Reading by path leaves no Python object to those threads.

    Args:
        path: The file.
        columns: Columns to read (all when omitted).
    """
    return read_table(path, columns=columns).to_pandas()


def read_jobs(out: str | Path) -> pd.DataFrame:
    """Return the job table of a results folder (``seed`` and ``spawn_key`` left out)."""
    read_manifest(out)
    jobs = read_parquet(Path(out) / "jobs.parquet")
    return jobs.drop(columns=[c for c in ("seed", "spawn_key") if c in jobs.columns])


def _read_parts(files: list[Path], columns: list[str] | None) -> pd.DataFrame | None:
    if not files:
        return None
    import pyarrow.dataset as ds

    verified = ds.ParquetFileFormat(
        default_fragment_scan_options=ds.ParquetFragmentScanOptions(page_checksum_verification=True))
    dataset = ds.dataset([str(f) for f in files], format=verified)
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
        ``year`` and the outputs, sorted by job and year. Only committed parts are read, each verified against
        its commit record's SHA-256 and its page checksums.

    Raises:
        UserInputError: A part is missing, truncated or corrupt (the message names it).
    """
    out = Path(out)
    read_manifest(out)
    columns = None if metrics is None else ["job", "year", *metrics]
    return _joined(out, _read_parts(_verified(out, "yearly"), columns), ["job", "year"])


def load_parks(out: str | Path) -> pd.DataFrame:
    """Return the per-park rows of every finished job (empty unless the experiment kept them).

    Returns:
        One row per job × year × park, with the job table's columns, sorted by job, year and park.

    Raises:
        UserInputError: A part is missing, truncated or corrupt (the message names it).
    """
    out = Path(out)
    read_manifest(out)
    return _joined(out, _read_parts(_verified(out, "parks"), None), ["job", "year", "park"])


def load_failures(out: str | Path) -> pd.DataFrame:
    """Return the last failure of every job that has not run successfully since.

    Returns:
        ``job``, ``error``, ``traceback``, ``start``, ``end`` (UTC timestamps), ``worker``.
    """
    out = Path(out)
    read_manifest(out)
    columns = ["job", "error", "traceback", "start", "end", "worker"]
    commits, _ = _commits(out)
    files = [out / n for c in commits for n in c.files if n.startswith("failures/") and (out / n).is_file()]
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
        status.loc[idx, "start"] = _epoch_seconds(failures["start"])
        status.loc[idx, "end"] = _epoch_seconds(failures["end"])
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
        status[c] = _timestamps(status[c])
    return status


def _timestamps(seconds: pd.Series) -> pd.Series:
    """Turn seconds since the epoch into UTC timestamps (NaT where missing).

    Done by hand rather than with ``pd.to_datetime(unit="s")``, whose float path fails with a FloatingPointError when
    numpy's error state is left at ``raise`` — as it can be after a KeyboardInterrupt lands inside an ``errstate``
    block — and the status table must still be written when a batch is stopped with Ctrl-C.
    """
    values = pd.to_numeric(seconds, errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(values) & (np.abs(values) < 1e11)
    clean = np.where(ok, values, 0.0)
    whole = np.floor(clean)
    with np.errstate(all="ignore"):  # whole seconds and their fraction apart, so no nanosecond is lost to rounding
        nanoseconds = whole.astype("int64") * 1_000_000_000 + np.round((clean - whole) * 1e9).astype("int64")
    stamps = pd.Series(pd.to_datetime(nanoseconds, unit="ns", utc=True), index=seconds.index)
    return stamps.where(ok)


def _epoch_seconds(times: pd.Series) -> np.ndarray:
    """Return times as seconds since the epoch, NaN where a time is missing (NaT is not the int64 minimum here)."""
    stamps = pd.to_datetime(times, utc=True)
    return np.where(stamps.notna(), stamps.astype("int64").to_numpy() / 1e9, np.nan)


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
    files = [str(p) for p in _verified(out, table)]
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
