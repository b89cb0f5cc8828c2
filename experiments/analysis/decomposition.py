"""What each target depends on (``parkabm decompose``): the variance of its indicator split by source.

**Sources.** Every sampled parameter belongs to one source of uncertainty, declared once in
:mod:`parkabm.scenarios.parameters` (:func:`~parkabm.scenarios.parameters.variance_group`: a ``group`` field or
the name rule): ``base`` (the 2021 level and scope: ``base_output_multiplier``, ``zone_gdp_share_2021``),
``macro`` (``macro_*`` shocks and ``price_growth*`` paths), ``behaviour`` (all other parameters). The lever factors
of an experiment file (default :data:`DEFAULT_LEVERS`) form ``levers``; the replicates' seeds form ``noise``
(everything the model draws at random inside a run: firm shocks, arrivals, exits …).

**Method.** A grouped Sobol design (SALib, Saltelli's sampling with ``groups``) over the four factor groups, each
point run ``replicates`` times on common random numbers (replicate r of every point uses the same stream), through
the batch runner and its store. For each indicator — a target's metric in the target year, and its met/not-met
value (0 or 1) — the variance of single runs is split as

    Var Y = Var_x E[Y | x] + E_x Var(Y | x)

The second term over the total is the ``noise`` share (within-point variance of the replicates). The first term is
shared between the four groups in proportion to the midpoint of each group's first-order and total Sobol index
of the replicate means, (S1 + ST) / 2, which approximates the group's Shapley effect (a Shapley effect lies
between S1 and ST and the effects sum to the variance). Shares so lie in [0, 1] and sum to 1; S1 and ST are kept
in the CSV so that interactions (ST − S1) can be read. A constant indicator (a target met in every run or in
none) has no variance to split and is reported as such.

**Quick estimate** (:func:`regression_shares`, printed by ``parkabm run``). A run varies only the scenario's
uncertain parameters, once per replicate. The adjusted R² of a linear regression of the indicator on each group's
sampled parameters estimates that group's first-order share; what no group explains (seed noise, interactions and
curvature) is reported as ``noise and unexplained``. It is approximate and has no lever group.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from parkabm.scenarios.errors import UserInputError
from parkabm.scenarios.parameters import PARAMETERS, VARIANCE_GROUPS, variance_group

DEFAULT_N = 256
"""Base samples of the grouped Sobol design (a power of two): 256 × (4 + 2) points."""

DEFAULT_REPLICATES = 4
"""Runs per design point (on common random numbers); their spread is the noise share."""

DEFAULT_LEVERS = "sobol_levers"
"""Shipped experiment whose lever factors (names and ranges) form the ``levers`` group."""

RESIDUAL = "unexplained"
"""Name of the quick estimate's remainder: seed noise, interactions and what a linear fit misses."""

RESIDUAL_LABEL = ("noise and unexplained", "噪声与未解释部分")
"""English and Chinese label of :data:`RESIDUAL`."""

SUM_TOLERANCE = 1e-9
"""The shares of one indicator sum to 1 within this (they are normalised; see the module docstring)."""


def group_label(group: str, lang: str) -> str:
    """Return the label of a source (a key of :data:`VARIANCE_GROUPS` or :data:`RESIDUAL`) in ``lang``."""
    en, zh = RESIDUAL_LABEL if group == RESIDUAL else VARIANCE_GROUPS[group]
    return zh if lang == "zh" else en


def parameter_groups(names) -> dict[str, str]:
    """Return the source of each sampled parameter, by name (every name exactly once)."""
    return {name: variance_group(name) for name in names}


