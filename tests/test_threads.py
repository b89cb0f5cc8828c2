"""Long passes split over threads (parkabm.model.threads) give the same numbers as the passes in one piece.

A world of 10⁶ firms splits its element-wise and compacting passes into spans run on several threads, and draws
growth's shocks in the background. Here every pass is split (the row threshold lowered to 1) over three threads, so
the spans are uneven and each one's boundaries fall anywhere; every output, firm array and the generator's final
state must equal those of the same runs on one thread, to the bit.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from test_kernels import differences, run

from parkabm.model import kernels, threads
from parkabm.scenarios.loader import apply_changes, load_scenario


@pytest.fixture
def split_state(monkeypatch):
    """Restore the thread count after the test; let every pass of at least one row split."""
    monkeypatch.setitem(threads._state, "threads", threads._state["threads"])
    monkeypatch.setattr(threads, "MIN_ROWS", 1)


CASES = [
    ("baseline", {"world.population_scale": 0.5}),
    ("combined", {"world.population_scale": 0.5}),
    ("jiaxing_platforms", {"world.population_scale": 0.5}),
    ("baseline", {"world.population_scale": 0.5, "levers.mechanisms.shocks": 0.0,
                  "levers.mechanisms.space_constraint": 0.0}),
    ("baseline", {"world.population_scale": 0.5, "levers.evaluation.enforcement": 0.0,
                  "levers.evaluation.coverage": "all"}),
]


@pytest.mark.parametrize(("name", "changes"), CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_split_runs_equal_runs_on_one_thread(split_state, name, changes):
    scenario = apply_changes(load_scenario(name), changes)
    threads.set_threads(1)
    whole = [run(scenario, 5, r, compiled=True) for r in range(2)]
    threads.set_threads(3)
    split = [run(scenario, 5, r, compiled=True) for r in range(2)]
    for a, b in zip(whole, split, strict=True):
        assert differences(a, b) == []
        assert a.rng.bit_generator.state == b.rng.bit_generator.state


def test_spans_cover_the_rows_in_order(split_state):
    threads.set_threads(3)
    parts = threads.spans(100)
    assert len(parts) == 3 * threads.SPANS_PER_THREAD
    assert parts[0][0] == 0 and parts[-1][1] == 100
    assert all(a[1] == b[0] and a[0] < a[1] for a, b in itertools.pairwise(parts))
    threads.set_threads(1)
    assert threads.spans(100) == [(0, 100)]


def test_short_passes_are_not_split(monkeypatch):
    monkeypatch.setitem(threads._state, "threads", 2)
    assert threads.spans(threads.MIN_ROWS - 1) == [(0, threads.MIN_ROWS - 1)]
    assert len(threads.spans(threads.MIN_ROWS)) == 2 * threads.SPANS_PER_THREAD


def test_found_rows_are_those_of_one_pass(split_state):
    threads.set_threads(3)
    mask = np.random.default_rng(3).random(1001) < 0.3
    mask[:5] = False  # a span that finds nothing first
    with kernels.use_compiled(True):
        found = threads.find_rows(lambda rows, out: kernels.upgrade_candidates(
            mask[rows], mask[rows], np.zeros(1001, dtype=np.int8)[rows], np.zeros(1001, dtype=np.int64)[rows], 1,
            np.zeros(1001)[rows], 1.0, out), 1001)
    assert np.array_equal(found, np.flatnonzero(mask))


def test_join_found_shifts_each_span():
    buffer = np.array([7, 8, -1, 0, 1, -1, 2, -1, -1])
    total = threads.join_found(buffer, [(0, 3), (3, 6), (6, 9)], [2, 2, 1], [100, 200, 300])
    assert total == 5
    assert buffer[:total].tolist() == [107, 108, 200, 201, 302]


def test_a_failing_span_raises_after_all_spans(split_state):
    threads.set_threads(2)
    done = []

    def work(start: int, stop: int) -> None:
        if start == 0:
            raise ValueError("first span")
        done.append(start)

    with pytest.raises(ValueError, match="first span"):
        threads.run_spans(work, 80)
    assert sorted(done) == [start for start, _ in threads.spans(80)][1:]  # the other spans all ran


@pytest.mark.parametrize("method", ["standard_normal", "random"])
def test_a_draw_in_spans_in_the_background_equals_the_draw_made_here(split_state, method):
    threads.set_threads(2)
    rng = np.random.default_rng(9)
    drawing = threads.Draw(getattr(rng, method), np.empty(1001))
    assert drawing._future is not None  # drawn in the background, in spans
    for _, stop in threads.spans(1001):
        assert np.isfinite(drawing.wait(stop)[:stop]).all()
    expected = np.random.default_rng(9)
    assert np.array_equal(drawing.wait(), getattr(expected, method)(1001))
    assert rng.bit_generator.state == expected.bit_generator.state
    threads.set_threads(1)
    assert threads.Draw(rng.random, np.empty(3))._future is None  # drawn at once


def test_a_failed_background_draw_raises_where_it_is_awaited(split_state):
    threads.set_threads(2)

    def failing(out: np.ndarray) -> None:
        raise ValueError("no numbers")

    with pytest.raises(ValueError, match="no numbers"):
        threads.Draw(failing, np.empty(100)).wait(50)


@pytest.mark.parametrize(("value", "expected"), [("3", 3), ("1", 1)])
def test_the_environment_sets_the_threads(monkeypatch, value, expected):
    monkeypatch.setitem(threads._state, "threads", None)
    monkeypatch.setenv(threads.ENVIRONMENT_SWITCH, value)
    assert threads.threads() == expected


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_a_bad_thread_count_warns_and_uses_the_cores(monkeypatch, value):
    monkeypatch.setitem(threads._state, "threads", None)
    monkeypatch.setenv(threads.ENVIRONMENT_SWITCH, value)
    with pytest.warns(RuntimeWarning, match="PARKABM_THREADS"):
        assert threads.threads() >= 1
