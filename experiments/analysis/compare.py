"""Compare scenarios side by side (``parkabm compare``): P(target met) with Wilson intervals and outcome ranges.

A comparison is an experiment built in code — the scenarios × replicates, no factors — run through the same runner
and results store as any batch (so it streams to disk, can be resumed, and runs on any executor). Written to its
results folder besides the store:

- ``comparison.csv`` — the tidy table of :func:`comparison_table`;
- ``comparison.<lang>.png`` — :func:`parkabm.experiments.charts.comparison_chart`: P(met) of the headline targets per
  scenario, and each scenario's distribution of zone output in the comparison year.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from parkabm.experiments.design.spec import Experiment, resolve_spec
from parkabm.experiments.execution.runner import BatchResult, run_batch
from parkabm.experiments.execution.store import load_results, summarise_results
from parkabm.model.outputs.targets import headline_targets
from parkabm.scenarios.errors import UserInputError

OUTCOME_METRICS = ("total_output_yi", "leading_share", "tax_per_mu_wan", "fiscal_total_yi", "exits")
"""Outputs whose distribution in the comparison year the table reports."""

COMPARISON_YEAR = headline_targets()["total_output_yi"].year
"""Year of the outcome distributions (the plans' target year); the runs' last year when they stop earlier."""

QUANTILES = {"p05": 0.05, "p25": 0.25, "p50": 0.50, "p75": 0.75, "p95": 0.95}

COLUMNS = ["scenario", "kind", "name", "name_en", "name_zh", "metric", "year", "p_met", "ci_low", "ci_high", "n",
           "mean", "p05", "p25", "p50", "p75", "p95", "comparison", "target_value", "source", "status", "status_note",
           "scope"]
"""Columns of the comparison table, in order."""


def comparison_experiment(scenarios: Sequence[str], *, reps: int = 100, seed: int = 0) -> Experiment:
    """Build the experiment of a comparison: every scenario, ``reps`` replicates each, no factors.

    Args:
        scenarios: Shipped scenario names or paths to scenario files (relative to the working folder).
        reps: Replicates per scenario.
        seed: Master seed.

    Returns:
        The validated experiment, named ``compare``.

    Raises:
        UserInputError: An unknown or invalid scenario, or a bad number of replicates.
    """
    if not scenarios:
        raise UserInputError("SCENARIO: (none given) — allowed: one or more shipped scenario names or paths")
    data = {"name": "compare", "description": "Scenarios side by side: " + ", ".join(scenarios),
            "scenarios": list(scenarios), "replicates": reps, "seed": seed, "common_random_numbers": True}
    return resolve_spec(data, source="compare", base_dir=Path.cwd())


def default_out(experiment: Experiment) -> Path:
    """Return ``results/compare-<scenario>-<scenario>…`` (shortened with a hash when very long)."""
    name = "compare-" + "-".join(experiment.scenarios)
    if len(name) > 80:
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
        name = name[:70] + "-" + digest
    return Path("results") / name


def comparison_table(out: str | Path, *, variant: str = "2023", year: int | None = None) -> pd.DataFrame:
    """Summarise a comparison's results folder into one tidy table.

    Args:
        out: The results folder.
        variant: Which text's targets (``2023``, ``2022_jul``, ``2022_may``).
        year: Year of the outcome distributions; 2025, or the runs' last year if they stop earlier.

    Returns:
        One row per scenario × target (``kind == "target"``: ``p_met``, ``ci_low``, ``ci_high`` — the Wilson
        95% interval — ``n`` and the target's ``comparison``, ``target_value``, ``year`` and ``source``) and per
        scenario × outcome of :data:`OUTCOME_METRICS` (``kind == "metric"``: ``mean`` and ``p05`` … ``p95`` over
        the replicates in ``year``, ``n`` replicates). Columns as in :data:`COLUMNS`; scenarios in their order.
        ``status`` is ``modelled``, ``not modelled`` or ``met at base year`` (targets.csv; the last two without a
        probability, ``status_note`` giving the reason), and ``scope`` the output scope of the scenario's runs
        (:func:`run_scope`), which every P(met) depends on.
    """
    targets = summarise_results(out, variant)
    targets = targets.assign(kind="target", name=targets["target"])
    yearly = load_results(out, metrics=[*OUTCOME_METRICS, "industrial_output_yi"])
    order = list(dict.fromkeys(yearly["scenario"])) if len(yearly) else list(dict.fromkeys(targets["scenario"]))
    rows = []
    if len(yearly):
        last = int(yearly.groupby("scenario")["year"].max().min())
        at = year if year is not None else min(COMPARISON_YEAR, last)
        for scenario, group in yearly[yearly["year"] == at].groupby("scenario", sort=False):
            for metric in OUTCOME_METRICS:
                values = group[metric].to_numpy(dtype=float)
                values = values[~np.isnan(values)]
                stats = {k: float(np.quantile(values, q)) if len(values) else math.nan for k, q in QUANTILES.items()}
                rows.append({"scenario": scenario, "kind": "metric", "name": metric, "metric": metric, "year": at,
                             "n": len(values), "mean": float(values.mean()) if len(values) else math.nan, **stats})
    table = pd.concat([targets, pd.DataFrame(rows)], ignore_index=True)
    scopes = run_scope(yearly)
    table["scope"] = table["scenario"].map(scopes)
    table["status_note"] = table["status_note"].replace("", math.nan)  # as comparison.csv reads back
    table = table.reindex(columns=COLUMNS)
    table["scenario"] = pd.Categorical(table["scenario"], categories=order, ordered=True)
    table = table.sort_values(["scenario", "kind"], ascending=[True, False], kind="stable", ignore_index=True)
    table["scenario"] = table["scenario"].astype(str)
    table["n"] = table["n"].astype("int64")
    return table


def run_scope(yearly: pd.DataFrame) -> dict[str, str]:
    """Return each scenario's output scope, read from its runs: ``industrial`` when total output is industrial output.

    A run of the all-规上 scope simulates 规上 service firms, so its total output exceeds its industrial output; a
    run of the industrial scope has none (``world.scope``, docs/ODD.md §2).
    """
    if not len(yearly) or "industrial_output_yi" not in yearly.columns:
        return {}
    services = (yearly["total_output_yi"] - yearly["industrial_output_yi"]).abs() > 1e-6 * yearly["total_output_yi"]
    return {str(k): "all_guishang" if bool(v) else "industrial"
            for k, v in services.groupby(yearly["scenario"], sort=False).any().items()}


@dataclass
class Comparison:
    """What a comparison produced.

    Attributes:
        batch: The batch's counts and folder.
        table: The comparison table (:func:`comparison_table`).
        files: ``comparison.csv`` and ``comparison.png`` by role.
    """

    batch: BatchResult
    table: pd.DataFrame
    files: dict[str, Path]


def run_comparison(scenarios: Sequence[str], *, reps: int = 100, seed: int = 0, out: str | Path | None = None,
                   executor=None, lang: str = "en", variant: str = "2023", progress: bool = False) -> Comparison:
    """Run a comparison and write its table and chart.

    Args:
        scenarios: Shipped scenario names or paths to scenario files.
        reps: Replicates per scenario.
        seed: Master seed.
        out: Results folder (default :func:`default_out`); an existing folder of the same comparison is resumed.
        executor: An entered executor; a local process pool when omitted (see
            :func:`~parkabm.experiments.execution.runner.run_batch`).
        lang: Chart language, ``en`` or ``zh``.
        variant: Which text's targets.
        progress: Show a progress bar.

    Returns:
        The batch, the table and the files written.

    Raises:
        UserInputError: A bad scenario, language or results folder.
    """
    import matplotlib as mpl

    from parkabm.experiments import charts

    style = charts.chart_rc(lang)  # fails before running when no font can draw the labels
    experiment = comparison_experiment(scenarios, reps=reps, seed=seed)
    out = Path(out) if out is not None else default_out(experiment)
    batch = run_batch(experiment, out, executor=executor, progress=progress)
    table = comparison_table(out, variant=variant)
    files = {"table": out / "comparison.csv", "chart": out / charts.chart_file("comparison", lang, "png")}
    table.to_csv(files["table"], index=False, encoding="utf-8")
    with mpl.rc_context(style):
        fig, axes = charts.new_figure((10.0, 3.8), ncols=2, width_ratios=(1.15, 1.0))
        fig.set_layout_engine("constrained")
        charts.comparison_chart(table, ax=axes, lang=lang)
        charts.save_figure(fig, files["chart"], "png")
    return Comparison(batch, table, files)


def compare(scenarios: Sequence[str], *, reps: int = 100, seed: int = 0, out: str | Path | None = None,
            workers: int | None = None, scheduler: str | None = None, dask_local: int | None = None,
            lang: str = "en", variant: str = "2023", progress: bool = True) -> pd.DataFrame:
    """Compare scenarios (for notebooks): run them, write comparison.csv and comparison.<lang>.png, return the table.

    Args:
        scenarios: Shipped scenario names or paths to scenario files.
        reps: Replicates per scenario.
        seed: Master seed.
        out: Results folder (default ``results/compare-<scenarios>``).
        workers: Local worker processes (1: in this process); all CPUs by default.
        scheduler: Address of a Dask scheduler instead.
        dask_local: Worker processes of a Dask local cluster instead.
        lang: Chart language.
        variant: Which text's targets.
        progress: Show a progress bar.

    Returns:
        The comparison table (:func:`comparison_table`).
    """
    from parkabm.experiments.execution.executors import make_executor

    with make_executor(workers=workers, scheduler=scheduler, dask_local=dask_local) as executor:
        return run_comparison(scenarios, reps=reps, seed=seed, out=out, executor=executor, lang=lang,
                              variant=variant, progress=progress).table
