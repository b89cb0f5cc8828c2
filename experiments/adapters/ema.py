"""The model as an EMA Workbench model: uncertainties, levers and outcomes taken from the declarations.

An experiment file (or a scenario and a list of factors) already says what varies and in what range; this module
turns it into an ``ema_workbench.Model`` (one run per call) or ``ReplicatorModel`` (replications averaged), so
EMA's samplers, evaluators, PRIM, feature scoring and ``optimize`` work on parkabm directly::

    from ema_workbench import SequentialEvaluator
    from parkabm.experiments.adapters.ema import ema_model

    model = ema_model("experiments/specs/discovery_levers.yaml")
    with SequentialEvaluator(model) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=50, policies=4)

**Parameters.** Each factor becomes a parameter named by
:func:`~parkabm.experiments.execution.query.column_name` (dots → ``__``, so that names are Python identifiers as
EMA 3 will require); its ``variable_name`` is the declared name that reaches the run. ``lever`` factors are EMA
levers, ``uncertainty`` factors EMA uncertainties, in the factor's own unit:

* ``bounds`` → ``RealParameter(low, high)``; on an integer lever ``IntegerParameter(ceil(low), floor(high))``.
* ``levels`` → ``CategoricalParameter`` of the levels (a single level → ``Constant``).
* ``distribution`` → ``RealParameter.from_dist`` with the SciPy distribution the factor samples from
  (``uniform``, ``triang``, ``truncnorm``), so EMA's samplers draw from the same distribution as a parkabm design;
  ``fixed`` → ``Constant``. A distribution on an integer lever cannot be expressed (EMA's integer parameters take
  only discrete SciPy distributions): it becomes ``IntegerParameter`` over its support, uniform, which changes
  how it is sampled (not its range). Optimisation (``optimize``) searches between each parameter's
  ``lower_bound`` and ``upper_bound``: those of a distribution are its support.

**Outcomes** (from :mod:`parkabm.model.outputs.registry`): for each kept metric (the experiment's
``outputs.metrics``, or the two headline ones) a ``ScalarOutcome`` of its value in 2025 (or the last simulated
year), the target indicators of targets.csv for those metrics (``p_output_target``, ``p_leading_target``,
``p_both_targets``, ``p_<target>`` for others: 1 when the run meets the target, 0 otherwise; with replications
the share meeting it), a ``TimeSeriesOutcome`` ``<metric>_by_year`` of its yearly values, and ``TIME`` (the
years, EMA's convention for plots). Headline metrics and targets are to be maximised, fiscal costs minimised;
the rest are information (``INFO``).

**Random numbers.** EMA hands the model function only the parameter values (and a replication's entries), not
the experiment id, which depends on the order experiments are generated. A run's random stream is therefore made
from what it runs: ``SeedSequence(seed, spawn_key=(stream,))`` with ``stream`` a 64-bit digest of the factor values
and the replication (:func:`run_stream`), so the same point gives the same numbers whichever evaluator, process or
order ran it. With ``common_random_numbers`` the stream is the replication alone: every point shares the draws of a
replication, as in parkabm's sensitivity designs.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

HEADLINE = ("total_output_yi", "leading_share")
"""Metrics given as outcomes when the experiment keeps all outputs: the two headline indicators."""

TARGET_YEAR = 2025
"""Year scalar outcomes are read in (the targets' year); a run that stops earlier is read in its last year."""

HEADLINE_TARGETS = {"total_output_yi": "p_output_target", "leading_share": "p_leading_target"}
"""Outcome names of the two headline targets (the names of the sensitivity analysis)."""

BOTH_TARGETS = "p_both_targets"
"""Outcome: both headline targets met."""

MINIMISED_PREFIX = "fiscal_"
"""Outputs whose name starts with this (fiscal costs) are outcomes to minimise."""


@dataclass(frozen=True)
class TargetCheck:
    """One target turned into an outcome: ``name`` is 1 when ``metric`` ``comparison`` ``value`` holds."""

    name: str
    metric: str
    comparison: str
    value: float


@dataclass(frozen=True)
class FactorSlot:
    """How one factor's value reaches a run: its declared name, kind and whether it takes whole numbers."""

    name: str
    kind: str
    integer: bool


def run_stream(values: Mapping[str, Any], replicate: int) -> int:
    """Return the random stream of a run: a 64-bit digest of its factor values (by name) and its replication.

    Args:
        values: Factor values by declared name.
        replicate: The replication (0 for a single run).
    """
    text = json.dumps({"values": {k: values[k] for k in sorted(values)}, "replicate": int(replicate)},
                      sort_keys=True, default=str, ensure_ascii=False)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


@dataclass(frozen=True)
class ParkabmRun:
    """The model function EMA calls: one parkabm run of a scenario at the given factor values.

    Picklable (it holds only the resolved scenario and plain settings), so EMA's multiprocessing and distributed
    evaluators can send it to workers.

    Attributes:
        scenario: The resolved scenario the factors change.
        factors: The factors, in declaration order.
        seed: Master seed of the runs.
        year: Year scalar outcomes are read in.
        metrics: Outputs reported as scalars and series.
        targets: Target indicators reported.
        both: Report ``p_both_targets`` (both headline metrics are kept).
        common_random_numbers: The stream is the replication alone (see the module docstring).
        source: How problems with lever values name their origin.
    """

    scenario: Any
    factors: tuple[FactorSlot, ...]
    seed: int
    year: int
    metrics: tuple[str, ...]
    targets: tuple[TargetCheck, ...]
    both: bool
    common_random_numbers: bool
    source: str

    def __call__(self, replicate: int = 0, **inputs: Any) -> dict[str, Any]:
        """Run once and return every outcome variable.

        Args:
            replicate: The replication (EMA passes it from a ``ReplicatorModel``'s replications).
            **inputs: Factor values by declared name (EMA's ``variable_name``).

        Returns:
            Scalars by metric and target outcome, series ``<metric>_by_year`` and ``TIME``.
        """
        from parkabm.model.simulate import simulate
        from parkabm.scenarios.loader import apply_changes

        values = {f.name: _native(inputs[f.name], f.integer) for f in self.factors if f.name in inputs}
        levers = {f.name: values[f.name] for f in self.factors if f.kind == "lever" and f.name in values}
        parameters = {f.name: float(values[f.name]) for f in self.factors
                      if f.kind == "uncertainty" and f.name in values}
        scenario = apply_changes(self.scenario, levers, source=self.source) if levers else self.scenario
        stream = int(replicate) if self.common_random_numbers else run_stream(values, int(replicate))
        yearly = simulate(scenario, seed=self.seed, replicate=stream, overrides=parameters).yearly
        at = yearly.loc[yearly["year"] == self.year].iloc[0]
        result: dict[str, Any] = {"TIME": yearly["year"].to_numpy(dtype=float)}
        for metric in self.metrics:
            result[metric] = float(at[metric])
            result[f"{metric}_by_year"] = yearly[metric].to_numpy(dtype=float)
        met = {}
        for target in self.targets:
            value = float(at[target.metric])
            ok = value >= target.value if target.comparison == ">=" else value <= target.value
            met[target.metric] = met.get(target.metric, True) and ok
            result[target.name] = float(ok)
        if self.both:
            result[BOTH_TARGETS] = float(all(met[m] for m in HEADLINE_TARGETS))
        return result


def _native(value: Any, integer: bool) -> Any:
    """A Python value of the factor's type, so that ``2`` and ``2.0`` give the same run and the same stream."""
    value = value.item() if isinstance(value, np.generic) else value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return round(value) if integer else float(value)


def mean_over_replications(values: Sequence[float]) -> float:
    """Aggregate a scalar outcome of a ``ReplicatorModel``: the mean (a probability for a target indicator)."""
    return float(np.mean(values))


def mean_series(values: Sequence[np.ndarray]) -> np.ndarray:
    """Aggregate a series outcome of a ``ReplicatorModel``: the mean of each year over the replications."""
    return np.mean(np.stack([np.asarray(v, dtype=float) for v in values]), axis=0)


# ----------------------------------------------------------------------------------------------------
# Declarations → EMA parameters and outcomes
# ----------------------------------------------------------------------------------------------------


def scipy_distribution(distribution: Any) -> Any:
    """Return the frozen SciPy distribution of a scenario-schema distribution (None for ``fixed``).

    The inverse CDF of the result equals the distribution's own :meth:`ppf`, so EMA samples what parkabm
    designs sample.
    """
    from scipy import stats

    kind = distribution.dist
    if kind == "fixed":
        return None
    if kind == "uniform":
        return stats.uniform(distribution.low, distribution.high - distribution.low)
    if kind == "triangular":
        width = distribution.high - distribution.low
        return stats.triang((distribution.mode - distribution.low) / width, loc=distribution.low, scale=width)
    if kind == "normal":
        low = -math.inf if distribution.low is None else distribution.low
        high = math.inf if distribution.high is None else distribution.high
        mean, sd = distribution.mean, distribution.sd
        return stats.truncnorm((low - mean) / sd, (high - mean) / sd, loc=mean, scale=sd)
    raise ValueError(f"distribution {kind!r} has no SciPy equivalent")


def ema_parameter(factor: Any, *, integer: bool = False) -> Any:
    """Return the EMA parameter (or ``Constant``) of one factor, named by its column name, in the factor's unit.

    Args:
        factor: A :class:`~parkabm.experiments.design.spec.Factor`.
        integer: The factor is an integer lever.
    """
    from ema_workbench import CategoricalParameter, Constant, IntegerParameter, RealParameter

    from parkabm.experiments.execution.query import column_name

    name = column_name(factor.name)
    if factor.levels is not None:
        if len(factor.levels) == 1:
            return Constant(factor.name, factor.levels[0])
        return CategoricalParameter(name, list(factor.levels), variable_name=factor.name)
    if factor.bounds is not None:
        low, high = factor.bounds
        if integer:
            return IntegerParameter(name, math.ceil(low), math.floor(high), variable_name=factor.name)
        return RealParameter(name, float(low), float(high), variable_name=factor.name)
    dist = scipy_distribution(factor.distribution)
    if dist is None:
        return Constant(factor.name, factor.distribution.value)
    if integer:  # no discrete equivalent: the support, uniformly (see the module docstring)
        low, high = factor.extremes(integer=True)
        return IntegerParameter(name, int(low), int(high), variable_name=factor.name)
    parameter = RealParameter.from_dist(name, dist, variable_name=[factor.name])
    return parameter


def _outcome_kind(name: str) -> int:
    from ema_workbench import ScalarOutcome

    if name in HEADLINE or name.startswith("p_"):
        return ScalarOutcome.MAXIMIZE
    if name.startswith(MINIMISED_PREFIX):
        return ScalarOutcome.MINIMIZE
    return ScalarOutcome.INFO


def _target_checks(metrics: Sequence[str], year: int, variant: str) -> list[TargetCheck]:
    from parkabm.model.outputs.targets import select_targets
    from parkabm.scenarios.world import load_world

    targets = select_targets(load_world().targets, variant)
    checks = []
    for t in targets.itertuples(index=False):
        if t.metric in metrics and int(t.year) == year:
            name = HEADLINE_TARGETS.get(t.metric, f"p_{t.target}")
            checks.append(TargetCheck(name, t.metric, t.comparison, float(t.value)))
    return checks


def ema_outcomes(run: ParkabmRun, *, replicated: bool) -> list[Any]:
    """Return the EMA outcomes of a model function: scalars, target indicators, yearly series and ``TIME``.

    Args:
        run: The model function (its metrics and targets).
        replicated: Outcomes of a ``ReplicatorModel``: averaged over the replications.
    """
    from ema_workbench import ScalarOutcome, TimeSeriesOutcome

    scalar = mean_over_replications if replicated else None
    series = mean_series if replicated else None
    outcomes = [ScalarOutcome(m, kind=_outcome_kind(m), function=scalar) for m in run.metrics]
    names = [t.name for t in run.targets] + ([BOTH_TARGETS] if run.both else [])
    outcomes += [ScalarOutcome(n, kind=ScalarOutcome.MAXIMIZE, function=scalar) for n in names]
    outcomes += [TimeSeriesOutcome(f"{m}_by_year", function=series) for m in run.metrics]
    outcomes.append(TimeSeriesOutcome("TIME", function=series))
    return outcomes


# ----------------------------------------------------------------------------------------------------
# Building the model
# ----------------------------------------------------------------------------------------------------


def experiment_for(scenario: str | Path, factors: Sequence[Mapping[str, Any] | Any], *, seed: int = 0,
                   horizon: int | None = None, metrics: Sequence[str] | None = None, name: str = "ema"):
    """Return an experiment of one scenario and some factors, validated like an experiment file.

    Args:
        scenario: A shipped scenario name or a path to a scenario file.
        factors: Factor declarations, as in an experiment file (mappings or
            :class:`~parkabm.experiments.design.spec.Factor`).
        seed: Master seed.
        horizon: Overrides the scenario's horizon.
        metrics: Outputs to report (the headline ones when omitted).
        name: The experiment's name.

    Raises:
        UserInputError: A bad scenario or factor, each problem naming the key and what is allowed.
    """
    from parkabm.experiments.design.spec import resolve_spec

    data: dict[str, Any] = {
        "name": name, "scenarios": [str(scenario)],
        "factors": [f if isinstance(f, Mapping) else f.model_dump(exclude_none=True) for f in factors],
        # a design is required with factors; EMA's samplers replace it
        "design": {"kind": "monte_carlo", "samples": 1}, "replicates": 1, "seed": seed,
    }
    if horizon is not None:
        data["horizon"] = horizon
    if metrics is not None:
        data["outputs"] = {"metrics": list(metrics)}
    return resolve_spec(data, source=f"{name} (scenario {scenario})", base_dir=Path.cwd())


def _experiment(source: Any):
    from parkabm.experiments.design.spec import Experiment, load_spec

    return source if isinstance(source, Experiment) else load_spec(source)


def model_function(experiment: Any, *, scenario: str | None = None, variant: str = "2023",
                   common_random_numbers: bool | None = None) -> ParkabmRun:
    """Return the model function of an experiment (see :class:`ParkabmRun`).

    Args:
        experiment: An experiment file, a shipped experiment name or an
            :class:`~parkabm.experiments.design.spec.Experiment`.
        scenario: Which of its scenarios runs (the first when omitted).
        variant: Which text's targets become outcomes.
        common_random_numbers: Share streams across points; the experiment's setting when omitted.

    Raises:
        UserInputError: The scenario is not one of the experiment's.
    """
    from parkabm.scenarios.errors import UserInputError

    experiment = _experiment(experiment)
    names = list(experiment.scenarios)
    chosen = names[0] if scenario is None else scenario
    if chosen not in experiment.scenarios:
        raise UserInputError(f"{experiment.source}: scenario = {chosen!r} — allowed: one of {', '.join(names)}")
    resolved = experiment.scenarios[chosen]
    spec = experiment.spec
    year = min(TARGET_YEAR, resolved.world.horizon)
    metrics = tuple(spec.outputs.metrics) if spec.outputs.metrics else HEADLINE
    targets = tuple(_target_checks(metrics, year, variant))
    both = all(m in {t.metric for t in targets} for m in HEADLINE_TARGETS)
    slots = tuple(FactorSlot(f.name, f.kind, bool(experiment.integer[i]) or _integer_lever(f))
                  for i, f in enumerate(spec.factors))
    crn = spec.common_random_numbers if common_random_numbers is None else common_random_numbers
    return ParkabmRun(resolved, slots, spec.seed, year, metrics, targets, both, crn, experiment.source)


def _integer_lever(factor: Any) -> bool:
    """Whether a factor sets a lever that takes whole numbers (levels of it included)."""
    from parkabm.experiments.design.spec import lever_type

    return factor.kind == "lever" and lever_type(factor.name) is int


def _ema_name(name: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", name) or "parkabm"


def _declare(model: Any, experiment: Any, run: ParkabmRun, *, replicated: bool) -> Any:
    from ema_workbench import Constant

    uncertainties, levers, constants = [], [], []
    for i, factor in enumerate(experiment.spec.factors):
        parameter = ema_parameter(factor, integer=bool(experiment.integer[i]))
        if isinstance(parameter, Constant):
            constants.append(parameter)
        elif factor.kind == "lever":
            levers.append(parameter)
        else:
            uncertainties.append(parameter)
    model.uncertainties = uncertainties
    model.levers = levers
    model.constants = constants
    model.outcomes = ema_outcomes(run, replicated=replicated)
    return model


def ema_model(experiment: Any, *, scenario: str | None = None, name: str | None = None, variant: str = "2023",
              common_random_numbers: bool | None = None):
    """Return an ``ema_workbench.Model`` of an experiment: one parkabm run per EMA experiment.

    Args:
        experiment: An experiment file, a shipped experiment name, or an
            :class:`~parkabm.experiments.design.spec.Experiment` (see :func:`experiment_for` for a scenario and a
            factor list).
        scenario: Which of the experiment's scenarios runs (the first when omitted).
        name: The EMA model's name (letters and digits); the experiment's name without other characters.
        variant: Which text's targets become outcomes (``2023``, ``2022_jul``, ``2022_may``).
        common_random_numbers: Share random streams across points; the experiment's setting when omitted.

    Returns:
        The model, with uncertainties, levers, constants and outcomes declared.
    """
    from ema_workbench import Model

    experiment = _experiment(experiment)
    run = model_function(experiment, scenario=scenario, variant=variant,
                         common_random_numbers=common_random_numbers)
    return _declare(Model(name or _ema_name(experiment.name), function=run), experiment, run, replicated=False)


def replicator_model(experiment: Any, *, replications: int | None = None, scenario: str | None = None,
                     name: str | None = None, variant: str = "2023", common_random_numbers: bool | None = None):
    """Return an ``ema_workbench.ReplicatorModel``: every EMA experiment runs ``replications`` times.

    Scalar outcomes are the mean over the replications (target indicators become the probability of meeting the
    target), series the mean of each year. Replication ``r`` runs on stream :func:`run_stream` of the point and
    ``r`` (``r`` itself with common random numbers).

    Args:
        experiment: As for :func:`ema_model`.
        replications: Runs per experiment; the experiment's ``replicates`` when omitted.
        scenario: As for :func:`ema_model`.
        name: As for :func:`ema_model`.
        variant: As for :func:`ema_model`.
        common_random_numbers: As for :func:`ema_model`.
    """
    from ema_workbench import ReplicatorModel

    experiment = _experiment(experiment)
    run = model_function(experiment, scenario=scenario, variant=variant,
                         common_random_numbers=common_random_numbers)
    model = ReplicatorModel(name or _ema_name(experiment.name), function=run)
    model.replications = [{"replicate": r} for r in range(replications or experiment.spec.replicates)]
    return _declare(model, experiment, run, replicated=True)
