"""Memory of a batch's driver as results accumulate: it should stay flat, since results stream to disk.

Runs a batch of 20,000 jobs (a small world to 2023: one lever factor sampled at 1,000 points × 20 replicates) and
prints the driver's peak resident memory when 10%, 50% and 100% of the jobs have been handed out, and the ratio of
the last to the first. Workers are separate processes, so their memory is not counted: the driver is what would
grow if results were held until the end.

    python benchmarks/bench_batch_memory.py                 # 2 worker processes
    python benchmarks/bench_batch_memory.py --workers 1     # serially, in the driver itself
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from parkabm.experiments.design.spec import resolve_spec
from parkabm.experiments.execution.executors import ProcessPool, SerialExecutor
from parkabm.experiments.execution.runner import run_batch
from parkabm.experiments.execution.store import job_status

SCENARIO = "name: bench\nextends: baseline\nworld: {{population_scale: {scale}, horizon: 2023}}\n"


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far, MiB (kB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def current_rss_mib() -> float | None:
    """Resident memory of this process now, MiB (None without psutil)."""
    try:
        import psutil
    except ImportError:
        return None
    return psutil.Process().memory_info().rss / (1024 * 1024)


class Probe:
    """Wraps an executor and records the driver's memory when a share of the jobs has been handed out."""

    def __init__(self, executor, jobs: int, marks=(0.10, 0.50)) -> None:
        self.executor = executor
        self.workers = executor.workers
        self.description = executor.description
        self.jobs = jobs
        self.marks = list(marks)
        self.submitted = 0
        self.readings: list[tuple[float, float, float | None, float]] = []
        self.started = time.perf_counter()

    def submit(self, fn, *args):
        """Hand the task to the wrapped executor; read the memory when a mark is passed."""
        future = self.executor.submit(fn, *args)
        self.submitted += len(args[0].jobs)
        while self.marks and self.submitted >= self.marks[0] * self.jobs:
            self.readings.append((self.marks.pop(0), peak_rss_mib(), current_rss_mib(),
                                  time.perf_counter() - self.started))
        return future


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1000, help="design points (default 1000)")
    parser.add_argument("--replicates", type=int, default=20, help="replicates per point (default 20)")
    parser.add_argument("--scale", type=float, default=0.05, help="population_scale of the world (default 0.05)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes; 1 = serial (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep the results folder")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="parkabm-bench-"))
    try:
        (folder / "bench.yaml").write_text(SCENARIO.format(scale=args.scale), encoding="utf-8")
        experiment = resolve_spec({
            "name": "memory_benchmark",
            "scenarios": ["bench.yaml"],
            "factors": [{"name": "levers.land.redevelopment_mu_per_year", "kind": "lever", "bounds": [0, 30000]}],
            "design": {"kind": "monte_carlo", "samples": args.points},
            "replicates": args.replicates,
        }, source="bench", base_dir=folder)
        jobs = experiment.n_jobs
        executor = SerialExecutor() if args.workers == 1 else ProcessPool(args.workers)
        print(f"{jobs} jobs · population_scale {args.scale} · horizon 2023 · {executor.description}")
        with executor:
            probe = Probe(executor, jobs)
            start = time.perf_counter()
            result = run_batch(experiment, folder / "out", executor=probe, progress=False)
            elapsed = time.perf_counter() - start
        probe.readings.append((1.0, peak_rss_mib(), current_rss_mib(), elapsed))
        parts = len(list((folder / "out" / "parts").glob("yearly-*.parquet")))
        size = sum(p.stat().st_size for p in (folder / "out").rglob("*") if p.is_file()) / 2**20
        print(f"{result.summary_line()} · {elapsed:.0f} s ({jobs / elapsed:.0f} jobs/s) · {parts} parts, "
              f"{size:.1f} MiB on disk")
        assert (job_status(folder / "out")["status"] == "done").all()
        print(f"{'jobs handed out':>16}  {'peak RSS (MiB)':>14}  {'RSS now (MiB)':>13}  {'time (s)':>8}")
        for share, peak, now, seconds in probe.readings:
            shown = f"{now:13.1f}" if now is not None else f"{'-':>13}"
            print(f"{share:>16.0%}  {peak:14.1f}  {shown}  {seconds:8.1f}")
        first, last = probe.readings[0][1], probe.readings[-1][1]
        print(f"peak RSS at 100% / at 10%: {last / first:.3f}")
    finally:
        if args.keep:
            print(f"results kept in {folder / 'out'}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
