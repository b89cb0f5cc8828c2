"""Run every benchmark script and write the README's performance table from what they print.

Usage: ``python benchmarks/perf_table.py [--against REV] [--quick] [--no-readme]``

Each row of the table is a figure one of the scripts printed in this run, read back from its output with the
pattern given in :data:`BENCHMARKS`; nothing is typed in by hand. The table names the date, the machine and the
package versions it was measured with. The scripts' whole outputs go to ``benchmarks/latest_run.txt`` beside it,
so every figure can be traced to the line it came from. The README's table sits between the two marker comments
``<!-- performance-table:start -->`` and ``<!-- performance-table:end -->``; the script replaces what is between them.

The budgets are those of the design (``DESIGN.md`` §6): a baseline run ≤ 10 ms median on one core; ≥ 50× faster
than the per-agent reference; 10⁶ firms ≤ 0.15 s per simulated year; batch throughput on 2 workers ≥ 2× the figure
before the speed work (``--against``: the revision measured alongside, default :data:`BEFORE`); a batch's memory
flat as runs accumulate. ``--quick`` runs each script with fewer repetitions (a look, not a table to publish).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
README = HERE.parent / "README.md"
LOG = HERE / "latest_run.txt"
START, END = "<!-- performance-table:start -->", "<!-- performance-table:end -->"
BEFORE = "f362c84"
"""The last revision before the speed work of the engine, the batch runner and the reference (2026-12-02)."""


@dataclass(frozen=True)
class Row:
    """One row of the table: what was measured, the pattern of its figure in the script's output, the budget."""

    label: str
    pattern: str
    shown: str
    budget: str


@dataclass(frozen=True)
class Benchmark:
    """One script run and the rows read from its output."""

    args: tuple[str, ...]
    quick: tuple[str, ...]
    rows: tuple[Row, ...]


BENCHMARKS = (
    Benchmark(("bench_run.py", "--runs", "200", "--rules"), ("bench_run.py", "--runs", "10", "--rules"), (
        Row("baseline run 2021→2025, full firm population, set-up + stepping + recording, compiled kernels "
            "(`bench_run.py`)", r"total\s+median\s+([\d.]+) ms", "{0} ms", "≤ 10 ms"),
        Row("the same without `ParkModel.record` (`bench_run.py`, engine line)",
            r"engine\s+median\s+([\d.]+) ms", "{0} ms", "—"),
    )),
    Benchmark(("bench_run.py", "--runs", "200", "--kernels", "0"), ("bench_run.py", "--runs", "10", "--kernels", "0"), (
        Row("the same run with the NumPy code only, as a single run in a fresh process has it (`bench_run.py "
            "--kernels 0`)", r"total\s+median\s+([\d.]+) ms", "{0} ms", "—"),
    )),
    Benchmark(("bench_run.py", "--scale", "170", "--runs", "3"), ("bench_run.py", "--scale", "170", "--runs", "1"), (
        Row("10⁶ firms, stepping, compiled kernels, long passes on the machine's cores (`bench_run.py --scale 170`)",
            r"per 10\^6 firms: ([\d.]+) s", "{0} s per simulated year per 10⁶ firms", "≤ 0.15 s"),
    )),
    Benchmark(("bench_run.py", "--scale", "170", "--runs", "3", "--threads", "1"),
              ("bench_run.py", "--scale", "170", "--runs", "1", "--threads", "1"), (
        Row("the same on one thread (`bench_run.py --scale 170 --threads 1`)",
            r"per 10\^6 firms: ([\d.]+) s", "{0} s per simulated year per 10⁶ firms", "—"),
    )),
    Benchmark(("bench_run.py", "--runs", "100", "--against", "{against}"),
              ("bench_run.py", "--runs", "10", "--against", "{against}", "--rounds", "1"), (
        Row("baseline run, revision {against} / current, in turns in one run (`bench_run.py --against`)",
            r"ratio \w+ / current, total: ([\d.]+)", "{0}×", "—"),
    )),
    Benchmark(("bench_run.py", "--scale", "170", "--runs", "2", "--against", "{against}"),
              ("bench_run.py", "--scale", "170", "--runs", "1", "--against", "{against}", "--rounds", "1"), (
        Row("10⁶ firms stepping, revision {against} / current, in turns in one run (`bench_run.py --scale 170 "
            "--against`)", r"ratio \w+ / current, stepping per 10\^6 firms: ([\d.]+)", "{0}×", "—"),
    )),
    Benchmark(("bench_reference.py",), ("bench_reference.py", "--runs", "3", "--replicates", "10"), (
        Row("per-agent reference / array engine, per baseline run (`bench_reference.py`)",
            r"ratio reference/fast\s+([\d.]+)x", "{0}×", "≥ 50×"),
        Row("their 2025 outcome distributions (`bench_reference.py`, KS p > 0.01 for every outcome)",
            r"distributions agree \(every KS p > [\d.]+\): (\w+)", "agree: {0}", "agree"),
    )),
    Benchmark(("bench_batch_throughput.py", "--against", "{against}"),
              ("bench_batch_throughput.py", "--against", "{against}", "--jobs", "400", "--rounds", "1"), (
        Row("2,000-job batch on 2 workers, runs per second (`bench_batch_throughput.py`)",
            r"median\s+current:\s+([\d.]+) runs/s", "{0} runs/s", "—"),
        Row("the same, ratio to revision {against} measured alongside (`bench_batch_throughput.py --against`)",
            r"ratio current / \w+, runs per second: ([\d.]+)", "{0}×", "≥ 2×"),
        Row("the same, processor time per job, revision {against} / current",
            r"ratio \w+ / current, processor time per job: ([\d.]+)", "{0}×", "—"),
    )),
    Benchmark(("bench_batch_throughput.py", "--against", "{against}", "--common-random-numbers"),
              ("bench_batch_throughput.py", "--against", "{against}", "--common-random-numbers", "--jobs", "400",
               "--rounds", "1"), (
        Row("the same batch with common random numbers, as `parkabm compare` and `parkabm sensitivity` run theirs, "
            "ratio to revision {against} (`bench_batch_throughput.py --common-random-numbers`)",
            r"ratio current / \w+, runs per second: ([\d.]+)", "{0}×", "—"),
    )),
    Benchmark(("bench_primitives.py",), ("bench_primitives.py", "--repeats", "5"), (
        Row("the floor under the budgets on this machine: a standard normal draw, per value (`bench_primitives.py`)",
            r"standard normal draw \(PCG64\)\s+([\d.]+) ns", "{0} ns", "—"),
        Row("float64 `exp`, per value (`bench_primitives.py`)", r"\n\s+exp\s+([\d.]+) ns", "{0} ns", "—"),
        Row("float64 `power` with a scalar exponent, per value (`bench_primitives.py`)",
            r"power, scalar exponent\s+([\d.]+) ns", "{0} ns", "—"),
        Row("NumPy's cost per call: the sum of a 16-park table (`bench_primitives.py`)", r"\n\s+sum\s+([\d.]+) us",
            "{0} µs", "—"),
        Row("what the second core gives at the time: `power` over 10⁶ values, one thread / two (`bench_primitives.py`)",
            r"ratio one/two: ([\d.]+)", "{0}×", "—"),
    )),
    Benchmark(("bench_batch_memory.py",), ("bench_batch_memory.py", "--points", "100"), (
        Row("20,000-job batch, driver peak memory at 100% / 10% of jobs (`bench_batch_memory.py`)",
            r"peak RSS at 100% / at 10%: ([\d.]+)", "{0}×", "flat"),
    )),
)


