"""The paired effect of every lever (``parkabm effects``): what each lever does, with intervals and per 亿 spent.

For every lever of the scenario schema (:class:`~parkabm.scenarios.schema.Levers`, walked field by field, so a lever
added to the schema is measured without being listed here) the scenario is run with one documented step of that
lever and without it, under **common random numbers**: both arms of a replicate use the same replicate seed
(:func:`~parkabm.model.simulate.replicate_seed`) and the same draw of the uncertain behavioural parameters (drawn
once from the unchanged scenario, :func:`~parkabm.model.simulate.draw_parameters`, and given to every arm). The
effect of a step on an outcome is the mean of the per-replicate differences (changed − unchanged), with a 95%
t interval (``scipy.stats.t``, n − 1 degrees of freedom) of those paired differences.

**Steps** (:func:`lever_steps`):

- a numeric lever: ×2 and ×0.5 of the scenario's value. A value of 0 gets one step up by a stated amount
  (:data:`ZERO_STEPS`, else 10% of the schema's range). A step that would leave the schema's bounds is clipped to
  the bound (to halfway between the value and the bound when the bound is strict), and a step that ends where it
  started is dropped; the actual value is recorded. Whole-number levers round up (×2) or down (×0.5).
- a lever with policy-draft values (:data:`DRAFT_VALUES`, the 链主 threshold): one step to each draft value that
  differs from the scenario's (≥20亿 in the July 2022 draft, ≥50亿 in the May 2022 draft) instead of ×2/×0.5.
- a boolean lever: flipped; a lever with named choices (``evaluation.coverage``): each other choice.
- a mechanism scale under ``levers.mechanisms``: switched off (0); switched on (1) when the scenario has it off.
- levers bound by a rule of the schema move their partners as little as the rule needs: a 亩均 indicator weight
  changes and the other weights are rescaled in proportion so that they still sum to 1; a class cut-off stays
  strictly between its neighbours (halfway to the neighbour when ×2 or ×0.5 would pass it); the surcharges
  (A ≤ B ≤ C ≤ D ≤ persistent D) push the classes above (when raised) or below (when lowered) along. The partners'
  values are listed in the step's ``also`` column.
- per-park overrides (``levers.parks``) are not stepped: they are per-park choices, not citywide levers.

**Outcomes** (:data:`OUTCOMES`): in the comparison year (2025, or the horizon if earlier) total output, the
leading-industry share, the highest and the mean low-efficiency land share of the zones, 亩均税收, and the fiscal cost
of all levers summed over the years after the base year (2022–2025). **Targets**: P(met) of each target of
``targets.csv`` (:func:`~parkabm.model.outputs.targets.select_targets`); its effect is the mean paired difference of
the met indicators (−1, 0 or 1 per replicate) with the same t interval — the Wald interval of a difference of two
paired proportions, with the t quantile. When no replicate changes its met status the interval is [0, 0]: with few
discordant replicates it is too narrow, so read small P(met) effects with the outcome effects beside them. A target
whose output the model does not produce, or that targets.csv marks as not modelled or met at the base year
(:func:`~parkabm.model.outputs.targets.target_status`), is reported with that status (``not modelled``, ``met at base
year``), one whose year the runs do not reach as ``not evaluated`` — never as 0.

**Per 亿**: where the step changes the cumulative fiscal cost (its interval excludes zero), ``effect_per_yi`` is the
effect divided by the mean extra fiscal cost (亿元, 2022–2025); it is a ratio of means, without an interval.
"""

from __future__ import annotations

import math
import time
import typing
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from parkabm.scenarios.errors import Problem, UserInputError
from parkabm.scenarios.schema import lever_label as schema_lever_label

DEFAULT_REPS = 40
"""Replicates per arm by default. ``parkabm effects baseline`` is 97 arms × 40 = 3,880 runs, about 90 CPU-seconds
in all, so about 50 s on two free cores; 40 is the least that still separates the land and recruitment levers from
zero on 2025 output (README, "Lever effects", for the measured times)."""

COMPARISON_YEAR = 2025
"""Year of the outcomes (the plans' target year); the horizon when the scenario stops earlier."""

CONFIDENCE = 0.95
"""Level of every interval."""

CHAIN_THRESHOLD = "levers.chain_leaders.threshold_yi"

DRAFT_VALUES: dict[str, tuple[tuple[float, str], ...]] = {
    CHAIN_THRESHOLD: ((20.0, "July 2022 draft"), (50.0, "May 2022 draft")),
}
"""Levers whose steps are the values of the policy drafts instead of ×2 and ×0.5, with the draft that states each:
链主 年产值不少于20亿元 (2022年7月征求意见稿 三.1, July 2022) and 不少于50亿元 (2022年5月公开征求意见稿 1., May
2022)."""

ZERO_STEPS: dict[str, float] = {
    "levers.evaluation.surcharge_yuan_per_kwh.a": 0.1,
    "levers.evaluation.surcharge_yuan_per_kwh.b": 0.1,
    "levers.race.downgrade_after_years": 3,
    "levers.platforms.wanmu_priority": 0.3,
    "levers.platforms.exit_weakest": 2,
    "levers.platforms.top_count": 6,
}
"""Step up of levers whose value is 0 (×2 would not move them), by path. assumed: 0.1元/kWh is the C-class
surcharge of the baseline; 3 years reads 嘉兴万亩千亿实施意见 三(三) 连续几年 as three; the platform steps are the
values of scenario ``jiaxing_platforms`` (a 0.3 priority, the two weakest parks 退出型, the top 6 of
嘉兴万亩千亿实施意见).
Other zero levers step up by 10% of their schema range."""

NOT_STEPPED = {"levers.parks": "per-park overrides are choices for one park, not citywide levers"}
"""Parts of the lever schema that are not stepped, with the reason."""

SURCHARGE_CHAIN = (
    "levers.evaluation.surcharge_yuan_per_kwh.a", "levers.evaluation.surcharge_yuan_per_kwh.b",
    "levers.evaluation.surcharge_yuan_per_kwh.c", "levers.evaluation.surcharge_yuan_per_kwh.d",
    "levers.evaluation.persistent_d_surcharge_yuan_per_kwh",
)
"""Surcharges that the schema keeps non-decreasing, lowest first."""

CLASS_PRICE_CHAINS = tuple(
    tuple(f"levers.evaluation.{group}.{k}" for k in "abcd")
    for group in ("land_tax_change", "water_surcharge_yuan_per_m3", "gas_surcharge_yuan_per_m3")
)
"""Differentiated land, water and gas prices, each kept non-decreasing from A to D by the schema, lowest first;
a step pushes the classes above (when raised) or below (when lowered) along, as for :data:`SURCHARGE_CHAIN`."""

ZERO_STEPS.update({
    "levers.evaluation.land_tax_change.c": 0.25,
    "levers.evaluation.water_surcharge_yuan_per_m3.a": 0.5,
    "levers.evaluation.water_surcharge_yuan_per_m3.b": 0.5,
    "levers.evaluation.gas_surcharge_yuan_per_m3.a": 0.2,
    "levers.evaluation.gas_surcharge_yuan_per_m3.b": 0.2,
})
"""Zero steps of the differentiated resource prices (assumed: the C-class value of the baseline; for the land tax of
C, half the D surcharge): a class paying nothing steps to what the next class up pays."""

