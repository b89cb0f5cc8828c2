"""City-wide macro shocks: a common AR(1) growth shock and a drifting trend, with sector-group loadings.

The process (docs/ODD.md §7.18) adds to every firm's real growth in sector group k and year t::

    λ_k · x_t + τ_t,    x_t = ρ · x_{t−1} + σ · e_t,    τ_t = τ_{t−1} + d + σ_τ · η_t,    e, η ~ N(0, 1)

``x`` is the city's year shock (in points of real GDP growth), ``λ_k`` the group's loading on it (industry more
cyclical than services, exporters more than other industry) and ``τ`` the cumulated drift of the trend since the
base year. :func:`estimate_shock_process` estimates ρ, σ, the trend and the industrial loading from the pre-2022
history (``history.csv``); :func:`simulate_shock_process` draws paths of the same process (the backtest and the
tests use it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from parkabm.model.city import ParkModel

LAST_HISTORY_YEAR = 2021
"""Last year of history the estimator reads: later figures are what the model projects."""

GDP_GROWTH = ("city", "gdp_growth")
"""history.csv key (entity, metric) of the city's real GDP growth: the long series of the common shock."""

INDUSTRY_GROWTH = ("city", "guishang_industrial_va_growth")
"""history.csv key of the city's real 规上工业增加值 growth: the short series of the industrial loading."""

EXPORT_GROUPS = ("traditional", "smart_iot")
"""Sector groups taken as export-oriented (textiles, home textiles, electronics and communication equipment). assumed:
the data sources give no export shares; these are Hangzhou's export-heavy manufacturing branches."""

SERVICE_GROUPS = ("digital_services", "other_services")
"""Sector groups with the service loading."""


@dataclass(frozen=True)
class ShockProcess:
    """An estimated city-wide shock process (all rates are yearly growth rates, 0.01 = one point).

    Attributes:
        trend: Trend of real GDP growth at ``last_year``.
        trend_se: Standard error of ``trend`` (generalised least squares at the estimated ρ, σ).
        slope: Yearly change of the trend over the estimation window (the mean drift ``d``).
        persistence: AR(1) coefficient ρ of the common shock.
        sd: sd σ of the shock's innovation.
        industry_loading: Loading λ of 规上工业增加值 growth on the common shock.
        industry_gap: Industrial trend minus GDP trend.
        residuals: The common shock by year (GDP growth minus trend), the years with data.
        last_year: Last year of data used.
        n: Number of GDP observations used.
    """

    trend: float
    trend_se: float
    slope: float
    persistence: float
    sd: float
    industry_loading: float
    industry_gap: float
    residuals: dict[int, float]
    last_year: int
    n: int

    @property
    def marginal_sd(self) -> float:
        """Stationary sd of the common shock, σ / √(1 − ρ²)."""
        return self.sd / math.sqrt(1.0 - self.persistence ** 2)

    @property
    def industry_trend(self) -> float:
        """Trend of industrial growth at ``last_year`` (GDP trend plus the industry gap)."""
        return self.trend + self.industry_gap


def growth_series(history: pd.DataFrame, key: tuple[str, str], last_year: int = LAST_HISTORY_YEAR, *,
                  inferred: bool = True) -> pd.Series:
    """Return a sourced growth series of ``history.csv`` by year, up to ``last_year``.

    Args:
        history: ``history.csv``.
        key: ``(entity, metric)``.
        last_year: Last year kept.
        inferred: Keep rows marked ``I`` (inferred or unverified).
    """
    entity, metric = key
    rows = history[(history["entity"] == entity) & (history["metric"] == metric)
                   & (history["year"].astype(int) <= last_year)]
    if not inferred:
        rows = rows[rows["confidence"] != "I"]
    series = pd.Series(rows["value"].astype(float).to_numpy(), index=rows["year"].astype(int).to_numpy())
    return series.sort_index()


