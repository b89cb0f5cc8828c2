"""The city-wide macro shocks, the trend net of the channels, the service price path and the backtest (ODD §7.18)."""

import math

import numpy as np
import pandas as pd
import pytest
from model_fixtures import scenario_with
from scipy.stats import norm

from parkabm.experiments.analysis.backtest import BacktestSettings, backtest, crps_samples
from parkabm.experiments.analysis.calibration import projected_growth
from parkabm.model.city import ParkModel
from parkabm.model.rules.growth import agglomeration_index
from parkabm.model.rules.macro import estimate_shock_process, group_loadings, simulate_shock_process
from parkabm.scenarios.loader import apply_changes, load_scenario
from parkabm.scenarios.parameters import defaults
from parkabm.scenarios.world import load_world

D = defaults()


def test_the_simulated_process_has_its_declared_mean_sd_and_lag_one_autocorrelation():
    rho, sd = D["macro_shock_persistence"], D["macro_shock_sd"]
    x, tau = simulate_shock_process(np.random.default_rng(1), 200_000, persistence=rho, sd=sd,
                                    drift=D["macro_trend_drift"], drift_sd=D["macro_trend_drift_sd"])
    x = x[0]
    assert abs(x.mean()) < 4 * sd / math.sqrt(len(x)) * math.sqrt((1 + rho) / (1 - rho))
    assert x.std() == pytest.approx(sd / math.sqrt(1 - rho ** 2), rel=0.01)
    assert np.corrcoef(x[:-1], x[1:])[0, 1] == pytest.approx(rho, abs=0.01)
    steps = np.diff(tau[0])
    assert steps.mean() == pytest.approx(D["macro_trend_drift"], abs=4 * D["macro_trend_drift_sd"] / math.sqrt(len(x)))
    assert steps.std() == pytest.approx(D["macro_trend_drift_sd"], rel=0.01)


def test_the_model_draws_the_declared_process_year_by_year():
    params = {**D, "macro_shock_persistence": 0.3, "macro_trend_drift_sd": 0.0, "macro_trend_shift": 0.01}
    scenario = scenario_with({"world.horizon": 2030})
    model = ParkModel(scenario, parameters=params, rng=3)
    shocks, drifts = [], []
    for _ in range(9):
        model.step()
        shocks.append(model.macro_shock)
        drifts.append(model.macro_drift)
    e = model.macro_innovations[:, 0]
    expected = []
    x = 0.0
    for k in range(9):
        x = 0.3 * x + params["macro_shock_sd"] * e[k]
        expected.append(x)
    np.testing.assert_allclose(shocks, expected, rtol=1e-12)
    np.testing.assert_allclose(drifts, 0.01 + params["macro_trend_drift"] * np.arange(1, 10), rtol=1e-9, atol=1e-15)
    loads = group_loadings(model.group_ids, params)[model.sector_group]
    np.testing.assert_allclose(model.macro_growth, loads * shocks[-1] + drifts[-1], rtol=1e-12)


def test_the_estimator_recovers_a_known_process_from_a_long_synthetic_history():
    rng = np.random.default_rng(7)
    years = np.arange(1822, 2022)
    x, _ = simulate_shock_process(rng, len(years) + 50, persistence=0.4, sd=0.012)
    y = 0.06 - 0.0002 * (years - 2021) + x[0, 50:]
    ind = 0.05 + 1.6 * x[0, 50:]
    rows = [{"year": yr, "entity": "city", "metric": "gdp_growth", "value": v, "confidence": "O"}
            for yr, v in zip(years, y, strict=True)]
    rows += [{"year": yr, "entity": "city", "metric": "guishang_industrial_va_growth", "value": v,
              "confidence": "O"} for yr, v in zip(years[-40:], ind[-40:], strict=True)]
    est = estimate_shock_process(pd.DataFrame(rows))
    assert est.persistence == pytest.approx(0.4, abs=0.15)
    assert est.sd == pytest.approx(0.012, rel=0.1)
    assert est.slope == pytest.approx(-0.0002, abs=0.0002)
    assert est.industry_loading == pytest.approx(1.6, abs=0.1)
    assert est.industry_trend == pytest.approx(0.05, abs=0.004)


def test_the_declared_defaults_are_the_estimates_from_the_shipped_history():
    est = estimate_shock_process(load_world().history)
    assert D["macro_shock_sd"] == pytest.approx(est.sd, abs=0.0005)
    assert D["macro_shock_persistence"] == pytest.approx(est.persistence, abs=0.005)
    assert D["macro_loading_industry"] == pytest.approx(est.industry_loading, abs=0.005)
    assert PARAM_RANGE("macro_trend_drift") == pytest.approx((est.slope, 0.0), abs=0.0001)


def PARAM_RANGE(name):
    from parkabm.scenarios.parameters import PARAMETERS

    return PARAMETERS[name].low, PARAMETERS[name].high