CUMULATIVE_FISCAL = "fiscal_cost_cumulative_yi"
MEAN_LOW_EFFICIENCY = "mean_low_efficiency_share"

OUTCOMES: dict[str, dict[str, str]] = {
    "total_output_yi": {"unit": "亿元"},
    "leading_share": {"unit": "share"},
    "max_low_efficiency_share": {"unit": "share"},
    MEAN_LOW_EFFICIENCY: {"unit": "share", "en": "Low-efficiency land share, mean of zones",
                          "zh": "园区低效用地占比均值"},
    "tax_per_mu_wan": {"unit": "万元/亩"},
    CUMULATIVE_FISCAL: {"unit": "亿元", "en": "Fiscal cost of all levers, cumulative", "zh": "政策财政支出累计"},
}
"""Outcomes besides the targets: outputs of the registry (label and unit from there) or derived ones (stated here)."""

COLUMNS = ["lever", "change", "outcome", "kind", "effect", "ci_low", "ci_high", "significant", "unit", "n_reps",
           "baseline_value", "changed_value", "fiscal_cost_yi", "effect_per_yi", "from_value", "to_value", "also",
           "year", "status"]
"""Columns of ``effects.csv`` in order."""


# ----------------------------------------------------------------------------------------------------
# Steps
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeverStep:
    """One documented change of one lever.

    Attributes:
        lever: Dotted path of the lever, e.g. ``levers.land.redevelopment_mu_per_year``.
        change: Short text of the step: ``×2``, ``×0.5``, ``+0.1``, ``off``, ``on``, ``flip``, ``→ 50 (...)``.
        from_value: The scenario's value.
        to_value: The value after the step (after clipping).
        also: Partner levers changed with it to keep the schema's rules, by path.
    """

    lever: str
    change: str
    from_value: Any
    to_value: Any
    also: dict[str, Any] = field(default_factory=dict)

    @property
    def changes(self) -> dict[str, Any]:
        """Every changed value by dotted path, for :func:`~parkabm.scenarios.loader.apply_changes`."""
        return {self.lever: self.to_value, **self.also}

    @property
    def key(self) -> str:
        """``lever change``: unique within one scenario's steps."""
        return f"{self.lever} {self.change}"