def _ar1_cov(t: np.ndarray, rho: float, sd: float) -> np.ndarray:
    """Covariance of a stationary AR(1) observed at the (possibly gappy) times ``t``."""
    return sd ** 2 / (1.0 - rho ** 2) * rho ** np.abs(t[:, None] - t[None, :])


def estimate_shock_process(history: pd.DataFrame, last_year: int = LAST_HISTORY_YEAR) -> ShockProcess:
    """Estimate the common shock process from the sourced growth history up to ``last_year``.

    Method (docs/ODD.md §7.18): the city's real GDP growth ``y_t`` is a linear trend ``a + b (t − last_year)``
    plus a stationary AR(1) ``x_t`` observed at the years with a figure marked O or M (the unverified 2016 figure
    is left out; gaps allowed: the covariance of two years
    k apart is ``σ² ρ^k / (1 − ρ²)``). ``a, b, ρ, σ`` maximise the exact Gaussian likelihood (scipy's Nelder–Mead
    from several starts, ρ through tanh, σ through exp). The industrial loading and gap come from least squares of
    the 规上工业增加值 growth's deviation from the GDP trend on the GDP residual of the same year (the inferred 2019
    figure included: the industrial series is short):
    ``z_t − (a + b (t − last_year)) = gap + λ x_t``, over the years with both figures (with fewer than two, λ = 1
    and the gap is the mean deviation).

    Args:
        history: ``history.csv``.
        last_year: Last year used (a backtest passes each origin).

    Returns:
        The estimate.

    Raises:
        ValueError: Fewer than four years of GDP growth up to ``last_year``.
    """
    from scipy.optimize import minimize_scalar

    gdp = growth_series(history, GDP_GROWTH, last_year, inferred=False)
    if len(gdp) < 4:
        raise ValueError(f"need at least four years of GDP growth up to {last_year}, have {len(gdp)}")
    t = (gdp.index.to_numpy() - last_year).astype(float)
    y = gdp.to_numpy()
    design = np.c_[np.ones(len(t)), t]

    def gls(rho: float) -> tuple[np.ndarray, float, float]:
        """Trend coefficients, σ² and the profile negative log-likelihood at ``rho``."""
        corr = _ar1_cov(t, rho, 1.0)
        ci_x = np.linalg.solve(corr, design)
        beta = np.linalg.solve(design.T @ ci_x, ci_x.T @ y)
        e = y - design @ beta
        s2 = float(e @ np.linalg.solve(corr, e)) / len(y)
        logdet = np.linalg.slogdet(corr)[1]
        return beta, s2, 0.5 * (len(y) * math.log(max(s2, 1e-300)) + logdet)

    fit = minimize_scalar(lambda r: gls(r)[2], bounds=(-0.95, 0.95), method="bounded",
                          options={"xatol": 1e-6})
    rho = float(fit.x)
    (a, b), s2, _ = gls(rho)
    sd = math.sqrt(s2)
    precision = design.T @ np.linalg.solve(_ar1_cov(t, rho, sd), design)
    trend_se = math.sqrt(float(np.linalg.inv(precision)[0, 0]))
    residuals = {int(yr): float(v) for yr, v in zip(gdp.index, y - a - b * t, strict=True)}

    ind = growth_series(history, INDUSTRY_GROWTH, last_year)
    pairs = [(residuals[int(yr)], float(v) - (a + b * (int(yr) - last_year)))
             for yr, v in ind.items() if int(yr) in residuals]
    if len(pairs) >= 2:
        x, z = np.array(pairs).T
        gap, loading = np.linalg.lstsq(np.c_[np.ones(len(x)), x], z, rcond=None)[0]
    else:
        loading = 1.0
        gap = float(np.mean([z for _, z in pairs])) if pairs else 0.0
    return ShockProcess(trend=float(a), trend_se=trend_se, slope=float(b), persistence=rho, sd=sd,
                        industry_loading=float(loading), industry_gap=float(gap), residuals=residuals,
                        last_year=last_year, n=len(y))