def decomposition_factors(scenario, levers: str | Path = DEFAULT_LEVERS) -> list[dict]:
    """Return the factors of a decomposition of ``scenario``: its sampled parameters and the lever factors.

    Each uncertain parameter keeps the scenario's own distribution (a ``fixed`` one does not vary and is left
    out) and gets the group of :func:`~parkabm.scenarios.parameters.variance_group`; each lever factor of the
    experiment ``levers`` keeps its range and gets the group ``levers``.

    Args:
        scenario: A resolved scenario.
        levers: An experiment file or shipped experiment name whose ``kind: lever`` factors are used.

    Returns:
        Factor mappings as an experiment file writes them.
    """
    from parkabm.experiments.design.spec import load_spec

    factors = []
    for name in sorted(scenario.uncertainties):
        dist = scenario.uncertainties[name]
        if dist.dist == "fixed":
            continue
        factors.append({"name": name, "kind": "uncertainty", "distribution": dist.model_dump(exclude_none=True),
                        "group": variance_group(name)})
    lever_spec = load_spec(levers)
    for factor in lever_spec.spec.factors:
        if factor.kind == "lever":
            given = factor.model_dump(exclude_none=True)
            factors.append({**given, "group": "levers"})
    if not any(f["group"] == "levers" for f in factors):
        raise UserInputError(f"--levers: {levers} — allowed: an experiment with at least one kind: lever factor")
    return factors


def modelled_targets(world=None, variant: str = "2023") -> pd.DataFrame:
    """Return the targets the model evaluates (one per metric, :func:`select_targets`) with their labels.

    Targets that targets.csv marks as not modelled or met at the base year are left out: their indicator is not an
    outcome of the runs, so a split of its variance would say nothing about the target.
    """
    from parkabm.model.outputs.targets import modelled_targets as outcome_targets
    from parkabm.model.outputs.targets import select_targets
    from parkabm.scenarios.world import load_world

    world = world if world is not None else load_world()
    table = world.targets.reset_index() if "target" not in world.targets.columns else world.targets
    return outcome_targets(select_targets(table, variant)).reset_index(drop=True)


def decomposition_experiment(ref, *, n: int = DEFAULT_N, replicates: int = DEFAULT_REPLICATES,
                             levers: str | Path = DEFAULT_LEVERS, seed: int = 0):
    """Return the grouped Sobol experiment of a decomposition of scenario ``ref``.

    Raises:
        UserInputError: ``n`` not a power of two ≥ 2, fewer than two replicates, or a bad scenario or lever file.
    """
    from parkabm.experiments.design.spec import SPEC_DIR, resolve_spec
    from parkabm.scenarios.loader import load_scenario

    if n < 2 or n & (n - 1):
        raise UserInputError(f"--n: {n} — allowed: a power of two ≥ 2 (e.g. {max(2, 1 << n.bit_length())})")
    if replicates < 2:
        raise UserInputError(f"--reps: {replicates} — allowed: a whole number ≥ 2 (the noise share needs two)")
    scenario = load_scenario(ref)
    path = Path(str(ref))
    scenario_ref = str(path.resolve()) if path.suffix in (".yaml", ".yml") and path.is_file() else str(ref)
    metrics = sorted(set(modelled_targets()["metric"]))
    data = {"name": f"decompose_{scenario.name}", "scenarios": [scenario_ref],
            "factors": decomposition_factors(scenario, levers),
            "design": {"kind": "sobol", "base_samples": n}, "replicates": replicates,
            "common_random_numbers": True, "outputs": {"metrics": metrics}, "seed": seed}
    return resolve_spec(data, source=f"decompose {ref}", base_dir=SPEC_DIR)


