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
every whole number in ``[low, high]`` with equal probability. Design kinds live in the registry
:data:`DESIGNS`; :func:`register_design` adds one (its settings model and its sampler) without touching this
module. Shipped: ``grid`` (every combination of the factors' levels), ``monte_carlo`` and ``latin_hypercube``
(``samples`` points). Random designs draw from the root of the experiment's seed,
``SeedSequence(seed)``, whose children ``spawn_key=(job,)`` seed the jobs.

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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from parkabm.scenarios.errors import Problem, UserInputError, shorten
from parkabm.scenarios.loader import read_yaml_mapping
from parkabm.scenarios.schema import IDENTIFIER, IDENTIFIER_RULE, Distribution, closest, format_number

if typing.TYPE_CHECKING:
    import pandas as pd

    from parkabm.scenarios.schema import Scenario

SPEC_DIR = Path(__file__).parents[1] / "specs"
"""Folder of the example experiment files shipped with the package."""

_FILE = "-"  # key path of problems that concern a whole file
_STRICT = ConfigDict(extra="forbid", frozen=True, strict=True)

Level = bool | int | float | str
"""A value of a grid level: a number, a word (e.g. ``guishang``) or true/false."""


def _problem(kind: str, allowed: str, *, shown: str | None = None, field: str | None = None) -> PydanticCustomError:
    """Build a validation error whose context says what is allowed (rendered by :func:`_problems_from`)."""
    ctx: dict[str, Any] = {"allowed": allowed}
    if shown is not None:
        ctx["shown"] = shown
    if field is not None:
        ctx["field"] = field
    return PydanticCustomError(kind, "{allowed}", ctx)


def _allowed(text: str, **kwargs: Any) -> Any:
    """A field whose problems say ``text`` is what is allowed."""
    return Field(json_schema_extra={"allowed": text}, **kwargs)


# ----------------------------------------------------------------------------------------------------
# The spec
# ----------------------------------------------------------------------------------------------------


class Factor(BaseModel):
    """One factor varied by the design: a lever path or an uncertain behavioural parameter."""

    model_config = _STRICT

    name: str = _allowed("a dotted lever path (levers.land.…) or a parameter name",
                         description="Lever path (kind lever) or parameter name (kind uncertainty).")
    kind: Literal["lever", "uncertainty"] = Field(description="lever: a policy choice; uncertainty: a parameter.")
    bounds: list[float] | None = _allowed("two numbers [low, high] with low < high", default=None,
                                          min_length=2, max_length=2, description="Uniform range.")
    distribution: Distribution | None = Field(None, description="A distribution of the scenario schema.")
    levels: list[Level] | None = _allowed("a non-empty list of values", default=None, min_length=1,
                                          description="Values of a grid (or equally likely values).")
    group: str | None = _allowed("text naming a group of factors (sensitivity analysis)", default=None,
                                 description="Group of factors analysed together by grouped SA methods.")

    @model_validator(mode="after")
    def _one_range(self) -> Factor:
        given = [k for k in ("bounds", "distribution", "levels") if getattr(self, k) is not None]
        if len(given) != 1:
            raise _problem("one_range", "exactly one of bounds, distribution, levels",
                           shown="(" + (", ".join(given) or "none of them") + ")")
        if self.bounds is not None and not self.bounds[0] < self.bounds[1]:
            raise _problem("bad_bounds", "two numbers [low, high] with low < high",
                           shown=repr(self.bounds), field="bounds")
        if self.levels is not None and len({_level_kind(v) for v in self.levels}) > 1:
            raise _problem("mixed_levels", "levels of one kind: all numbers, all text or all true/false",
                           shown=repr(self.levels), field="levels")
        return self

    def value_at(self, u: float, *, integer: bool = False) -> Level:
        """Return the factor's value at unit-cube coordinate ``u`` in [0, 1).

        Args:
            u: Coordinate of a design point.
            integer: The factor takes whole numbers (an integer lever): bounds give every whole number from
                low to high with equal probability, and distributions are rounded.

        Returns:
            The value in the factor's unit.
        """
        if self.levels is not None:
            return self.levels[min(int(u * len(self.levels)), len(self.levels) - 1)]
        if self.bounds is not None:
            low, high = self.bounds
            if integer:
                low, high = math.ceil(low), math.floor(high)
                return int(min(low + math.floor(u * (high - low + 1)), high))
            return low + u * (high - low)
        assert self.distribution is not None  # guaranteed by _one_range
        value = self.distribution.ppf(u)
        return round(value) if integer else value

    def extremes(self, *, integer: bool = False) -> list[Level]:
        """Return the values that bound the factor's range (its levels, or the two ends of its range)."""
        if self.levels is not None:
            return list(self.levels)
        if self.bounds is not None:
            low, high = self.bounds
            return [math.ceil(low), math.floor(high)] if integer else [low, high]
        ends = [self.distribution.ppf(0.0), self.distribution.ppf(1.0)]
        return [round(v) for v in ends] if integer else ends


def _level_kind(value: Level) -> str:
    return "bool" if isinstance(value, bool) else "text" if isinstance(value, str) else "number"


class DesignSettings(BaseModel):
    """Settings of a design; each registered design kind has its own subclass (see :func:`register_design`)."""

    model_config = _STRICT

    kind: str = Field(description="A registered design kind.")


class GridDesign(DesignSettings):
    """Every combination of the factors' levels (each factor needs ``levels``)."""

    kind: Literal["grid"] = Field(description="Design kind.")


class MonteCarloDesign(DesignSettings):
    """``samples`` independent uniform points of the unit cube."""

    kind: Literal["monte_carlo"] = Field(description="Design kind.")
    samples: int = _allowed("a whole number ≥ 1", ge=1, description="Number of design points.")


class LatinHypercubeDesign(DesignSettings):
    """``samples`` points, one in each of ``samples`` equal strata of every factor."""

    kind: Literal["latin_hypercube"] = Field(description="Design kind.")
    samples: int = _allowed("a whole number ≥ 1", ge=1, description="Number of design points.")


DesignSampler = Callable[[Sequence[Factor], DesignSettings, np.random.Generator], np.ndarray]
"""A design's sampler: ``(factors, settings, rng) -> points``, an array of shape (points, factors) in [0, 1)."""


@dataclass(frozen=True)
class DesignKind:
    """A registered design kind.

    Attributes:
        name: The ``kind`` written in experiment files.
        settings: Pydantic model of the ``design:`` mapping (a subclass of :class:`DesignSettings`).
        sampler: Returns the design points in the unit cube.
        needs_levels: Every factor must give ``levels`` (a grid).
    """

    name: str
    settings: type[DesignSettings]
    sampler: DesignSampler
    needs_levels: bool = False


DESIGNS: dict[str, DesignKind] = {}
"""Design kinds by name; :func:`register_design` adds one."""


def register_design(name: str, settings: type[DesignSettings], *,
                    needs_levels: bool = False) -> Callable[[DesignSampler], DesignSampler]:
    """Register a design kind: a decorator for its sampler.

    Args:
        name: The ``kind`` written in experiment files.
        settings: Model of the ``design:`` mapping (``kind`` plus the design's own keys, e.g. ``samples``).
        needs_levels: Every factor must give ``levels``.

    Returns:
        A decorator that registers the sampler and returns it unchanged.
    """

    def decorate(sampler: DesignSampler) -> DesignSampler:
        DESIGNS[name] = DesignKind(name, settings, sampler, needs_levels)
        return sampler

    return decorate


@register_design("grid", GridDesign, needs_levels=True)
def grid_points(factors: Sequence[Factor], settings: DesignSettings, rng: np.random.Generator) -> np.ndarray:
    """Every combination of levels, the first factor varying slowest; level ``i`` of ``n`` at ``(i + 0.5) / n``."""
    sizes = [len(f.levels or ()) for f in factors]
    index = np.indices(sizes).reshape(len(sizes), -1).T
    return (index + 0.5) / np.asarray(sizes, dtype=float)


@register_design("monte_carlo", MonteCarloDesign)
def monte_carlo_points(factors: Sequence[Factor], settings: DesignSettings,
                       rng: np.random.Generator) -> np.ndarray:
    """Independent uniform points."""
    return rng.random((settings.samples, len(factors)))


@register_design("latin_hypercube", LatinHypercubeDesign)
def latin_hypercube_points(factors: Sequence[Factor], settings: DesignSettings,
                           rng: np.random.Generator) -> np.ndarray:
    """One point in each of ``samples`` equal strata of every coordinate, strata paired at random."""
    n, k = settings.samples, len(factors)
    strata = np.stack([rng.permutation(n) for _ in range(k)], axis=1) if k else np.zeros((n, 0))
    return (strata + rng.random((n, k))) / n


class Outputs(BaseModel):
    """What the store keeps of each run."""

    model_config = _STRICT

    metrics: list[str] | None = _allowed("a list of output names (null: all)", default=None,
                                         description="Citywide outputs to keep; all when omitted.")
    parks: bool = _allowed("true or false", default=False, description="Keep per-park rows.")


def _relocated(exc: ValidationError) -> list[InitErrorDetails]:
    details = []
    for error in exc.errors():
        kind = PydanticCustomError(error["type"], error["msg"].replace("{", "(").replace("}", ")"), error.get("ctx"))
        details.append(InitErrorDetails(type=kind, loc=tuple(error["loc"]), input=error["input"]))
    return details


class ExperimentSpec(BaseModel):
    """What an experiment file may say (the structure; names are checked by :func:`resolve_spec`)."""

    model_config = _STRICT

    name: str = Field(description=f"Identifier of the experiment: {IDENTIFIER_RULE}.")
    description: str | None = _allowed("text", default=None, description="What the experiment asks.")
    scenarios: list[str] = _allowed("a non-empty list of shipped scenario names or paths to YAML files",
                                    min_length=1, description="Scenarios, each run at every design point.")
    factors: list[Factor] = Field(default_factory=list, description="Factors varied by the design.")
    design: SerializeAsAny[DesignSettings] | None = Field(None, description="How the factors are sampled.")
    replicates: int = _allowed("a whole number ≥ 1", ge=1, description="Runs per scenario and design point.")
    horizon: int | None = _allowed("a year from 2019 to 2030, or null", default=None, ge=2019, le=2030,
                                   description="Overrides every scenario's world.horizon.")
    outputs: Outputs = Field(default_factory=Outputs, description="What the store keeps.")
    seed: int = _allowed("a whole number ≥ 0", default=0, ge=0, description="Master seed.")
    common_random_numbers: bool = _allowed(
        "true or false", default=False,
        description="Every design point and scenario shares the random streams of a replicate (the job's seed is "
                    "SeedSequence(seed, spawn_key=(replicate,)) instead of (job,)), so differences between points "
                    "come from the factors rather than from different draws; for sensitivity analysis and "
                    "comparisons.")

    @field_validator("name")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not IDENTIFIER.match(value):
            raise _problem("not_identifier", IDENTIFIER_RULE)
        return value

    @field_validator("design", mode="wrap")
    @classmethod
    def _registered_design(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> DesignSettings | None:
        """Validate the ``design:`` mapping with the settings model of its registered kind."""
        if value is None or isinstance(value, DesignSettings):
            return value
        kinds = ", ".join(repr(k) for k in DESIGNS)
        if not isinstance(value, Mapping):
            raise _problem("design_not_mapping", f"a mapping with kind: {kinds}")
        kind = value.get("kind")
        if kind not in DESIGNS:
            hint = closest(kind, list(DESIGNS)) if isinstance(kind, str) else None
            raise _problem("unknown_design", (f"did you mean {hint!r}? " if hint else "") + f"one of {kinds}",
                           shown="(missing)" if kind is None else repr(kind), field="kind")
        try:
            return DESIGNS[kind].settings.model_validate(value)
        except ValidationError as exc:
            raise ValidationError.from_exception_data("design", _relocated(exc)) from None


# ----------------------------------------------------------------------------------------------------
# Reading a file and turning validation errors into problems
# ----------------------------------------------------------------------------------------------------


def _key_text(path: Sequence[Any]) -> str:
    text = ""
    for element in path:
        text += f"[{element}]" if isinstance(element, int) else (("." if text else "") + str(element))
    return text or _FILE


def _user_path(loc: Sequence[Any], data: Any) -> list[Any]:
    """Drop from an error location the tags pydantic inserts (the ``dist`` of a distribution)."""
    kept: list[Any] = []
    node = data
    for element in loc:
        if isinstance(node, Mapping) and element not in node and isinstance(element, str) and \
                node.get("dist") == element:
            continue
        kept.append(element)
        if isinstance(node, Mapping):
            node = node.get(element)
        elif isinstance(node, list) and isinstance(element, int) and 0 <= element < len(node):
            node = node[element]
        else:
            node = None
    return kept


def _model_after(path: Sequence[Any], data: Any) -> type[BaseModel] | None:
    """Return the model class of the mapping reached by ``path`` (None when it is not a mapping of a model)."""
    model: type[BaseModel] | None = ExperimentSpec
    node = data
    for element in path:
        if isinstance(element, int):
            node = node[element] if isinstance(node, list) and 0 <= element < len(node) else None
            continue
        info = model.model_fields.get(element) if model is not None else None
        node = node.get(element) if isinstance(node, Mapping) else None
        model = _inner_model(info.annotation, node) if info is not None else None
    return model


def _field_at(path: Sequence[Any], data: Any) -> Any:
    """Return the field info of the key at ``path`` (list indices at its end are skipped), or None."""
    path = list(path)
    while path and isinstance(path[-1], int):
        path.pop()
    if not path:
        return None
    model = _model_after(path[:-1], data)
    return model.model_fields.get(path[-1]) if model is not None else None


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """Every model class inside an annotation (through Annotated, unions, lists and dicts)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _inner_model(annotation: Any, node: Any) -> type[BaseModel] | None:
    """The model class behind a field annotation for the value ``node`` (registered designs, distributions)."""
    models = _models_in(annotation)
    if not models:
        return None
    if models[0] is DesignSettings:
        kind = node.get("kind") if isinstance(node, Mapping) else None
        return DESIGNS[kind].settings if kind in DESIGNS else DesignSettings
    if len(models) > 1 and isinstance(node, Mapping):
        for model in models:
            tag = model.model_fields.get("dist")
            if tag is not None and node.get("dist") in typing.get_args(tag.annotation):
                return model
    return models[0]


def _problems_from(exc: ValidationError, data: Any, file: str) -> list[Problem]:
    """Translate every error of a failed validation into a problem line."""
    problems = []
    for error in exc.errors():
        path = _user_path(error["loc"], data)
        kind = error["type"]
        ctx = error.get("ctx") or {}
        value = "(missing)" if kind == "missing" else shorten(repr(error.get("input")))
        if "allowed" in ctx:
            allowed = str(ctx["allowed"])
            if "field" in ctx:
                path = [*path, ctx["field"]]
            if "shown" in ctx:
                value = shorten(str(ctx["shown"]))
        elif kind == "extra_forbidden":
            holder = _model_after(path[:-1], data)
            known = list(holder.model_fields) if holder is not None else []
            hint = closest(path[-1], known)
            allowed = (f"did you mean {hint!r}? " if hint else "") + "known keys: " + ", ".join(known)
        elif kind in ("union_tag_invalid", "union_tag_not_found"):
            path = [*path, "dist"]
            value = shorten(repr(ctx.get("tag"))) if kind == "union_tag_invalid" else "(missing)"
            allowed = "one of 'fixed', 'uniform', 'triangular', 'normal'"
        elif kind == "literal_error":
            allowed = "one of " + str(ctx.get("expected"))
        else:
            info = _field_at(path, data)
            extra = info.json_schema_extra if info is not None else None
            allowed = extra["allowed"] if isinstance(extra, dict) and "allowed" in extra else str(error["msg"])
            if kind == "missing":
                allowed = "required: " + allowed
        problems.append(Problem(file, _key_text(path), value, allowed))
    return problems


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
    from parkabm.scenarios.schema import Scenario

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
        import pandas as pd

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
        import pandas as pd

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


def _scenario_problems(spec: ExperimentSpec, file: str, base_dir: Path,
                       display_dir: str) -> tuple[dict[str, Scenario], list[Problem]]:
    """Load every scenario of the spec; problems name the spec (unknown reference) or the scenario file."""
    from parkabm.scenarios.loader import load_scenario, shipped_names

    scenarios: dict[str, Scenario] = {}
    problems: list[Problem] = []
    for i, ref in enumerate(spec.scenarios):
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


def _factor_problems(spec: ExperimentSpec, first: Scenario | None, file: str) -> tuple[list[bool], list[Problem]]:
    """Check factor names and ranges; return which factors are integer levers."""
    from parkabm.scenarios.loader import apply_changes
    from parkabm.scenarios.parameters import PARAMETERS

    problems: list[Problem] = []
    integer: list[bool] = []
    seen: set[str] = set()
    for i, factor in enumerate(spec.factors):
        key = f"factors[{i}]"
        integer.append(False)
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
        integer[-1] = tp is int and factor.levels is None
        if factor.distribution is not None and not all(
                math.isfinite(v) for v in factor.extremes()):
            problems.append(Problem.of(file, f"{key}.distribution", factor.distribution.model_dump(),
                                       "a distribution with finite low and high (a lever's range is bounded)"))
            continue
        if integer[-1] and factor.bounds is not None and math.ceil(factor.bounds[0]) > math.floor(factor.bounds[1]):
            problems.append(Problem.of(file, f"{key}.bounds", factor.bounds, "bounds around at least one whole "
                                       "number (this lever takes whole numbers)"))
            continue
        if first is None:
            continue
        where = {"bounds": "bounds", "distribution": "distribution", "levels": "levels"}
        part = next(k for k in where if getattr(factor, k) is not None)
        for value in dict.fromkeys(factor.extremes(integer=integer[-1])):
            try:
                apply_changes(first, {factor.name: _native(value)}, source=file)
            except UserInputError as exc:
                allowed = "; ".join(p.allowed for p in exc.problems) or str(exc)
                problems.append(Problem.of(file, f"{key}.{part}", value,
                                           f"{allowed} (checked on scenario {first.name!r})"))
    return integer, problems


def _lever_hint(name: str) -> str:
    """Say which lever paths exist near a wrong one."""
    from parkabm.scenarios.schema import Levers

    parts = name.split(".")
    model: Any = Levers
    prefix = "levers"
    for part in parts[1:]:
        if isinstance(model, type) and issubclass(model, BaseModel) and part in model.model_fields:
            inner = _inner_model(model.model_fields[part].annotation, None)
            if inner is None:
                break
            model, prefix = inner, f"{prefix}.{part}"
        else:
            break
    known = [f"{prefix}.{k}" for k in model.model_fields] if isinstance(model, type) else []
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
    from parkabm.scenarios.parameters import PARAMETERS
    from parkabm.scenarios.schema import NormalDistribution

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


def _output_problems(spec: ExperimentSpec, file: str) -> list[Problem]:
    from parkabm.model.outputs.registry import CITY_REPORTERS

    problems = []
    names = list(CITY_REPORTERS)
    for i, metric in enumerate(spec.outputs.metrics or []):
        if metric not in CITY_REPORTERS:
            hint = closest(metric, names)
            problems.append(Problem.of(file, f"outputs.metrics[{i}]", metric,
                                       (f"did you mean {hint!r}? " if hint else "") + "an output: "
                                       + ", ".join(names)))
    return problems


def resolve_spec(data: Mapping[str, Any], *, source: str = "experiment",
                 base_dir: str | Path = ".") -> Experiment:
    """Validate an experiment given as a mapping (as read from a file, or built in code).

    Args:
        data: The spec's keys and values.
        source: How problems name the experiment (its file as the user gave it).
        base_dir: Folder that scenario paths are relative to (the experiment file's folder).

    Returns:
        The validated experiment with its scenarios resolved.

    Raises:
        UserInputError: Listing every problem: structure, scenarios, factors, design and outputs.
    """
    try:
        spec = ExperimentSpec.model_validate(dict(data))
    except ValidationError as exc:
        raise UserInputError(list(dict.fromkeys(_problems_from(exc, data, source)))) from None
    scenarios, problems = _scenario_problems(spec, source, Path(base_dir), os.path.dirname(source))
    problems += _with_horizon(scenarios, spec.horizon, source)
    first = next(iter(scenarios.values()), None)
    integer, factor_problems = _factor_problems(spec, first, source)
    problems += factor_problems + _design_problems(spec, source) + _output_problems(spec, source)
    if problems:
        raise UserInputError(list(dict.fromkeys(problems)))
    return Experiment(_normal_filled(spec), scenarios, source, dict(data), tuple(integer))


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


def shipped_specs() -> list[str]:
    """Return the names of the example experiment files shipped with the package, sorted."""
    return sorted(p.stem for p in SPEC_DIR.glob("*.yaml"))


# The sensitivity designs (sobol, morris) register themselves with DESIGNS; importing them here makes them
# available wherever experiment files are read.
from parkabm.experiments.design import sensitivity as _sensitivity_designs  # noqa: E402, F401
