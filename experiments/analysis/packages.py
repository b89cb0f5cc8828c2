"""What would it take (``parkabm design``): lever packages on the Pareto front of fiscal cost against P(target met).

After "how likely is it?" comes "what would it take?": which combination of land, fund, evaluation, recruitment and
platform levers, within what the city can spend, makes the 2025 targets likely, and what is the cheapest package
that reaches a given probability. This module searches the settings of a few levers for the Pareto front of

- **cost**: the cumulative fiscal cost of all levers over the years after the base year up to 2025 (the sum of
  ``fiscal_total_yi`` over 2022–2025, mean over the replicates), to be minimised, at most ``budget`` 亿元; and
- **P**: the share of replicates that meet the objective's targets in 2025 (``both``: the 3万亿 output target and
  the ≥60% leading-share target met in the same replicate), to be maximised, shown with its 95% Clopper–Pearson
  interval (``scipy.stats.binomtest(...).proportion_ci``).

**Robust, with common random numbers.** Every candidate package is judged on the same replicates: replicate ``r``
runs on the replicate seed of ``(seed, r)`` (:func:`~parkabm.model.simulate.replicate_seed`) with the same draw of
the uncertain behavioural parameters, drawn once from the unchanged scenario
(:func:`~parkabm.model.simulate.draw_parameters`) and given to every candidate, as in ``parkabm effects``. Two
packages therefore differ only by their levers, not by luck.

**The optimiser** is ε-NSGA-II of Platypus (:class:`platypus.EpsNSGAII`, the algorithm EMA Workbench's
``optimize`` runs), with its random numbers seeded from ``numpy.random.SeedSequence(seed)``. Its evaluator
(:class:`PackageEvaluator`) hands each generation to the project's executors (serial, process pool, Dask) as
tasks of whole packages × replicates, so the numbers do not depend on where they ran. The scenario's own lever
values (clipped to the ranges) are in the first population, so today's package is on the map.

**Resume.** Every evaluated package's per-replicate outcomes are stored in ``<out>/evaluations/`` (one verified
Parquet part per finished task, with the settings they belong to). A rerun into the same folder replays the search
from its seed: the packages already evaluated are read back instead of run, so it picks up where it stopped and
gives the same front.

**Winner's curse.** The cheapest package reaching each probability level (:data:`LEVELS`) is chosen on the search
replicates, whose noise it was selected on; it is re-evaluated on :data:`DEFAULT_FRESH_REPS` fresh replicates
(numbers from :data:`FRESH_FIRST_REPLICATE` on, never used by a search) and that P is the one reported.

**Levers** (:data:`DEFAULT_LEVERS`, or a ``--levers`` file read by :func:`read_design_levers`): numeric levers of the
scenario schema, each searched between a low and a high value inside its schema range, on a grid of
:func:`grid_step` (whole numbers for whole-number levers). Levers that a rule of the schema binds to others
(亩均 weights, class cut-offs, the class surcharge chains) and the mechanism scales are not searched
(:data:`NOT_SEARCHED`).
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import time
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from parkabm.scenarios.errors import Problem, UserInputError

COMPARISON_YEAR = 2025
"""Year the targets are judged in (the plans' target year)."""

CONFIDENCE = 0.95
"""Level of every interval."""

DEFAULT_BUDGET_YI = 825.0
"""Default cap on the cumulative fiscal cost 2022–2025 (亿元): the baseline's own cumulative fiscal cost of all
levers over 2022–2025, 824.2亿 (mean of 40 replicates, docs/effects/baseline/effects.md, "The unchanged scenario"),
rounded up. The packages may re-allocate what the city's plans already spend, not spend more; ``--budget`` asks the
question for another sum."""

DEFAULT_REPS = 40
"""Replicates each candidate is judged on (P in steps of 2.5 points, a 95% interval about ±15 points at P = 0.5)."""

DEFAULT_POPULATION = 40
"""Population of ε-NSGA-II."""

DEFAULT_EVALUATIONS = 600
"""Candidate evaluations of the search (Platypus' NFE; a repeated package is read back, not run again): at most
600 × 40 = 24,000 runs, about 4 minutes on two free cores at ≈20 ms a run, and 12 minutes at the 33 runs/s measured
on two cores shared with other work (docs/design/baseline/summary.md gives the runs and time of the committed run)."""

DEFAULT_FRESH_REPS = 200
"""Fresh replicates each chosen package is re-evaluated on."""

FRESH_FIRST_REPLICATE = 1_000_000
"""First replicate number of the fresh re-evaluation: far above any search's replicates (0 … reps − 1)."""

LEVELS = (0.5, 0.8, 0.9)
"""Probability levels whose cheapest package is reported."""

OBJECTIVES = {"both": ("total_output_yi", "leading_share"), "output": ("total_output_yi",),
              "leading": ("leading_share",)}
"""Named objectives: the headline targets (of the chosen policy text) a replicate must meet in 2025."""

NOT_SEARCHED: dict[str, str] = {
    "levers.evaluation.weights.": "the 亩均 weights must sum to 1, so one cannot move alone",
    "levers.evaluation.class_cutoffs.": "the class cut-offs must stay in order (a < b < c)",
    "levers.evaluation.surcharge_yuan_per_kwh.": "the class surcharges must rise from A to D",
    "levers.evaluation.persistent_d_surcharge_yuan_per_kwh": "it must stay at or above the class-D surcharge",
    "levers.evaluation.land_tax_change.": "the class land-tax changes must rise from A to D",
    "levers.evaluation.water_surcharge_yuan_per_m3.": "the class water surcharges must rise from A to D",
    "levers.evaluation.gas_surcharge_yuan_per_m3.": "the class gas surcharges must rise from A to D",
    "levers.mechanisms.": "mechanism scales switch model rules for experiments; they are not policy",
    "levers.parks": "per-park overrides are choices for one park, not citywide levers",
}
"""Lever paths (or prefixes) a design does not search, with the reason."""

DEFAULT_LEVERS: dict[str, tuple[float, float]] = {
    "levers.land.new_land_quota_mu_per_year": (0.0, 12000.0),
    "levers.land.redevelopment_mu_per_year": (5000.0, 40000.0),
    "levers.land.standard_factory_m2_per_year": (1_000_000.0, 12_000_000.0),
    "levers.funds.tech_upgrade_subsidy_rate": (0.0, 0.3),
    "levers.funds.industry_fund_yi": (50.0, 600.0),
    "levers.evaluation.enforcement": (0.0, 1.0),
    "levers.recruitment.leading_focus": (0.2, 1.0),
    "levers.recruitment.chain_pull": (0.0, 1.0),
    "levers.recruitment.effort": (0.5, 2.5),
    "levers.platforms.wanmu_priority": (0.0, 1.0),
}
"""The levers searched by default, with their ranges. The first nine, and their ranges, are the lever factors of
experiments/specs/discovery_levers.yaml, the project's box for the same question (which lever ranges make the two
headline targets likely), each inside its schema range; every one has a measured effect on 2025 output, the
leading share or the fiscal cost (scenarios/data/lever_effects.csv, docs/effects/baseline/effects.md): land quota,
redevelopment and standard factories (output and leading share, at a cost), the technical-transformation subsidy
(output, at a cost), the industry fund (leading share, at a cost), enforcement (leading share and cost), leading
focus, chain pull and recruitment effort (output and leading share). The platform lever 万亩千亿 priority (over its
schema range 0–1) adds the platform family: it moves the leading share and lowers the fiscal cost. Left out:
the project ramp-up (an assumed time to 投产, not something the city sets), the 链主 service boost (no fiscal
cost in the model, and not in the box of discovery_levers), and the levers without a detectable effect."""

PACKAGE_COLUMNS = ["package", "cost_yi", "cost_low", "cost_high", "p", "p_low", "p_high", "met", "n_reps",
                   "total_output_median", "leading_share_median", "p_output", "p_leading"]
"""Columns of a package summary (:func:`summarise_packages`), before the lever columns."""


# ----------------------------------------------------------------------------------------------------
# Levers and their ranges
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeverRange:
    """One searched lever: its dotted path, the range searched and the grid its values are rounded to.

    Attributes:
        path: Dotted path, e.g. ``levers.land.new_land_quota_mu_per_year``.
        low: Lowest value searched.
        high: Highest value searched.
        integer: Whole-number lever (values rounded to whole numbers).
    """

    path: str
    low: float
    high: float
    integer: bool = False

    @property
    def step(self) -> float:
        """Grid of the searched values (:func:`grid_step`)."""
        return grid_step(self.low, self.high, self.integer)

    def snap(self, value: float) -> float | int:
        """Round ``value`` to the lever's grid inside its range (a whole number for a whole-number lever)."""
        clipped = min(max(float(value), self.low), self.high)
        snapped = self.low + round((clipped - self.low) / self.step) * self.step
        snapped = min(max(snapped, self.low), self.high)
        if self.integer:
            return round(snapped)
        digits = max(0, -math.floor(math.log10(self.step))) if self.step > 0 else 6
        return float(round(snapped, digits + 2))


def grid_step(low: float, high: float, integer: bool = False) -> float:
    """Return the grid a lever is searched on: the power of ten at most 1/100 of its range (1 for whole numbers).

    A grid keeps packages readable (3,400 亩, not 3,417.28) and lets a repeated package be read back instead of run.
    """
    if high <= low:
        return 1.0
    step = 10.0 ** math.floor(math.log10((high - low) / 100.0))
    return max(1.0, step) if integer else step


def _schema_range(path: str) -> tuple[float, float, bool, bool, bool] | None:
    """Return ``(low, high, low_strict, high_strict, integer)`` of a numeric lever, None for a lever of another type."""
    from parkabm.experiments.analysis.effects import _bounds, _strip
    from parkabm.scenarios.schema import lever_field

    info = lever_field(path)
    if info is None:
        return None
    tp = _strip(info.annotation)
    members = [a for a in typing.get_args(tp) if a is not type(None)]
    if tp is bool or not (tp in (int, float) or (members and all(m in (int, float) for m in members))):
        return None
    low, high, low_strict, high_strict = _bounds(info)
    return low, high, low_strict, high_strict, tp is int


def _not_searched(path: str) -> str | None:
    for prefix, reason in NOT_SEARCHED.items():
        if path == prefix or (prefix.endswith(".") and path.startswith(prefix)) or path.startswith(prefix + "."):
            return reason
    return None


def lever_range(path: str, low: float | None = None, high: float | None = None, *, file: str = "levers",
                key: str | None = None) -> LeverRange:
    """Return the searched range of one lever, checked against the schema.

    Args:
        path: Dotted lever path.
        low: Lowest value (the schema's lower bound when omitted).
        high: Highest value (the schema's upper bound when omitted).
        file: How problems name the origin (the lever file).
        key: Key shown in problems (``levers.<path>``).

    Raises:
        UserInputError: Unknown lever, a lever that is not searched, or a range outside the schema's.
    """
    from parkabm.experiments.analysis.effects import lever_fields

    key = key or path
    known = [p for p, _ in lever_fields() if _not_searched(p) is None]
    reason = _not_searched(path)
    if reason is not None:
        raise UserInputError(Problem.of(file, key, path, f"a lever a design can search ({reason}): "
                                        + ", ".join(known)))
    bounds = _schema_range(path)
    if bounds is None:
        from parkabm.scenarios.schema import closest, lever_field

        if lever_field(path) is None:
            hint = closest(path, known)
            allowed = (f"did you mean {hint!r}? " if hint else "") + "a numeric lever path: " + ", ".join(known)
        else:
            allowed = "a numeric lever (a switch or a choice is not searched): " + ", ".join(known)
        raise UserInputError(Problem.of(file, key, path, allowed))
    s_low, s_high, low_strict, high_strict, integer = bounds
    lo = s_low if low is None else float(low)
    hi = s_high if high is None else float(high)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise UserInputError(Problem.of(file, key, [low, high], f"[low, high] with finite numbers inside "
                                        f"the schema range {_range_text(s_low, s_high, low_strict, high_strict)}"))
    inside = ((lo > s_low if low_strict else lo >= s_low) and (hi < s_high if high_strict else hi <= s_high))
    if not inside or hi <= lo:
        raise UserInputError(Problem.of(file, key, [low, high], "[low, high] with low < high inside the schema "
                                        f"range {_range_text(s_low, s_high, low_strict, high_strict)}"))
    if integer and math.floor(hi) <= math.ceil(lo):
        raise UserInputError(Problem.of(file, key, [low, high], "a range holding at least two whole numbers "
                                        "(a whole-number lever)"))
    return LeverRange(path, math.ceil(lo) if integer else lo, math.floor(hi) if integer else hi, integer)


def _range_text(low: float, high: float, low_strict: bool, high_strict: bool) -> str:
    return f"{'(' if low_strict else '['}{low:g}, {high:g}{')' if high_strict else ']'}"


def default_levers() -> list[LeverRange]:
    """Return the default searched levers (:data:`DEFAULT_LEVERS`)."""
    return [lever_range(path, low, high, file="parkabm.experiments.analysis.packages") for path, (low, high)
            in DEFAULT_LEVERS.items()]


def read_design_levers(path: str | Path) -> list[LeverRange]:
    """Read the levers a design searches from a YAML file.

    The file has one key ``levers``: a list of lever paths (each over its schema range), or a mapping of lever
    path → ``[low, high]`` (or nothing, for the schema range)::

        levers:
          levers.land.new_land_quota_mu_per_year: [0, 12000]
          levers.recruitment.leading_focus: [0.2, 1.0]
          levers.funds.industry_fund_yi:          # its schema range

    Args:
        path: The file.

    Returns:
        The levers in the file's order.

    Raises:
        UserInputError: The file cannot be read, or names an unknown lever, a lever a design does not search or a
            range outside the schema's (every problem, one per line).
    """
    import yaml

    shown = str(path)
    allowed_file = ("a mapping with one key 'levers': a list of lever paths, or a mapping of lever path → "
                    "[low, high]")
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserInputError(Problem(shown, "-", "(no such file)", allowed_file)) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        reason = " ".join(str(exc).split())[:120]
        raise UserInputError(Problem(shown, "-", f"(cannot be read: {reason})", allowed_file)) from None
    if not isinstance(data, dict) or set(data) != {"levers"}:
        raise UserInputError(Problem.of(shown, "-", data if not isinstance(data, dict) else sorted(data),
                                        allowed_file))
    entries = data["levers"]
    if isinstance(entries, list) and all(isinstance(e, str) for e in entries):
        entries = {e: None for e in entries}
    if not isinstance(entries, dict) or not entries:
        raise UserInputError(Problem.of(shown, "levers", entries, allowed_file))
    chosen, problems = [], []
    for lever, values in entries.items():
        key = str(lever) if str(lever).startswith("levers.") else f"levers.{lever}"
        if values is not None and not (isinstance(values, list) and len(values) == 2 and all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in values)):
            problems.append(Problem.of(shown, key, values, "[low, high]: two numbers, or nothing for the schema "
                                                           "range"))
            continue
        try:
            low, high = (None, None) if values is None else values
            chosen.append(lever_range(str(lever), low, high, file=shown, key=key))
        except UserInputError as exc:
            problems += exc.problems
    if problems:
        raise UserInputError(problems)
    return chosen


