"""Calibration by the method of simulated moments: fit behavioural parameters to the sourced history of 2019–2021.

**What is fitted.** The parameters in :data:`FITTED` — those the moments of
:mod:`parkabm.experiments.analysis.moments` can speak to;
:data:`NOT_FITTED` says for every other parameter why it is left at its prior.

**How.** A candidate parameter vector θ is run as a back-cast (base year :data:`~parkabm.experiments.analysis.moments.
CALIBRATION_BASE_YEAR`, to 2021, under the pre-2022 policy of :data:`CALIBRATION_POLICY`) for the same ``S``
replicate seeds as every other candidate (common random numbers), and the moments are averaged over the seeds. The
objective is

    J(θ) = Σ_k ((m̄_k(θ) − d_k) / s_k)²,   s_k² = sd_k² + (1 + 1/S) · v_k

over the moments with role ``fit`` (for a one-sided moment only a shortfall counts), where ``sd_k`` is the moment's
stated data and representation sd and ``v_k`` the model's own variance of the moment across seeds at the prior
defaults (one realisation of the world is what the data are; the mean over ``S`` seeds adds ``v_k / S``). The
weights are fixed before the search. ``J`` is minimised by :func:`scipy.optimize.differential_evolution` (fixed seed,
no polish, every generation's candidates run in parallel processes) followed by a bounded Nelder–Mead polish.

**Uncertainty and identification.** Because ``J`` is a sum of squared standardised residuals, the parameter values
with ``J ≤ J_min + 3.84`` form an approximate 95% region. Each parameter's interval is the wider of (a) the range
of that region over every point evaluated during the search and (b) the range along its one-parameter profile
(a slice through the optimum, the others held there). By the share of its prior range that interval covers, a
parameter is (:func:`identification`)

- *identified* (≤ :data:`IDENTIFIED_WIDTH`): its default becomes the fitted value and its distribution spans the
  interval;
- *bounded* (≤ :data:`BOUNDED_WIDTH`): the data rule out part of the prior range but cannot place the value; the
  default stays (moved into the interval if outside) and the distribution is cut to the interval;
- *not identified*: the data cannot tell its values apart; prior default and range are kept.

The identified parameters are then refitted with the others at those values; the results are the adopted values.
Monte Carlo error is measured separately by a bootstrap over seeds (the search's evaluated points re-scored with
resampled seeds).

Outputs (:func:`calibrate`): ``report.md``, ``fit.json`` and the charts ``fit.en.png`` (data against the model's mean
and seed spread per moment, before and after) and ``profiles.en.png`` (English).
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from parkabm.experiments.analysis import moments as mom
from parkabm.experiments.execution.executors import exit_with_driver
from parkabm.experiments.execution.files import check_output_folder, staged_folder
from parkabm.scenarios.errors import UserInputError
from parkabm.scenarios.parameters import PARAMETERS, defaults

FITTED = (
    "trend_growth_multiplier", "upgrade_propensity", "agglomeration_elasticity", "chain_spillover",
    "land_productivity_growth", "exit_base_hazard", "recruitment_rate", "volatility_multiplier",
)
"""Parameters fitted: the channels of growth and firm dynamics the history could speak to (trend, upgrading,
agglomeration, chain spillovers, intensification, exits, recruitment, volatility), one per group of parameters with
the same effect. The screen at the prior defaults (docs/calibration/report.md) shows how far each moves the moments:
``chain_spillover`` and ``land_productivity_growth`` barely move any; they are fitted all the same so that their
flat profiles document that the data cannot speak to them."""

NOT_FITTED = {
    "base_output_multiplier": "the 2021 level of the scope (scope.csv range); the back-cast starts from the data it "
                              "scales, so the moments do not inform it; fixed at 1",
    "price_growth_2022": "prices after 2021: no data used", "price_growth_2023": "prices after 2021: no data used",
    "price_growth_2024": "prices after 2021: no data used",
    "price_growth_later": "the back-cast runs in 2021 prices (real moments); fixed at 0 in calibration runs",
    "zone_gdp_share_2021": "sourced (DATA-SOURCES: zones >50% of GDP); it only scales the R&D target's denominator",
    "size_volatility_exponent": "moves the same moments as volatility_multiplier in the same direction; one of the "
                                "two is fitted",
    "upgrade_productivity_gain": "moves growth like upgrade_propensity (both scale what upgrading adds); one of the "
                                 "two is fitted",
    "upgrade_investment_ratio": "only sizes investment, whose model analogue is a check, not a fitted moment",
    "exit_d_multiplier": "no exit or enforcement counts before 2022 in the sources",
    "exit_loss_sensitivity": "no exit counts before 2022 in the sources; small effect on every moment",
    "recruitment_saturation_mu": "moves the same moments as recruitment_rate; one of the two is fitted",
    "relocation_min_shortfall": "no relocation counts in the sources; small effect on every moment",
    "project_investment_median_yi": "no project-size data before 2022 in the sources",
    "project_investment_sigma": "no project-size data before 2022 in the sources; it moves mainly one moment (the "
                                "钱塘 生命健康 规上 count, through the number of small projects), which "
                                "recruitment_rate and exit_base_hazard already move",
    "project_output_per_investment": "no project data before 2022; it moves the same moment as recruitment_rate "
                                     "(the 钱塘 生命健康 规上 count)",
    "industry_fund_elasticity": "the industry fund's effect is not observed before 2022",
    "surcharge_pass_through": "no data on the surcharges' incidence; small effect on every moment",
    "initial_utilisation": "a state of the base year, not behaviour; no utilisation figure in the sources; it "
                           "moves mainly the 钱塘 生命健康 规上 count, like recruitment and exits",
    **dict.fromkeys(
        ("mujun_score_cap", "rectification_upgrade_factor_c", "rectification_upgrade_factor_d",
         "capacity_pressure_utilisation", "capacity_pressure_upgrade_factor", "rd_gain_per_upgrade",
         "existing_plot_ratio", "factory_land_share_of_vacant", "prior_redevelopment_mu_per_year",
         "phaseout_compensation_wan_per_mu", "race_spread", "new_project_productivity_premium",
         "project_capacity_slack", "innovation_rd_leverage", "utilisation_sd", "small_firm_floor_yi",
         "exit_size_elasticity", "exit_young_multiplier", "exit_young_years", "service_entry_rate",
         "entry_size_ratio", "entry_max_size_yi", "upgrade_margin", "upgrade_hurdle_rate", "upgrade_return_sd",
         "industry_fund_deployment_years", "industry_fund_stake_share"),
        "an assumed number of the rules, declared as a parameter after the calibration; kept at its default"),
    "phaseout_acceptance_elasticity": "the response of 腾退 to the city's compensation share; the back-cast years "
                                      "carry no enforcement figure; kept at its default",
    "low_efficiency_tax_share": "the threshold of the 低效用地 definition; no low-efficiency land figure before 2022 "
                                "in the sources; kept at its default",
    **dict.fromkeys(
        ("land_use_tax_yuan_per_m2", "water_m3_per_kwh", "gas_m3_per_kwh", "land_release_response"),
        "an assumed number of the differentiated resource prices (model/rules/resources.py), declared after the "
        "calibration; the city moments carry no information on it; kept at its default"),
    **dict.fromkeys(
        ("macro_shock_sd", "macro_shock_persistence", "macro_loading_industry", "macro_loading_export",
         "macro_loading_services", "macro_trend_drift", "macro_trend_drift_sd", "macro_trend_shift"),
        "the common shock process, estimated on its own from the GDP and 规上工业增加值 history "
        "(parkabm.model.rules.macro.estimate_shock_process); back-cast years carry no macro term"),
    "macro_service_price_growth": "prices after 2021; the back-cast runs in 2021 prices",
    "macro_trend_channels_industry": "derived by channel_offset (a status_quo projection against the estimated "
                                     "2021 industrial trend); re-derive it when a calibration moves the channels",
}
"""Every behavioural parameter not fitted, with the reason."""

KIND = "calibration"
"""The kind of result folder ``parkabm calibrate`` writes, as its ownership marker records it."""

CALIBRATION_POLICY = "status_quo"
"""Scenario whose levers are the policy of the back-cast years: the pre-2022 levels (the 2022–2023 texts came
later)."""

FIXED_IN_CALIBRATION = {"price_growth_later": 0.0, "base_output_multiplier": 1.0}
"""Parameter values of every calibration run besides the fitted ones (the others are at their defaults)."""

CHI2_95_ONE = 3.841458820694124
"""95% quantile of χ²(1): the rise of J above its minimum that bounds a 95% interval for one parameter."""

IDENTIFIED_WIDTH = 0.75
"""A parameter is identified when its 95% interval covers at most this share of its prior range."""

BOUNDED_WIDTH = 0.95
"""A parameter whose 95% interval covers more than :data:`IDENTIFIED_WIDTH` but at most this share of its prior range
is bounded: part of the range is ruled out, the value is not placed."""

INTERVAL_HEADROOM = 1.0
"""Triangular distributions of identified parameters span their 95% interval (times this) around the fit."""


@dataclass(frozen=True)
class CalibrationSettings:
    """Sizes of a calibration run.

    Attributes:
        seeds: Replicate seeds per candidate (the same for all: common random numbers).
        maxiter: Generations of differential evolution.
        popsize: Population size multiplier of differential evolution (candidates per generation =
            ``popsize × number of parameters``).
        seed: Master seed of the model runs; replicate ``r`` uses ``SeedSequence(seed, spawn_key=(r,))``.
        optimizer_seed: Seed of differential evolution's own generator.
        base_year: First year of the back-cast.
        population_scale: ``world.population_scale`` of the runs (1 = the calibrated firm population).
        parameters: Names of the parameters fitted.
        profile_points: Grid points per parameter profile.
        polish_maxfev: Evaluations of the Nelder–Mead polish (and of the refit of the identified parameters).
        bootstrap: Seed-bootstrap resamples for the Monte Carlo error.
        workers: Processes (1 runs in this process; None = all CPUs).
        policy: Scenario whose levers are used in the back-cast.
        smoke: A smoke run at tiny sizes; its report says that its numbers mean nothing.
    """

    seeds: int = 32
    maxiter: int = 30
    popsize: int = 8
    seed: int = 0
    optimizer_seed: int = 0
    base_year: int = mom.CALIBRATION_BASE_YEAR
    population_scale: float = 1.0
    parameters: tuple[str, ...] = FITTED
    profile_points: int = 15
    polish_maxfev: int = 160
    bootstrap: int = 200
    workers: int | None = None
    policy: str = CALIBRATION_POLICY
    smoke: bool = False


QUICK = CalibrationSettings(seeds=2, maxiter=1, popsize=2, population_scale=0.15, profile_points=3,
                            polish_maxfev=6, bootstrap=5, workers=1, smoke=True)
"""Tiny sizes for a smoke run (``parkabm calibrate --quick``): the numbers mean nothing."""


# ------------------------------------------------------------------------------------------ running candidates


@dataclass(frozen=True)
class RunSpec:
    """What a worker needs to run candidates: picklable, with no model state.

    Attributes:
        scenario: The back-cast scenario.
        names: Names of the parameters in a candidate vector.
        base: Values of every other parameter.
        seed: Master seed.
        statistics: Statistics to observe.
        keys: ``(year, statistic)`` of each moment.
        deflators: Deflator of each moment.
    """

    scenario: object
    names: tuple[str, ...]
    base: dict
    seed: int
    statistics: tuple[str, ...]
    keys: tuple[tuple[int, str], ...]
    deflators: tuple[float, ...]


def run_moments(spec: RunSpec, theta: Sequence[float], replicates: Sequence[int]) -> np.ndarray:
    """Run one candidate for some replicate seeds and return its moments.

    Args:
        spec: The run specification.
        theta: Values of ``spec.names``.
        replicates: Replicate numbers.

    Returns:
        Array ``(len(replicates), number of moments)``.
    """
    from parkabm.model.city import ParkModel
    from parkabm.model.simulate import replicate_seed
    from parkabm.scenarios.world import load_world

    world = load_world()
    params = {**spec.base, **dict(zip(spec.names, (float(v) for v in theta), strict=True))}
    deflators = np.asarray(spec.deflators, dtype=float)
    keys = list(spec.keys)
    out = np.empty((len(replicates), len(keys)))
    for i, r in enumerate(replicates):
        model = ParkModel(spec.scenario, parameters=params, rng=replicate_seed(spec.seed, int(r)), world=world)
        observer = mom.Observer(model, spec.statistics)
        observer.record()
        while model.year < model.horizon:
            model.step()
            observer.record()
        out[i] = mom.values_from_rows(observer.rows, keys, deflators)
    return out


def _run_task(args: tuple[RunSpec, tuple[float, ...], tuple[int, ...]]) -> np.ndarray:
    return run_moments(*args)


class Evaluator:
    """Run candidates over the seeds, in parallel processes (``spawn``) or in this process.

    Each candidate's seeds are split into chunks so that even one candidate (a Nelder–Mead step) keeps every
    worker busy. Use as a context manager; the pool is shut down on exit.

    Args:
        spec: The run specification.
        seeds: Number of replicate seeds.
        workers: Processes (1 = this process).
    """

    def __init__(self, spec: RunSpec, seeds: int, workers: int = 1):
        self.spec = spec
        self.replicates = tuple(range(seeds))
        self.workers = max(1, workers)
        self._pool = (ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                          initializer=exit_with_driver,
                                          initargs=(os.getpid(), threading.current_thread() is threading.main_thread()))
                      if self.workers > 1 else None)

    def __enter__(self) -> Evaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Shut the worker processes down."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def moments(self, thetas: Sequence[Sequence[float]], names: Sequence[str] | None = None) -> np.ndarray:
        """Return the moments of each candidate and seed: array ``(candidates, seeds, moments)``.

        Args:
            thetas: Candidate vectors.
            names: The parameters the vectors give (default: the specification's).
        """
        spec = self.spec if names is None else replace(self.spec, names=tuple(names))
        thetas = [tuple(float(v) for v in t) for t in thetas]
        if self._pool is None:
            return np.stack([run_moments(spec, t, self.replicates) for t in thetas])
        per = max(1, math.ceil(len(self.replicates) * len(thetas) / (4 * self.workers)))
        per = min(per, len(self.replicates))
        chunks = [self.replicates[i:i + per] for i in range(0, len(self.replicates), per)]
        tasks = [(spec, t, c) for t in thetas for c in chunks]
        results = list(self._pool.map(_run_task, tasks))
        k = len(chunks)
        return np.stack([np.concatenate(results[i * k:(i + 1) * k]) for i in range(len(thetas))])


# ------------------------------------------------------------------------------------------ the objective


def objective_value(per_seed: np.ndarray, moments: pd.DataFrame, scale: np.ndarray,
                    fit: np.ndarray) -> float:
    """Return ``J`` for one candidate.

    Args:
        per_seed: Moments per seed, ``(seeds, moments)``.
        moments: The moment table.
        scale: ``s_k`` of every moment.
        fit: Mask of the moments in the objective.

    Returns:
        The sum of squared standardised residuals over the fitted moments (a moment the runs never produced counts
        as a residual of 10).
    """
    with np.errstate(invalid="ignore"):
        mean = np.nanmean(per_seed, axis=0) if np.isnan(per_seed).any() else per_seed.mean(axis=0)
    r = mom.residuals(mean, moments, scale)[fit]
    r = np.where(np.isnan(r), 10.0, r)
    return float((r**2).sum())


class Objective:
    """The calibration objective with a record of every candidate evaluated.

    Args:
        evaluator: Runs candidates.
        moments: The moment table.
        scale: ``s_k`` of every moment.
        names: Names of the fitted parameters.
        progress: Called with a short text after each batch, or None.
    """

    def __init__(self, evaluator: Evaluator, moments: pd.DataFrame, scale: np.ndarray, names: Sequence[str],
                 progress: Callable[[str], None] | None = None):
        self.evaluator = evaluator
        self.moments = moments
        self.scale = scale
        self.fit = (moments["role"] == "fit").to_numpy()
        self.names = tuple(names)
        self.thetas: list[np.ndarray] = []
        self.per_seed: list[np.ndarray] = []
        self.values: list[float] = []
        self.stage: list[str] = []
        self.progress = progress
        self._stage = "start"

    def set_stage(self, stage: str) -> None:
        """Label the evaluations that follow (``search``, ``polish``, ``profile``, ``refit``)."""
        self._stage = stage

    def evaluate(self, thetas: Sequence[Sequence[float]]) -> np.ndarray:
        """Evaluate candidates (full vectors of :attr:`names`), record them, and return their ``J``."""
        per_seed = self.evaluator.moments(thetas)
        out = np.empty(len(thetas))
        for i, theta in enumerate(thetas):
            out[i] = objective_value(per_seed[i], self.moments, self.scale, self.fit)
            self.thetas.append(np.asarray(theta, dtype=float))
            self.per_seed.append(per_seed[i])
            self.values.append(float(out[i]))
            self.stage.append(self._stage)
        return out

    def __call__(self, theta: Sequence[float]) -> float:
        """``J`` of one candidate."""
        return float(self.evaluate([theta])[0])

    def vectorised(self, x: np.ndarray) -> np.ndarray:
        """``J`` of the columns of ``x`` (differential evolution's vectorised call: ``x`` is ``(params, N)``)."""
        values = self.evaluate(list(np.atleast_2d(x).T))
        if self.progress is not None:
            self.progress(f"{self._stage}: {len(self.values)} candidates, best J = {min(self.values):.2f}")
        return values

    def history(self) -> pd.DataFrame:
        """Every evaluated candidate: parameter values, ``J`` and the stage it was evaluated in."""
        frame = pd.DataFrame(np.array(self.thetas), columns=list(self.names))
        frame["J"] = self.values
        frame["stage"] = self.stage
        return frame

    def best(self) -> tuple[np.ndarray, float]:
        """The evaluated candidate with the lowest ``J``."""
        i = int(np.argmin(self.values))
        return self.thetas[i], self.values[i]


# ------------------------------------------------------------------------------------------ analysis


def screen(evaluator: Evaluator, moments: pd.DataFrame, scale: np.ndarray, names: Sequence[str]) -> pd.DataFrame:
    """How far each parameter moves the fitted moments over its prior range, the others at their defaults.

    Each parameter is run at its low and at its high bound (same seeds); the effect on a moment is the change of its
    mean over seeds in units of its ``s``. The parameters fitted should be those with a sizeable effect.

    Args:
        evaluator: Runs candidates.
        moments: The moment table.
        scale: ``s`` of every moment.
        names: Parameters to screen.

    Returns:
        One row per parameter: ``parameter``, ``largest_effect`` (|Δ mean| / s over the fitted moments),
        ``moment`` (the moment it moves most) and ``sum_of_squares`` (Σ (Δ / s)² over the fitted moments), sorted
        by the largest effect.
    """
    fit = (moments["role"] == "fit").to_numpy()
    labels = moments["moment"].to_numpy()[fit]
    rows = []
    for name in names:
        p = PARAMETERS[name]
        per_seed = evaluator.moments([(p.low,), (p.high,)], names=(name,))
        with np.errstate(invalid="ignore"):
            mean = np.nanmean(per_seed, axis=1)
        effect = np.nan_to_num((mean[1] - mean[0]) / scale)[fit]
        i = int(np.argmax(np.abs(effect)))
        rows.append({"parameter": name, "largest_effect": float(abs(effect[i])), "moment": str(labels[i]),
                     "sum_of_squares": float((effect**2).sum())})
    return pd.DataFrame(rows).sort_values("largest_effect", ascending=False, ignore_index=True)


def profile_interval(grid: np.ndarray, values: np.ndarray, threshold: float) -> tuple[float, float]:
    """Return the range of ``grid`` where ``values ≤ threshold``, interpolated linearly between grid points.

    The range is that of the connected run of grid points below the threshold around the lowest point; where the
    run reaches an end of the grid, the interval reaches it too.
    """
    order = np.argsort(grid)
    x, y = np.asarray(grid, dtype=float)[order], np.asarray(values, dtype=float)[order]
    i = int(np.argmin(y))
    lo = hi = i
    while lo > 0 and y[lo - 1] <= threshold:
        lo -= 1
    while hi < len(x) - 1 and y[hi + 1] <= threshold:
        hi += 1
    left, right = x[lo], x[hi]
    if lo > 0 and y[lo - 1] > y[lo]:
        left = x[lo - 1] + (x[lo] - x[lo - 1]) * (y[lo - 1] - threshold) / (y[lo - 1] - y[lo])
    if hi < len(x) - 1 and y[hi + 1] > y[hi]:
        right = x[hi] + (x[hi + 1] - x[hi]) * (threshold - y[hi]) / (y[hi + 1] - y[hi])
    return float(min(left, x[i])), float(max(right, x[i]))


def bootstrap_over_seeds(per_seed: np.ndarray, moments: pd.DataFrame, scale: np.ndarray, fit: np.ndarray,
                         resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Re-score every evaluated candidate on resampled seeds and return the best candidate of each resample.

    Args:
        per_seed: Moments of every evaluated candidate, ``(candidates, seeds, moments)``.
        moments: The moment table.
        scale: ``s_k`` of every moment.
        fit: Mask of the fitted moments.
        resamples: Number of resamples.
        rng: Generator of the resampling.

    Returns:
        Index of the best candidate in each resample.
    """
    n_seeds = per_seed.shape[1]
    data = moments["data"].to_numpy(dtype=float)
    at_least = (moments["kind"] == "at_least").to_numpy()
    best = np.empty(resamples, dtype=np.int64)
    for b in range(resamples):
        pick = rng.integers(0, n_seeds, n_seeds)
        with np.errstate(invalid="ignore"):
            mean = np.nanmean(per_seed[:, pick, :], axis=1)
        r = (mean - data) / scale
        r[:, at_least] = np.minimum(r[:, at_least], 0.0)
        r = np.where(np.isnan(r), 10.0, r)[:, fit]
        best[b] = int(np.argmin((r**2).sum(axis=1)))
    return best


def moment_fit(moments: pd.DataFrame, per_seed: np.ndarray, scale: np.ndarray, *, prefix: str) -> pd.DataFrame:
    """Return, per moment, the model's mean, its spread across seeds (p05, p95, sd) and the standardised residual."""
    with np.errstate(invalid="ignore"):
        mean = np.nanmean(per_seed, axis=0)
        frame = pd.DataFrame({
            f"{prefix}_mean": mean,
            f"{prefix}_p05": np.nanquantile(per_seed, 0.05, axis=0),
            f"{prefix}_p95": np.nanquantile(per_seed, 0.95, axis=0),
            f"{prefix}_sd": np.nanstd(per_seed, axis=0, ddof=1) if per_seed.shape[0] > 1 else np.zeros(len(mean)),
            f"{prefix}_residual": mom.residuals(mean, moments, scale),
        })
    return frame


# ------------------------------------------------------------------------------------------ the calibration


@dataclass
class CalibrationResult:
    """What a calibration produced.

    Attributes:
        out: Folder of the report.
        fit: The content of ``fit.json``.
        files: Every file written, by role.
        history: Every evaluated candidate.
    """

    out: Path
    fit: dict
    files: dict[str, Path]
    history: pd.DataFrame = field(repr=False)


def calibration_scenario(settings: CalibrationSettings):
    """Return the back-cast scenario: the calibration policy from ``settings.base_year`` to 2021."""
    from parkabm.scenarios.loader import apply_changes, load_scenario

    return apply_changes(load_scenario(settings.policy), {
        "world.base_year": settings.base_year, "world.horizon": mom.LAST_DATA_YEAR,
        "world.population_scale": settings.population_scale,
    })


def check_settings(settings: CalibrationSettings) -> None:
    """Refuse settings that cannot run.

    Raises:
        UserInputError: Unknown parameter names, too few seeds or generations, a base year not before 2021.
    """
    unknown = [n for n in settings.parameters if n not in PARAMETERS]
    if unknown:
        raise UserInputError(f"parameters: {unknown} — allowed: parameters of scenarios/parameters.py")
    if settings.seeds < 2:
        raise UserInputError(f"--seeds: {settings.seeds} — allowed: a whole number ≥ 2 (the spread needs two)")
    if settings.maxiter < 1:
        raise UserInputError(f"--maxiter: {settings.maxiter} — allowed: a whole number ≥ 1")
    if not 2018 <= settings.base_year < mom.LAST_DATA_YEAR - 1:
        raise UserInputError(f"base year: {settings.base_year} — allowed: 2018 or 2019 (two years of growth to 2021)")


def calibrate(settings: CalibrationSettings = CalibrationSettings(), out: str | Path = "results/calibration", *,
              moments: pd.DataFrame | None = None, progress: bool = False,
              write: bool = True) -> CalibrationResult:
    """Fit the parameters of ``settings`` to the moments and write the report.

    Args:
        settings: Sizes and choices of the run.
        out: Folder for ``report.md``, ``fit.json`` and the charts (replaced if it holds an earlier report).
        moments: Moment table (default: :func:`parkabm.experiments.analysis.moments.moment_table` of the shipped
            world); a test passes synthetic data here.
        progress: Print progress lines to stderr.
        write: Write the report files (False: only return the result).

    Returns:
        The fit, the files written and the evaluated candidates.
    """
    from scipy.optimize import differential_evolution, minimize

    from parkabm.experiments.execution.executors import default_workers
    from parkabm.scenarios.world import load_world

    check_settings(settings)
    out = Path(out)
    if write:
        check_output_folder(out, kind=KIND)
    started = time.perf_counter()
    say = (lambda text: print(text, file=sys.stderr, flush=True)) if progress else None
    world = load_world()
    table = moments if moments is not None else mom.moment_table(world)
    names = tuple(settings.parameters)
    prior = defaults()
    base = {**prior, **FIXED_IN_CALIBRATION}
    scenario = calibration_scenario(settings)
    spec = RunSpec(scenario=scenario, names=names, base=base, seed=settings.seed,
                   statistics=tuple(dict.fromkeys(table["statistic"])),
                   keys=tuple(zip(table["year"].astype(int), table["statistic"], strict=True)),
                   deflators=tuple(table["deflator"].astype(float)))
    bounds = [(PARAMETERS[n].low, PARAMETERS[n].high) for n in names]
    theta0 = np.array([prior[n] for n in names])
    workers = settings.workers if settings.workers is not None else default_workers()
    with Evaluator(spec, settings.seeds, workers) as evaluator:
        # Weights: fixed from the model's spread across seeds at the prior defaults.
        per_seed0 = evaluator.moments([theta0])[0]
        with np.errstate(invalid="ignore"):
            v = np.nanvar(per_seed0, axis=0, ddof=1)
        v = np.nan_to_num(v, nan=0.0)
        scale = np.sqrt(table["sd"].to_numpy(dtype=float) ** 2 + (1 + 1 / settings.seeds) * v)
        scale = np.where(scale > 0, scale, 1.0)
        objective = Objective(evaluator, table, scale, names, progress=say)
        objective.set_stage("prior")
        j0 = objective(theta0)

        objective.set_stage("search")
        de = differential_evolution(
            objective.vectorised, bounds, seed=settings.optimizer_seed, maxiter=settings.maxiter,
            popsize=settings.popsize, polish=False, vectorized=True, updating="deferred", init="latinhypercube",
            x0=theta0, tol=0.0, atol=0.0)
        objective.set_stage("polish")
        best_x, _ = objective.best()
        steps = np.array([0.05 * (hi - lo) for lo, hi in bounds])
        simplex = _simplex(best_x, steps, bounds)
        minimize(objective, best_x, method="Nelder-Mead", bounds=bounds,
                 options={"maxfev": settings.polish_maxfev, "initial_simplex": simplex, "xatol": 1e-4,
                          "fatol": 1e-3})
        theta_hat, j_min = objective.best()

        # Profiles: one-parameter slices through the optimum.
        objective.set_stage("profile")
        grids = {n: np.unique(np.concatenate([np.linspace(lo, hi, settings.profile_points), [theta_hat[i]]]))
                 for i, (n, (lo, hi)) in enumerate(zip(names, bounds, strict=True))}
        candidates, owners = [], []
        for i, n in enumerate(names):
            for value in grids[n]:
                c = theta_hat.copy()
                c[i] = value
                candidates.append(c)
                owners.append((n, float(value)))
        profile_j = objective.evaluate(candidates)
        theta_hat, j_min = objective.best()  # a profile point may improve on the polish
        profiles = pd.DataFrame([(n, x, j) for (n, x), j in zip(owners, profile_j, strict=True)],
                                columns=["parameter", "value", "J"])

        history = objective.history()
        threshold = j_min + CHI2_95_ONE
        near = history[history["J"] <= threshold]
        rows = []
        for i, n in enumerate(names):
            lo, hi = bounds[i]
            prof = profiles[profiles["parameter"] == n]
            p_lo, p_hi = profile_interval(prof["value"].to_numpy(), prof["J"].to_numpy(), threshold)
            r_lo, r_hi = float(near[n].min()), float(near[n].max())
            i_lo, i_hi = min(p_lo, r_lo), max(p_hi, r_hi)
            width = (i_hi - i_lo) / (hi - lo) if hi > lo else 0.0
            status = identification(width)
            rows.append({"parameter": n, "prior_default": prior[n], "low": lo, "high": hi,
                         "fitted": float(theta_hat[i]), "ci_low": i_lo, "ci_high": i_hi,
                         "profile_low": p_lo, "profile_high": p_hi, "region_low": r_lo, "region_high": r_hi,
                         "interval_share_of_prior": width, "status": status,
                         "identified": status == "identified"})
        params = pd.DataFrame(rows)

        # Refit the identified parameters with the others at their kept values: the adopted values.
        identified = params["identified"].to_numpy()
        adopted = np.clip(theta0, params["ci_low"].to_numpy(), params["ci_high"].to_numpy())
        adopted[params["status"].to_numpy() == "not identified"] = theta0[params["status"].to_numpy()
                                                                          == "not identified"]
        adopted[identified] = theta_hat[identified]
        objective.set_stage("refit")
        if identified.any():
            free = np.flatnonzero(identified)
            sub_bounds = [bounds[i] for i in free]

            def sub_objective(x: np.ndarray) -> float:
                c = adopted.copy()
                c[free] = x
                return objective(c)

            result = minimize(sub_objective, adopted[free], method="Nelder-Mead", bounds=sub_bounds,
                              options={"maxfev": settings.polish_maxfev, "xatol": 1e-4, "fatol": 1e-3,
                                       "initial_simplex": _simplex(adopted[free], steps[free], sub_bounds)})
            adopted[free] = result.x
        j_adopted = objective(adopted)
        history = objective.history()

        # Monte Carlo error: best evaluated candidate under resampled seeds.
        stacked = np.stack(objective.per_seed)
        rng = np.random.default_rng(np.random.SeedSequence(settings.seed, spawn_key=(2**31,)))
        picks = bootstrap_over_seeds(stacked, table, scale, objective.fit, settings.bootstrap, rng)
        boot = np.array(objective.thetas)[picks]
        params["mc_sd"] = boot.std(axis=0, ddof=1) if len(boot) > 1 else 0.0
        params["adopted"] = adopted

        i_adopt = len(objective.values) - 1
        screened = screen(evaluator, table, scale, [n for n in PARAMETERS if n not in FIXED_IN_CALIBRATION])
        fit_table = pd.concat([table.reset_index(drop=True), pd.Series(scale, name="scale"),
                               moment_fit(table, per_seed0, scale, prefix="prior"),
                               moment_fit(table, objective.per_seed[i_adopt], scale, prefix="fitted")], axis=1)
    wall = time.perf_counter() - started
    fit_doc = _fit_document(settings, de, params, fit_table, profiles, screened, j0=j0, j_min=j_min,
                            j_adopted=j_adopted, theta_hat=theta_hat, names=names, wall=wall,
                            evaluations=len(history), workers=workers)
    files: dict[str, Path] = {}
    if write:
        files = write_report(out, fit_doc)
    return CalibrationResult(out, fit_doc, files, history)


def identification(share: float) -> str:
    """Classify a parameter by the share of its prior range its 95% interval covers.

    Returns:
        ``identified``, ``bounded`` or ``not identified`` (see the module docstring).
    """
    if share <= IDENTIFIED_WIDTH:
        return "identified"
    if share <= BOUNDED_WIDTH:
        return "bounded"
    return "not identified"


def _simplex(x: np.ndarray, steps: np.ndarray, bounds: Sequence[tuple[float, float]]) -> np.ndarray:
    """Nelder–Mead start: ``x`` and one vertex per parameter moved by its step (inward at a bound)."""
    simplex = [np.asarray(x, dtype=float)]
    for i, (lo, hi) in enumerate(bounds):
        v = simplex[0].copy()
        v[i] = v[i] + steps[i] if v[i] + steps[i] <= hi else v[i] - steps[i]
        v[i] = min(max(v[i], lo), hi)
        simplex.append(v)
    return np.array(simplex)


# ------------------------------------------------------------------------------------------ the report


def _clean(value):
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _fit_document(settings, de, params, fit_table, profiles, screened, *, j0, j_min, j_adopted, theta_hat, names, wall,
                  evaluations, workers) -> dict:
    from scipy.stats import chi2

    fitted = fit_table[fit_table["role"] == "fit"]
    two_sided = int((fitted["kind"] == "equal").sum())
    binding = int(((fitted["kind"] == "at_least") & (fitted["fitted_residual"] < 0)).sum())
    dof = two_sided + binding - len(names)
    return _clean({
        "settings": {**asdict(settings), "workers": workers, "parameters": list(names)},
        "method": {
            "objective": "sum over fitted moments of ((model mean over seeds − data) / s)², s² = sd² + (1 + 1/S)·v",
            "optimizer": "scipy.optimize.differential_evolution (Latin hypercube start, deferred updating, no "
                         "polish) then Nelder–Mead (bounded)",
            "uncertainty": "95% interval: wider of the J ≤ J_min + 3.84 region over evaluated points and the "
                           "one-parameter profile; Monte Carlo sd: seed bootstrap over evaluated points",
            "identified_if_interval_share_at_most": IDENTIFIED_WIDTH,
            "bounded_if_interval_share_at_most": BOUNDED_WIDTH,
            "policy": settings.policy, "base_year": settings.base_year, "last_data_year": mom.LAST_DATA_YEAR,
            "fixed": FIXED_IN_CALIBRATION,
        },
        "objective": {"prior": j0, "minimum": j_min, "adopted": j_adopted, "de_generations": int(de.nit),
                      "evaluations": evaluations, "dof": dof,
                      "p_value": float(chi2.sf(j_min, dof)) if dof > 0 else None},
        "parameters": params.to_dict(orient="records"),
        "not_fitted": NOT_FITTED,
        "not_used": mom.NOT_USED,
        "moments": fit_table.drop(columns=["note"]).to_dict(orient="records"),
        "moment_notes": dict(zip(fit_table["moment"], fit_table["note"], strict=True)),
        "profiles": profiles.to_dict(orient="records"),
        "screen": screened.to_dict(orient="records"),
        "best": dict(zip(names, (float(v) for v in theta_hat), strict=True)),
        "wall_time_s": wall,
    })


def baseline_distributions(fit: dict, *, headroom: float = INTERVAL_HEADROOM) -> dict[str, dict]:
    """Return the baseline scenario's distribution for each fitted parameter from a fit document.

    Identified and bounded parameters: triangular with the mode at the adopted value and the ends at the 95%
    interval (widened by ``headroom`` around the mode, within the parameter's bounds). Parameters not identified:
    the prior triangular (bounds and prior default).
    """
    out = {}
    for row in fit["parameters"]:
        name = row["parameter"]
        p = PARAMETERS[name]
        if row["status"] != "not identified":
            mode = row["adopted"]
            low = max(p.low, mode - headroom * (mode - row["ci_low"]))
            high = min(p.high, mode + headroom * (row["ci_high"] - mode))
            out[name] = {"dist": "triangular", "low": low, "mode": mode, "high": high}
        else:
            out[name] = {"dist": "triangular", "low": p.low, "mode": p.default, "high": p.high}
    return out


def _fmt(value: float, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def _fmt_moment(value: float, statistic: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if "growth" in statistic or statistic.startswith(("share", "top_share", "zones_share", "sector_share")):
        return f"{100 * value:.1f}%"
    return _fmt(value)


def write_report(out: str | Path, fit: dict) -> dict[str, Path]:
    """Write ``fit.json``, ``report.md``, ``fit.en.png`` and ``profiles.en.png`` of a fit document to ``out``.

    The files are written to a temporary folder beside ``out`` and moved into place at the end; an earlier report in
    ``out`` is replaced. Also redraws a committed report from its ``fit.json`` (``write_report(folder,
    load_fit(folder / "fit.json")[0])``) without running the model.

    Returns:
        The files written, by role.
    """
    import matplotlib as mpl

    from parkabm.experiments.charts import project_style

    out = Path(out)
    fit_table, params, profiles = _tables(fit)
    with staged_folder(out, kind=KIND) as staging:
        (staging / "fit.json").write_text(json.dumps(fit, ensure_ascii=False, indent=1), encoding="utf-8")
        with mpl.rc_context(project_style()):
            fig, ax = _figure((7.5, 0.32 * len(fit_table) + 1.2))
            fit_chart(fit_table, ax=ax)
            fig.savefig(staging / "fit.en.png", dpi=200, bbox_inches="tight")
            n = profiles["parameter"].nunique()
            cols = min(4, n)
            rows = math.ceil(n / cols)
            fig, axes = _figure((2.7 * cols, 2.5 * rows), nrows=rows, ncols=cols, squeeze=False)
            fig.set_layout_engine("constrained")
            profile_chart(profiles, params, axes=axes.ravel())
            fig.savefig(staging / "profiles.en.png", dpi=200, bbox_inches="tight")
        (staging / "report.md").write_text(render_report(fit), encoding="utf-8")
    return {"report": out / "report.md", "fit": out / "fit.json", "fit_chart": out / "fit.en.png",
            "profiles": out / "profiles.en.png"}


def _tables(fit: dict) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The moments (with their notes), parameters and profiles of a fit document as DataFrames."""
    moments = pd.DataFrame(fit["moments"])
    moments["note"] = moments["moment"].map(fit.get("moment_notes", {})).fillna("")
    return moments, pd.DataFrame(fit["parameters"]), pd.DataFrame(fit["profiles"])


def render_report(fit: dict) -> str:
    """Return the Markdown report of a fit document (no machine paths: charts are named relative to the report)."""
    fit_table, params, _ = _tables(fit)
    s = fit["settings"]
    o = fit["objective"]
    lines = [
        "# Calibration report",
        "",
        *(["**Smoke run at tiny sizes (`--quick`): the numbers below mean nothing.**", ""] if s.get("smoke") else []),
        f"Method of simulated moments: back-cast from {s['base_year']} to {fit['method']['last_data_year']} under "
        f"the `{s['policy']}` levers (the pre-2022 policy), population scale {s['population_scale']:g}, "
        f"{s['seeds']} replicate seeds per candidate (the same for every candidate: common random numbers, master "
        f"seed {s['seed']}); differential evolution ({s['maxiter']} generations at most, population "
        f"{s['popsize']} × {len(s['parameters'])}, seed {s['optimizer_seed']}) then a Nelder–Mead polish; "
        f"{o['evaluations']} candidates evaluated in {fit['wall_time_s'] / 60:.1f} minutes on {s['workers']} "
        f"worker process(es). Written by `parkabm calibrate`; the method is in docs/ODD.md "
        "(\"Calibration\") and `experiments/calibration.py`.",
        "",
        "Data after 2021 are never used. Each moment's weight is 1/s² with s² = sd_data² + sd_extra² + (1 + 1/S)·v: "
        "the figure's measurement sd, the stated sd of what the model cannot represent (macro shocks, a zone's own "
        "shocks, zones against the city), and the model's own variance across seeds at the prior defaults.",
        "",
        "## Objective",
        "",
        f"- J at the prior defaults: **{o['prior']:.2f}**",
        f"- J at the optimum: **{o['minimum']:.2f}** ({o['dof']} degrees of freedom"
        + (f", p = {o['p_value']:.3f}" if o["p_value"] is not None else "") + ")",
        f"- J at the adopted values (identified parameters refitted, the others at their kept values): "
        f"**{o['adopted']:.2f}**",
        "",
        "## Fitted parameters",
        "",
        "95% interval: parameter values with J ≤ J_min + 3.84 (the wider of the near-optimal region over every "
        "evaluated candidate and the one-parameter profile). MC sd: spread of the best candidate over "
        f"{s['bootstrap']} bootstrap resamples of the seeds (Monte Carlo error only). A parameter is *identified* "
        f"when its interval covers at most {100 * fit['method']['identified_if_interval_share_at_most']:.0f}% of its "
        "prior range (its default becomes the fitted value, its distribution the interval); *bounded* up to "
        f"{100 * fit['method']['bounded_if_interval_share_at_most']:.0f}% (part of the range is ruled out: the "
        "distribution is cut to the interval, the default kept or moved into it); otherwise *not identified* "
        "(prior default and range kept).",
        "",
        "| parameter | prior default | prior range | optimum | 95% interval | share of prior range | MC sd | "
        "status | adopted |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in params.itertuples(index=False):
        lines.append(
            f"| `{r.parameter}` | {_fmt(r.prior_default)} | {_fmt(r.low)}–{_fmt(r.high)} | {_fmt(r.fitted)} | "
            f"{_fmt(r.ci_low)}–{_fmt(r.ci_high)} | {100 * r.interval_share_of_prior:.0f}% | {_fmt(r.mc_sd, 2)} | "
            f"{r.status} | {_fmt(r.adopted)} |")
    dists = baseline_distributions(fit)
    lines += ["", "Distributions for the baseline scenario's uncertain inputs:", "", "```yaml"]
    for name, d in dists.items():
        lines.append(f"{name}: {{dist: triangular, low: {d['low']:.4g}, mode: {d['mode']:.4g}, "
                     f"high: {d['high']:.4g}}}")
    lines += ["```", ""]
    if fit.get("screen"):
        lines += [
            "Screen at the prior defaults: the largest change of a fitted moment, in units of its s, when the "
            "parameter moves from the low to the high end of its prior range (the others at their defaults, same "
            "seeds); Σ: the sum of the squared changes over the fitted moments. Noise alone moves a moment by a few "
            "tenths of s.",
            "",
            "| parameter | largest effect | on | Σ (Δ/s)² | fitted |",
            "|---|---|---|---|---|",
        ]
        fitted_names = set(s["parameters"])
        for r in fit["screen"]:
            lines.append(f"| `{r['parameter']}` | {r['largest_effect']:.2f} | {r['moment']} | "
                         f"{r['sum_of_squares']:.2f} | {'yes' if r['parameter'] in fitted_names else ''} |")
        lines += [""]
    lines += ["Parameters not fitted, and why:", ""]
    lines += [f"- `{k}`: {v}" for k, v in fit["not_fitted"].items()]
    lines += [
        "", "## Fit of each moment", "",
        "Model: mean over seeds, with the 5–95% spread across seeds in brackets. Residual: (model − data) / s "
        "(one-sided moments count only a shortfall). Role `check`: reported, not fitted (the model's value is set "
        "by the data it starts from or by a mechanism no fitted parameter moves).",
        "",
        "![Fit of each moment](fit.en.png)",
        "",
        "| moment | year | data | s | model at prior defaults | model at adopted values | residual | role |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in fit_table.itertuples(index=False):
        data = _fmt_moment(r.data, r.statistic)
        if r.kind == "at_least":
            data = "> " + data
        prior = f"{_fmt_moment(r.prior_mean, r.statistic)} [{_fmt_moment(r.prior_p05, r.statistic)}, " \
                f"{_fmt_moment(r.prior_p95, r.statistic)}]"
        fitted = f"{_fmt_moment(r.fitted_mean, r.statistic)} [{_fmt_moment(r.fitted_p05, r.statistic)}, " \
                 f"{_fmt_moment(r.fitted_p95, r.statistic)}]"
        lines.append(f"| {r.label} | {r.year} | {data} | {_fmt_moment(r.scale, r.statistic)} | {prior} | "
                     f"{fitted} | {r.fitted_residual:+.2f} | {r.role} |")
    lines += ["", "Sources and analogues:", ""]
    for r in fit_table.itertuples(index=False):
        term = f" ({r.term})" if r.term else ""
        lines.append(f"- **{r.label}**{term} — {r.source}. {r.note[:1].upper() + r.note[1:]}.")
    lines += ["", "Sourced figures up to 2021 not compared with the model:", ""]
    lines += [f"- {k}: {v}." for k, v in fit.get("not_used", {}).items()]
    lines += [
        "", "## Profiles", "",
        "J − J_min along each fitted parameter with the others at the optimum; dashed: 3.84 (95%); "
        "dotted: the prior default.",
        "", "![Profiles](profiles.en.png)", "",
    ]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------------------------ charts


def _figure(figsize, **subplots):
    from parkabm.experiments.charts import new_figure

    return new_figure(figsize, **subplots)


def fit_chart(fit_table: pd.DataFrame, *, ax=None):
    """Draw each moment's standardised distance from the data: the model at the prior defaults and after the fit.

    One row per moment: the data at 0 with its ±1 and ±2 sd bands, the model's mean (dot) and its 5–95% spread
    across seeds (line), before (grey) and after (colour) the fit, all in units of the moment's ``s``. A one-sided
    moment's data are its bound (labelled "lower bound": only a shortfall, left of 0, is a misfit).

    Args:
        fit_table: The per-moment table of a fit (``fit.json``'s ``moments`` as a DataFrame): ``label``, ``data``,
            ``scale``, ``role``, ``kind`` and ``prior_*`` / ``fitted_*`` mean, p05 and p95.
        ax: Axes to draw on; a new figure when omitted.

    Returns:
        The axes.
    """
    from parkabm.experiments.charts import COLOUR, TARGET_COLOUR

    if ax is None:
        _, ax = _figure((7.5, 0.32 * len(fit_table) + 1.2))
    t = fit_table.reset_index(drop=True)
    y = np.arange(len(t))[::-1]
    ax.axvspan(-2, 2, color="0.92", lw=0)
    ax.axvspan(-1, 1, color="0.85", lw=0)
    ax.axvline(0, color=TARGET_COLOUR, lw=1.0)
    for prefix, colour, dy, name in (("prior", "0.55", 0.15, "at the prior defaults"),
                                     ("fitted", COLOUR, -0.15, "at the adopted values")):
        z = {q: (t[f"{prefix}_{q}"] - t["data"]) / t["scale"] for q in ("mean", "p05", "p95")}
        ax.hlines(y + dy, np.clip(z["p05"], -8, 8), np.clip(z["p95"], -8, 8), color=colour, lw=1.2)
        ax.plot(np.clip(z["mean"], -8, 8), y + dy, "o", color=colour, ms=4, label=f"model {name}")
    labels = [f"{r.label}{' (lower bound)' if r.kind == 'at_least' else ''}{' (check)' if r.role == 'check' else ''}"
              for r in t.itertuples(index=False)]
    ax.set_yticks(y, labels)
    ax.set_xlim(-8.2, 8.2)
    ax.set_xlabel("(model − data) / s   (grey bands: ±1 and ±2 s; lines: 5–95% across seeds; clipped at ±8)")
    ax.grid(axis="y", alpha=0)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.09 - 0.6 / max(len(t), 1)), ncols=2)
    ax.set_title("Calibration moments: data (red line) against the model")
    return ax


def profile_chart(profiles: pd.DataFrame, params: pd.DataFrame, *, axes=None):
    """Draw J − J_min along each parameter's profile, with the 95% line, the fit and the prior default.

    Args:
        profiles: Columns ``parameter``, ``value``, ``J``.
        params: One row per parameter with ``parameter``, ``fitted``, ``prior_default``, ``ci_low``, ``ci_high``,
            ``status``.
        axes: One axes per parameter; new ones when omitted.

    Returns:
        The axes.
    """
    from matplotlib.ticker import MaxNLocator

    from parkabm.experiments.charts import COLOUR, TARGET_COLOUR

    names = list(dict.fromkeys(profiles["parameter"]))
    if axes is None:
        _, axes = _figure((2.6 * min(4, len(names)), 2.2 * math.ceil(len(names) / 4)),
                          nrows=math.ceil(len(names) / 4), ncols=min(4, len(names)), squeeze=False)
        axes = axes.ravel()
    j_min = profiles["J"].min()
    p = params.set_index("parameter")
    for ax, name in zip(axes, names, strict=False):
        prof = profiles[profiles["parameter"] == name].sort_values("value")
        ax.axvspan(p.loc[name, "ci_low"], p.loc[name, "ci_high"], color=COLOUR, alpha=0.12, lw=0)
        ax.plot(prof["value"], prof["J"] - j_min, "-o", color=COLOUR, ms=2.5, lw=1.2)
        ax.axhline(CHI2_95_ONE, color=TARGET_COLOUR, ls="--", lw=0.9)
        ax.axvline(p.loc[name, "prior_default"], color="0.4", ls=":", lw=1.0)
        ax.axvline(p.loc[name, "fitted"], color=COLOUR, lw=0.9)
        status = p.loc[name, "status"]
        ax.set_title(f"{name}\n({status})", fontsize=7.5)
        ax.set_ylim(bottom=0)
        ax.tick_params(labelsize=7)
        ax.xaxis.set_major_locator(MaxNLocator(4))
    for ax in list(axes)[len(names):]:
        ax.set_visible(False)
    return axes


# ------------------------------------------------------------------------------------------ reading a fit


def committed_fit_path() -> Path | None:
    """Return the path of the committed calibration's ``fit.json`` in a source checkout, or None if absent."""
    path = Path(__file__).resolve().parents[2] / "docs" / "calibration" / "fit.json"
    return path if path.is_file() else None


def load_fit(path: str | Path) -> tuple[dict, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read a ``fit.json``: the document, the moments, the parameters and the profiles as DataFrames."""
    fit = json.loads(Path(path).read_text(encoding="utf-8"))
    return fit, pd.DataFrame(fit["moments"]), pd.DataFrame(fit["parameters"]), pd.DataFrame(fit["profiles"])


def settings_with(settings: CalibrationSettings, **changes) -> CalibrationSettings:
    """Return ``settings`` with some fields changed (None values are ignored)."""
    return replace(settings, **{k: v for k, v in changes.items() if v is not None})


# ------------------------------------------------------------------------------------------ trend net of channels


def projected_growth(scenario, *, replicates: int, seed: int = 0,
                     overrides: dict[str, float] | None = None) -> pd.DataFrame:
    """Real growth of every projected replicate-year of ``scenario``: industrial and total output.

    Industrial output is deflated by the industrial price index, service output (total minus industrial) by the
    service price path (``macro_service_price_growth`` from 2022).

    Args:
        scenario: A resolved scenario or a shipped scenario name.
        replicates: Replicates 0 … ``replicates − 1`` of master ``seed``.
        seed: Master seed.
        overrides: Parameter values over the drawn ones.

    Returns:
        Columns ``replicate``, ``year``, ``industrial_growth``, ``total_growth``, ``industrial_output_yi``,
        ``total_output_yi`` (nominal levels), one row per projected year.
    """
    from parkabm.model.rules.prices import SERVICE_PRICE_FROM_YEAR
    from parkabm.model.simulate import simulate
    from parkabm.scenarios.loader import load_scenario

    resolved = load_scenario(scenario) if isinstance(scenario, str) else scenario
    frames = []
    for r in range(replicates):
        run = simulate(resolved, seed=seed, replicate=r, overrides=overrides)
        y = run.yearly.sort_values("year")
        years = np.maximum(y["year"].to_numpy() - (SERVICE_PRICE_FROM_YEAR - 1), 0)
        service_price = (1.0 + run.parameters["macro_service_price_growth"]) ** years
        real_ind = y["industrial_output_yi"].to_numpy() / y["price_index"].to_numpy()
        real_total = real_ind + (y["total_output_yi"].to_numpy() - y["industrial_output_yi"].to_numpy()) / service_price
        frames.append(pd.DataFrame({
            "replicate": r, "year": y["year"].to_numpy()[1:],
            "industrial_growth": real_ind[1:] / real_ind[:-1] - 1.0,
            "total_growth": real_total[1:] / real_total[:-1] - 1.0,
            "industrial_output_yi": y["industrial_output_yi"].to_numpy()[1:],
            "total_output_yi": y["total_output_yi"].to_numpy()[1:],
        }))
    return pd.concat(frames, ignore_index=True)


def channel_offset(*, replicates: int = 100, seed: int = 0, iterations: int = 3) -> dict[str, float]:
    """Derive ``macro_trend_channels_industry``: the part of the observed industrial trend the channels supply.

    The sector trends of ``sectors.csv`` come from observed growth, which already contains what the model adds on
    top (recruitment, upgrading, the exit of weak firms, space). The offset ``c`` is the value at which a
    ``status_quo`` projection without macro shocks grows, at its median over replicate-years of real industrial
    growth, at the 2021 industrial trend estimated from the history
    (:func:`parkabm.model.rules.macro.estimate_shock_process`); found by the secant method from ``c = 0``.

    Args:
        replicates: Replicates per evaluation.
        seed: Master seed.
        iterations: Secant steps.

    Returns:
        ``target`` (the estimated trend), ``offset`` (c) and ``median`` (the status_quo median at c).
    """
    from parkabm.model.rules.macro import estimate_shock_process
    from parkabm.scenarios.loader import apply_changes, load_scenario
    from parkabm.scenarios.world import load_world

    target = estimate_shock_process(load_world().history).industry_trend
    scenario = apply_changes(load_scenario(CALIBRATION_POLICY), {"levers.mechanisms.macro_shocks": 0.0},
                             source="channel_offset")

    def median(c: float) -> float:
        g = projected_growth(scenario, replicates=replicates, seed=seed,
                             overrides={"macro_trend_channels_industry": c})
        return float(g["industrial_growth"].median())

    c0, m0 = 0.0, median(0.0)
    c1 = m0 - target
    m1 = median(c1)
    for _ in range(iterations - 1):
        if abs(m1 - m0) < 1e-9 or abs(m1 - target) < 1e-4:
            break
        c0, m0, c1 = c1, m1, c1 + (target - m1) * (c1 - c0) / (m1 - m0)
        m1 = median(c1)
    return {"target": target, "offset": c1, "median": m1}
