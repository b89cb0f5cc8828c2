"""The projection (``parkabm run``): replicates of one scenario and the probability of meeting each target.

Written to the output folder:

- ``summary.json`` — scenario, seed, replicates, horizon, scope, per-metric yearly mean/p05/p50/p95, per target
  P(met) with a Wilson 95% interval and its source clause (or its status, ``not modelled`` or ``met at base year``,
  with the reason: such a target is never given a probability), and P(3万亿) under both output scopes
  (:func:`scope_probabilities`);
- ``yearly.parquet`` — one row per replicate × year, one column per metric;
- ``parks.parquet`` — one row per replicate × year × park;
- ``fan_total_output.<lang>.<fmt>`` and ``fan_leading_share.<lang>.<fmt>`` — fan charts with target lines and P(target).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from parkabm.experiments.execution.files import check_output_folder, staged_folder, write_parquet
from parkabm.model.outputs.targets import select_targets, target_probabilities, targets_met
from parkabm.model.simulate import simulate
from parkabm.scenarios.errors import UserInputError
from parkabm.scenarios.loader import load_scenario
from parkabm.scenarios.world import World, load_world

KIND = "projection"
"""The kind of result folder ``parkabm run`` writes, as its ownership marker records it."""

QUANTILES = {"p05": 0.05, "p50": 0.50, "p95": 0.95}
"""Quantiles reported per metric and year."""


@dataclass
class Replicates:
    """Outputs of many replicates of one scenario.

    Attributes:
        yearly: Citywide outputs with a ``replicate`` column.
        parks: Per-park outputs with a ``replicate`` column.
        parameters: One row per replicate with its behavioural parameter values.
    """

    yearly: pd.DataFrame
    parks: pd.DataFrame
    parameters: pd.DataFrame


def with_horizon(scenario, until: int | None):
    """Return the scenario with another horizon, checked against its base year and 2030.

    Raises:
        UserInputError: ``until`` is not after the base year or is after 2030.
    """
    if until is None:
        return scenario
    base = scenario.world.base_year
    if not base < until <= 2030:
        raise UserInputError(f"--until: {until} — allowed: a year from {base + 1} to 2030")
    return scenario.model_copy(update={"world": scenario.world.model_copy(update={"horizon": until})})


def run_replicates(scenario, *, reps: int, seed: int, world: World | None = None,
                   progress: bool = False) -> Replicates:
    """Run ``reps`` replicates, each with its own draw of the scenario's uncertain inputs.

    Args:
        scenario: A resolved scenario.
        reps: Number of replicates (≥ 1).
        seed: Master seed; replicate ``r`` uses ``SeedSequence(seed, spawn_key=(r,))``.
        world: World tables; the shipped world when omitted.
        progress: Show a progress bar.

    Returns:
        Every replicate's outputs, concatenated.
    """
    if reps < 1:
        raise UserInputError(f"--reps: {reps} — allowed: a whole number ≥ 1")
    world = world if world is not None else load_world()
    yearly, parks, params = [], [], []
    iterator = range(reps)
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(iterator, desc=scenario.name, unit="run", leave=False)
    for r in iterator:
        result = simulate(scenario, seed=seed, replicate=r, world=world)
        result.yearly.insert(0, "replicate", r)
        result.parks.insert(0, "replicate", r)
        yearly.append(result.yearly)
        parks.append(result.parks)
        params.append({"replicate": r, **result.parameters})
    return Replicates(pd.concat(yearly, ignore_index=True), pd.concat(parks, ignore_index=True),
                      pd.DataFrame(params))


def metric_quantiles(yearly: pd.DataFrame) -> dict:
    """Return ``{metric: {year: {"mean", "p05", "p50", "p95"}}}`` over replicates (NaN values ignored)."""
    metrics = [c for c in yearly.columns if c not in ("replicate", "year", "scenario", "job")]
    out: dict = {}
    for metric in metrics:
        per_year = {}
        for year, values in yearly.groupby("year")[metric]:
            v = values.to_numpy(dtype=float)
            v = v[~np.isnan(v)]
            if len(v) == 0:
                continue
            stats = {"mean": float(v.mean())}
            stats.update({k: float(np.quantile(v, q)) for k, q in QUANTILES.items()})
            per_year[str(int(year))] = stats
        out[metric] = per_year
    return out


SCOPE_METRICS = {"all_guishang": "total_output_yi", "industrial": "industrial_output_yi"}
"""The yearly column holding each scope's output. ``industrial_output_yi`` is the output of the 规上 industrial
firms in either scope, so the industrial-only P(3万亿) comes from the same replicates as the all-规上 one; the
all-规上 output exists only in runs of the all-规上 scope (an industrial-scope run simulates no service firm)."""


def scope_probabilities(yearly: pd.DataFrame, targets: pd.DataFrame, scope: str) -> list[dict]:
    """Return P(met) of the output target (``total_output_yi``) under both scopes, from the same replicates.

    Args:
        yearly: The replicates' yearly outputs.
        targets: The selected targets (:func:`~parkabm.model.outputs.targets.select_targets`).
        scope: The runs' scope (``world.scope``).

    Returns:
        One entry per scope of :data:`SCOPE_METRICS`: ``scope``, ``metric`` (the column compared), ``this_run``
        (whether it is the runs' own scope), ``target``, ``year``, ``p_met``, ``ci_low``, ``ci_high``, ``n`` and
        ``status`` (``modelled``, or ``not simulated`` for the all-规上 reading of an industrial-scope run, then
        without a probability). Empty when the output target is not modelled.
    """
    output = targets[targets["metric"] == "total_output_yi"]
    if not len(output):
        return []
    rows = []
    for name, column in SCOPE_METRICS.items():
        simulated = scope == "all_guishang" or name == "industrial"
        t = output.assign(metric=column)
        probability = target_probabilities(targets_met(yearly, t), t).iloc[0]
        rows.append({"scope": name, "metric": column, "this_run": name == scope,
                     "target": float(output["value"].iloc[0]),
                     "year": int(output["year"].iloc[0]),
                     "p_met": float(probability["p_met"]) if simulated else float("nan"),
                     "ci_low": float(probability["ci_low"]) if simulated else float("nan"),
                     "ci_high": float(probability["ci_high"]) if simulated else float("nan"),
                     "n": int(probability["n"]) if simulated else 0,
                     "status": probability["status"] if simulated else "not simulated"})
    return rows


def summarise(scenario, reps: Replicates, *, seed: int, world: World, variant: str = "2023") -> dict:
    """Build the content of ``summary.json`` (see the module docstring)."""
    targets = select_targets(world.targets, variant)
    met = targets_met(reps.yearly, targets)
    probabilities = target_probabilities(met, targets)
    return {
        "scenario": scenario.name,
        "seed": seed,
        "reps": int(reps.yearly["replicate"].nunique()),
        "until": int(scenario.world.horizon),
        "scope": scenario.world.scope,
        "variant": variant,
        "metrics": metric_quantiles(reps.yearly),
        "targets": [
            {"name": r.target, "name_en": r.name_en, "name_zh": r.name_zh, "metric": r.metric,
             "comparison": r.comparison, "target": r.target_value, "year": r.year, "p_met": r.p_met,
             "ci_low": r.ci_low, "ci_high": r.ci_high, "source": r.source, "status": r.status,
             "status_note": r.status_note}
            for r in probabilities.itertuples(index=False)
        ],
        "output_target_by_scope": scope_probabilities(reps.yearly, targets, scenario.world.scope),
    }


@dataclass
class Projection:
    """What ``parkabm run`` produced.

    Attributes:
        out: The output folder.
        summary: The content of ``summary.json``.
        replicates: The replicates' outputs.
        files: Every file written, by role.
    """

    out: Path
    summary: dict
    replicates: Replicates
    files: dict[str, Path]


def _json_default(value):
    if isinstance(value, float | np.floating) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(type(value))


def _clean(obj):
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    if isinstance(obj, float) and math.isnan(obj):
        return None
    return obj


def project(ref, *, reps: int = 100, seed: int = 0, until: int | None = None, out: str | Path | None = None,
            lang: str = "en", fmt: str = "png", progress: bool = False, world: World | None = None) -> Projection:
    """Run a scenario's replicates and write the projection files.

    The files are written to a staging folder beside ``out`` and swapped in at the end (see
    :func:`~parkabm.experiments.execution.files.staged_folder`), so a killed run leaves the old results or the new
    ones, never a mix. ``out`` is replaced only when parkabm wrote every file in it.

    Args:
        ref: Shipped scenario name or path to a scenario file.
        reps: Replicates.
        seed: Master seed.
        until: Horizon (default: the scenario's).
        out: Output folder (default ``results/<scenario>``).
        lang: Chart language, ``en`` or ``zh``.
        fmt: Chart format, ``png``, ``svg`` or ``pdf``.
        progress: Show a progress bar.
        world: World tables; the shipped world when omitted.

    Returns:
        The summary, the replicates and the paths written.
    """
    from parkabm.experiments import charts

    charts.check_language(lang)
    charts.check_format(fmt)
    scenario = with_horizon(load_scenario(ref), until)
    out = Path(out) if out is not None else Path("results") / scenario.name
    check_output_folder(out, kind=KIND)
    world = world if world is not None else load_world()
    reps_out = run_replicates(scenario, reps=reps, seed=seed, world=world, progress=progress)
    summary = summarise(scenario, reps_out, seed=seed, world=world)
    with staged_folder(out, kind=KIND) as staging:
        (staging / "summary.json").write_text(
            json.dumps(_clean(summary), ensure_ascii=False, indent=1, default=_json_default), encoding="utf-8")
        for name, frame in (("yearly", reps_out.yearly), ("parks", reps_out.parks),
                            ("parameters", reps_out.parameters)):  # with page checksums, read back verified
            write_parquet(staging / f"{name}.parquet", pa.Table.from_pandas(frame, preserve_index=False))
        chart_files = charts.projection_charts(reps_out.yearly, summary, staging, lang=lang, fmt=fmt)
    files = {"summary": out / "summary.json", "yearly": out / "yearly.parquet", "parks": out / "parks.parquet",
             "parameters": out / "parameters.parquet"}
    files.update({k: out / p.name for k, p in chart_files.items()})
    return Projection(out, summary, reps_out, files)