# ----------------------------------------------------------------------------------------------------
# Objectives
# ----------------------------------------------------------------------------------------------------


def objective_targets(objective: str, variant: str = "2023") -> list[Any]:
    """Return the targets a replicate must meet for ``objective``, as :class:`~parkabm.model.outputs.targets.Target`.

    Args:
        objective: ``both``, ``output``, ``leading`` (:data:`OBJECTIVES`) or the name of a modelled target of
            targets.csv (e.g. ``tax_per_mu_2023``).
        variant: The policy text whose headline targets apply.

    Raises:
        UserInputError: Not one of these (the message lists what is allowed).
    """
    from parkabm.model.outputs.registry import CITY_OUTPUTS
    from parkabm.model.outputs.targets import MODELLED, Target, headline_targets, target_status
    from parkabm.scenarios.world import load_world

    if objective in OBJECTIVES:
        headline = headline_targets(variant=variant)
        return [headline[m] for m in OBJECTIVES[objective]]
    rows = load_world().targets.reset_index()
    usable = [r for r in rows.to_dict("records") if target_status(r)[0] == MODELLED and r["metric"] in CITY_OUTPUTS]
    names = [str(r["target"]) for r in usable]
    if objective not in names:
        raise UserInputError(f"--objective: {objective} — allowed: both, output, leading, or a modelled target of "
                             f"targets.csv: {', '.join(names)}")
    r = usable[names.index(objective)]
    return [Target(str(r["target"]), str(r["metric"]), str(r["comparison"]), float(r["value"]), int(r["year"]))]


