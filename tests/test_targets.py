"""Targets: one per metric per text variant with fall-back, checking runs, and Wilson intervals."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parkabm.model.outputs.clusters import cluster_map
from parkabm.model.outputs.registry import CITY_REPORTERS
from parkabm.model.outputs.targets import (
    MET_AT_BASE_YEAR,
    MODELLED,
    NOT_MODELLED,
    VARIANT_FALLBACK,
    modelled_targets,
    probability_text,
    select_targets,
    target_probabilities,
    target_status,
    targets_met,
    wilson_interval,
)
from parkabm.scenarios.world import load_world


@pytest.fixture(scope="module")
def targets():
    return load_world().targets


# --- select_targets -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("variant", ["2023", "2022_jul", "2022_may"])
def test_select_targets_gives_one_row_per_metric_of_the_file(targets, variant):
    chosen = select_targets(targets, variant)
    assert chosen["metric"].is_unique
    assert set(chosen["metric"]) == set(targets["metric"])


@pytest.mark.parametrize("variant", ["2023", "2022_jul", "2022_may"])
def test_select_targets_prefers_the_variants_own_row_then_the_fallback_order(targets, variant):
    chosen = select_targets(targets, variant).set_index("metric")
    order = [variant, *[v for v in VARIANT_FALLBACK if v != variant]]
    for metric, rows in targets.groupby("metric"):
        available = set(rows["variant"].astype(str))
        expected = next(v for v in order if v in available)
        assert str(chosen.loc[metric, "variant"]) == expected, metric


def test_select_targets_2023_takes_the_low_efficiency_cap_and_large_projects_from_the_july_draft(targets):
    chosen = select_targets(targets, "2023").set_index("metric")
    assert str(chosen.loc["max_low_efficiency_share", "variant"]) == "2022_jul"
    assert str(chosen.loc["projects_over_10yi", "variant"]) == "2022_jul"
    assert chosen.loc["projects_over_10yi", "value"] == 60
    assert str(chosen.loc["total_output_yi", "variant"]) == "2023"
    assert chosen.loc["clusters_qianyi", "value"] == 3  # the 2023 text, not the draft's 4


def test_select_targets_on_a_hand_made_table_follows_the_fallback_order():
    table = pd.DataFrame({
        "target": ["a_may", "a_jul", "b_jul", "b_2023", "c_may"],
        "metric": ["a", "a", "b", "b", "c"],
        "variant": ["2022_may", "2022_jul", "2022_jul", "2023", "2022_may"],
        "value": [1, 2, 3, 4, 5],
    })
    assert select_targets(table, "2023").set_index("metric")["target"].to_dict() == {
        "b": "b_2023", "a": "a_jul", "c": "c_may"}
    assert select_targets(table, "2022_may").set_index("metric")["target"].to_dict() == {
        "a": "a_may", "c": "c_may", "b": "b_2023"}


def test_every_target_metric_is_a_model_output(targets):
    assert set(targets["metric"]) <= set(CITY_REPORTERS)


# --- targets_met --------------------------------------------------------------------------------------------------

def hand_made_yearly():
    return pd.DataFrame({
        "replicate": [0, 0, 1, 1, 2, 2],
        "year": [2024, 2025] * 3,
        "total_output_yi": [29000.0, 30000.0, 31000.0, 29999.0, 28000.0, np.nan],
        "leading_share": [0.7, 0.61, 0.5, 0.59, 0.6, 0.65],
        "max_low_efficiency_share": [0.1, 0.3, 0.2, 0.31, 0.4, 0.2],
    })


def hand_made_targets():
    return pd.DataFrame({
        "target": ["output", "leading", "low_eff", "not_reported"],
        "name_en": ["Output", "Leading share", "Low-efficiency cap", "Something else"],
        "name_zh": ["产值", "主导产业占比", "低效用地占比", "其他"],
        "metric": ["total_output_yi", "leading_share", "max_low_efficiency_share", "no_such_output"],
        "comparison": [">=", ">=", "<=", ">="],
        "value": [30000.0, 0.6, 0.3, 1.0],
        "year": [2025, 2025, 2025, 2025],
        "source": ["s1", "s2", "s3", "s4"],
    })


def test_targets_met_compares_each_run_in_the_target_year():
    met = targets_met(hand_made_yearly(), hand_made_targets())
    table = met.set_index(["target", "replicate"])["met"]
    assert table.to_dict() == {
        ("output", 0): True, ("output", 1): False, ("output", 2): False,  # NaN is not met
        ("leading", 0): True, ("leading", 1): False, ("leading", 2): True,
        ("low_eff", 0): True, ("low_eff", 1): False, ("low_eff", 2): True,  # <= comparison
    }
    assert met.set_index(["target", "replicate"]).loc[("leading", 1), "value"] == 0.59
    assert "not_reported" not in set(met["target"])


def test_target_probabilities_count_runs_and_give_wilson_intervals():
    targets = hand_made_targets().iloc[:3]
    met = targets_met(hand_made_yearly(), targets)
    summary = target_probabilities(met, targets).set_index("target")
    assert summary.loc["leading", "n"] == 3
    assert summary.loc["leading", "p_met"] == pytest.approx(2 / 3)
    assert (summary.loc["leading", "ci_low"], summary.loc["leading", "ci_high"]) == pytest.approx(
        wilson_interval(2, 3))
    # A run whose value is NaN is not evaluated: it counts neither as met nor in the denominator.
    assert summary.loc["output", "n"] == 2
    assert summary.loc["output", "p_met"] == pytest.approx(1 / 2)
    assert summary.loc["low_eff", "target_value"] == 0.3


def test_target_probabilities_of_a_target_no_run_reached_are_undefined():
    yearly = hand_made_yearly()
    targets = hand_made_targets().iloc[:1].assign(year=2030)
    summary = target_probabilities(targets_met(yearly, targets), targets)
    assert summary.loc[0, "n"] == 0 and math.isnan(summary.loc[0, "p_met"])


def test_targets_met_lists_a_run_that_stops_before_the_target_year_as_not_evaluated():
    yearly = hand_made_yearly()
    targets = hand_made_targets().iloc[:1].assign(year=2030)
    met = targets_met(yearly, targets)
    assert len(met) == 3
    assert not met["evaluated"].any() and not met["met"].any()


# --- Wilson interval ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("k", "n", "low", "high"), [
    (0, 10, 0.0, 0.27753),
    (5, 10, 0.23659, 0.76341),
    (10, 10, 0.72247, 1.0),
    (1, 20, 0.00889, 0.23611),
    (50, 100, 0.40383, 0.59617),
])
def test_wilson_interval_matches_known_values(k, n, low, high):
    assert wilson_interval(k, n) == pytest.approx((low, high), abs=5e-5)


def test_wilson_interval_of_no_runs_is_undefined():
    low, high = wilson_interval(0, 0)
    assert math.isnan(low) and math.isnan(high)


@settings(max_examples=100, deadline=None)
@given(n=st.integers(1, 500), data=st.data())
def test_wilson_interval_lies_in_the_unit_interval_contains_the_estimate_and_is_symmetric(n, data):
    k = data.draw(st.integers(0, n))
    low, high = wilson_interval(k, n)
    assert 0.0 <= low <= high <= 1.0
    assert low - 1e-12 <= k / n <= high + 1e-12
    mirror = wilson_interval(n - k, n)
    assert (low, high) == pytest.approx((1 - mirror[1], 1 - mirror[0]), abs=1e-12)


@pytest.mark.parametrize("n", [3, 10])
def test_wilson_interval_reaches_exactly_zero_and_one_at_the_ends(n):
    assert wilson_interval(0, n)[0] == 0.0
    assert wilson_interval(n, n)[1] == 1.0


def _closed_form_wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    """The score interval written out (the formula the project used before SciPy's), clipped to [0, 1]."""
    p = k / n
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return (0.0 if k == 0 else max(0.0, centre - half)), (1.0 if k == n else min(1.0, centre + half))


@pytest.mark.parametrize("n", [1, 2, 3, 4, 7, 10, 16, 25, 50, 99, 100, 250, 1000])
def test_wilson_interval_equals_the_closed_form_on_a_grid(n):
    for k in range(n + 1):
        assert wilson_interval(k, n) == pytest.approx(_closed_form_wilson(k, n), abs=1e-9), (k, n)


def test_wilson_interval_at_another_level_equals_the_closed_form():
    z = 1.6448536269514722  # 90%
    assert wilson_interval(3, 11, z=z) == pytest.approx(_closed_form_wilson(3, 11, z), abs=1e-9)


# --- status: modelled, not modelled, met at base year -------------------------------------------------------------

def test_every_target_is_an_outcome_or_says_why_not(targets):
    for row in targets.reset_index().to_dict("records"):
        status, reason = target_status(row)
        assert status in (MODELLED, NOT_MODELLED, MET_AT_BASE_YEAR), row["target"]
        if status != MODELLED:
            cites = ("source", "assumed", "docs/ODD.md", "意见", "征求意见稿", "〔")
            assert len(reason) > 40 and any(c in reason for c in cites), row["target"]


def _hand_made_targets(modelled: str, reason: str = "") -> pd.DataFrame:
    return pd.DataFrame([{"target": "out", "name_en": "Output", "name_zh": "产值", "metric": "total_output_yi",
                          "comparison": ">=", "value": 30000.0, "year": 2025, "source": "test",
                          "modelled": modelled, "not_modelled_reason": reason}])


@pytest.mark.parametrize("modelled,status", [("false", NOT_MODELLED), ("base_year", MET_AT_BASE_YEAR)])
def test_a_target_that_is_not_an_outcome_never_gets_a_probability(modelled, status):
    t = _hand_made_targets(modelled, "a reason")
    yearly = hand_made_yearly()
    assert targets_met(yearly, t).empty  # its metric is in the runs, and still it is not checked
    row = target_probabilities(targets_met(yearly, t), t).iloc[0]
    assert row["status"] == status and row["status_note"] == "a reason"
    assert row["n"] == 0 and math.isnan(row["p_met"]) and math.isnan(row["ci_low"]) and math.isnan(row["ci_high"])
    assert probability_text(row) == status and "%" not in probability_text(row, with_note=True)
    assert probability_text(row, "zh") in ("未建模", "基年已达成")
    same = target_probabilities(targets_met(yearly, _hand_made_targets("true")), _hand_made_targets("true")).iloc[0]
    assert same["status"] == MODELLED and same["n"] == 2 and probability_text(same).endswith("]")


def test_a_target_that_is_not_modelled_needs_a_reason():
    with pytest.raises(ValueError, match="not_modelled_reason"):
        target_status(_hand_made_targets("false").iloc[0].to_dict())
    with pytest.raises(ValueError, match="allowed"):
        target_status(_hand_made_targets("maybe", "x").iloc[0].to_dict())


def test_the_shipped_targets_that_are_outcomes_are_the_ones_the_levers_can_move(targets):
    chosen = select_targets(targets, "2023")
    outcomes = set(modelled_targets(chosen)["metric"])
    assert {"total_output_yi", "leading_share", "rd_to_gdp", "tax_per_mu_wan", "fai_growth",
            "max_low_efficiency_share", "projects_over_10yi"} == outcomes
    status = {r["metric"]: target_status(r)[0] for r in chosen.to_dict("records")}
    assert status["zone_land_share"] == NOT_MODELLED and status["strategic_platforms"] == NOT_MODELLED
    assert status["guishang_industrial_firms"] == NOT_MODELLED and status["clusters_wanyi"] == NOT_MODELLED


# --- clusters as the 1910 system names them ----------------------------------------------------------------------

CLUSTERS_1910 = {"新一代信息技术及应用": "wanyi", "高端装备": "qianyi", "生物医药": "qianyi", "节能环保": "qianyi",
                 "数字安防": "qianyi", "新能源新材料": "qianyi", "纺织化纤": "qianyi", "精细化工": "qianyi",
                 "电气机械": "qianyi", "食品饮料": "qianyi"}
"""制造业高质量发展若干意见 (一)(二): one 万亿级 and nine 千亿级 clusters, by name."""


def test_every_sector_maps_to_one_of_the_named_clusters_or_to_none(targets):
    mapping = cluster_map()
    world = load_world()
    assert set(mapping.index) == set(world.sectors.index)
    named = mapping[mapping["cluster"] != ""]
    assert dict(zip(named["cluster_zh"], named["level"], strict=True)) == CLUSTERS_1910
    assert mapping["source"].str.contains("制造业高质量发展若干意见").all()


def _base_year_clusters(scope_scenario: str) -> float:
    from parkabm.model.city import ParkModel
    from parkabm.scenarios.loader import load_scenario
    from parkabm.scenarios.parameters import defaults

    model = ParkModel(load_scenario(scope_scenario), parameters=defaults(), rng=0)
    return float(model.yearly_frame().set_index("year").loc[model.base_year, "clusters_qianyi"])


def test_the_clusters_target_says_met_at_base_year_with_the_facts_that_make_it_so(targets):
    chosen = select_targets(targets, "2023").set_index("metric")
    status, reason = target_status(chosen.loc["clusters_qianyi"].to_dict())
    if status == MODELLED:  # an outcome: it must be able to differ between scenarios (then this test changes)
        pytest.fail("clusters_qianyi is modelled again: test that it differs between scenarios")
    assert status == MET_AT_BASE_YEAR
    assert "制造业高质量发展若干意见 (二)" in reason and "clusters.csv" in reason
    all_guishang, industrial = _base_year_clusters("baseline"), _base_year_clusters("industrial_scope")
    assert f"holds {all_guishang:.0f} clusters" in reason and f"and {industrial:.0f} in the industrial scope" in reason
    for variant in ("2023", "2022_jul"):
        row = targets[(targets["metric"] == "clusters_qianyi") & (targets["variant"].astype(str) == variant)].iloc[0]
        assert min(all_guishang, industrial) >= row["value"], "met at base year must be true of the base year"
