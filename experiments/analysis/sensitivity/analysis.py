"""Sensitivity analysis of the model (``parkabm sensitivity``).

An experiment file's factors, a SALib design, the batch runner and store, then indices with confidence intervals,
a convergence report and charts.

**Model noise.** Every design point runs ``replicates`` times; the analysed output of a point is the mean over its
replicates (for a target, the share of replicates meeting it: a probability). By default the analysis uses common
random numbers: replicate r of every design point runs on the same random streams and the same draw of the
scenario's other uncertain parameters, so the difference between two design points comes from the factors alone.
Without them, seed noise and the other parameters' draws add variance no factor explains, which Saltelli's
estimator attributes to every factor's total-order index (a floor under all of them — seen at about 0.15 for 2025
output with one replicate). The indices are then averages over the replicates' draws of everything that is not a
factor. With two or more replicates the report gives the noise share — the mean within-point variance of single
runs over their total variance — and warns when the averaged outputs still carry a noticeable part of it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from parkabm.experiments.analysis.sensitivity import METHODS
from parkabm.experiments.design.sensitivity import unit_problem
from parkabm.model.outputs.registry import output as declared_output
from parkabm.model.outputs.targets import headline_targets
from parkabm.scenarios.errors import UserInputError

HEADLINE = headline_targets()
"""The headline targets from ``scenarios/data/targets.csv`` (the 2023 text): output and leading share."""

TARGET_YEAR = HEADLINE["total_output_yi"].year
"""Year the headline outputs are read in (the targets' year); an earlier horizon reads its last year."""

_OUTPUT, _LEADING = HEADLINE["total_output_yi"], HEADLINE["leading_share"]
OUTPUTS = {
    "total_output": declared_output("total_output_yi").label("en", with_unit=True) + f" in {TARGET_YEAR}",
    "leading_share": declared_output("leading_share").label("en") + f" in {TARGET_YEAR}",
    "p_output_target": f"P(output {_OUTPUT.comparison} {_OUTPUT.value:,.0f}亿元 in {_OUTPUT.year})",
    "p_leading_target": f"P(leading share {_LEADING.comparison} {_LEADING.value:.0%} in {_LEADING.year})",
    "p_both_targets": "P(both headline targets met)",
}
"""Outputs analysed by default: the two headline metrics and the three target indicators."""

DESIGN_OF = {"sobol": "sobol", "morris": "morris", "delta": "latin_hypercube", "pawn": "latin_hypercube"}
"""The design each method analyses."""

DEFAULT_N = {"sobol": 256, "morris": 20, "delta": 512, "pawn": 512}
"""Default size per method: Sobol base samples, Morris trajectories, Latin-hypercube points."""

WIDE_CI = 0.2
"""A first- or total-order Sobol interval wider than this at the full sample is reported as too wide."""
NEGATIVE = -0.02
"""An index below this is reported as negative (sample too small or noise)."""
NOISY = 0.1
"""A noise share above this (after averaging) is reported."""


@dataclass
class SensitivityResult:
    """A sensitivity analysis.

    Attributes:
        out: The results folder (the batch store; the analysis sits in ``analysis/<method>/``).
        method: ``sobol``, ``morris``, ``delta`` or ``pawn``.
        n: Size of the design (Sobol base samples, Morris trajectories or Latin-hypercube points).
        indices: Tidy indices: scenario, output, factor, index, value, ci_low, ci_high, n.
        convergence: The same indices at growing sub-samples, with ``ci_width``.
        noise: Per scenario and output: replicates and the noise share of single runs (NaN with one replicate).
        warnings: Plain-language warnings (negative indices, wide intervals, noise).
        files: Files written, by role.
    """

    out: Path
    method: str
    n: int
    indices: pd.DataFrame
    convergence: pd.DataFrame
    noise: pd.DataFrame
    warnings: list[str]
    files: dict[str, Path] = field(default_factory=dict)

    def ranking(self, output: str, scenario: str | None = None) -> pd.DataFrame:
        """Return the factors of one output ranked by their main index (ST, μ*, δ or the PAWN median)."""
        main = {"sobol": "ST", "morris": "mu_star", "delta": "delta", "pawn": "pawn_median"}[self.method]
        rows = self.indices[(self.indices["output"] == output) & (self.indices["index"] == main)]
        if scenario is not None:
            rows = rows[rows["scenario"] == scenario]
        return rows.sort_values("value", ascending=False, ignore_index=True)


def sa_experiment(spec, method: str, n: int | None, *, second_order: bool = False):
    """Return the experiment of ``spec`` with the design ``method`` needs, of size ``n``.

    An experiment whose design is already of that kind keeps it unless ``n`` is given. Common random numbers are
    switched on unless the experiment file says otherwise (see the module docstring).

    Raises:
        UserInputError: Unknown method, bad size, or no factors to analyse.
    """
    from parkabm.experiments.design.spec import SPEC_DIR, Experiment, load_spec, resolve_spec

    if method not in METHODS:
        raise UserInputError(f"--method: {method!r} — allowed: {', '.join(METHODS)}")
    experiment = spec if isinstance(spec, Experiment) else load_spec(spec)
    if not experiment.spec.factors:
        raise UserInputError(f"{experiment.source}: factors = [] — allowed: at least one factor to analyse")
    kind = DESIGN_OF[method]
    current = experiment.spec.design
    crn = "common_random_numbers" not in experiment.given
    if current is not None and current.kind == kind and n is None and not second_order and not crn:
        return experiment
    size = n if n is not None else DEFAULT_N[method]
    if size < 2:
        raise UserInputError(f"--n: {size} — allowed: a whole number ≥ 2")
    if method == "sobol" and size & (size - 1):
        raise UserInputError(f"--n: {size} — allowed: a power of two for Sobol (e.g. {1 << size.bit_length()})")
    design = {"sobol": {"kind": "sobol", "base_samples": size, "second_order": second_order},
              "morris": {"kind": "morris", "trajectories": size},
              "latin_hypercube": {"kind": "latin_hypercube", "samples": size}}[kind]
    if current is not None and current.kind == kind and n is None and not second_order:
        design = experiment.given["design"]
    data = {**experiment.given, "design": design, "name": f"{experiment.name}_{method}",
            "common_random_numbers": experiment.given.get("common_random_numbers", True)}
    source = Path(experiment.source)
    base = source.parent if source.is_file() else SPEC_DIR
    return resolve_spec(data, source=experiment.source, base_dir=base)


def design_size(experiment) -> int:
    """Return the size of an experiment's design in the method's own terms (base samples, trajectories, points)."""
    design = experiment.spec.design
    return getattr(design, "base_samples", None) or getattr(design, "trajectories", None) or design.samples


def run_outputs(results: pd.DataFrame, year: int) -> pd.DataFrame:
    """Return one row per job with the analysed outputs read in ``year``.

    Args:
        results: Rows of :func:`~parkabm.experiments.execution.store.load_results` (with ``total_output_yi`` and
            ``leading_share``).
        year: The year read.
    """
    at = results[results["year"] == year]
    met_output = HEADLINE["total_output_yi"].met(at["total_output_yi"].to_numpy())
    met_leading = HEADLINE["leading_share"].met(at["leading_share"].to_numpy())
    return pd.DataFrame({
        "job": at["job"].to_numpy(), "scenario": at["scenario"].to_numpy(), "sample": at["sample"].to_numpy(),
        "total_output": at["total_output_yi"].to_numpy(), "leading_share": at["leading_share"].to_numpy(),
        "p_output_target": met_output.astype(float), "p_leading_target": met_leading.astype(float),
        "p_both_targets": (met_output & met_leading).astype(float),
    })


def noise_shares(runs: pd.DataFrame, outputs: list[str]) -> pd.DataFrame:
    """Return, per scenario and output, the share of single-run variance that lies within design points.

    The shares are one-way variance components: ``within`` is the mean of the within-point variances and the
    between-point component ``max(0, var(point means) − within / r)`` for ``r`` replicates a point, so the share
    ``within / (between + within)`` stays in [0, 1] (the ratio of the within-point variance to the pooled variance of
    single runs can exceed 1 in small designs, when the points hardly differ).
    """
    rows = []
    for scenario, group in runs.groupby("scenario", sort=False):
        replicates = int(group.groupby("sample").size().min())
        for output in outputs:
            by_point = group.groupby("sample")[output]
            within = by_point.var(ddof=1).mean() if replicates > 1 else np.nan
            between = max(0.0, by_point.mean().var(ddof=1) - within / replicates) if replicates > 1 else np.nan
            single = between + within
            share = within / single if single and single > 0 else np.nan
            rows.append({"scenario": scenario, "output": output, "replicates": replicates,
                         "noise_share_single_run": share,
                         "noise_share_averaged": share / replicates if replicates > 1 else np.nan})
    return pd.DataFrame(rows)


def _prefix_sizes(n: int, method: str) -> list[int]:
    sizes = sorted({max(n // k, 2) for k in (8, 4, 2, 1)})
    if method == "sobol":
        sizes = [s for s in sizes if s & (s - 1) == 0 and s >= 4] or [n]
    elif method == "morris":
        sizes = [s for s in sizes if s >= 4] or [n]
    else:
        sizes = [s for s in sizes if s >= 50] or [n]
    return sizes


def _rows_per_unit(method: str, problem, experiment) -> int:
    if method == "sobol":
        return METHODS["sobol"].rows_per_base_sample(problem, second_order=experiment.spec.design.second_order)
    if method == "morris":
        return len(problem.reported) + 1
    return 1


def analyse(experiment, method: str, runs: pd.DataFrame, outputs: list[str], *, seed: int) -> tuple[
        pd.DataFrame, pd.DataFrame]:
    """Compute indices and their convergence for every scenario and output.

    Args:
        experiment: The experiment (its unit-cube design is the SA sample).
        method: The method.
        runs: :func:`run_outputs` rows for every job.
        outputs: Output columns to analyse.
        seed: Seed of the bootstrap.

    Returns:
        ``(indices, convergence)`` as tidy frames.

    Raises:
        UserInputError: Some design points have no finished run (failed jobs): the analysis needs all of them.
    """
    module = METHODS[method]
    problem = unit_problem(experiment.spec.factors)
    X = experiment.unit_points
    n = design_size(experiment)
    block = _rows_per_unit(method, problem, experiment)
    options = {"second_order": experiment.spec.design.second_order} if method == "sobol" else {}
    if method == "morris":
        options["num_levels"] = experiment.spec.design.levels
    indices, convergence = [], []
    for scenario, group in runs.groupby("scenario", sort=False):
        means = group.groupby("sample")[outputs].mean().reindex(range(len(X)))
        missing = means.index[means.isna().any(axis=1)]
        if len(missing):
            raise UserInputError(
                f"{experiment.source}: {len(missing)} design points of scenario {scenario} have no finished run "
                "(see failures/ in the results folder) — allowed: rerun the same command to retry them")
        for output in outputs:
            Y = means[output].to_numpy(dtype=float)
            if np.ptp(Y) == 0:
                continue  # a constant output has no sensitivity to analyse (e.g. a target never met)
            for size in _prefix_sizes(n, method):
                rows = size * block
                with warnings.catch_warnings():
                    # A small prefix may hold a constant output; SALib then warns and returns NaN, which the
                    # convergence table keeps as NaN.
                    warnings.simplefilter("ignore", RuntimeWarning)
                    warnings.simplefilter("ignore", UserWarning)
                    frame = module.analyze(problem, X[:rows], Y[:rows], seed=seed, **options)
                frame.insert(0, "output", output)
                frame.insert(0, "scenario", scenario)
                frame["n"] = size
                (indices if size == n else convergence).append(frame)
                if size == n:
                    convergence.append(frame)
    indices = pd.concat(indices, ignore_index=True) if indices else pd.DataFrame()
    convergence = pd.concat(convergence, ignore_index=True) if convergence else pd.DataFrame()
    if len(convergence):
        convergence["ci_width"] = convergence["ci_high"] - convergence["ci_low"]
    return indices, convergence


def check_indices(method: str, indices: pd.DataFrame, noise: pd.DataFrame) -> list[str]:
    """Return warnings: negative or implausible indices, intervals too wide, outputs still noisy."""
    out = []
    if len(indices) and method == "sobol":
        first_total = indices[indices["index"].isin(["S1", "ST"])]
        for r in first_total.itertuples(index=False):
            if r.value < NEGATIVE:
                out.append(f"{r.scenario}/{r.output}: {r.index}({r.factor}) = {r.value:.3f} is negative — the sample "
                           "is too small or noise dominates; increase --n or replicates")
            if r.ci_high - r.ci_low > WIDE_CI:
                out.append(f"{r.scenario}/{r.output}: {r.index}({r.factor}) interval "
                           f"[{r.ci_low:.2f}, {r.ci_high:.2f}] is wider than {WIDE_CI}; increase --n")
        sums = first_total[first_total["index"] == "S1"].groupby(["scenario", "output"])["value"].sum()
        for (scenario, output), total in sums.items():
            if total > 1.1:
                out.append(f"{scenario}/{output}: first-order indices sum to {total:.2f} > 1 — the estimate is "
                           "unreliable at this sample size")
    for r in noise.itertuples(index=False):
        if not np.isnan(r.noise_share_averaged) and r.noise_share_averaged > NOISY:
            out.append(f"{r.scenario}/{r.output}: {r.noise_share_averaged:.0%} of the variance of the averaged output "
                       "is seed noise; raise the replicates")
    return out


def sensitivity(spec, *, method: str = "sobol", n: int | None = None, out: str | Path | None = None,
                executor=None, outputs: list[str] | None = None, second_order: bool = False, lang: str = "en",
                progress: bool = True) -> SensitivityResult:
    """Run (or resume) the experiment's design for ``method`` and analyse it.

    Args:
        spec: An experiment file or :class:`~parkabm.experiments.design.spec.Experiment`; its factors are analysed.
        method: ``sobol``, ``morris``, ``delta`` or ``pawn``.
        n: Design size (Sobol base samples, a power of two; Morris trajectories; Latin-hypercube points); the
            experiment's own design when it already has the method's kind and ``n`` is omitted.
        out: Results folder (default ``results/<experiment>_<method>-n<n>``); an earlier run is resumed.
        executor: An entered executor (see :func:`~parkabm.experiments.execution.runner.run_batch`); a process pool when
            omitted.
        outputs: Outputs to analyse (default: every key of :data:`OUTPUTS`).
        second_order: Sobol second-order indices too.
        lang: Chart language.
        progress: Show a progress bar.

    Returns:
        Indices, convergence, noise shares, warnings and the files written.
    """
    from parkabm.experiments import charts
    from parkabm.experiments.execution.runner import run_batch
    from parkabm.experiments.execution.store import load_results

    charts.check_language(lang)
    outputs = list(outputs or OUTPUTS)
    unknown = [o for o in outputs if o not in OUTPUTS]
    if unknown:
        raise UserInputError(f"--output: {', '.join(unknown)} — allowed: {', '.join(OUTPUTS)}")
    experiment = sa_experiment(spec, method, n, second_order=second_order)
    size = design_size(experiment)
    out = Path(out) if out is not None else Path("results") / f"{experiment.name}-n{size}"
    batch = run_batch(experiment, out, executor=executor, progress=progress)
    if batch.failed or batch.pending:
        raise UserInputError(f"{out}: {batch.summary_line()} — allowed: an analysis of a complete batch; rerun the "
                             "same command to retry the unfinished jobs")
    results = load_results(out, metrics=["total_output_yi", "leading_share"])
    year = min(TARGET_YEAR, int(results["year"].max()))
    runs = run_outputs(results, year)
    indices, convergence = analyse(experiment, method, runs, outputs, seed=experiment.spec.seed)
    noise = noise_shares(runs, outputs)
    notes = check_indices(method, indices, noise)
    result = SensitivityResult(out, method, size, indices, convergence, noise, notes)
    result.files = write_analysis(result, year=year, lang=lang)
    return result


def write_analysis(result: SensitivityResult, *, year: int, lang: str = "en") -> dict[str, Path]:
    """Write indices, convergence, noise, warnings, a Markdown report and charts to ``analysis/<method>/``."""
    import matplotlib as mpl

    from parkabm.experiments import charts

    folder = result.out / "analysis" / result.method
    folder.mkdir(parents=True, exist_ok=True)
    files = {"indices": folder / "indices.csv", "convergence": folder / "convergence.csv",
             "noise": folder / "noise.csv", "report": folder / "report.md"}
    result.indices.to_csv(files["indices"], index=False, encoding="utf-8")
    result.convergence.to_csv(files["convergence"], index=False, encoding="utf-8")
    result.noise.to_csv(files["noise"], index=False, encoding="utf-8")
    files["report"].write_text(report_text(result, year), encoding="utf-8")
    if len(result.indices):
        with mpl.rc_context(charts.chart_rc(lang)):
            for (scenario, output), frame in result.indices.groupby(["scenario", "output"], sort=False):
                name = f"{result.method}_{scenario}_{output}"
                fig, ax = charts.new_figure((6.4, 0.45 * frame["factor"].nunique() + 1.6))
                title = (f"{charts.scenario_label(scenario, lang)}: "
                         f"{charts.label(f'sa_output_{output}', lang, year=year)}")
                runs = _design_runs(result, frame, scenario)
                if result.method == "morris":
                    charts.morris_chart(frame, ax=ax, lang=lang, title=title, n=result.n, runs=runs)
                else:
                    charts.sensitivity_chart(frame, ax=ax, lang=lang, title=title, n=result.n, runs=runs)
                files[name] = charts.save_figure(fig, folder / charts.chart_file(name, lang, "png"), "png")
    return files


def _design_runs(result: SensitivityResult, frame: pd.DataFrame, scenario: str) -> int | None:
    """Return the number of model runs behind one scenario's indices: design points × replicates (for the chart)."""
    k = frame["factor"].nunique()
    points = {"sobol": result.n * ((2 * k + 2) if (frame["index"] == "S2").any() else (k + 2)),
              "morris": result.n * (k + 1)}.get(result.method, result.n)
    replicates = result.noise.loc[result.noise["scenario"] == scenario, "replicates"]
    return int(points * replicates.min()) if len(replicates) else None


def report_text(result: SensitivityResult, year: int) -> str:
    """Return the Markdown report: rankings per output, noise, convergence and warnings."""
    lines = [f"# Sensitivity analysis ({result.method}, n = {result.n})", "",
             f"Outputs read in {year}; each design point's output is the mean over its replicates "
             "(targets: the share of replicates meeting them).", ""]
    for output in dict.fromkeys(result.indices.get("output", [])):
        for scenario in dict.fromkeys(result.indices["scenario"]):
            ranked = result.ranking(output, scenario)
            if not len(ranked):
                continue
            numbers = ranked[["value", "ci_low", "ci_high"]].to_numpy(dtype=float)
            if np.all(np.isnan(numbers) | (np.abs(numbers) < 5e-4)):
                # every index reads 0.000 [0.000, 0.000]: a ranking would look like a result; say why there is none
                lines += [f"## {scenario}: {OUTPUTS[output]}", "",
                          "**Warning:** every index and interval is 0 — the output is (nearly) constant over the "
                          "design, so no factor can be ranked.", ""]
                continue
            lines += [f"## {scenario}: {OUTPUTS[output]}", "", "| rank | factor | index | value | 95% CI |",
                      "|---|---|---|---|---|"]
            for i, r in enumerate(ranked.itertuples(index=False), start=1):
                lines.append(f"| {i} | `{r.factor}` | {r.index} | {r.value:.3f} | [{r.ci_low:.3f}, {r.ci_high:.3f}] |")
            lines.append("")
    if len(result.convergence):
        main = {"sobol": "ST", "morris": "mu_star", "delta": "delta", "pawn": "pawn_median"}[result.method]
        conv = result.convergence[result.convergence["index"] == main]
        widths = conv.groupby("n")["ci_width"].mean()
        lines += ["## Convergence", "", f"Mean width of the {main} intervals by sample size:", "",
                  "| n | mean CI width |", "|---|---|"]
        lines += [f"| {k} | {v:.3f} |" for k, v in widths.items()] + [""]
    lines += ["## Noise", "", "| scenario | output | replicates | noise share (single run) | after averaging |",
              "|---|---|---|---|---|"]
    for r in result.noise.itertuples(index=False):
        lines.append(f"| {r.scenario} | {r.output} | {r.replicates} | {r.noise_share_single_run:.3f} | "
                     f"{r.noise_share_averaged:.3f} |")
    lines += ["", "## Warnings", ""] + ([f"- {w}" for w in result.warnings] or ["- none"]) + [""]
    return "\n".join(lines)
