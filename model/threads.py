"""Long passes over the firm arrays split over the processor's cores, for worlds of about 10⁶ firms.

NumPy's element-wise operations, its random draws and the compiled kernels (:mod:`parkabm.model.kernels`, compiled
``nogil``) let go of Python's global lock while they run, so threads run parts of one pass at the same time. Only two
kinds of work are split here, both with results identical to the bit to the pass in one piece:

- a pass whose result at each position depends on that position alone (:func:`run_spans`): each thread takes one
  contiguous span of positions; a pass that collects positions in order (a compacting pass) writes each span's into
  its own part of the buffer, and :func:`join_found` puts them back in order;
- a random draw made in the background while the caller does work that does not touch the generator
  (:func:`start`): the generator gives the same numbers whichever thread asks it.

Passes that add many values into one sum (totals by park, by cell) are not split: their sums run in row order, and
adding the spans' partial sums would round differently.

**How many threads.** The environment variable ``PARKABM_THREADS`` sets it (a whole number ≥ 1); unset, it is the
number of cores this process may use. A pass is split only from :data:`MIN_ROWS` positions on: below that, handing
work to a thread (about 20–50 µs) costs more than it saves, so a baseline run (about 7,000 firms) never splits. A
batch's process-pool workers already use every core, one run each, so they run on one thread
(:func:`set_threads`).
"""

from __future__ import annotations

import itertools
import os
import warnings
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np

ENVIRONMENT_SWITCH = "PARKABM_THREADS"
"""Environment variable: how many threads a long pass may use (a whole number ≥ 1; unset: the cores available)."""

MIN_ROWS = 200_000
"""Positions from which a pass is split (measured on the 2-core benchmark machine: a hand-off costs 20–50 µs, a
pass over 200,000 rows 0.4–4 ms; benchmarks/bench_run.py ``--scale 170 --threads 1`` compares with one thread)."""

T = TypeVar("T")

_state: dict[str, Any] = {"threads": None, "pool": None, "pid": None}


def threads() -> int:
    """Return how many threads a long pass may use: ``PARKABM_THREADS``, else the cores this process may use.

    Read once, when first needed. A value that is not a whole number ≥ 1 counts as unset, with one warning naming
    the variable and what it allows (the results are the same with any number of threads, so a typo must not stop a
    run).
    """
    if _state["threads"] is None:
        _state["threads"] = _threads_from_environment()
    return int(_state["threads"])


def _threads_from_environment() -> int:
    """Return the thread count the environment asks for, or the cores available to this process."""
    value = os.environ.get(ENVIRONMENT_SWITCH, "").strip()
    if value:
        if value.isdigit() and int(value) >= 1:
            return int(value)
        warnings.warn(f"{ENVIRONMENT_SWITCH}={value!r} is not a whole number of at least 1; using the cores "
                      "available", RuntimeWarning, stacklevel=3)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def set_threads(n: int) -> None:
    """Let long passes use ``n`` threads from now on in this process (1: never split)."""
    _state["threads"] = max(1, int(n))


def _pool() -> ThreadPoolExecutor:
    """Return this process's thread pool, made on first use (and made again in a process forked from one with it).

    It has as many threads as :func:`threads`: with a draw in the background (:func:`start`), the spans of a pass
    still each get a thread.
    """
    if _state["pool"] is None or _state["pid"] != os.getpid():
        _state["pool"] = ThreadPoolExecutor(max_workers=threads(), thread_name_prefix="parkabm-pass")
        _state["pid"] = os.getpid()
    return _state["pool"]


def spans(n: int) -> list[tuple[int, int]]:
    """Return the spans ``(start, stop)`` a pass over ``n`` positions is cut into: one below :data:`MIN_ROWS`."""
    parts = threads() if n >= MIN_ROWS else 1
    if parts <= 1:
        return [(0, n)]
    cuts = [n * j // parts for j in range(parts + 1)]
    return list(itertools.pairwise(cuts))


def run_spans(work: Callable[[int, int], T], n: int) -> list[T]:
    """Run ``work(start, stop)`` over the spans of ``n`` positions, at the same time; return the results in order.

    The first span runs on the calling thread, the others in the pool. ``work`` must touch only its own span's
    positions of what it writes (and must not draw random numbers), so the outcome is the same as one call
    ``work(0, n)``. An exception in any span is raised here, after every span has finished.
    """
    parts = spans(n)
    if len(parts) == 1:
        return [work(0, n)]
    pending = [_pool().submit(work, start, stop) for start, stop in parts[1:]]
    try:
        first = work(*parts[0])
    finally:
        rest = [future.exception() for future in pending]  # waits for every span, whatever happened here
    for error in rest:
        if error is not None:
            raise error
    return [first, *(future.result() for future in pending)]


def join_found(buffer: np.ndarray, parts: list[tuple[int, int]], counts: list[int],
               shifts: list[int] | None = None) -> int:
    """Move what a compacting pass found in each span to follow one another; return how many in all.

    Span ``j`` (``parts[j]`` its ``(start, stop)``) wrote its ``counts[j]`` finds to ``buffer[start_j:]``;
    afterwards they are in ``buffer[:total]``, in order. With ``shifts``, ``shifts[j]`` is added to span ``j``'s finds
    (a span's row numbers or positions are its own, counted from its first).
    """
    total = counts[0]
    if shifts is not None and shifts[0]:
        buffer[:total] += shifts[0]
    for j in range(1, len(parts)):
        start, found = parts[j][0], counts[j]
        buffer[total:total + found] = buffer[start:start + found]  # total ≤ start: NumPy moves overlaps safely
        if shifts is not None and shifts[j]:
            buffer[total:total + found] += shifts[j]
        total += found
    return total


def find_rows(find: Callable[[slice, np.ndarray], int], n: int) -> np.ndarray:
    """Return the rows (of ``n``) a compacting pass finds, in row order, the pass run in spans on several threads.

    ``find(rows, out)`` runs the pass over the arrays' ``rows`` (a slice), writes the row numbers it finds (counted
    from the slice's first) to ``out`` and returns how many.
    """
    rows = np.empty(n, dtype=np.intp)
    parts = spans(n)
    counts = run_spans(lambda start, stop: int(find(slice(start, stop), rows[start:stop])), n)
    return rows[:join_found(rows, parts, counts, [start for start, _ in parts])]


def offsets(counts: list[int]) -> list[int]:
    """Return how many finds come before each span's: the shifts of positions into what the spans found together."""
    return [int(x) for x in np.cumsum([0, *counts[:-1]])]


def start(draw: Callable[..., np.ndarray], *, out: np.ndarray) -> Future[np.ndarray]:
    """Start ``draw(out=out)`` (a random draw filling ``out``) in the background if a pass of its length is split.

    The caller must not use the draw's generator until it has taken the result (``.result()``); with one thread, or
    fewer than :data:`MIN_ROWS` values, the draw is made now and the future holds it already. ``out`` is made by
    the caller: an array allocated in a pool thread would come from another of the C library's memory arenas, as
    fresh pages each time, which costs more than the draw saves.
    """
    if len(spans(len(out))) > 1:
        return _pool().submit(draw, out=out)
    done: Future[np.ndarray] = Future()
    done.set_result(draw(out=out))
    return done