def check_budget(budget: float) -> float:
    """Return ``budget`` (亿元) if it is a finite number above zero, else raise :class:`UserInputError`."""
    if not (isinstance(budget, int | float) and math.isfinite(budget) and budget > 0):
        raise UserInputError(f"--budget: {budget} — allowed: a number of 亿元 above 0 (the cap on the cumulative "
                             "fiscal cost 2022–2025)")
    return float(budget)


# ----------------------------------------------------------------------------------------------------
# Running packages
# ----------------------------------------------------------------------------------------------------


def package_key(changes: Mapping[str, Any]) -> str:
    """Return the identifier of a package: a digest of its lever values (the same values, the same key)."""
    text = json.dumps({k: changes[k] for k in sorted(changes)}, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class PackageTask:
    """One task for a worker: some packages on some replicates.

    Attributes:
        scenario: The unchanged scenario (its parameter draws are given to every package).
        packages: ``(key, changes)`` of each package.
        replicates: Replicate numbers.
        seed: Master seed.
        metrics: Outputs kept at ``year``.
        year: Year the targets are judged in.
        base_year: The scenario's base year (cost is summed over the later years up to ``year``).
    """

    scenario: Any
    packages: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...]
    replicates: tuple[int, ...]
    seed: int
    metrics: tuple[str, ...]
    year: int
    base_year: int


def run_package_task(task: PackageTask) -> pd.DataFrame:
    """Run every package of the task on its replicates with common random numbers; touch no files.

    Returns:
        One row per package × replicate: ``package``, ``replicate``, ``cost_yi`` (fiscal cost summed over the
        years after the base year up to ``year``) and the task's metrics in ``year``.
    """
    from parkabm.model.simulate import draw_parameters, simulate
    from parkabm.scenarios.loader import apply_changes

    scenarios = [(key, apply_changes(task.scenario, dict(changes), source="design")) for key, changes in
                 task.packages]
    rows = []
    for replicate in task.replicates:
        parameters = draw_parameters(task.scenario, task.seed, replicate)
        for key, scenario in scenarios:
            yearly = simulate(scenario, seed=task.seed, replicate=replicate, parameters=parameters).yearly
            years = yearly["year"]
            at = yearly[years == task.year]
            row = {"package": key, "replicate": np.int64(replicate),
                   "cost_yi": float(yearly.loc[(years > task.base_year) & (years <= task.year),
                                               "fiscal_total_yi"].sum())}
            for m in task.metrics:
                row[m] = float(at[m].iloc[0]) if len(at) else math.nan
            rows.append(row)
    return pd.DataFrame(rows)


