"""Where a batch runs: in this process, in a local process pool, or on a Dask cluster.

Every executor is a context manager with ``submit(fn, *args) -> future``; the futures have ``result()`` and
``add_done_callback(fn)`` (:class:`concurrent.futures.Future`, or :class:`distributed.Future`). The runner
(:func:`parkabm.experiments.execution.runner.run_batch`) uses nothing else, so the model never knows where it
runs, and any ``concurrent.futures`` executor works too.
``workers`` says how many tasks run at once (the runner keeps about twice that many in
flight); ``description`` names the executor in the manifest.

- :class:`SerialExecutor` runs each task when it is submitted, in this process (debugging, tiny batches);
- :class:`ProcessPool` is a :class:`concurrent.futures.ProcessPoolExecutor` whose workers are started with the
  ``spawn`` method, which is safe from Jupyter and on every platform (the global start method is left alone);
- :class:`DaskExecutor` submits to a Dask scheduler (``tcp://host:8786``, e.g. workers started by
  dask-jobqueue on Slurm/PBS) or to a :class:`distributed.LocalCluster` it starts itself. It needs the optional
  ``dask`` extra: ``pip install 'parkabm[dask]'``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from parkabm.scenarios.errors import UserInputError


def default_workers() -> int:
    """Return the number of CPUs this process may use (at least 1)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not available on macOS and Windows
        return max(1, os.cpu_count() or 1)


DRIVER_POLL_SECONDS = 1.0
"""How often a pool worker checks that the process that started it is still alive (the portable fallback)."""

_PR_SET_PDEATHSIG = 1


