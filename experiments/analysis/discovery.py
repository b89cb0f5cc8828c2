"""Scenario discovery with PRIM (the EMA Workbench's implementation): which ranges make the targets likely.

PRIM peels the factor space toward the region where the class of interest ("both headline targets met") is dense.
Each step of the peeling trajectory trades coverage (the share of all successes inside the box) for density (the
share of runs inside the box that succeed). :func:`find_box` returns the trajectory, the chosen box with its
ranges and quasi-p-values (how likely a restriction is to be noise), and a plain-language summary.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from parkabm.model.outputs.targets import headline_targets
from parkabm.scenarios.errors import UserInputError

DEFAULT_THRESHOLD = 0.8
"""Density the chosen box should reach (the share of its runs that succeed)."""

ACCEPT_ANY = 1e-9
"""Threshold handed to the EMA Workbench's PRIM (see :func:`find_box`)."""

QP_SIGNIFICANT = 0.05
"""Restrictions with a quasi-p-value above this are flagged as possibly noise."""


@dataclass
class DiscoveryResult:
    """A PRIM analysis.

    Attributes:
        trajectory: One row per box on the peeling trajectory: ``box``, ``coverage``, ``density``, ``mass``,
            ``res_dim`` (number of restricted factors).
        box: The chosen box: one row per factor with ``min``, ``max``, ``restricted`` (narrower than the data),
            ``qp_low``/``qp_high`` (quasi-p-values of the lower and upper restriction; NaN when not restricted).
        chosen: Index of the chosen box on the trajectory.
        stats: Coverage, density, mass and restricted dimensions of the chosen box, and the base rate.
        summary: A plain-language sentence describing the box.
    """

    trajectory: pd.DataFrame
    box: pd.DataFrame
    chosen: int
    stats: dict
    summary: str


def _prim():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            from ema_workbench.analysis import prim
        except ImportError as exc:  # pragma: no cover - exercised only without the extra
            raise UserInputError(
                "scenario discovery needs the EMA Workbench — allowed: install the extra with "
                "`pip install 'parkabm[discovery]'`") from exc
    return prim


def choose_box(trajectory: pd.DataFrame, *, min_density: float) -> int:
    """Return the box with the most coverage among those at least ``min_density`` dense (else the densest).

    Coverage and density trade off along the trajectory; a researcher usually wants the widest box that is still
    "likely" in the sense of ``min_density``.
    """
    dense = trajectory[trajectory["density"] >= min_density]
    if len(dense):
        return int(dense.sort_values(["coverage", "density"], ascending=False).index[0])
    return int(trajectory["density"].idxmax())


def find_box(x: pd.DataFrame, y: np.ndarray, *, threshold: float = DEFAULT_THRESHOLD, min_density: float | None = None,
             peel_alpha: float = 0.05, mass_min: float = 0.05, labels: dict[str, str] | None = None,
             what: str = "the targets are met", prune: bool = True) -> DiscoveryResult:
    """Run PRIM on factor values ``x`` and a boolean outcome ``y``.

    Args:
        x: One row per run, one numeric column per factor (levers and uncertainties).
        y: Whether the run belongs to the class of interest (e.g. both headline targets met).
        threshold: Density the chosen box should reach: the box with most coverage among those this dense, else the
            densest box of the trajectory.
        min_density: Overrides ``threshold`` for the choice (kept for callers that name it so).
        peel_alpha: Share of runs peeled per step.
        mass_min: Smallest share of runs a box may hold.
        labels: Readable names of factors for the summary.
        what: What the class means, for the summary.
        prune: Drop the chosen box's restrictions whose quasi-p-value exceeds :data:`QP_SIGNIFICANT` (each drop
            is appended to the trajectory; the reported box is the pruned one), so the box keeps only
            restrictions unlikely to be noise.

    Returns:
        The trajectory, the chosen box and its summary.

    Raises:
        UserInputError: No run, or no run (or every run) in the class — PRIM has nothing to separate.
    """
    y = np.asarray(y, dtype=bool)
    if len(x) == 0 or len(x) != len(y):
        raise UserInputError(f"discover: {len(x)} runs with {len(y)} outcomes — allowed: one outcome per run, ≥ 1 run")
    if y.all() or not y.any():
        share = "every" if y.all() else "no"
        raise UserInputError(
            f"discover: {share} run has {what} ({int(y.sum())} of {len(y)}) — allowed: a batch where some runs "
            "succeed and some do not (widen the factor ranges or change the targets)")
    prim = _prim()
    x = x.reset_index(drop=True).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # The EMA Workbench's threshold does two things: runs with y ≥ threshold are the cases of interest, and the
        # peeled box is kept (with its trajectory) only if its density reaches it — otherwise a "dump box" with no
        # trajectory is returned. A threshold just above 0 counts exactly the successes and keeps every trajectory;
        # the box is then chosen on the trajectory by density (choose_box), even when none reaches the wanted one.
        algorithm = prim.Prim(x, y.astype(float), threshold=ACCEPT_ANY, peel_alpha=peel_alpha, mass_min=mass_min)
        box = algorithm.find_box()
    trajectory = box.peeling_trajectory[["coverage", "density", "mass", "res_dim"]].copy()
    chosen = choose_box(trajectory, min_density=threshold if min_density is None else min_density)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats, limits = box.inspect(chosen, style="data")[0]
        if prune:
            box.select(chosen)
            weak = [name for name, row in limits.droplevel(0, axis=1).iterrows()
                    if np.nanmax(np.append(row.to_numpy(dtype=float)[2:], -1.0)) > QP_SIGNIFICANT]
            for name in weak:
                box.drop_restriction(name)
            if weak:
                chosen = len(box.peeling_trajectory) - 1
                stats, limits = box.inspect(chosen, style="data")[0]
                trajectory = box.peeling_trajectory[["coverage", "density", "mass", "res_dim"]].copy()
    trajectory.insert(0, "box", range(len(trajectory)))
    table = _box_table(x, limits)
    stats = {k: float(stats[k]) for k in ("coverage", "density", "mass", "res_dim")}
    stats["base_rate"] = float(y.mean())
    stats["runs"] = len(y)
    return DiscoveryResult(trajectory.reset_index(drop=True), table, chosen, stats,
                           describe_box(table, stats, labels=labels, what=what))