class EvaluationCache:
    """Per-replicate outcomes of every package evaluated into one design folder: ``<out>/evaluations/``.

    ``settings.json`` holds what the numbers depend on (the resolved scenario, seed, year, metrics); a folder of
    other settings is refused. Each finished task adds one Parquet part (page checksums verified when read), named by
    a digest of its packages and replicates; it is listed in the folder's ownership marker before it is written, so
    the folder stays one parkabm may resume or replace.
    """

    def __init__(self, out: Path, settings: dict[str, Any]) -> None:
        self.out = out
        self.folder = out / "evaluations"
        self.settings = settings
        self.rows: dict[tuple[str, int], dict[str, Any]] = {}
        self.changes: dict[str, dict[str, Any]] = {}

    @classmethod
    def open(cls, out: str | Path, settings: dict[str, Any]) -> EvaluationCache:
        """Create the folder, or reopen it and read back the stored evaluations.

        Raises:
            UserInputError: ``out`` holds files parkabm did not write, or the evaluations of other settings.
        """
        from parkabm.experiments.execution.files import MARKER, check_output_folder, json_bytes, read_table

        out = Path(out)
        check_output_folder(out, kind=DESIGN_KIND)
        if not (out / MARKER).is_file():
            cls._create(out)
        cache = cls(out, settings)
        stored = cache.folder / "settings.json"
        if stored.is_file():
            previous = json.loads(stored.read_text(encoding="utf-8"))
            if previous.get("hash") != settings["hash"]:
                raise UserInputError(
                    f"--out: {out} — holds the evaluations of another design (scenario {previous.get('scenario')!r}, "
                    f"seed {previous.get('seed')}, outputs {previous.get('metrics')}) — allowed: the same scenario, "
                    "seed and objective outputs (to resume), or a new --out folder (nothing was changed)")
        else:
            cache._write_owned(stored, lambda fh: fh.write(json_bytes(settings)))
        for leftover in cache.folder.glob(f"*{PARTIAL}"):  # listed in the marker before it was written: parkabm's
            leftover.unlink()
        for part in sorted(cache.folder.glob("part-*.parquet")):
            frame = read_table(part).to_pandas()
            cache._add(frame)
        return cache

    @staticmethod
    def _create(out: Path) -> None:
        """Make the folder with its ownership marker beside ``out`` and rename it into place (``out`` is new or empty).

        A kill before the rename leaves a ``.tmp-`` folder beside ``out``, never a folder without its marker.
        """
        import os
        import shutil

        from parkabm.experiments.execution.files import MARKER, TMP, make_private_dir, write_json

        out.parent.mkdir(parents=True, exist_ok=True)
        staging = make_private_dir(out.parent, f"{TMP}{out.name}-{os.getpid()}-")
        try:
            (staging / "evaluations").mkdir()
            write_json(staging / MARKER, {"kind": DESIGN_KIND, "written_by": "parkabm", "target": out.name,
                                          "files": []})
            if out.is_dir():
                out.rmdir()  # empty: checked by check_output_folder
            os.rename(staging, out)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    def _write_owned(self, path: Path, write: Callable[[Any], Any]) -> None:
        """Write a file of the folder through ``<name>.partial``, both listed in the marker before anything is written.

        :func:`~parkabm.experiments.execution.files.atomic_write` gives its temporary file a random name, which the
        marker cannot list beforehand; a kill during the write would then leave a file the marker does not list, and
        the folder could no longer be resumed. Here the temporary name is known, listed, and removed on reopening.
        """
        import os

        from parkabm.experiments.execution.files import fsync_dir, record_written

        partial = path.with_name(path.name + PARTIAL)
        record_written(self.out, [path, partial])
        with open(partial, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(partial, path)
        fsync_dir(path.parent)

    def _add(self, frame: pd.DataFrame) -> None:
        for row in frame.to_dict("records"):
            changes = json.loads(row.pop("changes"))
            self.changes.setdefault(str(row["package"]), changes)
            self.rows[(str(row["package"]), int(row["replicate"]))] = row

    def missing(self, key: str, replicates: Sequence[int]) -> list[int]:
        """Return the replicates of package ``key`` not yet stored."""
        return [r for r in replicates if (key, r) not in self.rows]

    def store(self, frame: pd.DataFrame, changes: Mapping[str, dict[str, Any]]) -> None:
        """Add a finished task's rows: list the part in the marker, write it atomically, keep its rows."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        frame = frame.copy()
        frame.insert(1, "changes", [json.dumps(changes[k], sort_keys=True) for k in frame["package"]])
        digest = hashlib.sha256("|".join(f"{k}:{r}" for k, r in zip(frame["package"], frame["replicate"],
                                                                       strict=True)).encode()).hexdigest()[:20]
        part = self.folder / f"part-{digest}.parquet"
        table = pa.Table.from_pandas(frame, preserve_index=False)
        self._write_owned(part, lambda fh: pq.write_table(table, fh, write_page_checksum=True))
        self._add(frame)

    def outcomes(self, key: str, replicates: Sequence[int]) -> pd.DataFrame:
        """Return the stored rows of package ``key`` on ``replicates``, in replicate order."""
        return pd.DataFrame([self.rows[(key, r)] for r in replicates])

    def files(self) -> list[Path]:
        """Every complete file of the cache folder."""
        return sorted(p for p in self.folder.iterdir() if p.is_file() and not p.name.endswith(PARTIAL))


DESIGN_KIND = "design"
"""Kind of the result folder in its ownership marker."""

PARTIAL = ".partial"
"""Suffix of a file of ``evaluations/`` while it is written (listed in the marker first, so a kill leaves nothing
foreign)."""


@dataclass
class PackageRunner:
    """Runs packages on replicates through an executor, reading back what the cache already holds.

    Attributes:
        scenario: The unchanged scenario.
        seed: Master seed.
        metrics: Outputs kept in ``year``.
        year: Year the targets are judged in.
        cache: Where evaluations are stored and read back.
        executor: An entered executor (``submit(fn, *args)``).
        runs: Runs made by this runner (not read back).
        progress: Called with the number of runs after each finished task (a progress bar).
    """

    scenario: Any
    seed: int
    metrics: tuple[str, ...]
    year: int
    cache: EvaluationCache
    executor: Any
    runs: int = 0
    progress: Callable[[int], None] | None = None

    def evaluate(self, packages: Sequence[Mapping[str, Any]], replicates: Sequence[int]) -> list[str]:
        """Make sure every package has outcomes on every replicate; return the packages' keys.

        The missing runs are split into tasks of about four per worker (a task holds whole packages on a block of
        replicates); the numbers of a run depend only on its package, replicate and seed, never on the split.
        """
        keys = [package_key(p) for p in packages]
        todo: dict[str, tuple[dict[str, Any], list[int]]] = {}
        for key, changes in zip(keys, packages, strict=True):
            missing = self.cache.missing(key, replicates)
            if missing and key not in todo:
                todo[key] = (dict(changes), missing)
        if not todo:
            return keys
        workers = max(1, int(getattr(self.executor, "workers", 1)))
        by_replicates: dict[tuple[int, ...], list[str]] = {}
        for key, (_, missing) in todo.items():
            by_replicates.setdefault(tuple(missing), []).append(key)
        tasks = []
        n_runs = sum(len(m) for _, m in todo.values())
        per_task = max(1, math.ceil(n_runs / (4 * workers)))
        for reps, group in by_replicates.items():
            per_package = max(1, per_task // len(reps))
            for first in range(0, len(group), per_package):
                chunk = group[first:first + per_package]
                block = max(1, per_task // len(chunk))
                for start in range(0, len(reps), block):
                    tasks.append(PackageTask(
                        self.scenario, tuple((k, tuple(sorted(todo[k][0].items()))) for k in chunk),
                        reps[start:start + block], self.seed, self.metrics, self.year,
                        int(self.scenario.world.base_year)))
        futures = [self.executor.submit(run_package_task, t) for t in tasks]
        changes = {k: v[0] for k, v in todo.items()}
        for future in futures:
            frame = future.result()
            self.cache.store(frame, changes)
            self.runs += len(frame)
            if self.progress is not None:
                self.progress(len(frame))
        return keys


# ----------------------------------------------------------------------------------------------------
# Summaries
# ----------------------------------------------------------------------------------------------------


def proportion_interval(met: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Return the Clopper–Pearson interval of ``met`` successes in ``n`` (``scipy.stats.binomtest``)."""
    from scipy import stats

    if n == 0:
        return math.nan, math.nan
    ci = stats.binomtest(int(met), int(n)).proportion_ci(confidence_level=confidence, method="exact")
    return float(ci.low), float(ci.high)


def summarise_packages(runner: PackageRunner, keys: Sequence[str], replicates: Sequence[int], targets: Sequence[Any],
                       levers: Sequence[LeverRange]) -> pd.DataFrame:
    """Return one row per package: mean cost with its t interval, P(met) with its interval, medians, lever values.

    Args:
        runner: Holds the cache of outcomes.
        keys: Package keys (duplicates are summarised once).
        replicates: The replicates to summarise on.
        targets: The objective's targets (all met in the same replicate counts as met).
        levers: The searched levers (their values become columns, by path).
    """
    from parkabm.experiments.analysis.effects import paired_interval
    from parkabm.model.outputs.targets import headline_targets

    headline = headline_targets()
    rows = []
    for key in dict.fromkeys(keys):
        frame = runner.cache.outcomes(key, replicates)
        met = np.ones(len(frame), dtype=bool)
        for t in targets:
            met &= t.met(frame[t.metric].to_numpy(dtype=float))
        k, n = int(met.sum()), len(frame)
        low, high = proportion_interval(k, n)
        cost, cost_low, cost_high, _ = paired_interval(frame["cost_yi"].to_numpy(dtype=float))
        changes = runner.cache.changes[key]
        rows.append({"package": key, "cost_yi": cost, "cost_low": cost_low, "cost_high": cost_high, "p": k / n,
                     "p_low": low, "p_high": high, "met": k, "n_reps": n,
                     "total_output_median": float(frame["total_output_yi"].median()),
                     "leading_share_median": float(frame["leading_share"].median()),
                     "p_output": float(headline["total_output_yi"].met(frame["total_output_yi"]).mean()),
                     "p_leading": float(headline["leading_share"].met(frame["leading_share"]).mean()),
                     **{lever.path: changes.get(lever.path) for lever in levers}})
    return pd.DataFrame(rows, columns=[*PACKAGE_COLUMNS, *(lever.path for lever in levers)])


def pareto_front(packages: pd.DataFrame, budget: float) -> pd.DataFrame:
    """Return the packages within ``budget`` that no other package beats on both cost and P, cheapest first.

    In two objectives the front is the staircase of the packages sorted by cost whose P is above that of every
    cheaper package (a cumulative maximum: no library needed); of packages with equal cost and P the first is kept.
    """
    within = packages[packages["cost_yi"] <= budget].sort_values(["cost_yi", "p"], ascending=[True, False],
                                                                 kind="mergesort")
    best = within["p"].cummax().shift(fill_value=-1.0)
    return within[within["p"] > best].reset_index(drop=True)


def cheapest_reaching(front: pd.DataFrame, level: float) -> pd.Series | None:
    """Return the cheapest front member whose P reaches ``level`` on the search replicates (None when none does)."""
    reaching = front[front["p"] >= level - 1e-12]
    return None if reaching.empty else reaching.iloc[0]


# ----------------------------------------------------------------------------------------------------
# The search
# ----------------------------------------------------------------------------------------------------


class PackageEvaluator:
    """A Platypus evaluator that judges a whole generation at once through :class:`PackageRunner`.

    The candidates' values are snapped to the levers' grids, the packages not yet evaluated run as tasks on the
    project's executor, and each solution is then evaluated by Platypus' own problem (objectives, constraint
    violation) from the stored outcomes. Python's ``random`` state, which drives Platypus, is set aside while the
    runs are made, so nothing that runs in between can change the search.
    """

    def __init__(self, runner: PackageRunner, levers: Sequence[LeverRange], replicates: Sequence[int],
                 targets: Sequence[Any]) -> None:
        self.runner = runner
        self.levers = list(levers)
        self.replicates = list(replicates)
        self.targets = list(targets)
        self.order: list[str] = []
        self.summaries: dict[str, tuple[float, float]] = {}

    def changes(self, values: Sequence[float]) -> dict[str, Any]:
        """Return the lever values of a candidate, snapped to the grids, by path."""
        return {lever.path: lever.snap(v) for lever, v in zip(self.levers, values, strict=True)}

    def objectives(self, values: Sequence[float]) -> tuple[list[float], list[float]]:
        """Return ``([cost, P], [cost])`` of a candidate already evaluated (Platypus' problem function)."""
        key = package_key(self.changes(values))
        cost, p = self.summaries[key]
        return [cost, p], [cost]

    def evaluate_all(self, jobs, **kwargs):
        """Evaluate the jobs of one generation (Platypus' evaluator interface) and return them."""
        state = random.getstate()
        packages = []
        for job in jobs:
            snapped = self.changes(list(job.solution.variables))
            job.solution.variables[:] = [snapped[lever.path] for lever in self.levers]
            packages.append(snapped)
        keys = self.runner.evaluate(packages, self.replicates)
        for key in keys:
            if key not in self.summaries:
                row = summarise_packages(self.runner, [key], self.replicates, self.targets, []).iloc[0]
                self.summaries[key] = (float(row["cost_yi"]), float(row["p"]))
        self.order += keys
        random.setstate(state)
        for job in jobs:
            job.run()
        return jobs

    def close(self) -> None:
        """Nothing to close (the executor belongs to the caller)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def search_seed(seed: int) -> int:
    """Return the seed of Python's ``random`` (which drives Platypus) for master ``seed``: from its SeedSequence."""
    return int(np.random.SeedSequence(seed, spawn_key=(0xDE5161,)).generate_state(1, dtype=np.uint64)[0])


def run_search(evaluator: PackageEvaluator, levers: Sequence[LeverRange], start: Mapping[str, Any], *,
               budget: float, evaluations: int, population: int, seed: int) -> None:
    """Run ε-NSGA-II (Platypus) over the levers: minimise cost, maximise P, cost ≤ budget.

    Args:
        evaluator: Judges the candidates (its ``order`` records every evaluation).
        levers: The searched levers.
        start: The scenario's own lever values (clipped into the ranges), put in the first population.
        budget: Cap on the cost (亿元).
        evaluations: Candidate evaluations (NFE).
        population: Population size.
        seed: Master seed.

    Raises:
        UserInputError: Platypus (installed with EMA Workbench, the ``discovery`` extra) is missing.
    """
    try:
        import platypus
    except ImportError:
        raise UserInputError("parkabm design: Platypus is not installed — allowed: install the extra, "
                             "pip install 'parkabm[discovery]'") from None

    problem = platypus.Problem(len(levers), 2, 1, function=evaluator.objectives)
    problem.types[:] = [platypus.Real(lever.low, lever.high) for lever in levers]
    problem.directions[:] = [platypus.Direction.MINIMIZE, platypus.Direction.MAXIMIZE]
    problem.constraints[:] = f"<={budget}"
    today = platypus.Solution(problem)
    today.variables[:] = [min(max(float(start[lever.path]), lever.low), lever.high) for lever in levers]
    epsilons = [max(budget, 1.0) / 100.0, 1.0 / max(1, len(evaluator.replicates))]
    state = random.getstate()
    random.seed(search_seed(seed))
    try:
        algorithm = platypus.EpsNSGAII(problem, epsilons=epsilons, population_size=population,
                                       generator=platypus.InjectedPopulation([today]), evaluator=evaluator,
                                       log_frequency=10 ** 9)
        algorithm.run(evaluations)
    finally:
        random.setstate(state)


# ----------------------------------------------------------------------------------------------------
# The command
# ----------------------------------------------------------------------------------------------------


@dataclass
class Design:
    """What a design run produced.

    Attributes:
        front: The Pareto front (:func:`pareto_front`), cheapest first, with P on the search replicates.
        packages: Every package the search evaluated (:func:`summarise_packages`).
        chosen: One row per probability level: the cheapest package reaching it, its search and fresh P.
        best: The front's package with the highest P (search and fresh P).
        today: The scenario's own package (clipped into the ranges) on the search replicates.
        summary: The contents of summary.json.
        out: The output folder.
        files: Paths written, by role.
        runs: Runs made (packages read back from the folder are not counted).
        seconds: Wall time.
        executor: Where the runs ran.
        levers: The searched levers.
    """

    front: pd.DataFrame
    packages: pd.DataFrame
    chosen: pd.DataFrame
    best: pd.Series
    today: pd.Series
    summary: dict[str, Any]
    out: Path
    files: dict[str, Path]
    runs: int
    seconds: float
    executor: str
    levers: list[LeverRange] = field(default_factory=list)


def _lever_values(scenario, levers: Sequence[LeverRange]) -> dict[str, Any]:
    data: Any = {"levers": scenario.levers.model_dump()}
    values = {}
    for lever in levers:
        node = data
        for part in lever.path.split("."):
            node = node[part]
        values[lever.path] = node
    return values


def design_settings(scenario, seed: int, year: int, metrics: Sequence[str]) -> dict[str, Any]:
    """What the stored outcomes depend on, with its digest."""
    from parkabm.experiments.execution.store import package_version

    body = {"scenario": scenario.name, "seed": seed, "year": year, "metrics": list(metrics),
            "resolved": json.loads(scenario.model_dump_json())}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode("utf-8")).hexdigest()
    return {"scenario": scenario.name, "seed": seed, "year": year, "metrics": list(metrics), "hash": digest,
            "package_version": package_version()}


