"""Time one baseline run (2021→2025, full firm population) and print the median and the budget ratio.

Usage: ``python benchmarks/bench_run.py [--runs N] [--scale S] [--scenario NAME] [--kernels 1|0|auto]
[--threads N] [--against REV [--rounds N]]``

The budgets (README, "Performance"): a median of at most 10 ms on one core of the project's machines for the
baseline world, and at most 0.15 s per simulated year for 10⁶ firms (``--scale 170`` gives about 10⁶ firms). Each run
draws its own parameters from the scenario's uncertainties (as a batch would); the world tables are cached after the
first run, as in a batch, and that first run is reported separately. A run is built as ``parkabm run`` and batches
build it (:func:`parkabm.model.simulate.run_model`: no Mesa ``DataCollector``; ``--datacollector`` adds one, as a
model built with ``ParkModel(...)`` alone has; a revision without that choice always had one). The time spent in
``ParkModel.record`` (the yearly tally and the records it appends) is also reported, and the engine's time without
it (set-up + stepping − record).

``--rules`` then times each rule of the year in as many further runs (its median time per run, all years together,
and its share of the rules' total): where a run's time goes, rule by rule.

``--kernels`` sets ``PARKABM_COMPILED`` for the runs (:mod:`parkabm.model.kernels`): ``1`` (the default here) runs
the compiled kernels from the first run on, as a batch's workers do once they have stepped 10⁷ firm-years; ``0``
the NumPy code, as a single run does; ``auto`` leaves the choice to the process. ``--threads`` sets
``PARKABM_THREADS`` (:mod:`parkabm.model.threads`): how many threads a pass over at least 200,000 firms may use
(unset: the cores available), so ``--scale 170 --threads 1`` measures a 10⁶-firm run on one core.

With ``--against REV`` the same measurement runs, in fresh interpreters taking turns, on this checkout and on git
revision REV (exported with ``git archive`` and imported through a package of links, as
``bench_batch_throughput.py`` does), for ``--rounds`` rounds; it prints each version's medians and their ratios.
On a shared machine whose speed drifts from minute to minute, these ratios are the figures to compare, not absolute
times from different moments.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from parkabm.model.city import ParkModel
from parkabm.model.simulate import replicate_seed
from parkabm.scenarios.loader import apply_changes, load_scenario
from parkabm.scenarios.world import load_world

BUDGET_MS = 10.0
MILLION_BUDGET_S = 0.15


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--scale", type=float, default=1.0, help="world.population_scale")
    parser.add_argument("--scenario", default="baseline")
    parser.add_argument("--against", metavar="REV", help="also measure git revision REV, in turns with this checkout")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the comparison with --against")
    parser.add_argument("--datacollector", action="store_true", help="keep Mesa's DataCollector in every run")
    parser.add_argument("--kernels", choices=("1", "0", "auto"), default="1",
                        help="PARKABM_COMPILED for the runs: compiled kernels on (1, default), off (0) or auto")
    parser.add_argument("--threads", type=int, metavar="N",
                        help="PARKABM_THREADS for the runs: threads of a long pass (default: the cores available)")
    parser.add_argument("--rules", action="store_true", help="then time each rule of the year (this checkout only)")
    parser.add_argument("--json", metavar="CODE", help=argparse.SUPPRESS)  # one measurement, of the code in CODE
    args = parser.parse_args()
    os.environ["PARKABM_COMPILED"] = args.kernels  # read when the first model is built (and by subprocesses)
    if args.threads is not None:
        os.environ["PARKABM_THREADS"] = str(args.threads)  # read by the first long pass (and by subprocesses)
    if args.against:
        compare(args)
        return
    figures = measure(args)
    if args.json:
        print(json.dumps(figures))
    elif args.rules:
        time_rules(args)


def measure(args: argparse.Namespace) -> dict[str, float]:
    """Time ``args.runs`` runs in this process, print the figures (unless ``--json``) and return the medians."""
    if args.json:
        import parkabm.model

        source = Path(parkabm.model.__file__).resolve()
        if Path(args.json).resolve() not in source.parents:
            sys.exit(f"parkabm.model was imported from {source}, not from {args.json}")
    scenario = load_scenario(args.scenario)
    if args.scale != 1.0:
        scenario = apply_changes(scenario, {"world.population_scale": args.scale})
    world = load_world()
    # Headless as parkabm run and batches build it, where the model has the choice (older revisions always collect).
    headless = ({"mesa_datacollector": False} if not args.datacollector
                and "mesa_datacollector" in inspect.signature(ParkModel.__init__).parameters else {})
    recording = [0.0]
    record = ParkModel.record

    def timed_record(model: ParkModel) -> None:
        start = time.perf_counter()
        record(model)
        recording[0] += time.perf_counter() - start

    ParkModel.record = timed_record  # type: ignore[method-assign]
    init_ms, step_ms, total_ms, record_ms, firms = [], [], [], [], []
    for r in range(args.runs + 1):
        recording[0] = 0.0
        t0 = time.perf_counter()
        model = ParkModel(scenario, rng=replicate_seed(0, r), world=world, **headless)
        t1 = time.perf_counter()
        model.run_model()
        t2 = time.perf_counter()
        if r == 0:
            print(f"first run (builds the cached world tables): {(t2 - t0) * 1e3:.1f} ms")
            continue
        init_ms.append((t1 - t0) * 1e3)
        step_ms.append((t2 - t1) * 1e3)
        total_ms.append((t2 - t0) * 1e3)
        record_ms.append(recording[0] * 1e3)
        firms.append(model.firms.n)
    years = scenario.world.horizon - scenario.world.base_year
    median = statistics.median(total_ms)
    engine_ms = [t - r for t, r in zip(total_ms, record_ms, strict=True)]
    per_million = statistics.median(step_ms) / years / 1e3 * 1e6 / statistics.median(firms)
    figures = {"total_ms": median, "engine_ms": statistics.median(engine_ms), "per_million_s": per_million}
    if args.json:
        return figures
    print(f"scenario {args.scenario}, population_scale {args.scale}, {args.runs} runs, {years} years, "
          f"compiled kernels {'on' if kernels_on() else 'off'} (PARKABM_COMPILED={args.kernels}), {pass_threads()}")
    print(f"firms per run (rows incl. entrants): median {statistics.median(firms):.0f}")
    print(f"set-up   median {statistics.median(init_ms):7.2f} ms")
    print(f"stepping median {statistics.median(step_ms):7.2f} ms  ({statistics.median(step_ms) / years:.2f} ms/year)")
    p90 = f"  (p90 {statistics.quantiles(total_ms, n=10)[-1]:.2f} ms)" if len(total_ms) > 1 else ""
    print(f"total    median {median:7.2f} ms{p90}")
    print(f"record   median {statistics.median(record_ms):7.2f} ms  (ParkModel.record, base year included)")
    print(f"engine   median {statistics.median(engine_ms):7.2f} ms  (set-up + stepping without record)")
    if args.scale == 1.0:
        print(f"budget {BUDGET_MS:.0f} ms: ratio median/budget = {median / BUDGET_MS:.2f}")
    print(f"stepping cost per simulated year per 10^6 firms: {per_million:.2f} s "
          f"(budget {MILLION_BUDGET_S} s; ratio {per_million / MILLION_BUDGET_S:.2f})")
    return figures


def time_rules(args: argparse.Namespace) -> None:
    """Run ``args.runs`` more runs with every rule of the year timed; print each rule's median time per run.

    The rules of :data:`parkabm.model.schedule.PHASES` are wrapped (keeping their names, which choose their random
    streams) for these runs only; the phases run at set-up are not timed here.
    """
    import dataclasses
    import functools

    import parkabm.model.city as city

    scenario = load_scenario(args.scenario)
    if args.scale != 1.0:
        scenario = apply_changes(scenario, {"world.population_scale": args.scale})
    world = load_world()
    spent: dict[str, float] = {}

    def timed(rule):
        @functools.wraps(rule)
        def run_rule(model: ParkModel) -> None:
            start = time.perf_counter()
            rule(model)
            spent[rule.__name__] = spent.get(rule.__name__, 0.0) + time.perf_counter() - start
        return run_rule

    phases = city.PHASES
    city.PHASES = tuple(dataclasses.replace(phase, rules=tuple(timed(rule) for rule in phase.rules))
                        for phase in phases)
    per_run: dict[str, list[float]] = {}
    try:
        for r in range(args.runs):
            spent.clear()
            ParkModel(scenario, rng=replicate_seed(1, r), world=world, mesa_datacollector=False).run_model()
            for name, seconds in spent.items():
                per_run.setdefault(name, []).append(seconds * 1e3)
    finally:
        city.PHASES = phases
    medians = {name: statistics.median(values) for name, values in per_run.items()}
    total = sum(medians.values())
    print(f"rules of the year, {args.runs} runs (median ms per run, all years; share of their sum {total:.2f} ms):")
    for name, ms in sorted(medians.items(), key=lambda item: -item[1]):
        print(f"  {name:<32} {ms:7.3f} ms  {ms / total:6.1%}")


def pass_threads() -> str:
    """How many threads a long pass may use, as printed (a revision without :mod:`parkabm.model.threads`: one)."""
    try:
        from parkabm.model import threads
    except ImportError:
        return "passes on one thread"
    return f"passes over ≥ {threads.MIN_ROWS:,} rows on {threads.threads()} thread(s) (PARKABM_THREADS)"


def kernels_on() -> bool:
    """Whether the last run used the compiled kernels (False for a revision without them)."""
    try:
        from parkabm.model import kernels
    except ImportError:
        return False
    return kernels.enabled()


def compare(args: argparse.Namespace) -> None:
    """Measure this checkout and revision ``args.against`` in turns, in fresh interpreters; print medians and ratios."""
    from bench_batch_throughput import REPO, export, shim

    with tempfile.TemporaryDirectory(prefix="parkabm-bench-run-") as tmp:
        work = Path(tmp)
        versions = {"current": (shim(work / "current", REPO), REPO)}
        code = export(args.against, work / "code")
        versions[args.against] = (shim(work / "against", code), code)
        figures: dict[str, list[dict[str, float]]] = {label: [] for label in versions}
        print(f"{args.scenario}, population_scale {args.scale}, {args.runs} runs a measurement, {args.rounds} rounds, "
              f"PARKABM_COMPILED={args.kernels} (a revision without kernels ignores it)")
        for round_no in range(args.rounds):
            order = list(versions) if round_no % 2 == 0 else list(reversed(versions))
            for label in order:
                root, source = versions[label]
                paths = [str(root), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
                done = subprocess.run(
                    [sys.executable, __file__, "--runs", str(args.runs), "--scale", str(args.scale),
                     "--scenario", args.scenario, "--kernels", args.kernels, "--json", str(source),
                     *(["--datacollector"] if args.datacollector else [])],
                    capture_output=True, text=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(paths)},
                    cwd=work, check=False)
                if done.returncode != 0:
                    raise SystemExit(f"{label}: the measurement failed (exit {done.returncode}):\n"
                                     f"{done.stderr[-3000:]}")
                result = json.loads(done.stdout.strip().splitlines()[-1])
                figures[label].append(result)
                print(f"  round {round_no + 1} {label:>8}: total {result['total_ms']:7.2f} ms, engine "
                      f"{result['engine_ms']:7.2f} ms, stepping {result['per_million_s']:.3f} s per year per 10^6 "
                      f"firms", flush=True)
        medians = {label: {key: statistics.median(f[key] for f in runs) for key in runs[0]}
                   for label, runs in figures.items()}
        for label, m in medians.items():
            print(f"median {label:>8}: total {m['total_ms']:7.2f} ms, engine {m['engine_ms']:7.2f} ms, "
                  f"stepping {m['per_million_s']:.3f} s per year per 10^6 firms")
        now, before = medians["current"], medians[args.against]
        print(f"ratio {args.against} / current, total: {before['total_ms'] / now['total_ms']:.2f}")
        print(f"ratio {args.against} / current, stepping per 10^6 firms: "
              f"{before['per_million_s'] / now['per_million_s']:.2f}")


if __name__ == "__main__":
    main()
