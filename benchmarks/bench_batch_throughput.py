"""Runs per second of a typical batch, for this checkout and (``--against REV``) for a git revision, in one run.

The batch is a researcher's usual one: the baseline world (``population_scale`` 1, 2021→2025), one lever
(``levers.land.redevelopment_mu_per_year``) sampled at ``jobs / replicates`` Monte Carlo points, 20 replicates each,
run by ``run_batch`` on a process pool of ``--workers`` workers into a fresh results folder. One measurement is the
wall time from starting the pool to its shutdown (``run_batch`` with its store, and the workers' start-up, included);
runs per second = jobs / that time. The processor time of the batch (the measuring process and its workers, from
``getrusage``) is printed too, in milliseconds per job: on a machine shared with other work the wall time swings with
their load, while processor time per job mostly does not, so its ratio is the steadier estimate of the speed-up.

Each measurement runs in a fresh interpreter whose ``import parkabm`` resolves to the code measured: a temporary
folder holds a ``parkabm`` package whose sub-packages (``model``, ``agents``, ``scenarios``, ``experiments``) are
links to that code's folders and comes first on ``PYTHONPATH``, so the worker processes import the same code; the
measuring process checks that ``parkabm.model`` came from there and not from an installed copy. With
``--against REV`` the revision is exported with ``git archive`` into the same temporary folder, and the two versions
are measured in alternation (one round: both, in turn, the first of the pair alternating between rounds), so slow
spells of a shared machine fall on both; the medians of each and their ratio are printed. Everything the script
made is removed at the end.

    python benchmarks/bench_batch_throughput.py                         # this checkout, 3 runs
    python benchmarks/bench_batch_throughput.py --against f362c84       # and that revision, alternating
    python benchmarks/bench_batch_throughput.py --jobs 400 --rounds 2   # a quicker look
    python benchmarks/bench_batch_throughput.py --common-random-numbers --against REV  # as compare/sensitivity run

With ``--common-random-numbers`` the batch shares each replicate's random streams across its design points
(``common_random_numbers: true``), as ``parkabm compare`` and ``parkabm sensitivity`` run theirs.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
"""The checkout this script belongs to: the code measured as ``current``."""

SUBPACKAGES = ("model", "agents", "scenarios", "experiments")
"""The top-level folders that install as ``parkabm.<name>``."""

MEASURE = r'''
import json, sys, time
from pathlib import Path

def cpu_seconds():
    """Processor time of this process and of its finished children (the pool's workers, once shut down)."""
    try:
        import resource
    except ImportError:  # not on Windows
        return float("nan")
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

def main():
    root, folder, jobs, workers, scale, replicates = (Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]),
                                                      int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]))
    shared = sys.argv[7] == "1"
    import parkabm.model
    source = Path(parkabm.model.__file__).resolve()
    if root.resolve() not in source.parents:
        sys.exit(f"parkabm.model was imported from {source}, not from {root}")
    from parkabm.experiments.design.spec import resolve_spec
    from parkabm.experiments.execution.executors import ProcessPool
    from parkabm.experiments.execution.runner import run_batch

    (folder / "throughput.yaml").write_text(
        f"name: throughput\nextends: baseline\nworld: {{population_scale: {scale}, horizon: 2025}}\n",
        encoding="utf-8")
    experiment = resolve_spec({
        "name": "throughput_benchmark",
        "scenarios": ["throughput.yaml"],
        "factors": [{"name": "levers.land.redevelopment_mu_per_year", "kind": "lever", "bounds": [0, 30000]}],
        "design": {"kind": "monte_carlo", "samples": jobs // replicates},
        "replicates": replicates,
        **({"common_random_numbers": True} if shared else {}),
    }, source="throughput benchmark", base_dir=folder)
    start, cpu = time.perf_counter(), cpu_seconds()
    with ProcessPool(workers) as executor:
        result = run_batch(experiment, folder / "out", executor=executor, progress=False)
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    if result.done != experiment.n_jobs:
        sys.exit(f"the batch did not finish: {result.summary_line()}")
    print(json.dumps({"jobs": experiment.n_jobs, "seconds": seconds, "cpu_seconds": cpu, "source": str(source)}))

if __name__ == "__main__":
    main()
'''


def shim(folder: Path, code: Path) -> Path:
    """Make ``folder/parkabm``, a package whose sub-packages are links to the folders of ``code``; return ``folder``.

    The sources of ``code`` are byte-compiled first (``compileall``, up-to-date files skipped), as an installed
    package is: every version measured starts its processes from bytecode, whether or not the environment lets
    Python write bytecode itself (``PYTHONDONTWRITEBYTECODE``), so no version pays for compiling its sources in
    each worker and the others not.
    """
    package = folder / "parkabm"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    for name in SUBPACKAGES:
        compileall.compile_dir(code / name, quiet=1, workers=0)
        (package / name).symlink_to(code / name, target_is_directory=True)
    return folder


def export(revision: str, folder: Path) -> Path:
    """Write the files of git ``revision`` of this repository into ``folder`` (``git archive``); return it."""
    folder.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", revision], capture_output=True,
                             check=True).stdout
    tar_path = folder.with_suffix(".tar")
    tar_path.write_bytes(archive)
    with tarfile.open(tar_path) as tar:
        tar.extractall(folder, filter="data")
    tar_path.unlink()
    return folder


def measure(label: str, package_root: Path, code: Path, work: Path, args: argparse.Namespace,
            run: int) -> tuple[float, float]:
    """Run the batch once in a fresh interpreter on ``code``; return its runs per second and processor ms per job."""
    folder = work / f"run-{label}-{run}"
    folder.mkdir()
    script = work / "measure.py"
    paths = [str(package_root), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    done = subprocess.run([sys.executable, str(script), str(code), str(folder), str(args.jobs), str(args.workers),
                           str(args.scale), str(args.replicates), "1" if args.common_random_numbers else "0"],
                          capture_output=True, text=True, env=env,
                          cwd=folder, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{label}: the measurement failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    shutil.rmtree(folder)
    rate = figures["jobs"] / figures["seconds"]
    cpu = figures["cpu_seconds"] / figures["jobs"] * 1e3
    print(f"  {label:>8}: {figures['jobs']} jobs in {figures['seconds']:6.2f} s = {rate:6.1f} runs/s "
          f"({cpu:5.2f} ms of processor time per job)", flush=True)
    return rate, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000, help="jobs of the batch (default 2000)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--scale", type=float, default=1.0, help="world.population_scale (default 1)")
    parser.add_argument("--replicates", type=int, default=20, help="replicates per design point (default 20)")
    parser.add_argument("--rounds", type=int, default=3, help="measurements of each version (default 3)")
    parser.add_argument("--against", metavar="REV", help="also measure git revision REV of this repository")
    parser.add_argument("--common-random-numbers", action="store_true",
                        help="run the batch with common_random_numbers: true (as parkabm compare and sensitivity do)")
    args = parser.parse_args()
    if args.jobs < args.replicates or args.jobs % args.replicates:
        parser.error(f"--jobs: {args.jobs} — allowed: a positive multiple of --replicates ({args.replicates})")
    against = None
    if args.against is not None:
        found = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--verify", "--quiet",
                                f"{args.against}^{{commit}}"], capture_output=True, text=True, check=False)
        if found.returncode != 0:
            parser.error(f"--against: {args.against} — allowed: a git revision of {REPO.name}")
        against = found.stdout.strip()

    work = Path(tempfile.mkdtemp(prefix="parkabm-throughput-"))
    try:
        (work / "measure.py").write_text(MEASURE, encoding="utf-8")
        versions = {"current": (shim(work / "shim-current", REPO), REPO)}
        if against is not None:
            code = export(against, work / "export")
            versions[against[:7]] = (shim(work / "shim-against", code), code)
        print(f"{args.jobs} jobs (baseline world, population_scale {args.scale:g}, 2021→2025, "
              f"{args.jobs // args.replicates} points × {args.replicates} replicates"
              f"{', common random numbers' if args.common_random_numbers else ''}) on {args.workers} workers; "
              f"{args.rounds} rounds", flush=True)
        figures: dict[str, list[tuple[float, float]]] = {label: [] for label in versions}
        for run in range(args.rounds):
            order = list(versions) if run % 2 == 0 else list(versions)[::-1]
            print(f"round {run + 1}", flush=True)
            for label in order:
                figures[label].append(measure(label, *versions[label], work, args, run))
        rate = {label: statistics.median(r for r, _ in values) for label, values in figures.items()}
        cpu = {label: statistics.median(c for _, c in values) for label, values in figures.items()}
        for label in versions:
            print(f"median {label:>8}: {rate[label]:6.1f} runs/s, {cpu[label]:5.2f} ms of processor time per job")
        if against is not None:
            old = against[:7]
            print(f"ratio current / {old}, runs per second: {rate['current'] / rate[old]:.2f}")
            print(f"ratio {old} / current, processor time per job: {cpu[old] / cpu['current']:.2f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