def run_design(ref: str | Path, *, budget: float = DEFAULT_BUDGET_YI, objective: str = "both",
               levers: str | Path | Sequence[LeverRange] | None = None, reps: int = DEFAULT_REPS,
               evaluations: int = DEFAULT_EVALUATIONS, population: int = DEFAULT_POPULATION,
               fresh_reps: int = DEFAULT_FRESH_REPS, seed: int = 0, out: str | Path | None = None,
               lang: str = "en", executor=None, variant: str = "2023", progress: bool = False) -> Design:
    """Search lever packages for the front of cost against P(objective met in 2025) and write the results.

    Writes to ``out`` (default ``results/design/<scenario>``): ``front.csv`` and ``front.<en|zh>.png`` (the
    front, the other packages evaluated, the levels and the chosen packages' fresh P), ``packages.csv`` (every
    package evaluated), ``chosen.csv``, ``packages/<scenario>_p<level>.yaml`` (each chosen package as a scenario
    file extending the scenario) and ``packages/<scenario>_best.yaml`` (the front's most likely package),
    ``summary.md`` and ``summary.json``, and ``evaluations/`` (the stored outcomes that let a rerun resume). The
    results are swapped in whole at the end; the evaluations are kept as they are made.

    Args:
        ref: Shipped scenario name or path to a scenario file.
        budget: Cap on the cumulative fiscal cost 2022–2025 (亿元).
        objective: ``both``, ``output``, ``leading`` or a modelled target (:func:`objective_targets`).
        levers: A lever file (:func:`read_design_levers`), lever ranges, or None for :data:`DEFAULT_LEVERS`.
        reps: Replicates each candidate is judged on (common random numbers).
        evaluations: Candidate evaluations of the search.
        population: Population of ε-NSGA-II.
        fresh_reps: Fresh replicates of the re-evaluation of the chosen packages.
        seed: Master seed (model runs and optimiser).
        out: Output folder.
        lang: Language of summary.md (charts in English and, when a Chinese font is available, Chinese).
        executor: An entered executor; runs in this process when omitted.
        variant: Which policy text's headline targets apply.
        progress: Show a progress bar.

    Raises:
        UserInputError: A bad scenario, lever file, objective, budget, size, language or output folder.
    """
    from parkabm.experiments import charts
    from parkabm.experiments.execution.executors import SerialExecutor
    from parkabm.model.outputs.registry import CITY_OUTPUTS
    from parkabm.scenarios.loader import apply_changes, load_scenario

    budget = check_budget(budget)
    for name, value, least in (("--reps", reps, 2), ("--evaluations", evaluations, 1),
                               ("--population", population, 4), ("--fresh-reps", fresh_reps, 2)):
        if not isinstance(value, int) or value < least:
            raise UserInputError(f"{name}: {value} — allowed: a whole number ≥ {least}")
    charts.check_language(lang)
    chart_langs = ["en", "zh"] if charts.find_cjk_font() is not None else ["en"]
    if lang == "zh":
        charts.language_rc("zh")
    targets = objective_targets(objective, variant)
    scenario = load_scenario(ref)
    ranges = (default_levers() if levers is None else read_design_levers(levers) if isinstance(levers, str | Path)
              else list(levers))
    year = min(COMPARISON_YEAR, scenario.world.horizon)
    if year <= scenario.world.base_year:
        raise UserInputError(f"{ref}: world.horizon = {scenario.world.horizon} — allowed: a year after the base year "
                             f"{scenario.world.base_year} (the cost is summed over the years after it)")
    for corner in ({r.path: r.low for r in ranges}, {r.path: r.high for r in ranges}):
        apply_changes(scenario, corner, source=str(levers) if isinstance(levers, str | Path) else "levers")
    from parkabm.model.outputs.targets import headline_targets

    metrics = tuple(dict.fromkeys([*(t.metric for t in headline_targets(variant=variant).values()),
                                   *(t.metric for t in targets)]))
    metrics = tuple(m for m in metrics if m in CITY_OUTPUTS)
    out = Path(out) if out is not None else Path("results") / "design" / scenario.name
    cache = EvaluationCache.open(out, design_settings(scenario, seed, year, metrics))
    executor = executor if executor is not None else SerialExecutor()
    from tqdm.auto import tqdm

    bar = tqdm(desc="design", unit="run", disable=not progress)
    runner = PackageRunner(scenario, seed, metrics, year, cache, executor, progress=bar.update)
    search = list(range(reps))
    evaluator = PackageEvaluator(runner, ranges, search, targets)
    start = time.perf_counter()
    today_values = _lever_values(scenario, ranges)
    run_search(evaluator, ranges, today_values, budget=budget, evaluations=evaluations, population=population,
               seed=seed)
    packages = summarise_packages(runner, evaluator.order, search, targets, ranges)
    front = pareto_front(packages, budget)
    today_key = package_key(evaluator.changes([min(max(float(today_values[r.path]), r.low), r.high)
                                               for r in ranges]))
    today = packages.set_index("package").loc[today_key].copy()
    today["package"] = today_key
    fresh = list(range(FRESH_FIRST_REPLICATE, FRESH_FIRST_REPLICATE + fresh_reps))
    picks = {level: cheapest_reaching(front, level) for level in LEVELS}
    within_budget = len(front) > 0  # else no package evaluated costs at most the budget: the cheapest is shown
    best = (front.sort_values(["p", "cost_yi"], ascending=[False, True], kind="mergesort") if within_budget
            else packages.sort_values("cost_yi", kind="mergesort")).iloc[0]
    again = list(dict.fromkeys([*(p["package"] for p in picks.values() if p is not None), best["package"]]))
    runner.evaluate([cache.changes[k] for k in again], fresh)
    rechecked = summarise_packages(runner, again, fresh, targets, ranges).set_index("package")
    chosen_rows = []
    for level, pick in picks.items():
        row: dict[str, Any] = {"level": level, "found": pick is not None}
        if pick is not None:
            f = rechecked.loc[pick["package"]]
            row.update({"package": pick["package"], "cost_yi": pick["cost_yi"], "p_search": pick["p"],
                        "p_search_low": pick["p_low"], "p_search_high": pick["p_high"], "p_fresh": f["p"],
                        "p_fresh_low": f["p_low"], "p_fresh_high": f["p_high"], "cost_fresh_yi": f["cost_yi"],
                        **{r.path: pick[r.path] for r in ranges}})
        chosen_rows.append(row)
    chosen = pd.DataFrame(chosen_rows)
    best = best.copy()
    for column in ("p", "p_low", "p_high", "cost_yi"):
        best[f"{column}_fresh"] = rechecked.loc[best["package"], column]
    best["within_budget"] = within_budget
    seconds = time.perf_counter() - start
    bar.close()
    summary = _summary(scenario, ref, objective, targets, budget, ranges, reps, fresh_reps, evaluations,
                       population, seed, front, packages, chosen, best, today, runner.runs, seconds, len(again))
    files = _write(out, cache, scenario, ref, front, packages, chosen, best, summary, ranges, lang, chart_langs)
    return Design(front, packages, chosen, best, today, summary, out, files, runner.runs, seconds,
                  getattr(executor, "description", type(executor).__name__), ranges)


