"""Experiment specs: the one declaration of a batch (scenarios, factors, design, replicates, outputs, seed).

An experiment file is YAML, validated like a scenario file: every problem is reported at once, each naming the
file, the key path, the value found and what is allowed (:class:`~parkabm.scenarios.errors.UserInputError`)::

    name: land_and_growth
    scenarios: [baseline, my_policy.yaml]        # shipped names or paths relative to this file
    factors:
      - {name: levers.land.redevelopment_mu_per_year, kind: lever, bounds: [5000, 20000]}
      - {name: trend_growth_multiplier, kind: uncertainty, distribution: {dist: triangular, low: 0.6,
         mode: 1.0, high: 1.3}}
    design: {kind: latin_hypercube, samples: 64}
    replicates: 10
    horizon: 2025                                # optional: overrides every scenario's world.horizon
    outputs: {metrics: [total_output_yi, leading_share], parks: false}
    seed: 1

What runs where (workers, a Dask scheduler) is not part of the experiment: it is chosen when the batch is run.

**Factors.** A ``lever`` factor is a dotted lever path of the scenario schema (``levers.land.…``); its values are
applied to each scenario with :func:`~parkabm.scenarios.loader.apply_changes`. An ``uncertainty`` factor is a
behavioural parameter of :data:`~parkabm.scenarios.parameters.PARAMETERS`; its value replaces the scenario's own
distribution for that parameter (see :func:`parkabm.experiments.execution.runner.run_job`). A factor gives exactly one
of ``bounds: [low, high]`` (uniform), ``distribution:`` (the scenario schema's distributions) or ``levels: [...]``
(the values of a grid).

**Designs.** A design is a set of points in the unit cube [0, 1)^k, one coordinate per factor; each factor maps a
coordinate to its value: bounds linearly, a distribution through its inverse CDF, levels by equal-width bins (so a
grid point ``(i + 0.5) / n`` is level ``i``). Integer levers (e.g. ``redevelopment_lag_years``) with bounds take
every whole number in ``[low, high]`` with equal probability. The design kinds (``grid``, ``monte_carlo``,
``latin_hypercube``, ``sobol``, ``morris``) are listed in the table
:data:`~parkabm.experiments.design.designs.DESIGNS`; adding a kind means adding its settings model, sampler and size
there. Random designs draw from the root of the experiment's seed, ``SeedSequence(seed)``, whose children
``spawn_key=(job,)`` seed the jobs. A design larger than
:data:`~parkabm.experiments.design.designs.MAX_DESIGN_BYTES` or an experiment of more than :data:`MAX_JOBS` jobs is
refused when the file is read, before any point is drawn.

**Jobs.** The spec expands into a deterministic table, scenario-major, then design point, then replicate:
``job = (scenario_index × points + sample) × replicates + replicate``. Replicates of a design point share its
factor values and differ only in their seed.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    Field,
    SerializeAsAny,
    TypeAdapter,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
)

from parkabm.experiments.design.designs import DESIGNS, MAX_DESIGN_BYTES, DesignKind, DesignSettings, settings_model
from parkabm.experiments.design.factors import STRICT, Factor, Level
from parkabm.model.outputs.registry import CITY_REPORTERS
from parkabm.scenarios.errors import Problem, UserInputError
from parkabm.scenarios.loader import apply_changes, load_scenario, shipped_names
from parkabm.scenarios.parameters import PARAMETERS
from parkabm.scenarios.schema import IDENTIFIER, IDENTIFIER_RULE, Levers, NormalDistribution, Scenario
from parkabm.scenarios.validation import (
    WHOLE_FILE,
    allowed_field,
    closest,
    format_number,
    problems_from,
    read_yaml_mapping,
    rejection,
    relocate,
)

__all__ = [
    "DESIGNS",
    "MAX_JOBS",
    "SPEC_DIR",
    "DesignKind",
    "DesignSettings",
    "Experiment",
    "ExperimentSpec",
    "Factor",
    "Level",
    "Outputs",
    "lever_type",
    "load_spec",
    "resolve_spec",
    "shipped_specs",
    "validate_spec",
]

SPEC_DIR = Path(__file__).parents[1] / "specs"
"""Folder of the example experiment files shipped with the package."""

MAX_JOBS = 1_000_000
"""Most jobs (scenarios × design points × replicates) one experiment may hold.

