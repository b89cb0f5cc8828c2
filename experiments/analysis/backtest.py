"""Rolling-origin backtest of the city-wide shock process on the growth history up to 2021.

For each origin year ``T`` with a GDP figure, the shock process is estimated on the data up to ``T`` only
(:func:`parkabm.model.rules.macro.estimate_shock_process` with ``last_year = T``) and real GDP growth is forecast
1–4 years ahead by simulating the process as the model projects it (trend with a drift drawn from the estimated
slope to none, the trend's random walk, the trend's standard error and the AR(1) shock from the origin's residual).
Each forecast that has an outcome in ``history.csv`` (years up to 2021) is scored: whether the outcome falls in the
central 50% and 90% bands, its probability integral transform (PIT) and its continuous ranked probability score
(CRPS), against a naive benchmark, a random walk on growth (next years' growth centred on the origin's, with the sd
of the year-to-year changes up to the origin, growing with √h).

The agent-based model is not run: in it, the city-wide shock process is what makes aggregate growth uncertain from
year to year (firm-level shocks average out over thousands of firms, and parameter uncertainty is fixed per run), so
the process alone is what a backtest of the aggregate growth bands can test. Only GDP growth is long enough; the
industrial series (four years) is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from parkabm.model.rules.macro import (
    GDP_GROWTH,
    LAST_HISTORY_YEAR,
    estimate_shock_process,
    growth_series,
    simulate_shock_process,
)
from parkabm.scenarios.parameters import PARAMETERS

KIND = "backtest"
"""The kind of result folder ``parkabm backtest`` writes, as its ownership marker records it."""

HORIZONS = (1, 2, 3, 4)
"""Forecast horizons, years ahead of the origin."""

MIN_YEARS = 6
"""Fewest GDP years up to an origin for the process to be estimated there."""


@dataclass(frozen=True)
class BacktestSettings:
    """Sizes of a backtest.

    Attributes:
        paths: Simulated paths per origin.
        seed: Seed of the simulations.
        min_years: Fewest years of data up to an origin.
    """

    paths: int = 4000
    seed: int = 0
    min_years: int = MIN_YEARS


def crps_samples(samples: np.ndarray, observed: float) -> float:
    """Empirical CRPS of a forecast given by samples: ``E|X − y| − ½ E|X − X'|``.

    Written here because ``properscoring`` is not among the project's dependencies and scipy has no CRPS; the
    second term uses the sorted-sample identity ``E|X − X'| = 2 / n² · Σ_i (2i − n − 1) x_(i)`` (O(n log n)).

    Args:
        samples: Draws of the forecast distribution.
        observed: The outcome.

    Returns:
        The CRPS (same unit as the data; lower is better).
    """
    x = np.sort(np.asarray(samples, dtype=float))
    n = len(x)
    first = float(np.abs(x - observed).mean())
    ranks = np.arange(1, n + 1)
    spread = float(2.0 / n ** 2 * ((2 * ranks - n - 1) * x).sum())
    return first - 0.5 * spread


def forecast_paths(history: pd.DataFrame, origin: int, *, paths: int, rng: np.random.Generator) -> np.ndarray:
    """Simulated real GDP growth for the years ``origin + 1 … origin + max(HORIZONS)`` from data up to ``origin``.

    The projection is the model's (docs/ODD.md §7.18): trend ``a + τ_h`` with ``τ`` starting at a draw of the
    trend's uncertainty (normal, the estimate's standard error), drifting by ``d`` a year (uniform from the estimated
    slope to none) plus a random walk of sd ``macro_trend_drift_sd``; shock ``x`` the AR(1) from the origin's residual.

    Returns:
        Array ``(paths, len(HORIZONS))``.
    """
    est = estimate_shock_process(history, origin)
    start = est.residuals.get(origin, 0.0)
    drift_sd = PARAMETERS["macro_trend_drift_sd"].default
    drift = rng.uniform(min(est.slope, 0.0), 0.0, size=(paths, 1))
    shift = est.trend_se * rng.standard_normal((paths, 1))
    x, tau = simulate_shock_process(rng, max(HORIZONS), persistence=est.persistence, sd=est.sd,
                                    drift=0.0, drift_sd=drift_sd, start=start, paths=paths)
    steps = np.arange(1, max(HORIZONS) + 1)[None, :]
    return est.trend + shift + drift * steps + tau + x


def naive_paths(series: pd.Series, origin: int, *, paths: int, rng: np.random.Generator) -> np.ndarray:
    """Random walk on growth: ``y_{T+h} = y_T + s √h z``, ``s`` the sd of year-to-year changes up to the origin.

    Changes over a gap of ``k`` years count as ``k`` steps (divided by √k).
    """
    past = series[series.index <= origin]
    years = past.index.to_numpy()
    gaps = np.diff(years)
    changes = np.diff(past.to_numpy()) / np.sqrt(gaps)
    s = float(np.sqrt(np.mean(changes ** 2)))
    steps = np.sqrt(np.arange(1, max(HORIZONS) + 1))[None, :]
    return float(past.iloc[-1]) + s * steps * rng.standard_normal((paths, max(HORIZONS)))


def run_backtest(history: pd.DataFrame, settings: BacktestSettings = BacktestSettings()) -> pd.DataFrame:
    """Score every forecast with an outcome: one row per origin × horizon.

    Args:
        history: ``history.csv``.
        settings: Sizes.

    Returns:
        Columns ``origin``, ``horizon``, ``year``, ``observed``, ``median``, ``low50``, ``high50``, ``low90``,
        ``high90``, ``in50``, ``in90``, ``pit``, ``crps``, ``crps_naive``, ``in50_naive``, ``in90_naive``.
    """
    series = growth_series(history, GDP_GROWTH, LAST_HISTORY_YEAR, inferred=False)
    rng = np.random.default_rng(settings.seed)
    rows = []
    for origin in series.index:
        if (series.index <= origin).sum() < settings.min_years or origin >= LAST_HISTORY_YEAR:
            continue
        model = forecast_paths(history, int(origin), paths=settings.paths, rng=rng)
        naive = naive_paths(series, int(origin), paths=settings.paths, rng=rng)
        for k, h in enumerate(HORIZONS):
            year = int(origin) + h
            if year not in series.index:
                continue
            y = float(series[year])
            m, b = model[:, k], naive[:, k]
            q = np.quantile(m, [0.05, 0.25, 0.5, 0.75, 0.95])
            qb = np.quantile(b, [0.05, 0.25, 0.75, 0.95])
            rows.append({
                "origin": int(origin), "horizon": h, "year": year, "observed": y, "median": q[2],
                "low50": q[1], "high50": q[3], "low90": q[0], "high90": q[4],
                "in50": bool(q[1] <= y <= q[3]), "in90": bool(q[0] <= y <= q[4]),
                "pit": float((m < y).mean()), "crps": crps_samples(m, y), "crps_naive": crps_samples(b, y),
                "in50_naive": bool(qb[1] <= y <= qb[2]), "in90_naive": bool(qb[0] <= y <= qb[3]),
            })
    return pd.DataFrame(rows)


def summarise(scores: pd.DataFrame) -> pd.DataFrame:
    """Coverage and mean CRPS by horizon and over all forecasts (row ``all``)."""
    def one(g: pd.DataFrame) -> dict:
        return {"forecasts": len(g), "coverage50": g["in50"].mean(), "coverage90": g["in90"].mean(),
                "crps": g["crps"].mean(), "crps_naive": g["crps_naive"].mean(),
                "coverage50_naive": g["in50_naive"].mean(), "coverage90_naive": g["in90_naive"].mean()}
    table = [{"horizon": str(h), **one(g)} for h, g in scores.groupby("horizon")]
    table.append({"horizon": "all", **one(scores)})
    return pd.DataFrame(table)


def render_report(scores: pd.DataFrame, summary: pd.DataFrame, history: pd.DataFrame,
                  settings: BacktestSettings, charts: list[str]) -> str:
    """Return ``report.md``: method, the estimate at 2021, coverage, PIT and CRPS, whatever they show."""
    est = estimate_shock_process(history)
    all_row = summary[summary["horizon"] == "all"].iloc[0]
    lines = [
        "# Backtest of the city-wide shock process",
        "",
        "Written by `parkabm backtest` (`experiments/analysis/backtest.py`); model description in docs/ODD.md §7.18.",
        "",
        "**Method.** Rolling origins: for each year T with a GDP figure (and at least "
        f"{settings.min_years} years of data up to it), the shock process is estimated on `history.csv` up to T "
        "only and real GDP growth is forecast 1–4 years ahead by simulating the process as the model projects it "
        f"({settings.paths} paths, seed {settings.seed}). Every forecast whose year has a figure (up to 2021) is "
        "scored. Benchmark: a random walk on growth. The agent-based model is not run: the common shock process is "
        "what makes the model's aggregate growth uncertain from year to year, so it is what this tests. Only GDP "
        "growth is long enough; the industrial series (four years) is not backtested.",
        "",
        f"**Estimate at 2021** ({est.n} GDP years): trend {est.trend:.2%} (se {est.trend_se:.2%}), slope "
        f"{est.slope * 100:+.2f} points a year, ρ {est.persistence:.2f}, σ {est.sd:.2%} (stationary sd "
        f"{est.marginal_sd:.2%}); industrial loading {est.industry_loading:.2f}, industrial trend "
        f"{est.industry_trend:.2%}.",
        "",
        "## Coverage and CRPS",
        "",
        "| horizon | forecasts | in 50% band | in 90% band | CRPS (points) | naive CRPS | naive in 50% | "
        "naive in 90% |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in summary.itertuples(index=False):
        lines.append(f"| {r.horizon} | {r.forecasts} | {r.coverage50:.0%} | {r.coverage90:.0%} | "
                     f"{r.crps * 100:.2f} | {r.crps_naive * 100:.2f} | {r.coverage50_naive:.0%} | "
                     f"{r.coverage90_naive:.0%} |")
    better = all_row["crps"] < all_row["crps_naive"]
    counts, _ = np.histogram(scores["pit"], bins=5, range=(0.0, 1.0))
    lines += [
        "",
        f"Over all {int(all_row['forecasts'])} forecasts the 50% band held the outcome in "
        f"{all_row['coverage50']:.0%} and the 90% band in {all_row['coverage90']:.0%} of cases (nominal 50% and 90%); "
        f"mean CRPS {all_row['crps'] * 100:.2f} points against {all_row['crps_naive'] * 100:.2f} for the random "
        f"walk: the process is {'better' if better else 'not better'} than the benchmark. The forecasts overlap "
        "(origins one year apart share most of their data and outcomes), so these are few independent checks.",
        "",
        "**PIT** (share of simulated paths below the outcome; uniform if the bands are calibrated), counts in five "
        "bins from 0 to 1: " + ", ".join(str(int(c)) for c in counts) + ".",
        "",
        "## Forecasts",
        "",
        "| origin | year | observed | median | 50% band | 90% band | PIT |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in scores.itertuples(index=False):
        lines.append(f"| {r.origin} | {r.year} | {r.observed:.1%} | {r.median:.1%} | {r.low50:.1%}–{r.high50:.1%} "
                     f"| {r.low90:.1%}–{r.high90:.1%} | {r.pit:.2f} |")
    if charts:
        lines += ["", "## Charts", ""] + [f"![{c}]({c})" for c in charts]
    return "\n".join(lines) + "\n"


def backtest(out: str | Path = "docs/backtest", *, settings: BacktestSettings = BacktestSettings(),
             history: pd.DataFrame | None = None, langs: tuple[str, ...] = ("en", "zh"),
             fmt: str = "png") -> dict[str, Path]:
    """Run the backtest and write ``report.md``, ``scores.csv`` and the chart (one file per language).

    Args:
        out: Folder to write (created when missing).
        settings: Sizes.
        history: ``history.csv``; the shipped one when omitted.
        langs: Chart languages.
        fmt: Chart format.

    Returns:
        Paths written, by name.
    """
    from parkabm.experiments.charts.backtest import write_backtest_chart
    from parkabm.experiments.execution.files import check_output_folder, staged_folder

    if history is None:
        from parkabm.scenarios.world import load_world

        history = load_world().history
    check_output_folder(out, kind=KIND)
    scores = run_backtest(history, settings)
    summary = summarise(scores)
    names: dict[str, str] = {}
    # Written into a staging folder that replaces ``out`` whole: a folder parkabm did not write is refused, and an
    # interrupted run leaves the earlier backtest as it was.
    with staged_folder(out, kind=KIND) as folder:
        for lang in langs:
            names[f"chart_{lang}"] = write_backtest_chart(scores, summary, folder, lang=lang, fmt=fmt).name
        scores.to_csv(folder / "scores.csv", index=False)
        names["scores"] = "scores.csv"
        report = render_report(scores, summary, history, settings,
                               [name for k, name in names.items() if k.startswith("chart_")])
        (folder / "report.md").write_text(report, encoding="utf-8")
        names["report"] = "report.md"
    return {k: Path(out) / name for k, name in names.items()}
