"""Time the fast engine against the per-agent Mesa reference and check that their outcome distributions agree.

Usage: ``python benchmarks/bench_reference.py [--runs N] [--replicates N] [--scale S] [--seed S]``

The performance budget (README, "Performance"): the fast engine must be at least 50× faster than a plain per-agent
Mesa implementation of the same rules (``benchmarks/reference_per_agent.py``), checked against it for equal outcome
distributions.

Both engines run the scenario as it is, the 用能指标 energy-use quota included (on in the baseline).

1. Timing: baseline scenario, 2021→2025, median wall time of each engine (world tables cached, as in a batch; a
   reference run includes building the fast model it copies its base-year state from) and the ratio
   reference / fast. The engines take turns (ten fast runs, then a reference run), so both see the same machine.
   ``--kernels`` sets ``PARKABM_COMPILED`` for the fast engine: ``1`` (default) its compiled kernels, as a batch's
   workers run it; ``0`` its NumPy code.
2. Distributions: ``--replicates`` runs of each engine with the same replicate seeds and parameter draws
   (:func:`parkabm.model.simulate.replicate_seed`, :func:`parkabm.model.simulate.draw_parameters`); for each 2025
   outcome, the means and sds, a two-sample Kolmogorov–Smirnov p-value, and the mean paired difference relative to
   the fast engine's mean. The engines share each replicate's parameters and initial population, so the KS test is
   conservative; the paired difference is the sharper check.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from scipy.stats import ks_2samp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from reference_per_agent import ReferenceModel

from parkabm.model.city import ParkModel
from parkabm.model.simulate import draw_parameters, replicate_seed
from parkabm.scenarios.loader import apply_changes, load_scenario
from parkabm.scenarios.world import load_world

FAST_RUNS_PER_TURN = 10
"""Fast runs timed for each reference run."""

METRICS = ("total_output_yi", "leading_share", "tax_per_mu_wan", "firms_alive", "exits", "upgrades", "projects_signed",
           "service_entries", "class_d_share", "relocations", "fiscal_total_yi")
ALPHA = 0.01


def fast_engine(scenario, **kwargs) -> ParkModel:
    """Build the array engine as a batch runs it: without a Mesa DataCollector.

    The reference keeps none either; both engines' outcomes are read from the model's own records.
    """
    return ParkModel(scenario, mesa_datacollector=False, **kwargs)


def run_once(engine, scenario, world, seed: int, replicate: int) -> tuple[float, dict]:
    """Run one replicate; return its wall time in ms and its final-year outcomes."""
    parameters = draw_parameters(scenario, seed, replicate)
    t0 = time.perf_counter()
    model = engine(scenario, parameters=parameters, rng=replicate_seed(seed, replicate), world=world)
    model.run_model()
    elapsed = (time.perf_counter() - t0) * 1e3
    last = model.records[-1]
    return elapsed, {name: float(last[name]) for name in METRICS}


def time_engines(scenario, world, runs: int, seed: int, label: str) -> None:
    """Print the median run time of each engine and their ratio."""
    run_once(fast_engine, scenario, world, seed, 10_000)  # builds the cached world tables
    # The engines take turns (ten fast runs, then one reference run), so a slow spell of a shared machine falls on
    # both, while each engine's median is that of runs following its own (as in a batch, where a process runs one
    # engine over and over): a fast run right after a reference run pays for the caches the reference filled.
    per_turn = FAST_RUNS_PER_TURN
    fast, ref = [], []
    for r in range(runs):
        fast += [run_once(fast_engine, scenario, world, seed, r * per_turn + k)[0] for k in range(per_turn)]
        ref.append(run_once(ReferenceModel, scenario, world, seed, r)[0])
    f, r = statistics.median(fast), statistics.median(ref)
    from parkabm.model import kernels

    print(f"{label}: fast median {f:8.1f} ms ({len(fast)} runs, compiled kernels "
          f"{'on' if kernels.enabled() else 'off'}), reference median {r:8.1f} ms ({len(ref)} runs), "
          f"ratio reference/fast {r / f:5.1f}x (budget >= 50x)")


def compare(scenario, world, replicates: int, seed: int) -> bool:
    """Print the outcome distributions of both engines; return whether every metric agrees."""
    out = {}
    for engine in (fast_engine, ReferenceModel):
        rows = [run_once(engine, scenario, world, seed, r)[1] for r in range(replicates)]
        out[engine] = {m: np.array([row[m] for row in rows]) for m in METRICS}
    year = scenario.world.horizon
    print(f"\n{year} outcomes, {replicates} replicates per engine (same seeds and parameter draws)")
    print(f"{'metric':<18}{'fast mean':>12}{'fast sd':>10}{'ref mean':>12}{'ref sd':>10}"
          f"{'paired diff':>13}{'KS p':>8}  agree")
    ok = True
    for m in METRICS:
        a, b = out[fast_engine][m], out[ReferenceModel][m]
        p = ks_2samp(a, b).pvalue
        diff = (b - a).mean() / abs(a.mean()) if a.mean() else float("nan")
        agree = p > ALPHA
        ok &= agree
        print(f"{m:<18}{a.mean():12.3f}{a.std(ddof=1):10.3f}{b.mean():12.3f}{b.std(ddof=1):10.3f}"
              f"{diff:+12.2%}{p:8.3f}  {'yes' if agree else 'NO'}")
    print(f"distributions agree (every KS p > {ALPHA}): {'yes' if ok else 'NO'}")
    return ok


def main() -> None:
    """Run the timing and the distribution check."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="timed runs of the reference (fast: at least 10)")
    parser.add_argument("--replicates", type=int, default=40)
    parser.add_argument("--scale", type=float, default=1.0, help="world.population_scale")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scenario", default="baseline")
    parser.add_argument("--kernels", choices=("1", "0", "auto"), default="1",
                        help="PARKABM_COMPILED for the fast engine: compiled kernels on (1, default), off (0) or auto")
    args = parser.parse_args()
    os.environ["PARKABM_COMPILED"] = args.kernels  # read when the first model is built
    scenario = load_scenario(args.scenario)
    if args.scale != 1.0:
        scenario = apply_changes(scenario, {"world.population_scale": args.scale})
    world = load_world()
    w = scenario.world
    time_engines(scenario, world, args.runs, args.seed,
                 f"{args.scenario} {w.base_year}->{w.horizon}, population_scale {args.scale}")
    compare(scenario, world, args.replicates, args.seed)


if __name__ == "__main__":
    main()