def machine() -> str:
    """Describe the processor, cores, memory and versions the figures were measured with.

    Under a hypervisor the model name alone (``AMD EPYC``) can cover processors of different speeds, so the
    processor's family and model numbers (Linux) and the widest vector extensions NumPy found on it (its SIMD
    dispatch: ``X86_V4`` is AVX-512) are named too: tables measured on different machines can be told apart.
    """
    cpu = platform.processor() or platform.machine()
    try:
        info = dict(line.split(":", 1) for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if ":" in line and line.startswith(("model name", "cpu family", "model\t")))
        info = {key.strip(): value.strip() for key, value in info.items()}
        if "model name" in info:
            cpu = info["model name"]
            if "cpu family" in info and "model" in info:
                cpu += f" (family {info['cpu family']}, model {info['model']})"
        mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))
        memory = f", {mem / 2**20:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        memory = ""
    import mesa
    import numpy

    simd = (numpy.show_config(mode="dicts") or {}).get("SIMD Extensions", {})
    found, missing = simd.get("found") or simd.get("baseline") or [], simd.get("not found") or []
    vector = (f", NumPy SIMD {' '.join(found)}" + (f" (no {missing[0]})" if missing else "")) if found else ""
    return (f"{cpu}{vector}, {os.cpu_count()} cores{memory}; {platform.system()}, "
            f"Python {platform.python_version()}, NumPy {numpy.__version__}, Mesa {mesa.__version__}")


def run(args: tuple[str, ...]) -> str:
    """Run one benchmark script with this interpreter and return what it printed."""
    print("$ python benchmarks/" + " ".join(args), flush=True)
    done = subprocess.run([sys.executable, str(HERE / args[0]), *args[1:]], capture_output=True, text=True,
                          cwd=HERE.parent, check=False)
    if done.returncode != 0:
        raise SystemExit(f"benchmarks/{args[0]} failed (exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
    print(done.stdout, flush=True)
    return done.stdout


def main() -> None:
    """Run the benchmarks, print the table, write the log and (unless told not to) the README's table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", default=BEFORE, help=f"revision the batch throughput is compared with "
                                                          f"(default {BEFORE})")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions; do not write the README")
    parser.add_argument("--no-readme", action="store_true", help="print the table only")
    args = parser.parse_args()
    logs, lines = [], []
    for bench in BENCHMARKS:
        argv = tuple(a.format(against=args.against) for a in (bench.quick if args.quick else bench.args))
        out = run(argv)
        logs.append(f"$ python benchmarks/{' '.join(argv)}\n{out}")
        for row in bench.rows:
            found = re.search(row.pattern, out)
            if found is None:
                raise SystemExit(f"benchmarks/{argv[0]}: no line matches {row.pattern!r}; its output:\n{out}")
            lines.append(f"| {row.label.format(against=args.against)} | {row.shown.format(*found.groups())} | "
                         f"{row.budget} |")
    today = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    table = "\n".join([
        f"Measured {today} by `python benchmarks/perf_table.py` on {machine()} (medians; the scripts' whole output: "
        "`benchmarks/latest_run.txt`).",
        "",
        "| measured | figure | budget |",
        "|---|---|---|",
        *lines,
    ])
    print(table)
    if args.quick or args.no_readme:
        return
    LOG.parent.mkdir(exist_ok=True)
    LOG.write_text(f"# {today}, {machine()}\n\n" + "\n".join(logs), encoding="utf-8")
    text = README.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"README.md: the markers {START} and {END} are missing")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    README.write_text(f"{head}{START}\n{table}\n{END}{tail}", encoding="utf-8")
    print(f"README.md and {LOG.relative_to(HERE.parent)} written")


if __name__ == "__main__":
    main()
