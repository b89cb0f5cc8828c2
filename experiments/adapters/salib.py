"""An experiment's factors as a SALib ``ProblemSpec`` in their real units, with distributions and groups.

parkabm's own designs sample the unit cube and map each coordinate to a value
(:meth:`Factor.value_at <parkabm.experiments.design.spec.Factor.value_at>`); a researcher working in SALib wants
the problem in the factors' units instead, so that ``sp.sample_sobol(N)`` gives lever and parameter values
directly and ``sp.analyze_sobol()`` runs on parkabm's outputs::

    from parkabm.experiments.adapters.salib import problem_spec

    sp = problem_spec("experiments/specs/sobol_levers.yaml", outputs=["total_output_yi"])
    sp.sample_sobol(256, calc_second_order=False, seed=1)     # rows in real units, SALib's order

**Mapping.** ``bounds: [low, high]`` → ``unif`` with those bounds; ``distribution`` → SALib's ``dists``:
``uniform`` → ``unif [low, high]``, ``triangular`` → ``triang [low, high, (mode − low)/(high − low)]``,
``normal`` → ``truncnorm [low, high, mean, sd]`` (``norm [mean, sd]`` when neither end is given). Each gives the
same inverse CDF as the factor, so a SALib sample maps the same unit-cube points to the same values as a parkabm
design with the same seed. Factors with a ``group`` give SALib ``groups`` (an ungrouped factor is its own group),
as parkabm's Sobol and Morris designs do.

**What SALib cannot express** is refused with a problem naming the experiment file, the factor's key and what is
allowed: ``levels`` (SALib's factors are continuous), ``fixed`` distributions (a factor that does not vary), a
triangular peak at its upper end (SALib needs the peak strictly inside ``[0, 1)`` of the width) and a triangular
distribution ending below 0 (SALib requires a non-negative end). Integer levers keep their continuous bounds:
SALib samples real numbers, while parkabm's designs run whole numbers (each value of ``[low, high]`` equally
likely); analyses that read only the outputs (Sobol) are unaffected.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from parkabm.scenarios.errors import Problem, UserInputError

SALIB_DISTRIBUTIONS = ("unif", "triang", "norm", "truncnorm", "lognorm")
"""The distributions SALib's ``dists`` take that parkabm distributions map to (``lognorm`` has no parkabm source)."""


def salib_distribution(factor: Any) -> tuple[str, list[float]] | str:
    """Return a factor's SALib distribution and its ``bounds`` entry, or the reason SALib cannot express it.

    Args:
        factor: A :class:`~parkabm.experiments.design.spec.Factor`.

    Returns:
        ``(dist, bounds)`` such as ``("triang", [0.5, 1.5, 0.5])``, or a string saying what is allowed.
    """
    if factor.levels is not None:
        return "bounds: [low, high] or a distribution (SALib's factors are continuous; levels are a grid)"
    if factor.bounds is not None:
        return "unif", [float(factor.bounds[0]), float(factor.bounds[1])]
    d = factor.distribution
    if d.dist == "uniform":
        return "unif", [float(d.low), float(d.high)]
    if d.dist == "triangular":
        peak = (d.mode - d.low) / (d.high - d.low)
        if peak >= 1.0:
            return "a triangular mode below high (SALib needs the peak strictly inside the range)"
        if d.high < 0:
            return "a triangular distribution whose high is ≥ 0 (SALib's triangular end must not be negative)"
        return "triang", [float(d.low), float(d.high), float(peak)]
    if d.dist == "normal":
        if d.low is None and d.high is None:
            return "norm", [float(d.mean), float(d.sd)]
        low = float("-inf") if d.low is None else float(d.low)
        high = float("inf") if d.high is None else float(d.high)
        return "truncnorm", [low, high, float(d.mean), float(d.sd)]
    return "bounds, or a uniform, triangular or normal distribution (a fixed value does not vary)"


def problem_spec(experiment: Any, *, outputs: Sequence[str] | None = None):
    """Return the SALib ``ProblemSpec`` of an experiment's factors, in their real units.

    Args:
        experiment: An experiment file, a shipped experiment name or an
            :class:`~parkabm.experiments.design.spec.Experiment`.
        outputs: Names of the outputs the results will hold (SALib's ``outputs``, one column of ``results``
            each); SALib names them ``Y`` or ``Y1``, ``Y2`` … when omitted.

    Returns:
        A ``SALib.ProblemSpec`` with ``names`` (the declared factor names), ``bounds``, ``dists`` and, when factors
        are grouped, ``groups``.

    Raises:
        UserInputError: A factor SALib cannot express, or an experiment without factors; each problem names the
            file, the factor's key and what is allowed.
    """
    from SALib import ProblemSpec

    from parkabm.experiments.design.spec import Experiment, load_spec

    experiment = experiment if isinstance(experiment, Experiment) else load_spec(experiment)
    factors = experiment.spec.factors
    source = experiment.source
    if not factors:
        raise UserInputError([Problem.of(source, "factors", [], "at least one factor for a SALib problem")])
    problems, bounds, dists = [], [], []
    for i, factor in enumerate(factors):
        mapped = salib_distribution(factor)
        if isinstance(mapped, str):
            key = f"factors[{i}]." + ("levels" if factor.levels is not None else "distribution")
            shown = factor.levels if factor.levels is not None else factor.distribution.model_dump(exclude_none=True)
            problems.append(Problem.of(source, key, shown, f"{mapped} (factor {factor.name!r})"))
            continue
        dists.append(mapped[0])
        bounds.append(mapped[1])
    if problems:
        raise UserInputError(problems)
    spec: dict[str, Any] = {"names": [f.name for f in factors], "bounds": bounds, "dists": dists}
    groups = [f.group or f.name for f in factors]
    if len(set(groups)) < len(groups):
        spec["groups"] = groups
    if outputs is not None:
        spec["outputs"] = list(outputs)
    return ProblemSpec(spec)


def real_samples(experiment: Any) -> Any:
    """Return an experiment's design points in real units, one row per point in design order (SALib's ``X``).

    Hand them to ``ProblemSpec.set_samples`` to analyse a parkabm batch with SALib.
    """
    from parkabm.experiments.design.spec import Experiment, load_spec

    experiment = experiment if isinstance(experiment, Experiment) else load_spec(experiment)
    points = experiment.points()
    return points[[f.name for f in experiment.spec.factors]].to_numpy(dtype=float)