def indicators(results: pd.DataFrame, targets: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return, per job, each target's metric in its year and its met value (0/1), and a table describing them.

    Args:
        results: Store rows (``job``, ``sample``, ``replicate``, ``year`` and the metrics).
        targets: The targets (:func:`modelled_targets`).

    Returns:
        ``(values, info)``: one row per job with a column per indicator; one row per indicator with ``indicator``,
        ``target``, ``kind`` (``value`` or ``met``), ``metric``, ``year``, ``label_en``, ``label_zh``.
    """
    from parkabm.experiments.charts.labels import format_value, metric_label

    jobs = results[["job", "sample", "replicate"]].drop_duplicates("job").set_index("job").sort_index()
    values, info = jobs.copy(), []
    for t in targets.itertuples(index=False):
        if t.metric not in results.columns or int(t.year) not in set(results["year"]):
            continue
        at = results[results["year"] == int(t.year)].set_index("job")[t.metric].reindex(jobs.index)
        v = at.to_numpy(dtype=float)
        op = np.greater_equal if t.comparison == ">=" else np.less_equal
        values[t.metric] = v
        values[f"met_{t.target}"] = (op(v, float(t.value)) & ~np.isnan(v)).astype(float)
        sign = "≥" if t.comparison == ">=" else "≤"
        shown = format_value(t.metric, float(t.value))
        info.append({"indicator": t.metric, "target": t.target, "kind": "value", "metric": t.metric,
                     "year": int(t.year), "label_en": f"{metric_label(t.metric, 'en')} in {int(t.year)}",
                     "label_zh": f"{int(t.year)}年{metric_label(t.metric, 'zh')}"})
        info.append({"indicator": f"met_{t.target}", "target": t.target, "kind": "met", "metric": t.metric,
                     "year": int(t.year),
                     "label_en": f"met: {metric_label(t.metric, 'en')} {sign} {shown} in {int(t.year)}",
                     "label_zh": f"达标：{int(t.year)}年{metric_label(t.metric, 'zh')}{sign}{shown}"})
    return values.reset_index(), pd.DataFrame(info)


def split_variance(problem, X: np.ndarray, runs: np.ndarray, *, seed: int) -> pd.DataFrame:
    """Split the variance of one indicator between the factor groups and the replicates' noise.

    Args:
        problem: The unit-cube SA problem with groups (:func:`~parkabm.experiments.design.sensitivity.unit_problem`).
        X: The Sobol design, one row per point.
        runs: The indicator, shape (points, replicates).
        seed: Seed of SALib's bootstrap.

    Returns:
        One row per group and one for ``noise``: ``group``, ``S1``, ``S1_conf``, ``ST``, ``ST_conf``, ``share``.
        Shares are NaN when the indicator does not vary.
    """
    import warnings

    from parkabm.experiments.analysis.sensitivity import sobol

    groups = problem.reported
    runs = np.asarray(runs, dtype=float)
    total = float(np.var(runs, ddof=1))
    nan = {"S1": np.nan, "S1_conf": np.nan, "ST": np.nan, "ST_conf": np.nan}
    if not np.isfinite(total) or total <= 0:
        return pd.DataFrame([{"group": g, **nan, "share": np.nan} for g in [*groups, "noise"]])
    within = float(np.mean(np.var(runs, axis=1, ddof=1)))
    noise = min(max(within / total, 0.0), 1.0)
    means = runs.mean(axis=1)
    rows = []
    if np.ptp(means) > 0:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            warnings.simplefilter("ignore", UserWarning)  # SALib on a near-constant indicator
            frame = sobol.analyze(problem, X, means, seed=seed, num_resamples=100)
        wide = frame.pivot(index="factor", columns="index", values="value").reindex(groups)
        half = (frame.assign(half=(frame["ci_high"] - frame["ci_low"]) / 2)
                .pivot(index="factor", columns="index", values="half").reindex(groups))
        s1 = wide["S1"].to_numpy(dtype=float)
        st = wide["ST"].to_numpy(dtype=float)
        conf1, conft = half["S1"].to_numpy(dtype=float), half["ST"].to_numpy(dtype=float)
    else:
        s1 = st = np.zeros(len(groups))
        conf1 = conft = np.full(len(groups), np.nan)
    weight = np.clip((np.nan_to_num(s1) + np.nan_to_num(st)) / 2, 0.0, None)
    shares = (1 - noise) * weight / weight.sum() if weight.sum() > 0 else np.zeros(len(groups))
    if weight.sum() == 0:
        noise = 1.0
    for g, a, ca, b, cb, s in zip(groups, s1, conf1, st, conft, shares, strict=True):
        rows.append({"group": g, "S1": a, "S1_conf": ca, "ST": b, "ST_conf": cb, "share": float(s)})
    rows.append({"group": "noise", **nan, "share": noise})
    return pd.DataFrame(rows)


@dataclass
class Decomposition:
    """A decomposition of one scenario.

    Attributes:
        out: The results folder (the batch store; the analysis files sit in ``decomposition/``).
        scenario: The scenario's name.
        n: Base samples of the Sobol design.
        replicates: Runs per design point.
        runs: Model runs.
        seconds: Wall time of the batch and the analysis.
        table: Tidy shares: indicator, target, kind, label_en, label_zh, group, S1, S1_conf, ST, ST_conf, share.
        files: Files written, by role.
    """

    out: Path
    scenario: str
    n: int
    replicates: int
    runs: int
    seconds: float
    table: pd.DataFrame
    files: dict[str, Path] = field(default_factory=dict)

    def top(self, indicator: str, k: int = 3) -> list[tuple[str, float]]:
        """Return the ``k`` largest sources of one indicator as ``(group, share)``, largest first."""
        rows = self.table[(self.table["indicator"] == indicator) & self.table["share"].notna()]
        rows = rows.sort_values("share", ascending=False, kind="stable").head(k)
        return [(str(r.group), float(r.share)) for r in rows.itertuples(index=False)]


def decompose(ref, *, n: int = DEFAULT_N, replicates: int = DEFAULT_REPLICATES, levers: str | Path = DEFAULT_LEVERS,
              seed: int = 0, out: str | Path | None = None, executor=None, progress: bool = False,
              langs: tuple[str, ...] = ("en", "zh")) -> Decomposition:
    """Run (or resume) the decomposition of scenario ``ref`` and write its CSV, Markdown and charts.

    Args:
        ref: Shipped scenario name or scenario file.
        n: Base samples of the grouped Sobol design (a power of two).
        replicates: Runs per design point (≥ 2).
        levers: Experiment whose lever factors form the ``levers`` group.
        seed: Master seed.
        out: Results folder (default ``results/decompose/<scenario>``); an earlier run is resumed.
        executor: An entered executor; a process pool when omitted.
        progress: Show a progress bar.
        langs: Chart languages (Chinese is skipped with a note when no CJK font is found).

    Returns:
        The shares and the files written.
    """
    from parkabm.experiments.design.sensitivity import unit_problem
    from parkabm.experiments.execution.runner import run_batch
    from parkabm.experiments.execution.store import load_results

    start = time.perf_counter()
    experiment = decomposition_experiment(ref, n=n, replicates=replicates, levers=levers, seed=seed)
    scenario = next(iter(experiment.scenarios))
    out = Path(out) if out is not None else Path("results") / "decompose" / scenario
    batch = run_batch(experiment, out, executor=executor, progress=progress)
    if batch.failed or batch.pending:
        raise UserInputError(f"{out}: {batch.summary_line()} — allowed: a decomposition of a complete batch; rerun "
                             "the same command to retry the unfinished jobs")
    targets = modelled_targets()
    results = load_results(out, metrics=sorted(set(targets["metric"])))
    values, info = indicators(results, targets)
    problem = unit_problem(experiment.spec.factors)
    X = experiment.unit_points
    frames = []
    for row in info.itertuples(index=False):
        grid = values.pivot(index="sample", columns="replicate", values=row.indicator).reindex(range(len(X)))
        split = split_variance(problem, X, grid.to_numpy(dtype=float), seed=seed)
        for key in ("indicator", "target", "kind", "label_en", "label_zh"):
            split[key] = getattr(row, key)
        frames.append(split)
    table = pd.concat(frames, ignore_index=True)[["indicator", "target", "kind", "label_en", "label_zh", "group",
                                                   "S1", "S1_conf", "ST", "ST_conf", "share"]]
    result = Decomposition(out, scenario, n, replicates, experiment.n_jobs, time.perf_counter() - start, table)
    result.files = write_decomposition(result, langs=langs)
    return result


def write_decomposition(result: Decomposition, *, langs: tuple[str, ...] = ("en", "zh")) -> dict[str, Path]:
    """Write ``decomposition.csv``, ``.md`` and ``decomposition.<lang>.png`` to ``<out>/decomposition/``."""
    import matplotlib as mpl

    from parkabm.experiments import charts
    from parkabm.experiments.charts.decomposition import decomposition_chart

    folder = result.out / "decomposition"
    folder.mkdir(parents=True, exist_ok=True)
    files = {"table": folder / "decomposition.csv", "report": folder / "decomposition.md"}
    result.table.to_csv(files["table"], index=False, encoding="utf-8")
    notes = []
    for lang in langs:
        if lang == "zh" and charts.find_cjk_font() is None and charts.packaged_cjk_font() is None:
            notes.append(f"Chinese chart not drawn: {charts.ZH_FONT_HINT}")
            continue
        with mpl.rc_context(charts.chart_rc(lang)):
            fig, ax = charts.new_figure((9.5, 0.32 * result.table["indicator"].nunique() + 1.8))
            title = charts.scenario_label(result.scenario, lang)
            decomposition_chart(result.table, ax=ax, lang=lang, title=title, runs=result.runs)
            files[f"chart_{lang}"] = charts.save_figure(fig, folder / charts.chart_file("decomposition", lang, "png"),
                                                        "png")
    files["report"].write_text(report_text(result, notes), encoding="utf-8")
    return files


def _percent(x: float) -> str:
    return "-" if x != x else f"{x:.0%}"


def report_text(result: Decomposition, notes: list[str] | None = None) -> str:
    """Return the Markdown report: shares by source for every indicator, the top three, and the settings."""
    groups = [*[g for g in VARIANCE_GROUPS if g != "noise"], "noise"]
    lines = [f"# What the targets depend on: {result.scenario}", "",
             f"Grouped Sobol design, n = {result.n} base samples × {result.replicates} replicates on common random "
             f"numbers: {result.runs:,} runs in {result.seconds:.0f} s. Share of the variance of each indicator "
             "(single runs) by source; noise = the replicates' within-point variance. Groups share the rest in "
             "proportion to (S1 + ST) / 2 of the replicate means (an approximation of Shapley effects); S1 and ST "
             "are in decomposition.csv.", "",
             "| indicator | " + " | ".join(group_label(g, "en") for g in groups) + " | top three |",
             "|---|" + "---|" * (len(groups) + 1)]
    for indicator, rows in result.table.groupby("indicator", sort=False):
        shares = rows.set_index("group")["share"]
        if shares.isna().all():
            top = "does not vary (met in every run or in none)"
        else:
            top = ", ".join(f"{group_label(g, 'en')} {_percent(s)}" for g, s in result.top(str(indicator)))
        lines.append(f"| {rows['label_en'].iloc[0]} | "
                     + " | ".join(_percent(float(shares.get(g, np.nan))) for g in groups) + f" | {top} |")
    lines += ["", "Parameters by source (scenarios/parameters.py, `variance_group`):", ""]
    for g in ("base", "macro", "behaviour"):
        names = [n for n in sorted(PARAMETERS) if variance_group(n) == g]
        lines.append(f"- {group_label(g, 'en')}: " + (", ".join(f"`{n}`" for n in names) or "none"))
    lines += [""] + [f"- {n}" for n in (notes or [])]
    return "\n".join(lines).rstrip() + "\n"


def _adjusted_r2(y: np.ndarray, X: np.ndarray) -> float:
    """Adjusted R² of an ordinary least-squares fit of ``y`` on ``X`` (with an intercept), at least 0."""
    n, k = X.shape
    if k == 0 or n <= k + 1:
        return 0.0
    A = np.column_stack([np.ones(n), X])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    residual = float(np.sum((y - A @ coef) ** 2))
    total = float(np.sum((y - y.mean()) ** 2))
    if total <= 0:
        return 0.0
    r2 = 1 - residual / total
    return max(0.0, 1 - (1 - r2) * (n - 1) / (n - k - 1))


def regression_shares(yearly: pd.DataFrame, parameters: pd.DataFrame, indicator: str, year: int,
                      threshold: tuple[str, float] | None = None) -> dict[str, float] | None:
    """Return approximate first-order shares of one indicator from a run's own replicates (see the docstring).

    Args:
        yearly: The run's yearly rows (``replicate``, ``year`` and the metric).
        parameters: One row per replicate with its sampled parameter values.
        indicator: The metric.
        year: The year read.
        threshold: ``(comparison, value)``: analyse the met/not-met value of the target instead of the metric.

    Returns:
        Shares by source (``base``, ``macro``, ``behaviour`` and :data:`RESIDUAL`), summing to 1; None when the
        indicator does not vary.
    """
    at = yearly[yearly["year"] == year].set_index("replicate")[indicator]
    frame = parameters.set_index("replicate").reindex(at.index)
    y = at.to_numpy(dtype=float)
    if threshold is not None:
        op = np.greater_equal if threshold[0] == ">=" else np.less_equal
        y = (op(y, threshold[1]) & ~np.isnan(y)).astype(float)
    keep = ~np.isnan(y)
    y = y[keep]
    if len(y) < 3 or np.ptp(y) == 0:
        return None
    varying = [c for c in frame.columns if c in PARAMETERS and np.ptp(frame[c].to_numpy(dtype=float)[keep]) > 0]
    groups = parameter_groups(varying)
    shares = {}
    for g in ("base", "macro", "behaviour"):
        cols = [c for c in varying if groups[c] == g]
        X = frame[cols].to_numpy(dtype=float)[keep]
        shares[g] = _adjusted_r2(y, (X - X.mean(axis=0)) / X.std(axis=0)) if cols else 0.0
    explained = sum(shares.values())
    if explained > 1:
        shares = {g: s / explained for g, s in shares.items()}
        explained = 1.0
    shares[RESIDUAL] = 1.0 - explained
    assert math.isclose(sum(shares.values()), 1.0, abs_tol=SUM_TOLERANCE)
    return shares


def top_sources_lines(projection, k: int = 3) -> list[str]:
    """Return the lines ``parkabm run`` prints: the ``k`` largest sources of each headline indicator (approximate).

    Args:
        projection: A :class:`~parkabm.experiments.analysis.projection.Projection`.
        k: Sources per line.
    """
    from parkabm.model.outputs.targets import HEADLINE_METRICS

    summary = projection.summary
    yearly, parameters = projection.replicates.yearly, projection.replicates.parameters
    reps = int(summary["reps"])
    lines = [f"largest sources of variance (approximate: regression on the {reps} replicates' sampled parameters; "
             "`parkabm decompose` for the full split with levers and seed noise)"]
    for t in summary["targets"]:
        if t["metric"] not in HEADLINE_METRICS or t["metric"] not in yearly.columns:
            continue
        if int(t["year"]) not in set(yearly["year"]):
            continue
        for what, threshold in (("value", None), ("met", (t["comparison"], float(t["target"])))):
            shares = regression_shares(yearly, parameters, t["metric"], int(t["year"]), threshold)
            name = f"{t['name_en']} in {t['year']}" if what == "value" else f"met: {t['name_en']}"
            if shares is None:
                lines.append(f"  {name}: does not vary over the replicates")
                continue
            ranked = sorted(shares.items(), key=lambda kv: -kv[1])[:k]
            lines.append(f"  {name}: " + ", ".join(f"{group_label(g, 'en')} {s:.0%}" for g, s in ranked))
    return lines
