"""Long passes over the firm arrays split over the processor's cores, for worlds of about 10⁶ firms.

NumPy's element-wise operations, its random draws and the compiled kernels (:mod:`parkabm.model.kernels`, compiled
``nogil``) let go of Python's global lock while they run, so threads run parts of one pass at the same time. Only two
kinds of work are split here, both with results identical to the bit to the pass in one piece:

- a pass whose result at each position depends on that position alone (:func:`run_spans`): it is cut into
  contiguous spans of positions, which the threads take in turn; a pass that collects positions in order (a
  compacting pass) writes each span's finds into its own part of the buffer, and :func:`join_found` puts them back
  in order;
- a random draw made in the background, span after span, while the caller does work that does not touch the
  generator, or already works on the spans drawn (:class:`Draw`): the generator gives the same numbers whichever
  thread asks it, and in whatever pieces an array is filled.

Passes that add many values into one sum (totals by park, by cell) are not split: their sums run in row order, and
adding the spans' partial sums would round differently.

**How many threads.** The environment variable ``PARKABM_THREADS`` sets it (a whole number ≥ 1); unset, it is the
number of cores this process may use. A pass is split only from :data:`MIN_ROWS` positions on: below that, handing
work to the threads (about 70 µs) costs more than it saves, so a baseline run (about 7,000 firms) never splits. A
batch's process-pool workers already use every core, one run each, so they run on one thread
(:func:`set_threads`).
"""

from __future__ import annotations

import itertools
import os
import threading
import warnings
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np

ENVIRONMENT_SWITCH = "PARKABM_THREADS"
"""Environment variable: how many threads a long pass may use (a whole number ≥ 1; unset: the cores available)."""

MIN_ROWS = 200_000
"""Positions from which a pass is split (measured on the 2-core benchmark machine: handing a pass's spans to the
threads and taking them back costs about 70 µs, a pass over 200,000 rows 0.4–5 ms, a ``power`` over them 4.9 ms on
one thread and 2.6 ms on two; benchmarks/bench_run.py ``--scale 170 --threads 1`` compares a whole run)."""

SPANS_PER_THREAD = 4
"""Spans a long pass is cut into per thread (each thread takes the next one left when done with its last)."""

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

    It has as many threads as :func:`threads`: with a draw in the background (:class:`Draw`), the spans of a pass
    still get as many threads as without.
    """
    if _state["pool"] is None or _state["pid"] != os.getpid():
        _state["pool"] = ThreadPoolExecutor(max_workers=threads(), thread_name_prefix="parkabm-pass")
        _state["pid"] = os.getpid()
    return _state["pool"]


def spans(n: int) -> list[tuple[int, int]]:
    """Return the spans ``(start, stop)`` a pass over ``n`` positions is cut into: one below :data:`MIN_ROWS`.

    From :data:`MIN_ROWS` on, :data:`SPANS_PER_THREAD` per thread, so that a core slowed by other work on the
    machine takes fewer of them instead of holding up the pass.
    """
    if n < MIN_ROWS:
        return [(0, n)]
    parts = threads() * SPANS_PER_THREAD if n >= MIN_ROWS and threads() > 1 else 1
    if parts <= 1:
        return [(0, n)]
    cuts = [n * j // parts for j in range(parts + 1)]
    return list(itertools.pairwise(cuts))


def run_spans(work: Callable[[int, int], T], n: int) -> list[T]:
    """Run ``work(start, stop)`` over the spans of ``n`` positions, at the same time; return the results in order.

    The calling thread and ``threads() − 1`` threads of the pool take the spans one after another until none is
    left. ``work`` must touch only its own span's positions of what it writes (and must not draw random numbers),
    so the outcome is the same as one call ``work(0, n)``; it should write into arrays made before (see
    :class:`Draw` on allocating in a pool thread). An exception in any span is raised here, after every thread
    has stopped.
    """
    if n < MIN_ROWS:  # the common case, a baseline world: no span to hand out
        return [work(0, n)]
    parts = spans(n)
    if len(parts) == 1:
        return [work(0, n)]
    results: list[Any] = [None] * len(parts)
    taken = itertools.count()
    lock = threading.Lock()

    def take_spans() -> None:
        while True:
            with lock:
                j = next(taken)
            if j >= len(parts):
                return
            results[j] = work(*parts[j])

    helpers = [_pool().submit(take_spans) for _ in range(threads() - 1)]
    try:
        take_spans()
    finally:
        errors = [helper.exception() for helper in helpers]  # waits for every helper, whatever happened here
    for error in errors:
        if error is not None:
            raise error
    return results


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
    if n < MIN_ROWS:
        return rows[:find(slice(0, n), rows)]
    parts = spans(n)
    counts = run_spans(lambda start, stop: int(find(slice(start, stop), rows[start:stop])), n)
    return rows[:join_found(rows, parts, counts, [start for start, _ in parts])]


def offsets(counts: list[int]) -> list[int]:
    """Return how many finds come before each span's: the shifts of positions into what the spans found together."""
    return list(itertools.accumulate(counts[:-1], initial=0))


class Draw:
    """A random draw filling ``out``, span by span in the background when a pass of its length is split.

    ``draw(out=part)`` is called on the spans of ``out`` in order (:func:`spans`), so the numbers are those of one
    call ``draw(out=out)``: NumPy's generators fill an array one value after another, whatever its length. A pass
    over the same rows can start on a span as soon as it is drawn (:meth:`wait` with the span's end). The caller
    must not use the generator until the whole draw is in (:meth:`wait` without an argument). With one span the
    draw is made at once. ``out`` is made by the caller: an array allocated in a pool thread would come from another
    of the C library's memory arenas, as fresh pages each time, which costs more than the draw saves.

    Args:
        draw: A generator's method that takes ``out`` (``Generator.random``, ``Generator.standard_normal``).
        out: The array to fill.
    """

    def __init__(self, draw: Callable[..., Any], out: np.ndarray):
        self.out = out
        self._future: Future[None] | None = None
        parts = spans(len(out))
        if len(parts) == 1:
            draw(out=out)
            self._drawn = len(out)
            return
        self._drawn = 0
        self._ready = threading.Condition()
        future = _pool().submit(self._fill, draw, parts)
        future.add_done_callback(lambda _: self._announce(self._drawn))
        self._future = future

    @classmethod
    def made(cls, values: np.ndarray) -> Draw:
        """Return a draw already made: ``values``."""
        made = cls.__new__(cls)
        made.out, made._drawn, made._future = values, len(values), None
        return made

    def _fill(self, draw: Callable[..., Any], parts: list[tuple[int, int]]) -> None:
        """Draw the spans in order, announcing each one's end."""
        for start, stop in parts:
            draw(out=self.out[start:stop])
            self._announce(stop)

    def _announce(self, drawn: int) -> None:
        """Record that ``out[:drawn]`` is in (or that the draw has ended) and wake whoever waits."""
        with self._ready:
            self._drawn = drawn
            self._ready.notify_all()

    def wait(self, stop: int | None = None) -> np.ndarray:
        """Return ``out`` once ``out[:stop]`` (all of it without ``stop``) is drawn; raise what the draw raised."""
        stop = len(self.out) if stop is None else stop
        if self._future is not None and self._drawn < stop:
            future = self._future
            with self._ready:
                self._ready.wait_for(lambda: self._drawn >= stop or future.done())
            if self._drawn < stop:
                future.result()  # the draw failed: its exception
        return self.out
