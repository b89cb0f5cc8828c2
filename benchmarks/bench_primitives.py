"""Time the NumPy operations the engine cannot do without, on this machine: the floor under its budgets.

Usage: ``python benchmarks/bench_primitives.py [--size N] [--repeats N]``

Every firm-year of a run draws random numbers and, for growth and exit, takes powers and exponentials, and every rule
pays NumPy's fixed cost per call on its small per-park tables. These costs belong to the machine, not to the model:
NumPy's vectorised float64 ``exp``, ``log`` and ``power`` (the SVML routines it ships) need AVX-512, and on a
processor without it they are computed one value at a time by the C library, so the same code runs markedly slower.
The script prints, for arrays of ``--size`` float64 values, the median time per value of each operation (over
``--repeats`` timings), and the median time per call of the small operations a rule makes on its 16-park tables;
the processor's vector extensions as NumPy found them head the output, so figures from different machines can be
told apart. Last, it times ``power`` over 10⁶ values in one piece and split over two threads
(:func:`parkabm.model.threads.run_spans`, as a pass over a 10⁶-firm world is): the ratio is what this machine's
second core gives at the time (2 when it is wholly free; a virtual machine sharing its host gets less).
``perf_table.py`` puts them beside the budgets.
"""

from __future__ import annotations

import argparse
import statistics
import timeit

import numpy as np

PARKS = 16
"""Length of the small tables of the calls timed per call: the baseline world's parks."""


def per_item(statement: str, namespace: dict, items: int, repeats: int, number: int) -> float:
    """Return the median time of ``statement`` per item, in ns (``repeats`` timings of ``number`` executions)."""
    times = timeit.repeat(statement, globals=namespace, number=number, repeat=repeats)
    return statistics.median(times) / number / items * 1e9


def main() -> None:
    """Print the per-value and per-call costs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="values per array operation")
    parser.add_argument("--repeats", type=int, default=15, help="timings of each operation (their median is shown)")
    args = parser.parse_args()
    simd = (np.show_config(mode="dicts") or {}).get("SIMD Extensions", {})
    print(f"NumPy {np.__version__}, SIMD found: {' '.join(simd.get('found') or simd.get('baseline') or []) or '?'}, "
          f"not found: {' '.join(simd.get('not found') or []) or 'none'}")
    n = args.size
    rng = np.random.Generator(np.random.PCG64(0))
    x = rng.random(n) + 0.5
    out = np.empty(n)
    space = {"rng": rng, "x": x, "out": out, "n": n, "np": np}
    number = max(1, 2_000_000 // n)
    print(f"per value, arrays of {n:,} float64 (median of {args.repeats} timings):")
    for label, statement in (
        ("standard normal draw (PCG64)", "rng.standard_normal(n)"),
        ("uniform draw (PCG64)", "rng.random(n)"),
        ("exp", "np.exp(x, out=out)"),
        ("log", "np.log(x, out=out)"),
        ("power, scalar exponent", "np.power(x, -0.3, out=out)"),
        ("multiply (for scale)", "np.multiply(x, 1.5, out=out)"),
    ):
        print(f"  {label:<30} {per_item(statement, space, n, args.repeats, number):7.2f} ns per value")
    small = rng.random(PARKS)
    mask = small > 0.5
    space.update(small=small, mask=mask, small_out=np.empty(PARKS))
    print(f"per call, tables of {PARKS} values:")
    for label, statement in (
        ("sum", "small.sum()"),
        ("count of a mask (count_nonzero)", "np.count_nonzero(mask)"),
        ("multiply into a buffer", "np.multiply(small, 1.5, out=small_out)"),
        ("where", "np.where(mask, small, 0.0)"),
    ):
        print(f"  {label:<30} {per_item(statement, space, 1, args.repeats, 20_000) / 1e3:7.2f} us per call")
    print_thread_scaling(args.repeats)


def print_thread_scaling(repeats: int) -> None:
    """Print the time of ``power`` over 10⁶ values in one piece and split over two threads, and their ratio."""
    from parkabm.model import threads

    n = 1_000_000
    x = np.random.Generator(np.random.PCG64(1)).random(n) + 0.5
    out = np.empty(n)

    def span(start: int, stop: int) -> None:
        np.power(x[start:stop], -0.3, out=out[start:stop])

    timed = {}
    for count in (1, 2):
        threads.set_threads(count)
        timed[count] = statistics.median(timeit.repeat(lambda: threads.run_spans(span, n), number=5,
                                                       repeat=repeats)) / 5 * 1e3
    print(f"power over {n:,} values: one thread {timed[1]:.2f} ms, two threads {timed[2]:.2f} ms; "
          f"ratio one/two: {timed[1] / timed[2]:.2f}")


if __name__ == "__main__":
    main()