def _strip(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def lever_fields(model: type[BaseModel] | None = None, prefix: str = "levers") -> Iterator[tuple[str, Any]]:
    """Yield every lever of the schema as ``(dotted path, pydantic FieldInfo)``, in schema order.

    Nested models are walked; the parts of :data:`NOT_STEPPED` are left out.

    Args:
        model: The model to walk; :class:`~parkabm.scenarios.schema.Levers` when omitted.
        prefix: Dotted path of ``model``.
    """
    from parkabm.scenarios.schema import Levers

    model = model or Levers
    for name, info in model.model_fields.items():
        path = f"{prefix}.{name}"
        if path in NOT_STEPPED:
            continue
        tp = _strip(info.annotation)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            yield from lever_fields(tp, path)
        else:
            yield path, info


def _bounds(info: Any) -> tuple[float, float, bool, bool]:
    """Return ``(low, high, low_strict, high_strict)`` of a numeric field from its pydantic constraints."""
    low, high, low_strict, high_strict = -math.inf, math.inf, False, False
    for m in info.metadata:
        if getattr(m, "ge", None) is not None:
            low = float(m.ge)
        if getattr(m, "gt", None) is not None:
            low, low_strict = float(m.gt), True
        if getattr(m, "le", None) is not None:
            high = float(m.le)
        if getattr(m, "lt", None) is not None:
            high, high_strict = float(m.lt), True
    return low, high, low_strict, high_strict


def _clip(value: float, target: float, low: float, high: float, low_strict: bool, high_strict: bool) -> float:
    """Clip ``target`` into the bounds: to a closed bound, or halfway from ``value`` to a strict one."""
    if target > high or (high_strict and target >= high):
        return (value + high) / 2 if high_strict else high
    if target < low or (low_strict and target <= low):
        return (value + low) / 2 if low_strict else low
    return target


def _get(data: Mapping[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        node = node[part]
    return node


def _numeric_targets(path: str, value: float, info: Any, integer: bool) -> list[tuple[str, float]]:
    """Return the steps ``(change, target value)`` of a numeric lever before any partner rule."""
    if path in DRAFT_VALUES:
        return [(f"→ {v:g} ({draft})", v) for v, draft in DRAFT_VALUES[path] if v != value]
    low, high, low_strict, high_strict = _bounds(info)
    if path.startswith("levers.mechanisms."):
        return [("off", 0.0)] if value != 0 else [("on", 1.0)]
    if value == 0:
        amount = ZERO_STEPS.get(path)
        if amount is None:
            amount = 0.1 * (high - low) if math.isfinite(high - low) else 1.0
        amount = math.ceil(amount) if integer else amount
        return [(f"+{amount:g}", _clip(value, value + amount, low, high, low_strict, high_strict))]
    steps = []
    for change, factor in (("×2", 2.0), ("×0.5", 0.5)):
        target = _clip(value, value * factor, low, high, low_strict, high_strict)
        if integer:
            target = math.ceil(target) if factor > 1 else math.floor(target)
            target = min(max(target, math.ceil(low)), math.floor(high))
        steps.append((change, target))
    return steps


def _partners(path: str, target: float, levers: Mapping[str, Any]) -> tuple[float, dict[str, Any]]:
    """Apply the schema's rules between levers: return the lever's value and the partners' changed values."""
    data = {"levers": levers}
    parent, name = path.rsplit(".", 1)
    if parent == "levers.evaluation.weights":
        weights = _get(data, parent)
        rest = 1.0 - weights[name]
        scale = (1.0 - target) / rest if rest > 0 else 0.0
        return target, {f"{parent}.{k}": w * scale for k, w in weights.items() if k != name}
    if parent == "levers.evaluation.class_cutoffs":
        cutoffs = _get(data, parent)
        order = ["a", "b", "c"]
        i = order.index(name)
        value = cutoffs[name]
        below = cutoffs[order[i - 1]] if i > 0 else -math.inf
        above = cutoffs[order[i + 1]] if i < len(order) - 1 else math.inf
        if target >= above:
            target = (value + above) / 2
        if target <= below:
            target = (value + below) / 2
        return target, {}
    chain = next((c for c in (SURCHARGE_CHAIN, *CLASS_PRICE_CHAINS) if path in c), None)
    if chain is not None:
        i = chain.index(path)
        also = {}
        for j, other in enumerate(chain):
            current = _get(data, other)
            if j > i and current < target:
                also[other] = target
            elif j < i and current > target:
                also[other] = target
        return target, also
    return target, {}


def lever_steps(scenario, model: type[BaseModel] | None = None) -> list[LeverStep]:
    """Return the documented steps of every lever of the schema, in schema order (see the module docstring).

    Args:
        scenario: The scenario whose lever values are stepped.
        model: The lever schema to walk; :class:`~parkabm.scenarios.schema.Levers` when omitted (another model, such
            as a subclass with a new lever, fills the levers the scenario lacks with their defaults).

    Returns:
        One or more steps per lever; each step's changes validate with
        :func:`~parkabm.scenarios.loader.apply_changes`.

    Raises:
        TypeError: A lever of a kind this module cannot step (a new kind of field in the schema).
    """
    from parkabm.scenarios.schema import Levers

    model = model or Levers
    levers = model.model_validate(scenario.levers.model_dump()).model_dump()
    data = {"levers": levers}
    steps = []
    for path, info in lever_fields(model):
        value = _get(data, path)
        tp = _strip(info.annotation)
        members = [a for a in typing.get_args(tp) if a is not type(None)]
        if typing.get_origin(tp) is typing.Literal:
            steps += [LeverStep(path, f"→ {choice}", value, choice) for choice in typing.get_args(tp)
                      if choice != value]
        elif tp is bool:
            steps.append(LeverStep(path, "flip", value, not value))
        elif tp in (int, float) or (members and all(m in (int, float) for m in members)):
            integer = tp is int
            for change, target in _numeric_targets(path, float(value), info, integer):
                target, also = _partners(path, target, levers)
                target = int(target) if integer else float(target)
                if target != value:
                    steps.append(LeverStep(path, change, value, target, also))
        else:
            raise TypeError(f"{path}: a lever of type {tp!r} has no step rule in parkabm.experiments.analysis.effects")
    return steps


def read_lever_file(path: str | Path, steps: Sequence[LeverStep]) -> list[LeverStep]:
    """Keep the steps of the levers listed in a YAML file (``levers: [levers.land.new_land_quota_mu_per_year, ...]``).

    An entry may also give its own values: ``levers: {levers.race.weight: [0, 1]}`` steps that lever to each value.

    Args:
        path: The file.
        steps: The default steps of the scenario (:func:`lever_steps`).

    Returns:
        The chosen steps, in the file's order.

    Raises:
        UserInputError: The file cannot be read, or names an unknown lever or a value of the wrong kind.
    """
    import yaml

    shown = str(path)
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserInputError(Problem(shown, "-", "(no such file)", "a YAML file with a 'levers' list")) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        reason = " ".join(str(exc).split())[:120]
        raise UserInputError(Problem(shown, "-", f"(cannot be read: {reason})",
                                     "a YAML file with a 'levers' list")) from None
    allowed_file = "a mapping with one key 'levers': a list of lever paths, or a mapping of lever path → values"
    if not isinstance(data, dict) or set(data) != {"levers"}:
        raise UserInputError(Problem.of(shown, "-", data if not isinstance(data, dict) else sorted(data),
                                        allowed_file))
    entries = data["levers"]
    if isinstance(entries, list):
        entries = {e: None for e in entries} if all(isinstance(e, str) for e in entries) else entries
    if not isinstance(entries, dict) or not entries:
        raise UserInputError(Problem.of(shown, "levers", entries, allowed_file))
    by_lever: dict[str, list[LeverStep]] = {}
    for s in steps:
        by_lever.setdefault(s.lever, []).append(s)
    fields = dict(lever_fields())
    chosen, problems = [], []
    for lever, values in entries.items():
        if lever not in fields:
            from parkabm.scenarios.schema import closest

            hint = closest(lever, list(fields))
            problems.append(Problem.of(shown, f"levers.{lever}" if not str(lever).startswith("levers.") else lever,
                                       lever, (f"did you mean {hint!r}? " if hint else "") + "a lever path: "
                                       + ", ".join(fields)))
            continue
        if values is None:
            chosen += by_lever.get(lever, [])
            continue
        if not isinstance(values, list) or not values or any(isinstance(v, dict | list) for v in values):
            problems.append(Problem.of(shown, lever, values, "a list of values for the lever, or nothing"))
            continue
        base = by_lever[lever][0].from_value if lever in by_lever else None
        for v in values:
            chosen.append(LeverStep(lever, f"→ {v}", base, v))
    if problems:
        raise UserInputError(problems)
    return chosen


# ----------------------------------------------------------------------------------------------------
# Runs
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EffectTask:
    """One task for a worker: some replicates of every arm (the unchanged scenario is arm 0).

    Attributes:
        scenario: The unchanged scenario.
        arms: Lever changes of each arm by dotted path; arm 0 has none.
        replicates: The replicate numbers to run.
        seed: Master seed.
        metrics: Yearly outputs to keep.
    """

    scenario: Any
    arms: tuple[dict[str, Any], ...]
    replicates: tuple[int, ...]
    seed: int
    metrics: tuple[str, ...]


def run_effect_task(task: EffectTask) -> pd.DataFrame:
    """Run every arm on the task's replicates with common random numbers; return their yearly outputs.

    Each replicate's behavioural parameters are drawn once, from the unchanged scenario, and given to every arm;
    every arm runs on the replicate's seed. Touches no files.

    Returns:
        One row per arm × replicate × year: ``arm``, ``replicate``, ``year``, the task's metrics and
        :data:`MEAN_LOW_EFFICIENCY`.
    """
    from parkabm.model.simulate import draw_parameters, simulate
    from parkabm.scenarios.loader import apply_changes

    scenarios = [task.scenario if not changes else apply_changes(task.scenario, changes, source="effects")
                 for changes in task.arms]
    frames = []
    for replicate in task.replicates:
        parameters = draw_parameters(task.scenario, task.seed, replicate)
        for arm, scenario in enumerate(scenarios):
            result = simulate(scenario, seed=task.seed, replicate=replicate, parameters=parameters)
            rows = result.yearly[["year", *task.metrics]].copy()
            low = result.parks.groupby("year")["low_efficiency_share"].mean()
            rows[MEAN_LOW_EFFICIENCY] = low.reindex(rows["year"]).to_numpy()
            rows.insert(0, "replicate", np.int64(replicate))
            rows.insert(0, "arm", np.int64(arm))
            frames.append(rows)
    return pd.concat(frames, ignore_index=True)


def _tasks(scenario, arms: list[dict[str, Any]], reps: int, seed: int, metrics: tuple[str, ...],
           workers: int) -> list[EffectTask]:
    """Split the replicates into about four tasks per worker, each running every arm."""
    size = max(1, math.ceil(reps / (4 * max(1, workers))))
    return [EffectTask(scenario, tuple(arms), tuple(range(first, min(reps, first + size))), seed, metrics)
            for first in range(0, reps, size)]


# ----------------------------------------------------------------------------------------------------
# Paired effects
# ----------------------------------------------------------------------------------------------------


def paired_interval(differences: np.ndarray, confidence: float = CONFIDENCE) -> tuple[float, float, float, int]:
    """Return the mean of paired differences and its t interval.

    Args:
        differences: Per-replicate differences (changed − unchanged); NaNs are left out.
        confidence: Level of the interval.

    Returns:
        ``(mean, low, high, n)``; NaNs when fewer than two differences are finite. Zero-width when all
        differences are equal.
    """
    from scipy import stats

    d = np.asarray(differences, dtype=float)
    d = d[np.isfinite(d)]
    n = len(d)
    if n < 2:
        return math.nan, math.nan, math.nan, n
    mean = float(d.mean())
    sd = float(d.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n) if sd > 0 else 0.0
    return mean, mean - half, mean + half, n


def _outcome_label(outcome: str, lang: str) -> str:
    from parkabm.model.outputs.registry import output

    spec = OUTCOMES.get(outcome, {})
    if lang in spec:
        return spec[lang]
    return output(outcome).label(lang)


def effect_table(runs: pd.DataFrame, steps: Sequence[LeverStep], targets: pd.DataFrame, *, year: int,
                 base_year: int) -> pd.DataFrame:
    """Compute the paired effect of every step on every outcome and target.

    Args:
        runs: Output of :func:`run_effect_task` (all tasks); arm ``k`` (1-based) is ``steps[k − 1]``.
        steps: The steps, in arm order.
        targets: The targets to evaluate (rows of targets.csv).
        year: Year of the outcomes.
        base_year: The scenario's base year: fiscal cost is summed over the later years up to ``year``.

    Returns:
        One row per step × outcome (:data:`COLUMNS`).
    """
    from parkabm.model.outputs.targets import MODELLED, target_status, targets_met

    at = runs[runs["year"] == year].set_index(["arm", "replicate"]).sort_index()
    fiscal = (runs[(runs["year"] > base_year) & (runs["year"] <= year)]
              .groupby(["arm", "replicate"])["fiscal_total_yi"].sum())
    values = {name: at[name] for name in OUTCOMES if name != CUMULATIVE_FISCAL}
    values[CUMULATIVE_FISCAL] = fiscal.reindex(at.index) if year > base_year else pd.Series(np.nan, index=at.index)
    met = targets_met(runs.rename(columns={"arm": "scenario"}), targets)
    met = met.set_index(["scenario", "replicate", "target"]).sort_index() if len(met) else met

    def arm_values(series: pd.Series, arm: int) -> np.ndarray:
        return series.xs(arm, level=0).sort_index().to_numpy(dtype=float)

    rows = []
    for k, step in enumerate(steps, start=1):
        base_cost, cost = arm_values(values[CUMULATIVE_FISCAL], 0), arm_values(values[CUMULATIVE_FISCAL], k)
        d_cost, cost_low, cost_high, _ = paired_interval(cost - base_cost)
        cost_changes = np.isfinite(cost_low) and (cost_low > 0 or cost_high < 0)
        common = {"lever": step.lever, "change": step.change, "from_value": step.from_value,
                  "to_value": step.to_value, "also": "; ".join(f"{p} → {v:g}" if isinstance(v, float) else
                                                                f"{p} → {v}" for p, v in step.also.items()),
                  "fiscal_cost_yi": d_cost, "year": year}
        for name, spec in OUTCOMES.items():
            x0, x1 = arm_values(values[name], 0), arm_values(values[name], k)
            effect, low, high, n = paired_interval(x1 - x0)
            rows.append({**common, "outcome": name, "kind": "outcome", "unit": spec["unit"], "effect": effect,
                         "ci_low": low, "ci_high": high, "n_reps": n, "baseline_value": float(np.nanmean(x0)),
                         "changed_value": float(np.nanmean(x1)),
                         "effect_per_yi": effect / d_cost if cost_changes and name != CUMULATIVE_FISCAL
                         else math.nan,
                         "status": "evaluated" if n >= 2 else "not evaluated"})
        for t in targets.itertuples(index=False):
            row = {**common, "outcome": f"p_met:{t.target}", "kind": "target", "unit": "probability",
                   "year": int(t.year)}
            status, _ = target_status(t)
            if status != MODELLED:  # not an outcome of the runs: never an effect on a probability
                rows.append({**row, "status": status, "n_reps": 0})
                continue
            if t.metric not in runs.columns:
                rows.append({**row, "status": "not modelled", "n_reps": 0})
                continue
            mine = met[met.index.get_level_values("target") == t.target] if len(met) else met
            evaluated = mine[mine["evaluated"]] if len(mine) else mine
            m0 = evaluated.xs(0, level=0)["met"].astype(float) if len(evaluated) else pd.Series(dtype=float)
            m1 = evaluated.xs(k, level=0)["met"].astype(float) if len(evaluated) else pd.Series(dtype=float)
            both = m0.index.intersection(m1.index)
            if len(both) < 2:
                rows.append({**row, "status": "not evaluated", "n_reps": len(both)})
                continue
            x0, x1 = m0.loc[both].to_numpy(), m1.loc[both].to_numpy()
            effect, low, high, n = paired_interval(x1 - x0)
            rows.append({**row, "status": "evaluated", "effect": effect, "ci_low": low, "ci_high": high,
                         "n_reps": n, "baseline_value": float(x0.mean()), "changed_value": float(x1.mean()),
                         "effect_per_yi": effect / d_cost if cost_changes else math.nan})
    table = pd.DataFrame(rows).reindex(columns=COLUMNS)
    table["significant"] = (table["ci_low"] > 0) | (table["ci_high"] < 0)
    table["n_reps"] = table["n_reps"].fillna(0).astype("int64")
    return table


TRANSFER_LEVERS = ("levers.funds.milestone_reward_scale",)
"""Levers the model treats as pure transfers (docs/ODD.md §7.10): no firm responds to them, so what they do beyond
their cost is only that they are paid from the manufacturing fund before 技术改造 subsidies (crowding those out when
the fund binds). The report says so, so their rows are not read as behaviour."""


def inert_levers(table: pd.DataFrame) -> list[str]:
    """Return the levers without a detectable effect on any outcome or target, fiscal cost aside.

    A lever is listed when no step has an interval excluding zero on any evaluated outcome or target other than the
    fiscal cost (a lever that only spends money does nothing for the targets). With many rows, about one in twenty
    rows of a lever without any effect excludes zero by chance, so the list can miss such a lever; and it can hold a
    lever whose effect is too small to detect at the replicates used.
    """
    evaluated = table[(table["status"] == "evaluated") & (table["outcome"] != CUMULATIVE_FISCAL)]
    moved = evaluated.groupby("lever", sort=False)["significant"].any()
    return [lever for lever, any_significant in moved.items() if not any_significant]


def cost_changes(table: pd.DataFrame, lever: str) -> list[str]:
    """Return the steps of a lever whose fiscal cost changes detectably, as ``change: +x 亿元`` texts."""
    rows = table[(table["lever"] == lever) & (table["outcome"] == CUMULATIVE_FISCAL) & table["significant"]]
    return [f"{r.change}: {r.effect:+.1f} 亿元" for r in rows.itertuples(index=False)]


FUND_CAP_LEVER = "levers.funds.manufacturing_fund_yi_per_year"
"""The manufacturing fund's yearly cap (docs/ODD.md §7.10): a ceiling, whose effect exists only where it binds."""

FUND_SPENDING = ("fiscal_tech_upgrade_subsidy_yi", "fiscal_milestone_rewards_yi", "fiscal_innovation_support_yi")
"""Yearly outputs of what the manufacturing fund pays: 技术改造 subsidies from the room the other two leave."""

CHANNELS: dict[str, tuple[str, str]] = {
    "levers.funds.manufacturing_fund_yi_per_year": ("upgrades", "sum"),
    "levers.funds.tech_upgrade_subsidy_rate": ("upgrades", "sum"),
    "levers.funds.tech_upgrade_min_investment_yi": ("upgrades", "sum"),
    "levers.funds.strategic_min_investment_yi": ("upgrades", "sum"),
    "levers.funds.innovation_support_yi_per_year": ("rd_to_gdp", "level"),
    "levers.funds.phaseout_compensation_share": ("enforced_exits", "sum"),
    "levers.evaluation.enforcement": ("enforced_exits", "sum"),
}
"""The output through which each fund lever (and 亩均 enforcement) acts first (docs/ODD.md §7.3, 7.4, 7.10), and how
it is read: ``sum`` over the projected years up to the comparison year, or its ``level`` in that year. The report
gives each lever's effect on its channel, so that a lever whose headline outcomes do not move can still be seen to
act (or not)."""


def channel_effects(runs: pd.DataFrame, steps: Sequence[LeverStep], *, year: int, base_year: int) -> pd.DataFrame:
    """Return the paired effect of each step of a lever in :data:`CHANNELS` on its channel output.

    Args:
        runs: Output of :func:`run_effect_task` (all tasks); arm ``k`` (1-based) is ``steps[k − 1]``.
        steps: The steps, in arm order.
        year: Comparison year.
        base_year: The scenario's base year (sums run over the later years up to ``year``).

    Returns:
        One row per step of a channel lever: ``lever``, ``change``, ``metric``, ``reduce``, ``baseline_value``,
        ``effect``, ``ci_low``, ``ci_high``, ``significant``.
    """
    rows = []
    for k, step in enumerate(steps, start=1):
        channel = CHANNELS.get(step.lever)
        if channel is None or channel[0] not in runs.columns:
            continue
        metric, reduce = channel
        if reduce == "sum":
            window = runs[(runs["year"] > base_year) & (runs["year"] <= year)]
            value = window.groupby(["arm", "replicate"])[metric].sum()
        else:
            value = runs[runs["year"] == year].set_index(["arm", "replicate"])[metric]
        x0 = value.xs(0, level=0).sort_index().to_numpy(dtype=float)
        x1 = value.xs(k, level=0).sort_index().to_numpy(dtype=float)
        effect, low, high, _ = paired_interval(x1 - x0)
        rows.append({"lever": step.lever, "change": step.change, "metric": metric, "reduce": reduce,
                     "baseline_value": float(np.nanmean(x0)), "effect": effect, "ci_low": low, "ci_high": high,
                     "significant": bool(np.isfinite(low) and (low > 0 or high < 0))})
    return pd.DataFrame(rows, columns=["lever", "change", "metric", "reduce", "baseline_value", "effect", "ci_low",
                                       "ci_high", "significant"])


def fund_slack(runs: pd.DataFrame, cap_yi: float, *, year: int, base_year: int) -> dict[str, float] | None:
    """Return how much of the manufacturing fund's room the unchanged scenario leaves unspent, per year.

    The room is ``max(cap − rewards − innovation support, 0)``; 技术改造 subsidies are paid from it and the fund
    binds in a year when they use all of it (docs/ODD.md §7.10).

    Args:
        runs: Output of :func:`run_effect_task`; arm 0 is read.
        cap_yi: The unchanged scenario's ``manufacturing_fund_yi_per_year``.
        year: Comparison year.
        base_year: The scenario's base year.

    Returns:
        ``room_yi``, ``subsidy_yi`` and ``slack_yi`` (means per year, 亿元) and ``binding_share`` (of replicate ×
        years in which the subsidy used all the room); None when the runs lack the fund's outputs.
    """
    if any(c not in runs.columns for c in FUND_SPENDING):
        return None
    rows = runs[(runs["arm"] == 0) & (runs["year"] > base_year) & (runs["year"] <= year)]
    if rows.empty:
        return None
    subsidy, rewards, support = (rows[c].to_numpy(dtype=float) for c in FUND_SPENDING)
    room = np.maximum(cap_yi - rewards - support, 0.0)
    binding = subsidy >= room - 1e-9 * max(cap_yi, 1.0)
    return {"room_yi": float(room.mean()), "subsidy_yi": float(subsidy.mean()),
            "slack_yi": float((room - subsidy).mean()), "binding_share": float(binding.mean())}


FUND_TEXT = {
    "channels": {"en": "Channels of the fund levers", "zh": "资金类杠杆的作用渠道"},
    "channels_intro": {
        "en": ("Each fund lever (and 亩均 enforcement) acts first through one output; its paired effect there "
               "(summed over the projected years for counts, the comparison year's level otherwise), with the "
               "unchanged scenario's value:"),
        "zh": ("各资金类杠杆（及亩均整治力度）首先通过一个产出起作用；"
               "以下为其配对效应（计数为预测期累计，其余为比较年份水平）及未改变情景取值：")},
    "channel": {"en": "Channel", "zh": "作用渠道"},
    "channel_effect": {"en": "Effect (unchanged value)", "zh": "效应（未改变情景取值）"},
    "fund": {"en": "Manufacturing fund: binding or not", "zh": "制造业专项资金是否约束"},
    "fund_binding": {
        "en": ("The fund of {cap:g}亿 a year leaves {room:.1f}亿 a year for 技术改造 subsidies after rewards and "
               "innovation support; subsidies use {subsidy:.1f}亿 (mean of replicates and years), so it binds in "
               "{binding:.0%} of replicate-years and {slack:.1f}亿 a year stays unspent."),
        "zh": ("制造业专项资金每年{cap:g}亿元，扣除奖励与创新支持后技改补助可用{room:.1f}亿元/年；"
               "补助实际使用{subsidy:.1f}亿元（各次模拟与年份均值），"
               "在{binding:.0%}的模拟年份中约束，每年{slack:.1f}亿元未使用。")},
    "not_binding": {
        "en": ("Not binding in this scenario: a bigger fund changes nothing while subsidy demand stays below the "
               "room; a smaller one binds once the room falls below about {subsidy:.1f}亿 a year."),
        "zh": ("本情景下不构成约束：补助需求低于可用额度时扩大资金规模不改变任何结果；"
               "可用额度低于约{subsidy:.1f}亿元/年时缩减资金即构成约束。")},
}
"""Text of the fund sections of effects.md in both languages."""


def fund_sections(channels: pd.DataFrame | None, slack: dict[str, float] | None, cap_yi: float | None,
                  lang: str) -> list[str]:
    """Return the lines of the two fund sections of effects.md: the channels and whether the fund binds.

    Args:
        channels: Output of :func:`channel_effects` (no section when None or empty).
        slack: Output of :func:`fund_slack` (no section when None).
        cap_yi: The unchanged scenario's fund cap.
        lang: ``en`` or ``zh``.
    """
    lines: list[str] = []
    if channels is not None and len(channels):
        from parkabm.model.outputs.registry import output

        lines += ["", f"## {FUND_TEXT['channels'][lang]}", "", FUND_TEXT["channels_intro"][lang], ""]
        lines += [_md_row([_text("lever", lang), _text("change", lang), FUND_TEXT["channel"][lang],
                           FUND_TEXT["channel_effect"][lang]]), _md_row(["---"] * 4)]
        for r in channels.itertuples(index=False):
            scale, digits = (100.0, 3) if r.metric == "rd_to_gdp" else (1.0, 1)
            cell = _cell(pd.Series({"effect": r.effect * scale, "ci_low": r.ci_low * scale,
                                    "ci_high": r.ci_high * scale, "significant": r.significant,
                                    "status": "evaluated"}), digits=digits)
            unit = " (pp)" if r.metric == "rd_to_gdp" else ""
            lines.append(_md_row([lever_label(r.lever, lang), r.change, f"{output(r.metric).label(lang)}{unit}",
                                  f"{cell} ({r.baseline_value * scale:,.{digits}f})"]))
    if slack is not None and cap_yi is not None:
        lines += ["", f"## {FUND_TEXT['fund'][lang]}", "",
                  FUND_TEXT["fund_binding"][lang].format(cap=cap_yi, room=slack["room_yi"], subsidy=slack["subsidy_yi"],
                                                         slack=slack["slack_yi"], binding=slack["binding_share"])]
        if slack["binding_share"] < 0.5:
            lines += ["", FUND_TEXT["not_binding"][lang].format(subsidy=slack["subsidy_yi"])]
    return lines


# ----------------------------------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------------------------------

REPORT_TEXT = {
    "title": {"en": "Lever effects: {scenario}", "zh": "政策杠杆效应：{scenario}"},
    "intro": {
        "en": ("Each row changes one lever of scenario `{scenario}` and compares {reps} paired replicates (the same "
               "seeds and parameter draws in both arms, seed {seed}). Cells: mean paired effect in {year} "
               "[95% t interval]; **bold** where the interval excludes zero. Shares and P(met) in percentage points. "
               "Fiscal cost: extra cost of all levers summed {first}–{year} (亿元); output per 亿: extra output in "
               "{year} per 亿 of extra fiscal cost, where the cost changes."),
        "zh": ("每行只改变情景`{scenario}`的一个政策杠杆，与未改变情景进行{reps}次配对模拟比较"
               "（两组使用相同随机种子和参数抽样，主种子{seed}）。"
               "单元格为{year}年配对效应均值[95% t区间]；**粗体**表示区间不含零。"
               "占比与达标概率以百分点计。"
               "财政支出为{first}—{year}年全部政策额外支出累计（亿元）；"
               "每亿元产出为{year}年每亿元额外财政支出带来的额外产值"
               "（仅在支出有变化时给出）。"),
    },
    "unchanged": {"en": "The unchanged scenario in {year} (mean of the replicates): ",
                  "zh": "未改变情景{year}年（各次模拟均值）："},
    "lever": {"en": "Lever", "zh": "政策杠杆"},
    "change": {"en": "Change", "zh": "变化"},
    "per_yi": {"en": "Output per 亿 spent", "zh": "每亿元支出带来产值"},
    "pp": {"en": "pp", "zh": "百分点"},
    "p_met": {"en": "P({name})", "zh": "达标概率：{name}"},
    "inert": {"en": "Levers without a detectable effect", "zh": "未检测到效应的政策杠杆"},
    "inert_intro": {"en": ("For every step of the lever the interval includes zero on every outcome and every "
                           "evaluated target, fiscal cost aside (where the cost changes, it is given). About one in "
                           "twenty rows of a lever without effect excludes zero by chance, so a lever that does "
                           "nothing can be missing here; a listed lever may have an effect too small to detect:"),
                    "zh": ("该杠杆所有变化在除财政支出外的所有结果与已评估目标上的区间均包含零（支出有变化时注明）。"
                           "无效杠杆约每二十行有一行因偶然不含零，故无效杠杆可能未列入；列入者也可能效应过小而未被检出："),},
    "transfers": {"en": "Transfers", "zh": "转移支付"},
    "transfers_intro": {"en": ("These levers are pure transfers in the model: no firm responds to them. Beyond their "
                               "cost, their rows show only that they are paid from the manufacturing fund before "
                               "技术改造 subsidies, which they crowd out when the fund binds; read them as "
                               "spending, not as behaviour:"),
                        "zh": ("以下杠杆在模型中为纯转移支付，企业行为不对其作出反应。除支出外，其效应仅来自其先于"
                               "技术改造补助从制造业专项资金中列支、在资金不足时挤占补助；应视为支出而非行为效应：")},
    "cost": {"en": "fiscal cost", "zh": "财政支出"},
    "none": {"en": "none", "zh": "无"},
    "targets": {"en": "Targets", "zh": "目标"},
    "targets_intro": {"en": ("Effect on P(target met) in percentage points, for every target of targets.csv "
                             "(not modelled / met at base year / not evaluated where the model cannot tell); only "
                             "steps with an interval excluding zero on some target are listed."),
                      "zh": ("各目标达标概率的效应（百分点）；模型无法判断的目标标为未建模/基年已达成/未评估；"
                             "仅列出至少一个目标区间不含零的变化。")},
    "not_modelled": {"en": "not modelled", "zh": "未建模"},
    "met_at_base_year": {"en": "met at base year", "zh": "基年已达成"},
    "scope": {"en": "Output scope of every P(met): `{scope}` (world.scope of the scenario).",
              "zh": "各达标概率的产值口径：`{scope}`（情景的world.scope）。"},
    "not_outcomes": {"en": "Targets that are not outcomes of the runs (no P(met) effect is computed):",
                     "zh": "非模拟结果的目标（不计算达标概率效应）："},
    "not_evaluated": {"en": "not evaluated", "zh": "未评估"},
    "method": {"en": "Method", "zh": "方法"},
    "method_text": {
        "en": ("Steps: numeric levers ×2 and ×0.5 (clipped to the schema's bounds; +stated amount where 0), the "
               "chain-leader threshold at the two drafts' values (≥20亿 July 2022, ≥50亿 May 2022), choices switched, "
               "mechanisms off. Partner levers move only as the schema's rules require (weights rescaled to sum "
               "to 1, surcharges kept in order): see the `also` column of effects.csv. P(met) effects are paired "
               "differences of met indicators with a t (Wald-type) interval; it is [0, 0] when no replicate "
               "changes status, and too narrow when few do. See parkabm.experiments.analysis.effects."),
        "zh": ("变化规则：数值杠杆取×2与×0.5（超出取值范围时截断；取值为0时加给定步长）"
               "；链主门槛取两稿数值（2022年7月稿≥20亿元，"
               "5月稿≥50亿元）；选项杠杆切换；机制关闭。联动杠杆只按模式规则调整（权重按比例缩放至和为1，"
               "电价保持递增），见"
               "effects.csv的also列。达标概率效应为配对达标指标之差的t（Wald型）区间；"
               "若无一次模拟改变达标状态则为[0, 0]，"
               "改变者很少时偏窄。详见 parkabm.experiments.analysis.effects。"),
    },
}
"""Text of effects.md in both languages."""


def lever_label(lever: str, lang: str) -> str:
    """Return the readable name of a lever path in ``lang``, as the scenario schema declares it."""
    return schema_lever_label(lever, lang)


def _text(key: str, lang: str, **values: Any) -> str:
    return REPORT_TEXT[key][lang].format(**values)


def _cell(row: pd.Series | None, *, percent: bool = False, digits: int | None = None) -> str:
    if row is None:
        return ""
    if row["status"] != "evaluated" or not np.isfinite(row["effect"]):
        return str(row["status"])
    scale = 100.0 if percent else 1.0
    values = [row["effect"] * scale, row["ci_low"] * scale, row["ci_high"] * scale]
    if all(v == 0 for v in values):
        return "0 [0, 0]"
    if digits is None:
        biggest = max(abs(v) for v in values)
        digits = 0 if biggest >= 100 else 1 if biggest >= 1 else 2 if biggest >= 0.01 else 3
    text = "{:+.{d}f} [{:+.{d}f}, {:+.{d}f}]".format(*values, d=digits)
    return f"**{text}**" if row["significant"] else text


def _md_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def format_markdown(table: pd.DataFrame, *, scenario: str, reps: int, seed: int, base_year: int,
                    lang: str = "en", channels: pd.DataFrame | None = None, slack: dict[str, float] | None = None,
                    fund_cap_yi: float | None = None, scope: str | None = None) -> str:
    """Return ``effects.md``: the headline effects per lever step, the inert levers, the target effects, the method.

    Args:
        table: Output of :func:`effect_table`.
        scenario: The scenario's name.
        reps: Replicates per arm.
        seed: Master seed.
        base_year: The scenario's base year.
        lang: ``en`` or ``zh``.
        channels: Output of :func:`channel_effects`, for the channels section (none when omitted).
        slack: Output of :func:`fund_slack`, for the section on whether the manufacturing fund binds.
        fund_cap_yi: The unchanged scenario's manufacturing fund cap (with ``slack``).
        scope: The scenario's output scope (``world.scope``), stated under the introduction when given.
    """
    from parkabm.model.outputs.registry import display_unit

    year = int(table.loc[table["kind"] == "outcome", "year"].iloc[0])
    headline = ["total_output_yi", "leading_share", "p_met:total_output", "p_met:leading_share",
                MEAN_LOW_EFFICIENCY, "tax_per_mu_wan", CUMULATIVE_FISCAL]
    targets = table[table["kind"] == "target"]
    output_target = targets[targets["outcome"].str.startswith("p_met:total_output")]["outcome"]
    leading_target = targets[targets["outcome"].str.startswith("p_met:leading_share")]["outcome"]
    columns = {"p_met:total_output": output_target.iloc[0] if len(output_target) else None,
               "p_met:leading_share": leading_target.iloc[0] if len(leading_target) else None}

    def header(outcome: str) -> str:
        if outcome.startswith("p_met:"):
            return f"{_text('p_met', lang, name=_target_label(columns[outcome], lang))} ({_text('pp', lang)})"
        unit = OUTCOMES[outcome]["unit"]
        shown = _text("pp", lang) if unit == "share" else display_unit(unit, lang)
        return f"{_outcome_label(outcome, lang)} ({shown})"

    lines = [f"# {_text('title', lang, scenario=scenario)}", "",
             _text("intro", lang, scenario=scenario, reps=reps, seed=seed, year=year, first=base_year + 1), ""]
    if scope is not None:
        lines += [_text("scope", lang, scope=scope), ""]
    first_step = table[table["status"] == "evaluated"].drop_duplicates("outcome").set_index("outcome")
    shown = []
    for o in headline:
        name = columns.get(o, o) if o.startswith("p_met:") else o
        if name is None or name not in first_step.index:
            continue
        value = first_step.loc[name, "baseline_value"]
        percent = o.startswith("p_met:") or OUTCOMES.get(o, {}).get("unit") == "share"
        shown.append(f"{header(o).rsplit(' (', 1)[0]} {value:.1%}" if percent else f"{header(o)} {value:,.1f}")
    lines += [_text("unchanged", lang, year=year) + ("；" if lang == "zh" else "; ").join(shown)
              + ("。" if lang == "zh" else "."), ""]
    names = [_text("lever", lang), _text("change", lang)] + [header(o) for o in headline if
                                                             not o.startswith("p_met:") or columns[o]]
    names.append(_text("per_yi", lang))
    lines += [_md_row(names), _md_row(["---"] * len(names))]
    indexed = table.set_index(["lever", "change", "outcome"]).sort_index()
    for (lever, change), _ in table.groupby(["lever", "change"], sort=False):
        cells = [lever_label(lever, lang), _change_text(indexed.loc[(lever, change)].iloc[0], change)]
        for o in headline:
            name = columns.get(o, o) if o.startswith("p_met:") else o
            if name is None:
                continue
            row = indexed.loc[(lever, change, name)]
            percent = o.startswith("p_met:") or OUTCOMES.get(o, {}).get("unit") == "share"
            cells.append(_cell(row, percent=percent))
        per = indexed.loc[(lever, change, "total_output_yi"), "effect_per_yi"]
        cells.append(f"{per:+.1f}" if np.isfinite(per) else "")
        lines.append(_md_row(cells))
    inert = inert_levers(table)
    lines += ["", f"## {_text('inert', lang)}", "", _text("inert_intro", lang), ""]
    lines += [f"- {lever_label(lever, lang)} (`{lever}`)"
              + (f"; {_text('cost', lang)} " + ", ".join(cost_changes(table, lever)) if cost_changes(table, lever)
                 else "") for lever in inert] or [f"- {_text('none', lang)}"]
    transfers = [lever for lever in TRANSFER_LEVERS if lever in set(table["lever"])]
    if transfers:
        lines += ["", f"## {_text('transfers', lang)}", "", _text("transfers_intro", lang), ""]
        lines += [f"- {lever_label(lever, lang)} (`{lever}`)" for lever in transfers]
    lines += fund_sections(channels, slack, fund_cap_yi, lang)
    lines += ["", f"## {_text('targets', lang)}", "", _text("targets_intro", lang), ""]
    target_names = list(dict.fromkeys(targets["outcome"]))
    tnames = [_text("lever", lang), _text("change", lang)] + [
        _target_label(t, lang) for t in target_names]
    lines += [_md_row(tnames), _md_row(["---"] * len(tnames))]
    for (lever, change), group in targets.groupby(["lever", "change"], sort=False):
        if not group["significant"].any():
            continue
        cells = [lever_label(lever, lang), change]
        for t in target_names:
            row = group[group["outcome"] == t].iloc[0]
            cells.append(_cell(row, percent=True) if row["status"] == "evaluated" else _text(
                row["status"].replace(" ", "_"), lang))
        lines.append(_md_row(cells))
    lines += _not_outcome_lines(targets, lang)
    lines += ["", f"## {_text('method', lang)}", "", _text("method_text", lang), ""]
    return "\n".join(lines)


def _not_outcome_lines(targets: pd.DataFrame, lang: str) -> list[str]:
    """Return the list of the targets that are not outcomes of the runs, each with its status and reason."""
    from parkabm.model.outputs.targets import MODELLED, target_status
    from parkabm.scenarios.world import load_world

    shown = set(targets["outcome"].str.removeprefix("p_met:"))
    rows = [r for r in load_world().targets.reset_index().to_dict("records") if r["target"] in shown]
    lines = []
    for r in rows:
        status, reason = target_status(r)
        if status != MODELLED:
            lines.append(f"- {_target_label('p_met:' + r['target'], lang)}: "
                         f"{_text(status.replace(' ', '_'), lang)} — {reason}")
    return ["", _text("not_outcomes", lang), "", *lines] if lines else []


def _target_label(outcome: str, lang: str) -> str:
    from parkabm.scenarios.world import load_world

    target = outcome.removeprefix("p_met:")
    targets = load_world().targets.set_index("target")
    if target not in targets.index:
        return target
    t = targets.loc[target]
    cmp = {">=": "≥", "<=": "≤"}.get(t["comparison"], t["comparison"])
    name = t["name_en"] if lang == "en" else t["name_zh"]
    return f"{name} {cmp}{t['value']:g}"


def _change_text(row: pd.Series, change: str) -> str:
    """Return a step's change with its values, e.g. ``×2 (10000 → 20000)``; draft and choice steps as they are."""
    def fmt(v: Any) -> str:
        if isinstance(v, bool) or not isinstance(v, int | float):
            return str(v)
        return f"{v:,.0f}" if float(v).is_integer() else f"{v:g}"

    if change.startswith("→"):
        return change
    return f"{change} ({fmt(row['from_value'])} → {fmt(row['to_value'])})"


# ----------------------------------------------------------------------------------------------------
# The command
# ----------------------------------------------------------------------------------------------------


@dataclass
class Effects:
    """What an effects run produced.

    Attributes:
        table: The effect table (:func:`effect_table`).
        steps: The lever steps, in arm order.
        out: The output folder.
        files: Paths written, by role.
        seconds: Wall time of the runs.
        executor: Where the runs ran.
    """

    table: pd.DataFrame
    steps: list[LeverStep]
    out: Path
    files: dict[str, Path]
    seconds: float
    executor: str


def run_effects(ref: str | Path, *, reps: int = DEFAULT_REPS, seed: int = 0, out: str | Path | None = None,
                lang: str = "en", levers: str | Path | None = None, steps: Sequence[LeverStep] | None = None,
                executor=None, variant: str = "2023", scenario=None, progress: bool = False) -> Effects:
    """Measure the paired effect of every lever step of a scenario and write effects.csv, effects.md and charts.

    Args:
        ref: Shipped scenario name or path to a scenario file.
        reps: Replicates per arm (at least 2).
        seed: Master seed.
        out: Output folder (default ``results/effects/<scenario>``); written whole at the end, so an interrupted run
            leaves nothing half-written.
        lang: Language of effects.md (charts are drawn in English and, when a Chinese font is available, Chinese).
        levers: A YAML file choosing levers (:func:`read_lever_file`); every lever when omitted.
        steps: Explicit steps instead of :func:`lever_steps` (e.g. a no-op step in tests).
        executor: An entered executor; runs in this process when omitted.
        variant: Which text's targets (``2023``, ``2022_jul``, ``2022_may``).
        scenario: An already loaded scenario to use instead of loading ``ref`` (``ref`` then only names it).
        progress: Show a progress bar.

    Returns:
        The table, the steps and the files written.

    Raises:
        UserInputError: A bad scenario, lever file, number of replicates, language or output folder.
    """
    from parkabm.experiments import charts
    from parkabm.experiments.charts.effects import write_effect_charts
    from parkabm.experiments.execution.executors import SerialExecutor
    from parkabm.experiments.execution.files import check_output_folder, staged_folder
    from parkabm.model.outputs.targets import select_targets
    from parkabm.scenarios.loader import load_scenario
    from parkabm.scenarios.world import load_world

    if reps < 2:
        raise UserInputError(f"--reps: {reps} — allowed: a whole number ≥ 2 (a paired interval needs two replicates)")
    charts.check_language(lang)
    chart_langs = ["en", "zh"] if charts.find_cjk_font() is not None else ["en"]
    if lang == "zh":
        charts.language_rc("zh")  # fails before running when no font can draw the labels
    scenario = scenario if scenario is not None else load_scenario(ref)
    steps = list(steps) if steps is not None else lever_steps(scenario)
    if levers is not None:
        steps = read_lever_file(levers, steps)
    out = Path(out) if out is not None else Path("results") / "effects" / scenario.name
    check_output_folder(out, kind="effects")
    year = min(COMPARISON_YEAR, scenario.world.horizon)
    targets = select_targets(load_world().targets, variant)
    metrics = tuple(dict.fromkeys([*(o for o in OUTCOMES if o not in (CUMULATIVE_FISCAL, MEAN_LOW_EFFICIENCY)),
                                   "fiscal_total_yi", *targets["metric"]]))
    from parkabm.model.outputs.registry import CITY_OUTPUTS

    metrics = tuple(dict.fromkeys([*metrics, *FUND_SPENDING, *(c[0] for c in CHANNELS.values())]))
    metrics = tuple(m for m in metrics if m in CITY_OUTPUTS)
    arms = [{}] + [s.changes for s in steps]
    from parkabm.scenarios.loader import apply_changes

    for s in steps:  # every step validated before anything runs
        apply_changes(scenario, s.changes, source=str(levers) if levers is not None else "effects")
    executor = executor if executor is not None else SerialExecutor()
    tasks = _tasks(scenario, arms, reps, seed, metrics, int(getattr(executor, "workers", 1)))
    start = time.perf_counter()
    futures = [executor.submit(run_effect_task, t) for t in tasks]
    from tqdm.auto import tqdm

    frames = [f.result() for f in tqdm(futures, desc="effects", unit="task", disable=not progress)]
    seconds = time.perf_counter() - start
    runs = pd.concat(frames, ignore_index=True)
    table = effect_table(runs, steps, targets, year=year, base_year=scenario.world.base_year)
    channels = channel_effects(runs, steps, year=year, base_year=scenario.world.base_year)
    cap = float(scenario.levers.funds.manufacturing_fund_yi_per_year)
    slack = fund_slack(runs, cap, year=year, base_year=scenario.world.base_year)
    names = {"table": "effects.csv", "report": "effects.md"}
    with staged_folder(out, kind="effects") as staging:
        table.to_csv(staging / names["table"], index=False, encoding="utf-8")
        (staging / names["report"]).write_text(
            format_markdown(table, scenario=scenario.name, reps=reps, seed=seed,
                            base_year=scenario.world.base_year, lang=lang, channels=channels, slack=slack,
                            fund_cap_yi=cap, scope=scenario.world.scope), encoding="utf-8")
        charts_written = write_effect_charts(table, staging, langs=chart_langs, scenario=scenario.name)
    files = {role: out / name for role, name in names.items()}
    files.update({role: out / path.name for role, path in charts_written.items()})
    return Effects(table, steps, out, files, seconds, getattr(executor, "description", type(executor).__name__))