def _box_table(x: pd.DataFrame, limits: pd.DataFrame) -> pd.DataFrame:
    limits = limits.droplevel(0, axis=1)
    values = limits.to_numpy()
    rows = []
    for factor in x.columns:
        low, high = (values[limits.index.get_loc(factor), :2] if factor in limits.index
                     else (x[factor].min(), x[factor].max()))
        qp = values[limits.index.get_loc(factor), 2:] if factor in limits.index else (np.nan, np.nan)
        restricted = bool(low > x[factor].min() + 1e-12 or high < x[factor].max() - 1e-12)
        rows.append({"factor": factor, "min": float(low), "max": float(high), "data_min": float(x[factor].min()),
                     "data_max": float(x[factor].max()), "restricted": restricted,
                     "qp_low": float(qp[0]), "qp_high": float(qp[1])})
    table = pd.DataFrame(rows)
    return table.sort_values(["restricted", "factor"], ascending=[False, True], ignore_index=True)


def _number(value: float) -> str:
    """Format a box limit for people: thousands with separators, small numbers with three significant digits."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def describe_box(box: pd.DataFrame, stats: dict, *, labels: dict[str, str] | None = None,
                 what: str = "the targets are met") -> str:
    """Say in one sentence what the box means.

    Example: "Inside this box the targets are met in 83% of runs (against 21% overall) and it holds 64% of all runs
    that meet them: redevelopment ≥ 14,200; focus ≥ 0.71."
    """
    labels = labels or {}
    parts = []
    for row in box[box["restricted"]].itertuples(index=False):
        name = labels.get(row.factor, row.factor)
        low_cut = row.min > row.data_min + 1e-12
        high_cut = row.max < row.data_max - 1e-12
        if low_cut and high_cut:
            text = f"{name} between {_number(row.min)} and {_number(row.max)}"
        elif low_cut:
            text = f"{name} ≥ {_number(row.min)}"
        else:
            text = f"{name} ≤ {_number(row.max)}"
        qps = [q for q, cut in ((row.qp_low, low_cut), (row.qp_high, high_cut)) if cut and not np.isnan(q)]
        if qps and max(qps) > QP_SIGNIFICANT:
            text += f" (weak: quasi-p {max(qps):.2f})"
        parts.append(text)
    where = "; ".join(parts) if parts else ("no restriction survived pruning, so the box is the whole sampled "
                                            "space (more runs may find one)")
    return (f"Inside this box {what} in {stats['density']:.0%} of runs (against {stats['base_rate']:.0%} overall) "
            f"and it holds {stats['coverage']:.0%} of all runs where they are: {where}.")


CLASSES = ("both", "output", "leading")
"""Classes of interest: which headline targets a run must meet in the target year."""


def class_description(which: str) -> str:
    """Return the plain-language class ``which`` with the targets' values from ``targets.csv``."""
    head = headline_targets()
    output, leading = head["total_output_yi"], head["leading_share"]
    texts = {
        "output": f"the output target ({output.comparison} {output.value:,.0f}亿元 in {output.year}) is met",
        "leading": f"the leading-share target ({leading.comparison} {leading.value:.0%} in {leading.year}) is met",
    }
    texts["both"] = "both headline targets are met"
    return texts[which]


@dataclass
class Discovery:
    """Scenario discovery on a batch.

    Attributes:
        out: The results folder of the batch.
        results: One :class:`DiscoveryResult` per scenario of the batch.
        year: The year the targets were read in.
        files: Files written, by role.
    """

    out: object
    results: dict[str, DiscoveryResult]
    year: int
    files: dict[str, object]