def exit_with_driver(driver_pid: int, death_signal: bool = True, poll: bool = True) -> None:
    """Make this pool worker exit when the driver process that started it dies, even by ``kill -9``.

    Used as the ``initializer`` of every process pool. On Linux the kernel sends the worker SIGKILL when its parent
    dies (``prctl(PR_SET_PDEATHSIG)``); everywhere, a daemon thread also polls ``os.getppid()`` and ends the worker
    once it is no longer the driver's child. Without this, the workers of a killed batch stay alive for good
    (blocked on their task queue), each holding a few hundred megabytes.

    Linux sends the death signal when the *thread* that started the worker ends, and a process pool starts its
    workers from the thread that submits; so the signal is armed only for pools made in the main thread (where
    the batch runner and the commands submit), and the polling thread covers the rest.

    Ctrl-C belongs to the driver: a terminal sends SIGINT to the whole process group, so the worker ignores it, and
    the driver alone stops the batch (one message, no traceback from every worker; the pool then shuts down).

    Args:
        driver_pid: Process id of the driver (the worker's parent when the pool started it).
        death_signal: Arm ``PR_SET_PDEATHSIG`` (Linux).
        poll: Start the polling thread (each mechanism can be tested alone).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if death_signal and sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):
            pass
    if os.getppid() != driver_pid:  # the driver died before the death signal was armed
        os._exit(1)
    if not poll:
        return

    def watch() -> None:
        while os.getppid() == driver_pid:
            time.sleep(DRIVER_POLL_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="parkabm-driver-watch", daemon=True).start()


def start_worker(driver_pid: int, death_signal: bool = True) -> None:
    """Start a pool worker: exit with the driver (:func:`exit_with_driver`), and import the model once, frozen.

    The ``initializer`` of :class:`ProcessPool`. The model and its libraries (Mesa, pandas, pyarrow) are imported
    here, before the first task, and everything they created is moved out of the garbage collector's reach
    (:func:`gc.freeze`): those objects live as long as the worker, so the collector need not walk them during runs,
    nor when the worker exits at the end of a batch (the interpreter's last collection took about a third of a
    second per worker, which the driver waits for). A worker runs its passes on one thread
    (:mod:`parkabm.model.threads`) unless ``PARKABM_THREADS`` says otherwise.

    Args:
        driver_pid: Process id of the driver.
        death_signal: Arm ``PR_SET_PDEATHSIG`` (Linux); see :func:`exit_with_driver`.
    """
    exit_with_driver(driver_pid, death_signal)
    import parkabm.model.simulate  # noqa: F401  (what every chunk runs)
    from parkabm.model import threads

    if threads.ENVIRONMENT_SWITCH not in os.environ:
        threads.set_threads(1)  # the pool runs a worker per core already: a long pass is not split again

    gc.freeze()


class SerialExecutor:
    """Run each task in this process when it is submitted; its future is already done."""

    workers = 1
    description = "serial (this process)"

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        """Run ``fn(*args)`` now and return a finished future holding its result or its exception."""
        future: Future = Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:
            future.set_exception(exc)
        return future


class ProcessPool:
    """A local process pool whose workers are started with ``spawn``.

    Spawned workers import the package afresh instead of inheriting the parent's memory, so a pool started from
    a notebook or a threaded program cannot deadlock; the pool's own context is used, so the interpreter's
    global start method is never changed. Workers exit when the driver dies, even by ``kill -9``
    (:func:`exit_with_driver`), and import the model before their first task (:func:`start_worker`).

    Args:
        workers: Worker processes; the CPUs available to this process when omitted.
    """

    def __init__(self, workers: int | None = None) -> None:
        if workers is not None and workers < 1:
            raise UserInputError(f"--workers: {workers} — allowed: a whole number ≥ 1")
        self.workers = workers or default_workers()
        self.description = f"process pool ({self.workers} workers, spawn)"
        self._pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=start_worker,
                                         initargs=(os.getpid(), threading.current_thread() is threading.main_thread()))

    def __enter__(self) -> ProcessPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        """Queue ``fn(*args)`` for a worker process."""
        return self._pool.submit(fn, *args)


class DaskExecutor:
    """Submit tasks to a Dask cluster: an existing scheduler, or a local cluster of worker processes.

    The client connects (or the local cluster starts) when the executor is made, so an unreachable scheduler is
    reported before anything runs; leaving the ``with`` block closes the client and any cluster started here.

    Args:
        address: Scheduler address such as ``tcp://host:8786``; a new :class:`distributed.LocalCluster` when
            omitted.
        n_workers: Worker processes of the local cluster (one thread each, a run's long passes included); the CPUs
            available when omitted.
        timeout: Seconds to wait for the scheduler; Dask's ``distributed.comm.timeouts.connect`` when omitted.

    Raises:
        UserInputError: Dask is not installed, or the scheduler cannot be reached.
    """

    _REFRESH_SECONDS = 5.0

    def __init__(self, address: str | None = None, *, n_workers: int | None = None,
                 timeout: float | None = None) -> None:
        option = "--scheduler" if address is not None else "--dask-local"
        try:
            import distributed
        except ImportError:
            raise UserInputError(f"{option}: Dask is not installed — allowed: install the extra, "
                                 "pip install 'parkabm[dask]'") from None
        self._cluster = None
        if address is not None:
            try:
                from distributed.comm import resolve_address

                resolve_address(address)  # a malformed address or unknown host fails here, before a client exists
                wait = {} if timeout is None else {"timeout": timeout}
                self.client = distributed.Client(address, set_as_default=False, **wait)
            except (OSError, TimeoutError, ValueError) as exc:
                reason = " ".join(str(exc).split()) or type(exc).__name__
                raise UserInputError(f"--scheduler: {address} — cannot connect ({reason[:200]}) — allowed: the "
                                     "address of a running Dask scheduler, e.g. tcp://host:8786") from None
            where = f"Dask scheduler {address}"
        else:
            if n_workers is not None and n_workers < 1:
                raise UserInputError(f"--dask-local: {n_workers} — allowed: a whole number ≥ 1")
            n_workers = n_workers or default_workers()
            # One thread per worker for the runs' long passes too (parkabm.model.threads), as in the process pool,
            # unless PARKABM_THREADS is set here (the workers inherit it).
            threads = {} if "PARKABM_THREADS" in os.environ else {"env": {"PARKABM_THREADS": "1"}}
            self._cluster = distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                                                     dashboard_address=":0", **threads)
            self.client = distributed.Client(self._cluster, set_as_default=False)
            where = f"Dask local cluster ({n_workers} worker processes)"
        self.description = where
        self._workers = 1
        self._checked = -float("inf")

    @property
    def dashboard_link(self) -> str | None:
        """Address of the Dask dashboard (None when it is not running)."""
        return getattr(self.client, "dashboard_link", None)

    @property
    def workers(self) -> int:
        """Threads of the cluster's workers (at least 1), refreshed every few seconds as workers come and go."""
        now = time.monotonic()
        if now - self._checked > self._REFRESH_SECONDS:
            self._workers = max(1, sum(self.client.nthreads().values()))
            self._checked = now
        return self._workers

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Submit ``fn(*args)`` as a task that always runs (``pure=False``: chunks are never deduplicated)."""
        return self.client.submit(fn, *args, pure=False)


def make_executor(*, workers: int | None = None, scheduler: str | None = None,
                  dask_local: int | None = None) -> SerialExecutor | ProcessPool | DaskExecutor:
    """Choose an executor from the command-line options (at most one may be given).

    Args:
        workers: Local worker processes; 1 runs serially in this process.
        scheduler: Address of a Dask scheduler.
        dask_local: Worker processes of a Dask local cluster.

    Returns:
        The executor: a process pool of all available CPUs when nothing is given.

    Raises:
        UserInputError: More than one option given, or a bad value.
    """
    given = [name for name, value in (("--workers", workers), ("--scheduler", scheduler),
                                      ("--dask-local", dask_local)) if value is not None]
    if len(given) > 1:
        raise UserInputError(f"{' and '.join(given)}: given together — allowed: at most one of --workers, "
                             "--scheduler, --dask-local")
    if scheduler is not None:
        return DaskExecutor(scheduler)
    if dask_local is not None:
        return DaskExecutor(n_workers=dask_local)
    if workers == 1:
        return SerialExecutor()
    return ProcessPool(workers)
