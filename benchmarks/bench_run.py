"""Time one baseline run (2021→2025, full firm population) and print the median and the budget ratio.

Usage: ``python benchmarks/bench_run.py [--runs N] [--scale S] [--scenario NAME]``

The budgets (README, "Performance"): a median of at most 10 ms on one core of the project's machines for the
baseline world, and at most 0.15 s per simulated year for 10⁶ firms (``--scale 170`` gives about 10⁶ firms). Each run
draws its own parameters from the scenario's uncertainties (as a batch would); the world tables are cached after the
first run, as in a batch, and that first run is reported separately. The time spent in ``ParkModel.record`` (the
yearly tally and the records it appends) is also reported, and the engine's time without it (set-up + stepping −
record).
"""

from __future__ import annotations

import argparse
import statistics
import time

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
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    if args.scale != 1.0:
        scenario = apply_changes(scenario, {"world.population_scale": args.scale})
    world = load_world()
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
        model = ParkModel(scenario, rng=replicate_seed(0, r), world=world)
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
    print(f"scenario {args.scenario}, population_scale {args.scale}, {args.runs} runs, {years} years")
    print(f"firms per run (rows incl. entrants): median {statistics.median(firms):.0f}")
    print(f"set-up   median {statistics.median(init_ms):7.2f} ms")
    print(f"stepping median {statistics.median(step_ms):7.2f} ms  ({statistics.median(step_ms) / years:.2f} ms/year)")
    print(f"total    median {median:7.2f} ms  (p90 {statistics.quantiles(total_ms, n=10)[-1]:.2f} ms)")
    engine_ms = [t - r for t, r in zip(total_ms, record_ms, strict=True)]
    print(f"record   median {statistics.median(record_ms):7.2f} ms  (ParkModel.record, base year included)")
    print(f"engine   median {statistics.median(engine_ms):7.2f} ms  (set-up + stepping without record)")
    if args.scale == 1.0:
        print(f"budget {BUDGET_MS:.0f} ms: ratio median/budget = {median / BUDGET_MS:.2f}")
    per_million = statistics.median(step_ms) / years / 1e3 * 1e6 / statistics.median(firms)
    print(f"stepping cost per simulated year per 10^6 firms: {per_million:.2f} s "
          f"(budget {MILLION_BUDGET_S} s; ratio {per_million / MILLION_BUDGET_S:.2f})")


if __name__ == "__main__":
    main()