def _summary(scenario, ref, objective, targets, budget, ranges, reps, fresh_reps, evaluations, population, seed,
             front, packages, chosen, best, today, runs, seconds, rechecked) -> dict[str, Any]:
    def package(row) -> dict[str, Any]:
        values = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()
                  if not (isinstance(v, float) and math.isnan(v))}
        for count in ("met", "n_reps"):  # counts stay whole numbers when a row was read as floats
            if count in values:
                values[count] = int(values[count])
        return values

    return {
        "scenario": scenario.name, "objective": objective, "first_year": int(scenario.world.base_year) + 1,
        "year": int(min(COMPARISON_YEAR, scenario.world.horizon)),
        "targets": [{"target": t.target, "metric": t.metric, "comparison": t.comparison, "value": t.value,
                     "year": t.year} for t in targets],
        "budget_yi": budget, "levers": [{"path": r.path, "low": r.low, "high": r.high, "step": r.step}
                                        for r in ranges],
        "replicates": reps, "fresh_replicates": fresh_reps, "fresh_first_replicate": FRESH_FIRST_REPLICATE,
        "evaluations": evaluations, "population": population, "seed": seed,
        "packages_evaluated": len(packages), "front_size": len(front),
        "runs_used": len(packages) * reps + fresh_reps * rechecked,
        "runs_made": int(runs), "seconds": round(seconds, 1),  # by this invocation (the rest was read back)
        "today": package(today), "best": package(best),
        "chosen": [package(r) for r in chosen.to_dict("records")],
        "front": [package(r) for r in front.to_dict("records")],
    }