def test_the_estimate_uses_no_figure_after_the_last_year():
    history = load_world().history
    later = pd.DataFrame([{"year": 2022, "entity": "city", "metric": "gdp_growth", "value": -0.5, "confidence": "O"}])
    assert estimate_shock_process(pd.concat([history, later])) == estimate_shock_process(history)


def test_the_agglomeration_index_has_an_output_weighted_mean_of_zero():
    model = ParkModel(scenario_with(), parameters=D, rng=1)
    agglomeration_index(model)
    f = model.firms
    s = model.n_sectors
    cell = np.bincount(f.park.astype(np.int64) * s + f.sector, weights=f.output_yi,
                       minlength=model.n_parks * s).reshape(model.n_parks, s)
    assert (cell * model.agglomeration).sum() / cell.sum() == pytest.approx(0.0, abs=1e-12)
    assert model.agglomeration.std() > 0.1


def outputs_2025(macro: float, seeds=range(16)) -> np.ndarray:
    # Full scale: at small scales the few large firms' own shocks would blur the common one.
    scenario = scenario_with({"levers.mechanisms.macro_shocks": macro}, scale=1.0)
    values = []
    for seed in seeds:
        model = ParkModel(scenario, parameters=D, rng=seed)
        model.run_model()
        values.append(model.yearly_frame().set_index("year").loc[2025, "industrial_output_yi"])
    return np.array(values)


def test_switching_macro_shocks_off_narrows_the_band_of_2025_output():
    on, off = outputs_2025(1.0), outputs_2025(0.0)
    width = {k: np.subtract(*np.percentile(v, [95, 5])) for k, v in (("on", on), ("off", off))}
    assert width["off"] < 0.6 * width["on"], width


def test_the_macro_path_is_the_same_under_every_lever_and_with_the_mechanism_off():
    paths = [ParkModel(scenario_with(changes), parameters=D, rng=5).macro_innovations for changes in (
        {}, {"levers.land.redevelopment_mu_per_year": 40_000.0}, {"levers.mechanisms.macro_shocks": 0.0})]
    for other in paths[1:]:
        np.testing.assert_array_equal(paths[0], other)


def test_status_quo_without_macro_shocks_grows_at_the_estimated_industrial_trend():
    trend = estimate_shock_process(load_world().history).industry_trend
    scenario = apply_changes(load_scenario("status_quo"), {"levers.mechanisms.macro_shocks": 0.0})
    g = projected_growth(scenario, replicates=30, seed=0)
    assert abs(g["industrial_growth"].median() - trend) < 0.01, (g["industrial_growth"].median(), trend)


def test_the_service_price_path_values_service_output_only():
    params = {**D, "macro_service_price_growth": 0.04, "price_growth_2022": 0.0}
    changes = {f"levers.mechanisms.{m}": 0 for m in (
        "agglomeration", "chain_spillover", "shocks", "upgrading", "space_constraint", "relocation", "exit",
        "recruitment", "chain_leader_service", "evaluation", "funds", "entry", "macro_shocks", "growth_trend")}
    model = ParkModel(scenario_with(changes), parameters=params, rng=2)
    before = model.firms.output_yi.copy()
    model.step()
    f = model.firms
    np.testing.assert_allclose(f.output_yi, before * np.where(f.industrial, 1.0, 1.04), rtol=1e-12)


def test_empirical_crps_matches_the_normal_closed_form():
    y, sd = 0.3, 2.0
    samples = np.random.default_rng(0).normal(0.0, sd, 40_000)
    z = y / sd
    exact = sd * (z * (2 * norm.cdf(z) - 1) + 2 * norm.pdf(z) - 1 / math.sqrt(math.pi))
    assert crps_samples(samples, y) == pytest.approx(exact, rel=0.02)


def test_backtest_writes_its_report_and_scores_on_a_small_setting(tmp_path):
    files = backtest(tmp_path, settings=BacktestSettings(paths=200, seed=1), langs=("en",))
    report = files["report"].read_text(encoding="utf-8")
    assert "in 90% band" in report and "PIT" in report and "random walk" in report
    scores = pd.read_csv(files["scores"])
    assert len(scores) > 5 and scores["pit"].between(0, 1).all() and (scores["year"] <= 2021).all()
    assert (scores["year"] - scores["origin"]).isin([1, 2, 3, 4]).all()
    assert files["chart_en"].name == "backtest.en.png" and files["chart_en"].stat().st_size > 0


def test_backtest_refuses_a_folder_it_did_not_write_and_changes_nothing(tmp_path):
    from click.testing import CliRunner

    from parkabm.experiments.cli import main

    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    result = CliRunner().invoke(main, ["backtest", "--out", str(tmp_path), "--paths", "200"])
    assert result.exit_code == 2, result.output
    assert "--out" in result.output and "parkabm did not write it" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    again = tmp_path / "bt"
    assert CliRunner().invoke(main, ["backtest", "--out", str(again), "--paths", "200"]).exit_code == 0
    assert CliRunner().invoke(main, ["backtest", "--out", str(again), "--paths", "200"]).exit_code == 0  # replaced
