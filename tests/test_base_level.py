"""scenarios/data/base_level.csv: the public figures behind the 2021 base level and the derivation from them."""

from pathlib import Path

import pandas as pd
import pytest

DATA = Path(__file__).parents[1] / "scenarios" / "data"
USES = {"derivation", "check", "back_check", "context"}


@pytest.fixture(scope="module")
def base():
    return pd.read_csv(DATA / "base_level.csv", encoding="utf-8").set_index("figure")


def test_every_figure_has_a_source_a_confidence_and_a_use(base):
    assert base.index.is_unique
    assert set(base["use"]) <= USES
    assert set(base["confidence"]) <= {"O", "M", "I"}
    cited = base["source"].str.contains(r"https?://|DATA-SOURCES|derived:|assumed:", regex=True)
    assert cited.all(), list(base.index[~cited])
    web = base["source"].str.contains("http")
    assert (base.loc[web, "source"].str.match(r"^[^,]+ \(") | base.loc[web, "source"].str.contains(
        "DATA-SOURCES")).all(), "a web page must be cited by its title first"
    derived = base["source"].str.startswith("derived:")
    assert (base.loc[derived, "confidence"] == "I").all(), "a derived figure is an inference"


def test_ranges_are_ordered(base):
    both = base["low"].notna() & base["high"].notna()
    assert (base.loc[both, "low"] <= base.loc[both, "value"]).all()
    assert (base.loc[both, "value"] <= base.loc[both, "high"]).all()


def test_nothing_dated_after_2021_enters_the_derivation(base):
    later = base[base["year"] > 2021]
    assert (later["use"] == "back_check").all(), list(later.index)
    assert not later.empty, "the back-check figures are kept"


def test_the_derivation_reproduces_the_services_base_and_the_scope_range(base):
    v = base["value"]
    assert v["city_services_revenue_h1_2021"] == pytest.approx(
        v["city_services_profit_h1_2021"] / v["city_services_margin_h1_2021"], rel=0.001)
    share = base.loc["zones_services_share_of_city_2021"]
    city = base.loc["city_services_revenue_2021"]
    zones = base.loc["zones_services_revenue_2021"]
    assert zones["value"] == pytest.approx(city["value"] * share["value"], rel=0.005)
    assert zones["low"] == pytest.approx(city["low"] * share["low"], rel=0.005)
    assert zones["high"] == pytest.approx(city["high"] * share["high"], rel=0.005)
    sectors = pd.read_csv(DATA / "sectors.csv").set_index("sector")["kind"]
    cells = pd.read_csv(DATA / "park_sectors.csv")
    services = cells.loc[cells["sector"].map(sectors) == "services", "output_2021_yi"].sum()
    assert zones["value"] == pytest.approx(services, rel=0.001)
    scope = pd.read_csv(DATA / "scope.csv").set_index("scope")
    total = base.loc["zones_all_guishang_2021"]
    assert total["value"] == pytest.approx(scope.at["all_guishang", "total_2021_yi"], rel=0.001)
    industrial = scope.loc["industrial"]
    assert total["low"] <= industrial["total_2021_low"] + zones["low"]
    assert total["high"] >= industrial["total_2021_high"] + zones["high"]
    assert (scope.at["all_guishang", "total_2021_low"], scope.at["all_guishang", "total_2021_high"]) == (
        total["low"], total["high"])
