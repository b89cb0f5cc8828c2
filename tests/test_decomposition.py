"""Variance decomposition by source (``parkabm decompose``) and the top sources ``parkabm run`` prints."""

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from parkabm.experiments.analysis import decomposition as dec
from parkabm.experiments.cli import main
from parkabm.experiments.design.problem import SAProblem
from parkabm.experiments.design.sensitivity import saltelli_sample
from parkabm.experiments.execution.executors import make_executor
from parkabm.scenarios import parameters
from parkabm.scenarios.loader import load_scenario
from parkabm.scenarios.parameters import PARAMETERS, VARIANCE_GROUPS, Parameter, variance_group

PARAMETER_GROUPS = {"base", "macro", "behaviour"}


def test_every_parameter_has_one_parameter_group():
    for name in PARAMETERS:
        assert variance_group(name) in PARAMETER_GROUPS, name
    assert variance_group("base_output_multiplier") == "base"
    assert variance_group("zone_gdp_share_2021") == "base"
    assert variance_group("price_growth_2022") == "macro"
    assert variance_group("trend_growth_multiplier") == "behaviour"
    assert set(VARIANCE_GROUPS) == PARAMETER_GROUPS | {"levers", "noise"}


def test_a_new_macro_parameter_falls_into_place_by_its_name(monkeypatch):
    extra = {"macro_year_shock_sd": Parameter("macro_year_shock_sd", 0.02, 0.0, 0.05, "/yr", "assumed: test", "x"),
             "odd_one": Parameter("odd_one", 1.0, 0.5, 1.5, "×", "assumed: test", "x", group="macro")}
    monkeypatch.setattr(parameters, "PARAMETERS", {**PARAMETERS, **extra})
    assert variance_group("macro_year_shock_sd") == "macro"
    assert variance_group("odd_one") == "macro"  # a declared group beats the name rule


def test_the_grouping_covers_every_sampled_parameter_exactly_once():
    scenario = load_scenario("baseline")
    factors = dec.decomposition_factors(scenario)
    names = [f["name"] for f in factors if f["kind"] == "uncertainty"]
    sampled = sorted(n for n, d in scenario.uncertainties.items() if d.dist != "fixed")
    assert sorted(names) == sampled and len(names) == len(set(names))
    for f in factors:
        expected = "levers" if f["kind"] == "lever" else variance_group(f["name"])
        assert f["group"] == expected, f
    assert {f["group"] for f in factors} == PARAMETER_GROUPS | {"levers"}


def test_split_variance_recovers_the_shares_of_a_known_function():
    # Y = 3 a + b + e with a, b ~ U(0, 1) and Var e = Var b: shares 9/11, 1/11 and 1/11 (noise)
    problem = SAProblem(["a", "b", "c"], [(0.0, 1.0)] * 3, ["ga", "gb", "gb"])
    X = saltelli_sample(problem, 1024, seed=3)
    rng = np.random.default_rng(5)
    reps = 4
    noise = rng.uniform(-0.5, 0.5, size=(len(X), reps))
    runs = (3 * X[:, 0] + X[:, 1])[:, None] + noise
    split = dec.split_variance(problem, X, runs, seed=1).set_index("group")["share"]
    assert split.between(0, 1).all()
    assert split.sum() == pytest.approx(1.0, abs=dec.SUM_TOLERANCE)
    assert split["ga"] == pytest.approx(9 / 11, abs=0.04)
    assert split["gb"] == pytest.approx(1 / 11, abs=0.04)
    assert split["noise"] == pytest.approx(1 / 11, abs=0.03)


def test_split_variance_of_a_constant_indicator_is_not_a_share():
    problem = SAProblem(["a", "b"], [(0.0, 1.0)] * 2, ["ga", "gb"])
    X = saltelli_sample(problem, 8, seed=3)
    split = dec.split_variance(problem, X, np.ones((len(X), 2)), seed=1)
    assert split["share"].isna().all()


def _tiny(tmp_path, name, base):
    path = tmp_path / f"{name}.yaml"
    path.write_text(f"name: {name}\nextends: baseline\ndescription: {{en: t, zh: t}}\n"
                    "world: {population_scale: 0.05}\n"
                    f"uncertainties:\n  base_output_multiplier: {base}\n", encoding="utf-8")
    return path


@pytest.fixture
def lever_file(tmp_path):
    path = tmp_path / "levers.yaml"
    path.write_text("name: one_lever\nscenarios: [baseline]\nfactors:\n"
                    "  - {name: levers.recruitment.effort, kind: lever, bounds: [0.5, 2.0]}\n"
                    "design: {kind: latin_hypercube, samples: 4}\nreplicates: 1\n", encoding="utf-8")
    return path


def _decompose(scenario, levers, out):
    with make_executor(workers=1) as executor:
        return dec.decompose(scenario, n=16, replicates=2, levers=levers, out=out, executor=executor,
                             langs=("en",))


def test_decomposition_ranks_a_widened_base_first(tmp_path, lever_file):
    wide = _decompose(_tiny(tmp_path, "wide", "{dist: uniform, low: 0.75, high: 1.3}"), lever_file, tmp_path / "w")
    table = wide.table
    shares = table.dropna(subset=["share"])
    assert shares["share"].between(0, 1).all()
    sums = shares.groupby("indicator")["share"].sum()
    assert np.allclose(sums, 1.0, atol=dec.SUM_TOLERANCE), sums
    assert set(table["group"]) == set(VARIANCE_GROUPS)
    assert wide.top("total_output_yi", 1)[0][0] == "base"
    for role in ("table", "report", "chart_en"):
        assert wide.files[role].stat().st_size > 0
    assert pd.read_csv(wide.files["table"])["indicator"].nunique() == table["indicator"].nunique()


def test_regression_shares_find_the_parameter_that_moves_the_output():
    rng = np.random.default_rng(0)
    reps = 60
    params = pd.DataFrame({"replicate": range(reps), "base_output_multiplier": rng.uniform(0.8, 1.2, reps),
                           "trend_growth_multiplier": rng.uniform(0.5, 1.5, reps)})
    y = 20000 * params["base_output_multiplier"] + rng.normal(0, 200, reps)
    yearly = pd.DataFrame({"replicate": range(reps), "year": 2025, "total_output_yi": y})
    shares = dec.regression_shares(yearly, params, "total_output_yi", 2025)
    assert max(shares, key=shares.get) == "base"
    assert sum(shares.values()) == pytest.approx(1.0, abs=dec.SUM_TOLERANCE)
    assert all(0 <= s <= 1 for s in shares.values())
    assert dec.regression_shares(yearly, params, "total_output_yi", 2025, (">=", 1e9)) is None


def test_run_prints_the_top_sources_of_the_headline_targets(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text("name: small\nextends: baseline\nworld:\n  population_scale: 0.05\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(path), "--reps", "30", "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("largest sources of variance"))
    output_line = next(line for line in lines[head:] if "gross output in 2025:" in line)
    labels = [dec.group_label(g, "en") for g in (*PARAMETER_GROUPS, dec.RESIDUAL)]
    assert sum(label in output_line for label in labels) == 3
    assert output_line.split(": ", 1)[1].startswith(dec.group_label("base", "en"))
    assert any("Leading-industry share" in line for line in lines[head:])