assumed: the job table keeps about 200 bytes per job (≈200 MB at the limit), and a million runs of the calibrated
world (about 1 s each) take over five days on two cores; a larger study is split into several experiment files."""

_FILE = WHOLE_FILE
_SUBTYPES = {DesignSettings: settings_model}
"""For the translator of validation errors: the settings model of a ``design:`` mapping follows its ``kind``."""


class Outputs(BaseModel):
    """What the store keeps of each run."""

    model_config = STRICT

    metrics: list[str] | None = allowed_field("a list of output names (null: all)", default=None,
                                         description="Citywide outputs to keep; all when omitted.")
    parks: bool = allowed_field("true or false", default=False, description="Keep per-park rows.")


class ExperimentSpec(BaseModel):
    """What an experiment file may say (the structure; names are checked by :func:`resolve_spec`)."""

    model_config = STRICT

    name: str = Field(description=f"Identifier of the experiment: {IDENTIFIER_RULE}.")
    description: str | None = allowed_field("text", default=None, description="What the experiment asks.")
    scenarios: list[str] = allowed_field("a non-empty list of shipped scenario names or paths to YAML files",
                                    min_length=1, description="Scenarios, each run at every design point.")
    factors: list[Factor] = Field(default_factory=list, description="Factors varied by the design.")
    design: SerializeAsAny[DesignSettings] | None = Field(None, description="How the factors are sampled.")
    replicates: int = allowed_field("a whole number ≥ 1", ge=1, description="Runs per scenario and design point.")
    horizon: int | None = allowed_field("a year from 2019 to 2030, or null", default=None, ge=2019, le=2030,
                                   description="Overrides every scenario's world.horizon.")
    outputs: Outputs = Field(default_factory=Outputs, description="What the store keeps.")
    seed: int = allowed_field("a whole number ≥ 0", default=0, ge=0, description="Master seed.")
    common_random_numbers: bool = allowed_field(
        "true or false", default=False,
        description="Every design point and scenario shares the random streams of a replicate (the job's seed is "
                    "SeedSequence(seed, spawn_key=(replicate,)) instead of (job,)), so differences between points "
                    "come from the factors rather than from different draws; for sensitivity analysis and "
                    "comparisons.")

    @field_validator("name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not IDENTIFIER.match(value):
            raise rejection("not_identifier", IDENTIFIER_RULE)
        return value

    @field_validator("design", mode="wrap")
    @classmethod
    def _design_of_its_kind(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> DesignSettings | None:
        """Validate the ``design:`` mapping with the settings model of its kind in DESIGNS."""
        if value is None or isinstance(value, DesignSettings):
            return value
        kinds = ", ".join(repr(k) for k in DESIGNS)
        if not isinstance(value, Mapping):
            raise rejection("design_not_mapping", f"a mapping with kind: {kinds}")
        kind = value.get("kind")
        if not isinstance(kind, str) or kind not in DESIGNS:
            hint = closest(kind, list(DESIGNS)) if isinstance(kind, str) else None
            raise rejection("unknown_design", (f"did you mean {hint!r}? " if hint else "") + f"one of {kinds}",
                           shown="(missing)" if kind is None else repr(kind), field="kind")
        try:
            return DESIGNS[kind].settings.model_validate(value)
        except ValidationError as exc:
            raise ValidationError.from_exception_data("design", relocate(exc)) from None


# ----------------------------------------------------------------------------------------------------
# Resolution: scenarios, factors and outputs checked against the model
# ----------------------------------------------------------------------------------------------------


def _looks_like_path(text: str) -> bool:
    return "/" in text or os.sep in text or text.lower().endswith((".yaml", ".yml"))


def lever_type(path: str) -> Any:
    """Return the Python type of the scenario field at a dotted path (``int`` for integer levers), or None.

    Args:
        path: Dotted key path from the scenario's top, e.g. ``levers.land.redevelopment_lag_years``.

    Returns:
        The field's type with ``None`` and annotations stripped; None when the path names no field.
    """
    tp: Any = Scenario
    for part in path.split("."):
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            info = tp.model_fields.get(part)
            if info is None:
                return None
            tp = info.annotation
        elif typing.get_origin(tp) is dict:
            tp = typing.get_args(tp)[1]
        else:
            return None
        while typing.get_origin(tp) is typing.Annotated:
            tp = typing.get_args(tp)[0]
        members = [a for a in typing.get_args(tp) if a is not type(None)]
        if typing.get_origin(tp) in (typing.Union, types.UnionType) and len(members) == 1:
            tp = members[0]
    return tp


@dataclass(frozen=True)
class Experiment:
    """A validated experiment: its spec, the resolved scenarios and everything derived from them.

    Attributes:
        spec: The validated spec.
        scenarios: Resolved scenarios by name, in the spec's order (the horizon override applied).
        source: How problems and the manifest name the experiment's origin (its file as given, or a label).
        given: The mapping as written (stored in the manifest).
        integer: Per factor, whether it takes whole numbers (an integer lever).
    """

    spec: ExperimentSpec
    scenarios: dict[str, Scenario]
    source: str
    given: dict[str, Any]
    integer: tuple[bool, ...] = field(default=())

    @property
    def name(self) -> str:
        """The experiment's name."""
        return self.spec.name

    @cached_property
    def spec_hash(self) -> str:
        """SHA-256 of the canonical experiment: the spec with defaults filled and every resolved scenario.

        What decides the jobs' numbers is hashed, not how the file says it: the scenarios enter by their resolved
        content in order (a path written another way is the same experiment; a scenario file edited after a batch
        started is not, so its results are never mixed with the earlier ones), and the free-text description is
        left out.
        """
        spec = self.spec.model_dump(mode="json", exclude={"description"})
        spec["scenarios"] = list(self.scenarios)
        canonical = {
            "spec": spec,
            "scenarios": {name: s.model_dump(mode="json") for name, s in self.scenarios.items()},
        }
        text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @cached_property
    def unit_points(self) -> np.ndarray:
        """Design points in the unit cube, shape (points, factors); one point when there are no factors."""
        spec = self.spec
        if spec.design is None:
            return np.zeros((1, 0))
        rng = np.random.default_rng(np.random.SeedSequence(spec.seed))
        points = np.asarray(DESIGNS[spec.design.kind].sampler(spec.factors, spec.design, rng), dtype=float)
        return points.reshape(len(points), len(spec.factors))

    @property
    def n_points(self) -> int:
        """Number of design points."""
        return len(self.unit_points)

    @property
    def n_jobs(self) -> int:
        """Number of jobs: scenarios × design points × replicates."""
        return len(self.scenarios) * self.n_points * self.spec.replicates

    def points(self) -> pd.DataFrame:
        """Return the design points in factor units: a ``sample`` column and one column per factor."""
        columns: dict[str, Any] = {"sample": np.arange(self.n_points, dtype=np.int64)}
        for j, factor in enumerate(self.spec.factors):
            values = [factor.value_at(float(u), integer=self.integer[j]) for u in self.unit_points[:, j]]
            columns[factor.name] = pd.Series(values, dtype=_dtype(values))
        return pd.DataFrame(columns)

    def jobs(self) -> pd.DataFrame:
        """Return the job table: ``job``, ``scenario``, ``sample``, ``replicate`` and one column per factor.

        Each job's seed is ``SeedSequence(seed, spawn_key=(stream,))`` with the stream of :meth:`streams`; the
        ``seed`` and ``spawn_key`` columns
        record it.
        """
        points = self.points()
        reps = self.spec.replicates
        names = list(self.scenarios)
        n_points = len(points)
        job = np.arange(self.n_jobs, dtype=np.int64)
        scenario_index = job // (n_points * reps)
        sample = (job // reps) % n_points
        table = pd.DataFrame({
            "job": job,
            "scenario": pd.Series(np.asarray(names, dtype=object)[scenario_index], dtype=object),
            "sample": sample,
            "replicate": job % reps,
        })
        for factor in self.spec.factors:
            table[factor.name] = points[factor.name].to_numpy()[sample]
        table["seed"] = np.int64(self.spec.seed)
        table["spawn_key"] = [[int(s)] for s in self.streams(job)]
        return table

    def streams(self, jobs: np.ndarray) -> np.ndarray:
        """Return the random stream of each job: the job's number, or its replicate with common random numbers."""
        jobs = np.asarray(jobs, dtype=np.int64)
        return jobs % self.spec.replicates if self.spec.common_random_numbers else jobs

    def factor_values(self, sample: int) -> tuple[dict[str, Any], dict[str, float]]:
        """Return a design point's lever changes (by path) and parameter overrides (by name), as Python values."""
        levers: dict[str, Any] = {}
        parameters: dict[str, float] = {}
        for j, factor in enumerate(self.spec.factors):
            value = _native(factor.value_at(float(self.unit_points[sample, j]), integer=self.integer[j]))
            if factor.kind == "lever":
                levers[factor.name] = value
            else:
                parameters[factor.name] = float(value)
        return levers, parameters


def _native(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _dtype(values: list[Any]) -> str:
    kinds = {type(v) for v in values}
    if kinds <= {bool}:
        return "bool"
    if kinds <= {int}:
        return "int64"
    if kinds <= {int, float}:
        return "float64"
    return "object"


@dataclass(frozen=True)
class _Parts:
    """The parts of an experiment that can be checked against the model, each valid on its own.

    When the file as a whole fails its schema, the parts that are valid by themselves are still checked (scenario
    references, factor names, output names), so that every problem of the file is reported in one pass.
    """

    scenarios: list[str]
    factors: list[tuple[int, Factor]]
    horizon: int | None
    metrics: list[str]

    @classmethod
    def of_spec(cls, spec: ExperimentSpec) -> _Parts:
        return cls(list(spec.scenarios), list(enumerate(spec.factors)), spec.horizon, list(spec.outputs.metrics or []))

    @classmethod
    def of_mapping(cls, data: Mapping[str, Any]) -> _Parts:
        scenarios = _valid_or(data.get("scenarios"), _TEXTS, [])
        factors = []
        raw_factors = data.get("factors")
        for i, raw in enumerate(raw_factors if isinstance(raw_factors, list) else []):
            factor = _valid_or(raw, _FACTOR, None)
            if factor is not None:
                factors.append((i, factor))
        horizon = _valid_or(data.get("horizon"), _HORIZON, None)
        outputs = data.get("outputs")
        metrics = _valid_or(outputs.get("metrics") if isinstance(outputs, Mapping) else None, _TEXTS, [])
        return cls(scenarios, factors, horizon, metrics)


_TEXTS = TypeAdapter(list[str], config=STRICT)
_FACTOR = TypeAdapter(Factor)
_HORIZON = TypeAdapter(ExperimentSpec.model_fields["horizon"].annotation, config=STRICT)


def _valid_or(value: Any, adapter: TypeAdapter[Any], default: Any) -> Any:
    """Return ``value`` validated by ``adapter``, or ``default`` when it is missing or invalid."""
    if value is None:
        return default
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return default


def _scenario_problems(refs: Sequence[str], file: str, base_dir: Path,
                       display_dir: str) -> tuple[dict[str, Scenario], list[Problem]]:
    """Load every scenario of the spec; problems name the spec (unknown reference) or the scenario file."""
    scenarios: dict[str, Scenario] = {}
    problems: list[Problem] = []
    for i, ref in enumerate(refs):
        key = f"scenarios[{i}]"
        if _looks_like_path(ref) or (base_dir / f"{ref}.yaml").is_file():
            relative = ref if _looks_like_path(ref) else f"{ref}.yaml"
            path = Path(relative) if Path(relative).is_absolute() else base_dir / relative
            if not path.is_file():
                problems.append(Problem.of(file, key, ref, "a path to a scenario YAML file, relative to the "
                                           "experiment file (this one does not exist)"))
                continue
            target: str | Path = (os.path.normpath(os.path.join(display_dir, relative))
                                  if not Path(relative).is_absolute() else relative)
            if Path(target).resolve() != path.resolve():
                target = path
        elif ref in shipped_names():
            target = ref
        else:
            hint = closest(ref, shipped_names())
            problems.append(Problem.of(file, key, ref, (f"did you mean {hint!r}? " if hint else "")
                                       + "a shipped scenario (" + ", ".join(shipped_names())
                                       + ") or a path to a YAML file"))
            continue
        try:
            scenario = load_scenario(target)
        except UserInputError as exc:
            problems += exc.problems or [Problem(str(target), _FILE, "(invalid)", str(exc))]
            continue
        if scenario.name in scenarios:
            problems.append(Problem.of(file, key, ref, f"scenarios with distinct names ({scenario.name!r} "
                                       "appears twice)"))
            continue
        scenarios[scenario.name] = scenario
    return scenarios, problems


def _with_horizon(scenarios: dict[str, Scenario], horizon: int | None, file: str) -> list[Problem]:
    problems = []
    for name, scenario in list(scenarios.items()):
        if horizon is None:
            continue
        base = scenario.world.base_year
        if not base < horizon <= 2030:
            problems.append(Problem.of(file, "horizon", horizon,
                                       f"a year from {base + 1} (after base_year of scenario {name!r}) to 2030"))
            continue
        world = scenario.world.model_copy(update={"horizon": horizon})
        scenarios[name] = scenario.model_copy(update={"world": world})
    return problems


def _factor_problems(factors: Sequence[tuple[int, Factor]], first: Scenario | None,
                     file: str) -> tuple[dict[int, bool], list[Problem]]:
    """Check factor names and ranges, every factor on its own; return which factors are integer levers."""
    problems: list[Problem] = []
    integer: dict[int, bool] = {}
    seen: set[str] = set()
    for i, factor in factors:
        key = f"factors[{i}]"
        integer[i] = False
        if factor.name in seen:
            problems.append(Problem.of(file, f"{key}.name", factor.name, "distinct factor names"))
            continue
        seen.add(factor.name)
        if factor.kind == "uncertainty":
            parameter = PARAMETERS.get(factor.name)
            if parameter is None:
                hint = closest(factor.name, sorted(PARAMETERS))
                problems.append(Problem.of(file, f"{key}.name", factor.name,
                                           (f"did you mean {hint!r}? " if hint else "")
                                           + "a parameter: " + ", ".join(sorted(PARAMETERS))))
                continue
            problems += _parameter_range_problems(factor, parameter, file, key)
            continue
        tp = lever_type(factor.name)
        if not factor.name.startswith("levers.") or tp is None or (
                isinstance(tp, type) and issubclass(tp, BaseModel)):
            problems.append(Problem.of(file, f"{key}.name", factor.name, _lever_hint(factor.name)))
            continue
        integer[i] = tp is int and factor.levels is None
        if factor.distribution is not None and not all(
                math.isfinite(v) for v in factor.extremes()):
            problems.append(Problem.of(file, f"{key}.distribution", factor.distribution.model_dump(),
                                       "a distribution with finite low and high (a lever's range is bounded)"))
            continue
        if integer[i] and factor.bounds is not None and math.ceil(factor.bounds[0]) > math.floor(factor.bounds[1]):
            problems.append(Problem.of(file, f"{key}.bounds", factor.bounds, "bounds around at least one whole "
                                       "number (this lever takes whole numbers)"))
            continue
        if first is None:
            continue
        part = next(k for k in ("bounds", "distribution", "levels") if getattr(factor, k) is not None)
        for value in dict.fromkeys(factor.extremes(integer=integer[i])):
            try:
                apply_changes(first, {factor.name: _native(value)}, source=file)
            except UserInputError as exc:
                allowed = "; ".join(p.allowed for p in exc.problems) or str(exc)
                problems.append(Problem.of(file, f"{key}.{part}", value,
                                           f"{allowed} (checked on scenario {first.name!r})"))
    return integer, problems


def _lever_hint(name: str) -> str:
    """Say which lever paths exist near a wrong one."""
    parts = name.split(".")
    model: type[BaseModel] = Levers
    prefix = "levers"
    for part in parts[1:]:
        inner = lever_type(f"{prefix}.{part}") if part in model.model_fields else None
        if not (isinstance(inner, type) and issubclass(inner, BaseModel)):
            break
        model, prefix = inner, f"{prefix}.{part}"
    known = [f"{prefix}.{k}" for k in model.model_fields]
    hint = closest(name, known)
    return (f"did you mean {hint!r}? " if hint else "") + "a lever path (a number or word of the scenario " \
        "schema), e.g. " + ", ".join(known[:12]) + (" …" if len(known) > 12 else "")


def _parameter_range_problems(factor: Factor, parameter: Any, file: str, key: str) -> list[Problem]:
    low, high = parameter.low, parameter.high
    allowed = (f"values from {format_number(low)} to {format_number(high)} (hard bounds of parameter "
               f"{parameter.name!r}, unit {parameter.unit or 'none'})")
    if factor.levels is not None:
        bad = [v for v in factor.levels if isinstance(v, bool) or not isinstance(v, int | float)
               or not low <= v <= high]
        return [Problem.of(file, f"{key}.levels", bad, allowed)] if bad else []
    if factor.bounds is not None:
        outside = not (low <= factor.bounds[0] and factor.bounds[1] <= high)
        return [Problem.of(file, f"{key}.bounds", factor.bounds, allowed)] if outside else []
    fields = factor.distribution.bound_problems(low, high)
    return [Problem.of(file, f"{key}.distribution.{name}", value, allowed) for name, value in fields]


def _normal_filled(spec: ExperimentSpec) -> ExperimentSpec:
    """Give a normal distribution of an uncertainty factor without truncation the parameter's hard bounds."""
    factors = []
    for factor in spec.factors:
        dist = factor.distribution
        parameter = PARAMETERS.get(factor.name)
        if factor.kind == "uncertainty" and isinstance(dist, NormalDistribution) and parameter is not None:
            dist = dist.model_copy(update={"low": parameter.low if dist.low is None else dist.low,
                                           "high": parameter.high if dist.high is None else dist.high})
            factor = factor.model_copy(update={"distribution": dist})
        factors.append(factor)
    return spec.model_copy(update={"factors": factors})


def _design_problems(spec: ExperimentSpec, file: str) -> list[Problem]:
    problems = []
    if spec.design is None:
        if spec.factors:
            problems.append(Problem(file, "design", "(missing)", "required when factors are given: a mapping "
                                    "with kind: " + ", ".join(repr(k) for k in DESIGNS)))
        return problems
    kind = DESIGNS[spec.design.kind]
    if not spec.factors:
        problems.append(Problem(file, "factors", "[]", f"at least one factor for design {kind.name!r} (omit "
                                "design to run the scenarios' replicates alone)"))
    if kind.needs_levels:
        for i, factor in enumerate(spec.factors):
            if factor.levels is None:
                problems.append(Problem(file, f"factors[{i}].levels", "(missing)",
                                        f"levels: a {kind.name} design needs the levels of every factor"))
    return problems


def design_rows(spec: ExperimentSpec) -> int:
    """Return the number of design points of a spec, computed from its settings without drawing them."""
    if spec.design is None:
        return 1
    return DESIGNS[spec.design.kind].rows(spec.factors, spec.design)


def _size_problems(spec: ExperimentSpec, file: str) -> list[Problem]:
    """Refuse a design or a job table too large for memory, estimated before anything is allocated."""
    rows = design_rows(spec)
    k = max(len(spec.factors), 1)
    budget = MAX_DESIGN_BYTES // (8 * k)  # most points for this many factors
    if rows > budget:
        kind = DESIGNS[spec.design.kind]
        size = getattr(spec.design, kind.size_key) if kind.size_key else None
        per_unit = rows // size if size else rows
        limit = (f"at most {budget // per_unit:,}" if size else "fewer levels") + f" for {len(spec.factors)} " \
            f"factors: the design would have {rows:,} points × {len(spec.factors)} factors × 8 bytes = " \
            f"{rows * k * 8 / 2**20:,.0f} MiB, above the {MAX_DESIGN_BYTES // 2**20} MiB a design may take"
        key = f"design.{kind.size_key}" if kind.size_key else "design"
        shown = repr(size) if size else f"(a grid of {rows:,} points)"
        return [Problem(file, key, shown, limit)]
    jobs = len(spec.scenarios) * rows * spec.replicates
    if jobs > MAX_JOBS:
        most = max(MAX_JOBS // (len(spec.scenarios) * rows), 0)
        return [Problem.of(file, "replicates", spec.replicates,
                           f"at most {most:,} here: {len(spec.scenarios)} scenarios × {rows:,} design points × "
                           f"replicates must not exceed {MAX_JOBS:,} jobs (this gives {jobs:,})")]
    return []


def _output_problems(metrics: Sequence[str], file: str) -> list[Problem]:
    problems = []
    names = list(CITY_REPORTERS)
    for i, metric in enumerate(metrics):
        if metric not in CITY_REPORTERS:
            hint = closest(metric, names)
            problems.append(Problem.of(file, f"outputs.metrics[{i}]", metric,
                                       (f"did you mean {hint!r}? " if hint else "") + "an output: "
                                       + ", ".join(names)))
    return problems


def resolve_spec(data: Mapping[str, Any], *, source: str = "experiment",
                 base_dir: str | Path = ".") -> Experiment:
    """Validate an experiment given as a mapping (as read from a file, or built in code).

    Every problem is collected before anything is raised: the schema's, and those of every part that is valid on
    its own (scenario references, each factor's name and range, output names), so one pass reports them all.

    Args:
        data: The spec's keys and values.
        source: How problems name the experiment (its file as the user gave it).
        base_dir: Folder that scenario paths are relative to (the experiment file's folder).

    Returns:
        The validated experiment with its scenarios resolved.

    Raises:
        UserInputError: Listing every problem: structure, scenarios, factors, design, size and outputs.
    """
    data = dict(data)
    problems: list[Problem] = []
    spec: ExperimentSpec | None = None
    try:
        spec = ExperimentSpec.model_validate(data)
    except ValidationError as exc:
        problems += problems_from(exc, data, source, root=ExperimentSpec, subtypes=_SUBTYPES)
    parts = _Parts.of_spec(spec) if spec is not None else _Parts.of_mapping(data)
    scenarios, found = _scenario_problems(parts.scenarios, source, Path(base_dir), os.path.dirname(source))
    problems += found + _with_horizon(scenarios, parts.horizon, source)
    integer, found = _factor_problems(parts.factors, next(iter(scenarios.values()), None), source)
    problems += found + _output_problems(parts.metrics, source)
    if spec is not None:
        problems += _design_problems(spec, source)
        if not problems:
            problems += _size_problems(spec, source)
    if problems or spec is None:
        raise UserInputError(list(dict.fromkeys(problems)))
    flags = tuple(integer[i] for i in range(len(spec.factors)))
    return Experiment(_normal_filled(spec), scenarios, source, data, flags)


def load_spec(ref: str | Path) -> Experiment:
    """Read and validate an experiment file.

    Args:
        ref: Path to the YAML file, or the name of an example shipped in ``experiments/specs/``.

    Returns:
        The validated experiment.

    Raises:
        UserInputError: Listing every problem, each with file, key path, value and what is allowed.
    """
    text = str(ref)
    path = Path(text)
    if not path.exists() and not _looks_like_path(text) and (SPEC_DIR / f"{text}.yaml").is_file():
        path = SPEC_DIR / f"{text}.yaml"
    data, problems = read_yaml_mapping(path, text, what="experiment", keys=ExperimentSpec.model_fields)
    if data is None:
        raise UserInputError(problems)
    return resolve_spec(data, source=text, base_dir=path.parent)


def validate_spec(ref: str | Path) -> list[Problem]:
    """Check an experiment file and return every problem found (an empty list when it is valid).

    Args:
        ref: As for :func:`load_spec`.

    Returns:
        The problems, each naming file, key path, offending value and what is allowed.
    """
    try:
        load_spec(ref)
    except UserInputError as exc:
        return exc.problems or [Problem(str(ref), _FILE, "(invalid)", str(exc))]
    return []


def shipped_specs() -> list[str]:
    """Return the names of the example experiment files shipped with the package, sorted."""
    return sorted(p.stem for p in SPEC_DIR.glob("*.yaml"))