def simulate_shock_process(rng: np.random.Generator, years: int, *, persistence: float, sd: float,
                           drift: float = 0.0, drift_sd: float = 0.0, start: float = 0.0,
                           paths: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``paths`` paths of the common shock and the trend drift over ``years`` years.

    Each year draws ``e`` then ``η`` for every path (the order the model uses).

    Args:
        rng: The generator.
        years: Years to simulate.
        persistence: ρ.
        sd: σ.
        drift: Mean yearly change of the trend ``d``.
        drift_sd: sd of the trend's random walk σ_τ.
        start: The shock of the year before the first (``x_0``).
        paths: Number of paths.

    Returns:
        ``(x, tau)``, each of shape ``(paths, years)``.
    """
    x = np.zeros((paths, years))
    tau = np.zeros((paths, years))
    prev_x = np.full(paths, float(start))
    prev_tau = np.zeros(paths)
    for k in range(years):
        draws = rng.standard_normal((paths, 2))
        prev_x = persistence * prev_x + sd * draws[:, 0]
        prev_tau = prev_tau + drift + drift_sd * draws[:, 1]
        x[:, k], tau[:, k] = prev_x, prev_tau
    return x, tau


def group_loadings(group_ids: list[str], params: dict[str, float]) -> np.ndarray:
    """Loading of each sector group on the common shock (``macro_loading_*`` parameters).

    Industrial groups load ``macro_loading_industry``, export-oriented ones (:data:`EXPORT_GROUPS`) that times
    ``macro_loading_export``, service groups (:data:`SERVICE_GROUPS`) ``macro_loading_services``.
    """
    industry = params["macro_loading_industry"]
    loads = np.full(len(group_ids), industry)
    for k, g in enumerate(group_ids):
        if g in EXPORT_GROUPS:
            loads[k] = industry * params["macro_loading_export"]
        elif g in SERVICE_GROUPS:
            loads[k] = params["macro_loading_services"]
    return loads


def draw_macro_innovations(rng: np.random.Generator, years: int) -> np.ndarray:
    """Draw the standard-normal innovations ``(e_t, η_t)`` of every simulated year at once, shape ``(years, 2)``.

    The model calls it once, when it is built, before the firm population is drawn: the whole macro path is then
    fixed by the seed alone, the same under every lever and whether the mechanism is on or off (common random
    numbers: a lever's effect is never confounded with a different macro path), and it consumes ``2 · years``
    normals of the model's generator.
    """
    return rng.standard_normal((years, 2))


def draw_macro_shocks(model: ParkModel) -> None:
    """Advance the common shock and the trend drift by one year; set each sector's macro growth term.

    The year's innovations are row ``year − base_year − 1`` of ``model.macro_innovations``
    (:func:`draw_macro_innovations`, drawn when the model was built). In a back-cast year (up to 2021) the macro term is
    zero and the state stays where it started (x = 0, τ = ``macro_trend_shift``): those years are history, whose
    realised growth the back-cast follows. Sets ``model.macro_shock`` (x),
    ``model.macro_drift`` (τ) and ``model.macro_growth`` (per sector, ``m_macro_shocks · (λ_k x + τ)``).
    """
    par = model.params
    e, eta = model.macro_innovations[model.year - model.base_year - 1]
    if model.year <= LAST_HISTORY_YEAR:
        model.macro_growth = np.zeros(model.n_sectors)
        return
    model.macro_shock = par["macro_shock_persistence"] * model.macro_shock + par["macro_shock_sd"] * e
    model.macro_drift += par["macro_trend_drift"] + par["macro_trend_drift_sd"] * eta
    loads = group_loadings(model.group_ids, par)[model.sector_group]
    model.macro_growth = model.mechanisms.macro_shocks * (loads * model.macro_shock + model.macro_drift)