def package_yaml(scenario, ref: str | Path, row: Mapping[str, Any], ranges: Sequence[LeverRange], *, name: str,
                 folder: Path, level: float | None, p_fresh: float, budget: float) -> str:
    """Return a chosen package as a scenario file that extends the scenario and sets the searched levers.

    Args:
        scenario: The scenario the package extends.
        ref: How it was named (a shipped name, or a path, written relative to ``folder``).
        row: The package (lever values by path).
        ranges: The searched levers.
        name: The new scenario's name.
        folder: Where the file will be (for a relative ``extends:``).
        level: The probability level it was chosen for; None for the package with the highest P on the front.
        p_fresh: Its P on the fresh replicates.
        budget: The budget of the design.
    """
    import os

    import yaml

    from parkabm.scenarios.loader import shipped_names

    shipped = str(ref) in set(shipped_names())
    parent = str(ref) if shipped else os.path.relpath(Path(ref).resolve(), folder.resolve())
    levers: dict[str, Any] = {}
    for r in ranges:
        node = levers
        parts = r.path.split(".")[1:]
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        value = row[r.path]
        node[parts[-1]] = int(value) if r.integer else float(value)
    doc = {"name": name, "extends": parent,
           "description": ({"en": f"Cheapest package found by parkabm design for P ≥ {level:.0%} within "
                                  f"{budget:g}亿元 (P on fresh replicates {p_fresh:.0%}).",
                            "zh": f"parkabm design 找到的达标概率≥{level:.0%}的最低成本政策组合（预算{budget:g}亿元；"
                                  f"新种子复核概率{p_fresh:.0%}）。"} if level is not None else
                           {"en": f"The package with the highest P found by parkabm design within {budget:g}亿元 "
                                  f"(P on fresh replicates {p_fresh:.0%}).",
                            "zh": f"parkabm design 在预算{budget:g}亿元内找到的达标概率最高的政策组合"
                                  f"（新种子复核概率{p_fresh:.0%}）。"}),
           "levers": levers}
    header = [f"# Scenario written by `parkabm design`: {scenario.name} with the searched levers set to a package on "
              "the front.", f"# Run it with: parkabm run {name}.yaml"]
    return "\n".join(header) + "\n" + yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=120)


def _write(out: Path, cache: EvaluationCache, scenario, ref, front, packages, chosen, best, summary, ranges, lang,
           chart_langs) -> dict[str, Path]:
    import shutil

    from parkabm.experiments.charts.packages import write_front_charts
    from parkabm.experiments.execution.files import staged_folder

    names = {"front": "front.csv", "packages": "packages.csv", "chosen": "chosen.csv", "summary": "summary.md",
             "summary_json": "summary.json"}
    files: dict[str, Path] = {}
    with staged_folder(out, kind=DESIGN_KIND) as staging:
        front.to_csv(staging / names["front"], index=False, encoding="utf-8")
        packages.to_csv(staging / names["packages"], index=False, encoding="utf-8")
        chosen.to_csv(staging / names["chosen"], index=False, encoding="utf-8")
        (staging / names["summary_json"]).write_text(json.dumps(summary, ensure_ascii=False, indent=1,
                                                                default=_json_value), encoding="utf-8")
        (staging / names["summary"]).write_text(format_summary(summary, lang), encoding="utf-8")
        (staging / "packages").mkdir()
        for row in chosen.to_dict("records"):
            if not row["found"]:
                continue
            name = f"{scenario.name}_p{round(row['level'] * 100):d}"
            path = staging / "packages" / f"{name}.yaml"
            path.write_text(package_yaml(scenario, ref, row, ranges, name=name, folder=out / "packages",
                                         level=row["level"], p_fresh=row["p_fresh"], budget=summary["budget_yi"]),
                            encoding="utf-8")
            files[f"package_p{round(row['level'] * 100):d}"] = out / "packages" / path.name
        if bool(best["within_budget"]):
            name = f"{scenario.name}_best"
            path = staging / "packages" / f"{name}.yaml"
            path.write_text(package_yaml(scenario, ref, best, ranges, name=name, folder=out / "packages", level=None,
                                         p_fresh=float(best["p_fresh"]), budget=summary["budget_yi"]),
                            encoding="utf-8")
            files["package_best"] = out / "packages" / path.name
        charts_written = write_front_charts(packages, front, chosen, staging, langs=chart_langs,
                                            scenario=scenario.name, budget=summary["budget_yi"],
                                            objective=summary["objective"], levels=LEVELS,
                                            first=summary["first_year"], year=summary["year"], best=best)
        (staging / "evaluations").mkdir()
        for path in cache.files():
            shutil.copy2(path, staging / "evaluations" / path.name)
    files.update({role: out / name for role, name in names.items()})
    files.update({role: out / path.name for role, path in charts_written.items()})
    files["evaluations"] = out / "evaluations"
    return files


def _json_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(type(value))


# ----------------------------------------------------------------------------------------------------
# summary.md
# ----------------------------------------------------------------------------------------------------