def run_class(results: pd.DataFrame, which: str, year: int) -> pd.DataFrame:
    """Return, per job of ``results`` in ``year``, whether it belongs to the class ``which`` (see :data:`CLASSES`)."""
    from parkabm.experiments.analysis.sensitivity.analysis import run_outputs

    runs = run_outputs(results, year)
    column = {"both": "p_both_targets", "output": "p_output_target", "leading": "p_leading_target"}[which]
    return runs.assign(success=runs[column] > 0.5)


def discover(ref, *, out=None, target: str = "both", threshold: float = DEFAULT_THRESHOLD,
             min_density: float | None = None, executor=None, lang: str = "en", progress: bool = True) -> Discovery:
    """Find the lever and uncertainty ranges in which the targets are met, with PRIM.

    Args:
        ref: A results folder of a finished batch, or an experiment (file or
            :class:`~parkabm.experiments.design.spec.Experiment`; run, or resumed, first — a Latin hypercube over levers
            and uncertainties suits discovery best).
        out: Results folder when ``ref`` is an experiment (default ``results/<experiment name>``).
        target: The class: ``both``, ``output`` or ``leading`` (:data:`CLASSES`).
        threshold: Density PRIM peels toward.
        min_density: Density the chosen box must reach (default: ``threshold``).
        executor: An entered executor for the batch (a process pool when omitted).
        lang: Chart language.
        progress: Show a progress bar.

    Returns:
        One PRIM result per scenario, with the files written to ``<out>/discovery/``.

    Raises:
        UserInputError: An unknown class, a folder that is not a results folder, or a batch without factors.
    """
    from pathlib import Path

    import matplotlib as mpl

    from parkabm.experiments import charts
    from parkabm.experiments.execution.runner import run_batch
    from parkabm.experiments.execution.store import load_results, read_manifest

    charts.check_language(lang)
    if target not in CLASSES:
        raise UserInputError(f"--target: {target!r} — allowed: {', '.join(CLASSES)}")
    folder = Path(ref) if isinstance(ref, str | Path) else None
    if folder is not None and folder.is_dir() and (folder / "manifest.json").is_file():
        out = folder
    else:
        batch = run_batch(ref, out, executor=executor, progress=progress)
        out = batch.out
    manifest = read_manifest(out)
    factors = [f["name"] for f in manifest["spec"].get("factors", [])]
    if not factors:
        raise UserInputError(f"{out}: the experiment has no factors — allowed: a batch whose design varies levers "
                             "or uncertainties")
    results = load_results(out, metrics=["total_output_yi", "leading_share"])
    if not len(results):
        raise UserInputError(f"{out}: no finished run — allowed: a results folder with finished jobs")
    year = min(headline_targets()["total_output_yi"].year, int(results["year"].max()))
    classes = run_class(results, target, year)
    at = results[results["year"] == year].set_index("job")
    numeric = [f for f in factors if pd.api.types.is_numeric_dtype(at[f]) and not pd.api.types.is_bool_dtype(at[f])]
    labels = {f: charts.factor_label(f, "en") for f in numeric}
    folder = Path(out) / "discovery"
    folder.mkdir(parents=True, exist_ok=True)
    found, files = {}, {}
    for scenario, group in classes.groupby("scenario", sort=False):
        x = at.loc[group["job"], numeric].reset_index(drop=True)
        result = find_box(x, group["success"].to_numpy(), threshold=threshold, min_density=min_density,
                          labels=labels, what=class_description(target))
        found[scenario] = result
        stem = folder / str(scenario)
        result.trajectory.to_csv(f"{stem}_trajectory.csv", index=False, encoding="utf-8")
        result.box.to_csv(f"{stem}_box.csv", index=False, encoding="utf-8")
        Path(f"{stem}_summary.txt").write_text(result.summary + "\n", encoding="utf-8")
        files[f"{scenario}_trajectory"] = Path(f"{stem}_trajectory.csv")
        files[f"{scenario}_box"] = Path(f"{stem}_box.csv")
        files[f"{scenario}_summary"] = Path(f"{stem}_summary.txt")
        with mpl.rc_context(charts.chart_rc(lang)):
            fig, ax = charts.new_figure((5.6, 4.2))
            title = charts.label("titled", lang, scenario=charts.scenario_label(str(scenario), lang),
                                 title=charts.class_title(target, lang))
            charts.prim_tradeoff_chart(result.trajectory, chosen=result.chosen, ax=ax, lang=lang, title=title)
            files[f"{scenario}_tradeoff"] = charts.save_figure(
                fig, Path(f"{stem}_{charts.chart_file('tradeoff', lang, 'png')}"), "png")
            restricted = max(int(result.box["restricted"].sum()), 1)
            fig, ax = charts.new_figure((6.4, 0.5 * restricted + 1.9))
            charts.prim_box_chart(result.box, result.stats, ax=ax, lang=lang, title=title)
            files[f"{scenario}_box_chart"] = charts.save_figure(
                fig, Path(f"{stem}_{charts.chart_file('box', lang, 'png')}"), "png")
    return Discovery(Path(out), found, year, files)