TEXT: dict[str, dict[str, str]] = {
    "title": {"en": "What would it take: {scenario}", "zh": "达成目标需要什么：{scenario}"},
    "intro": {"en": ("Lever packages searched for the Pareto front of the cumulative fiscal cost {first}–{year} "
                     "(mean of the replicates, 亿元) against P({goal} in {year}), within a budget of {budget:g}亿元. "
                     "{evaluations} candidate evaluations of ε-NSGA-II (Platypus, population {population}, seed "
                     "{seed}); each package judged on the same {reps} replicates (common random numbers: the same "
                     "seeds and parameter draws for every package). {n} distinct packages evaluated "
                     "({runs:,} runs with the re-evaluation), {front} on the front. The chosen packages are "
                     "re-evaluated on {fresh} fresh replicates (numbers from {first_rep} on, never used by the "
                     "search). P intervals: 95% Clopper–Pearson."),
              "zh": ("在{budget:g}亿元预算内，搜索政策组合在“{first}–{year}年累计财政支出（各次模拟均值，亿元）”与"
                     "“{year}年{goal}的概率”之间的帕累托前沿。ε-NSGA-II（Platypus，种群{population}，种子{seed}）"
                     "共评价{evaluations}次；每个组合使用同一组{reps}次模拟（共同随机数：各组合种子与参数抽样相同）。"
                     "共评价{n}个不同组合（连同复核共{runs:,}次模拟），前沿上{front}个。入选组合在{fresh}次新模拟（编号自{first_rep}起，搜索"
                     "从未使用）上复核。概率区间：95% Clopper–Pearson。")},
    "levers": {"en": "Levers searched", "zh": "搜索的政策杠杆"},
    "range": {"en": "range", "zh": "范围"},
    "step": {"en": "grid", "zh": "步长"},
    "today": {"en": ("The scenario as it is (levers clipped into the ranges): cost {cost:,.0f}亿元, P = {p:.0%} "
                     "[{low:.0%}, {high:.0%}]."),
              "zh": "情景现状（杠杆取值限于搜索范围）：支出{cost:,.0f}亿元，概率{p:.0%} [{low:.0%}, {high:.0%}]。"},
    "chosen": {"en": "Cheapest package for each probability level", "zh": "各概率水平的最低成本组合"},
    "level": {"en": "P ≥", "zh": "概率≥"},
    "cost": {"en": "cost (亿元)", "zh": "支出（亿元）"},
    "p_search": {"en": "P, search", "zh": "概率（搜索）"},
    "p_fresh": {"en": "P, fresh replicates", "zh": "概率（新模拟复核）"},
    "file": {"en": "scenario file", "zh": "情景文件"},
    "none": {"en": ("No package within {budget:g}亿元 reaches P ≥ {level:.0%}; the best reachable is P = {p:.0%} "
                    "[{low:.0%}, {high:.0%}] on the search replicates, {pf:.0%} [{pfl:.0%}, {pfh:.0%}] on fresh "
                    "ones, at {cost:,.0f}亿元."),
             "zh": ("{budget:g}亿元预算内没有组合达到概率≥{level:.0%}；可达的最高概率为{p:.0%} [{low:.0%}, {high:.0%}]"
                    "（搜索），新模拟复核为{pf:.0%} [{pfl:.0%}, {pfh:.0%}]，支出{cost:,.0f}亿元。")},
    "none_within": {"en": "No package evaluated costs at most {budget:g}亿元; the cheapest costs {cost:,.0f}亿元.",
                    "zh": "已评价的组合中没有支出不超过{budget:g}亿元的；最便宜的组合支出{cost:,.0f}亿元。"},
    "best_file": {"en": "The package with the highest P on the front: `{name}`.",
                  "zh": "前沿上达标概率最高的组合：`{name}`。"},
    "front": {"en": "The front", "zh": "帕累托前沿"},
    "front_intro": {"en": "Cheapest first; P on the search replicates; lever values of each package.",
                    "zh": "按支出由低到高；概率为搜索模拟上的值；各组合的杠杆取值。"},
    "p": {"en": "P", "zh": "概率"},
    "output": {"en": "output median (亿元)", "zh": "产值中位数（亿元）"},
    "leading": {"en": "leading share median", "zh": "主导产业占比中位数"},
    "method": {"en": "Method", "zh": "方法"},
    "method_text": {"en": ("Cost: the sum of fiscal_total_yi (all levers) over the years after the base year up to "
                           "{year}, mean over the replicates. P: the share of replicates meeting {goal} in {year}. "
                           "The front: packages within the budget that no cheaper package matches in P. A chosen "
                           "package's P on the search replicates is biased upwards (it was chosen on their noise); "
                           "the fresh P is the one to quote. Today's package was in the first population. See "
                           "parkabm.experiments.analysis.packages."),
                    "zh": ("支出：基年之后至{year}年各年fiscal_total_yi（全部杠杆）之和，取各次模拟均值。概率：{year}年"
                           "{goal}的模拟占比。前沿：预算内、没有更便宜组合能达到同等概率的组合。入选组合在搜索模拟上的"
                           "概率偏高（是按其噪声挑选的），应引用新模拟复核的概率。情景现状的组合在初始种群中。详见 "
                           "parkabm.experiments.analysis.packages。")},
    "and": {"en": " and ", "zh": "且"},
}
"""Text of summary.md in both languages."""


def _goal(targets: Sequence[Mapping[str, Any]], lang: str) -> str:
    from parkabm.scenarios.world import load_world

    rows = load_world().targets
    rows = rows.set_index("target") if "target" in rows.columns else rows
    parts = []
    for t in targets:
        name = rows.loc[t["target"], "name_en" if lang == "en" else "name_zh"] if t["target"] in rows.index else \
            t["metric"]
        sign = {">=": "≥", "<=": "≤"}.get(t["comparison"], t["comparison"])
        parts.append(f"{name} {sign}{t['value']:g}")
    return TEXT["and"][lang].join(parts)


def _md_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"


def _value(v: Any) -> str:
    if isinstance(v, float) and not float(v).is_integer():
        return f"{v:g}"
    return f"{float(v):,.0f}" if isinstance(v, int | float) else str(v)


def format_summary(summary: Mapping[str, Any], lang: str = "en") -> str:
    """Return summary.md: the question, the levers, today's package, the cheapest package per level, the front."""
    from parkabm.scenarios.schema import lever_label

    t = {k: v[lang] for k, v in TEXT.items()}
    year = summary["year"]
    goal = _goal(summary["targets"], lang)
    lines = [f"# {t['title'].format(scenario=summary['scenario'])}", "",
             t["intro"].format(first=summary["first_year"], year=year, goal=goal, budget=summary["budget_yi"],
                               evaluations=summary["evaluations"], population=summary["population"],
                               seed=summary["seed"], reps=summary["replicates"], n=summary["packages_evaluated"],
                               runs=summary["runs_used"],
                               front=summary["front_size"], fresh=summary["fresh_replicates"],
                               first_rep=f"{summary['fresh_first_replicate']:,}"), "",
             f"## {t['levers']}", ""]
    lines += [f"- {lever_label(r['path'], lang)} (`{r['path']}`): {t['range']} {_value(r['low'])}–"
              f"{_value(r['high'])}, {t['step']} {r['step']:g}" for r in summary["levers"]]
    today = summary["today"]
    lines += ["", t["today"].format(cost=today["cost_yi"], p=today["p"], low=today["p_low"], high=today["p_high"]),
              "", f"## {t['chosen']}", ""]
    lines += [_md_row([t["level"], t["cost"], t["p_search"], t["p_fresh"], t["file"]]), _md_row(["---"] * 5)]
    best = summary["best"]
    missing = []
    for row in summary["chosen"]:
        if not row["found"]:
            lines.append(_md_row([f"{row['level']:.0%}", "—", "—", "—", "—"]))
            missing.append(row["level"])
            continue
        name = f"packages/{summary['scenario']}_p{round(row['level'] * 100):d}.yaml"
        lines.append(_md_row([f"{row['level']:.0%}", f"{row['cost_yi']:,.0f}",
                              f"{row['p_search']:.0%} [{row['p_search_low']:.0%}, {row['p_search_high']:.0%}]",
                              f"{row['p_fresh']:.0%} [{row['p_fresh_low']:.0%}, {row['p_fresh_high']:.0%}]",
                              f"`{name}`"]))
    if best["within_budget"]:
        lines += ["", t["best_file"].format(name=f"packages/{summary['scenario']}_best.yaml")]
    if missing and not best["within_budget"]:
        lines += ["", t["none_within"].format(budget=summary["budget_yi"], cost=best["cost_yi"])]
    elif missing:
        lines += ["", t["none"].format(budget=summary["budget_yi"], level=min(missing), p=best["p"],
                                       low=best["p_low"], high=best["p_high"], pf=best["p_fresh"],
                                       pfl=best["p_low_fresh"], pfh=best["p_high_fresh"], cost=best["cost_yi"])]
    paths = [r["path"] for r in summary["levers"]]
    lines += ["", f"## {t['front']}", "", t["front_intro"], "",
              _md_row([t["cost"], t["p"], t["output"], t["leading"], *(lever_label(p, lang) for p in paths)]),
              _md_row(["---"] * (4 + len(paths)))]
    for row in summary["front"]:
        lines.append(_md_row([f"{row['cost_yi']:,.0f}", f"{row['p']:.0%} [{row['p_low']:.0%}, {row['p_high']:.0%}]",
                              f"{row['total_output_median']:,.0f}", f"{row['leading_share_median']:.1%}",
                              *(_value(row[p]) for p in paths)]))
    lines += ["", f"## {t['method']}", "", t["method_text"].format(year=year, goal=goal), ""]
    return "\n".join(lines)
