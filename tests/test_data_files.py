"""Integrity checks of the baseline-world data files in scenarios/data/.

Each test states one property of the files (or one sourced fact they must reproduce) and fails when it breaks.
"""

import re
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

POLICY_TEXTS = "|".join(("2022年7月征求意见稿", "杭政函〔2023〕13号", "2022年5月公开征求意见稿", "嘉兴万亩千亿实施意见",
                         "制造业高质量发展若干意见"))
"""The short names of the five policy texts (docs/policy_texts.md) a source may cite."""

DATA = Path(__file__).parents[1] / "scenarios" / "data"

FILES = {
    "sectors.csv": "sector",
    "parks.csv": "park",
    "park_sectors.csv": None,
    "scope.csv": "scope",
    "targets.csv": "target",
    "history.csv": None,
    "concentration.csv": "fact",
    "clusters.csv": "sector",
}
CITY_INDUSTRIAL_LAND_MU = 450_000  # 制造业高质量发展若干意见 (十七): 全市工业用地总规模保持在300平方公里
ZONE_LAND_TARGET = 0.70  # 杭政函〔2023〕13号 (十)
METRICS = {
    "total_output_yi",
    "leading_share",
    "clusters_qianyi",
    "clusters_wanyi",
    "strategic_platforms",
    "rd_to_gdp",
    "tax_per_mu_wan",
    "fai_growth",
    "zone_land_share",
    "max_low_efficiency_share",
    "projects_over_10yi",
    "guishang_industrial_firms",
}
GROUPS = {
    "smart_iot",
    "biomedicine",
    "high_end_equipment",
    "new_materials",
    "green_energy",
    "frontier",
    "nev",
    "traditional",
    "digital_services",
    "other_services",
}
SERVICE_GROUPS = {"digital_services", "other_services"}
ID_RE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
BOOL_TEXT = {"true", "false"}


@cache
def load(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / name, encoding="utf-8")


@cache
def load_text(name: str) -> pd.DataFrame:
    """The file with every cell as text (empty cells as "")."""
    return pd.read_csv(DATA / name, encoding="utf-8", dtype=str, keep_default_na=False)


def sectors() -> pd.DataFrame:
    return load("sectors.csv").set_index("sector")


def parks() -> pd.DataFrame:
    return load("parks.csv").set_index("park")


def cells() -> pd.DataFrame:
    """park_sectors.csv joined with the sector attributes."""
    ps = load("park_sectors.csv")
    return ps.merge(load("sectors.csv"), on="sector", how="left", suffixes=("", "_sector"), validate="m:1")


def industrial_cells() -> pd.DataFrame:
    c = cells()
    return c[c["kind"] == "industrial"]


def weighted(column: str) -> float:
    """Zones' 2021 industrial output-weighted mean of a sector column."""
    c = industrial_cells()
    return float((c["output_2021_yi"] * c[column]).sum() / c["output_2021_yi"].sum())


def leading_share(frame: pd.DataFrame) -> float:
    """Output-weighted share of each park's leading_1/leading_2 sectors in the given cells."""
    p = load_text("parks.csv").set_index("park")
    lead = frame.apply(
        lambda r: r["sector"] in {p.at[r["park"], "leading_1"], p.at[r["park"], "leading_2"]} - {""}, axis=1
    )
    return float(frame.loc[lead, "output_2021_yi"].sum() / frame["output_2021_yi"].sum())


# ---- files and ids


@pytest.mark.parametrize("name", sorted(FILES))
def test_file_loads_with_rows_and_a_source_column(name):
    df = load(name)
    assert len(df) > 0, f"{name} has no rows"
    assert "source" in df.columns, f"{name} has no source column"
    assert df.columns.is_unique, f"{name} has duplicate column names"


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_row_has_a_source_that_cites_or_says_assumed(name):
    src = load_text(name)["source"].str.strip()
    empty = src[src == ""]
    assert empty.empty, f"{name}: rows {list(empty.index)} have an empty source"
    marked = src.str.contains("DATA-SOURCES|assumed:|" + POLICY_TEXTS, regex=True)
    assert marked.all(), f"{name}: rows {list(src[~marked].index)} neither cite nor say assumed:"


@pytest.mark.parametrize("name", sorted(n for n, key in FILES.items() if key))
def test_ids_are_unique_snake_case_ascii(name):
    ids = load_text(name)[FILES[name]]
    assert ids.is_unique, f"{name}: duplicate ids {sorted(ids[ids.duplicated()])}"
    bad = [i for i in ids if not ID_RE.match(i)]
    assert not bad, f"{name}: ids not lowercase snake_case ASCII: {bad}"


@pytest.mark.parametrize("name", [*sorted(FILES), "README.md"])
def test_no_machine_paths_in_files(name):
    text = (DATA / name).read_text(encoding="utf-8")
    for needle in ("/work/", "/tmp/", "/home/", "/root/", "C:\\"):
        assert needle not in text, f"{name} contains a machine path ({needle})"


def test_park_sector_pairs_are_unique_and_positive():
    ps = load("park_sectors.csv")
    dup = ps[ps.duplicated(["park", "sector"], keep=False)]
    assert dup.empty, f"duplicate park x sector rows: {dup[['park', 'sector']].values.tolist()}"
    assert (ps["output_2021_yi"] > 0).all(), "park_sectors.csv lists a zero or negative cell"


def test_park_sector_ids_exist():
    ps = load("park_sectors.csv")
    unknown_parks = set(ps["park"]) - set(load("parks.csv")["park"])
    unknown_sectors = set(ps["sector"]) - set(load("sectors.csv")["sector"])
    assert not unknown_parks, f"unknown parks in park_sectors.csv: {unknown_parks}"
    assert not unknown_sectors, f"unknown sectors in park_sectors.csv: {unknown_sectors}"


def test_every_park_and_sector_has_output():
    ps = load("park_sectors.csv")
    assert set(load("parks.csv")["park"]) <= set(ps["park"]), "a park has no output rows"
    assert set(load("sectors.csv")["sector"]) <= set(ps["sector"]), "a sector has no output rows"


def test_leading_sectors_exist_and_leading_1_is_set():
    p = load_text("parks.csv")
    known = set(load("sectors.csv")["sector"])
    assert (p["leading_1"] != "").all(), "a park has no leading_1"
    for col in ("leading_1", "leading_2"):
        bad = set(p[col]) - known - {""}
        assert not bad, f"parks.csv {col} names unknown sectors: {bad}"
    same = p[(p["leading_1"] == p["leading_2"])]
    assert same.empty, f"leading_1 == leading_2 for {list(same['park'])}"


def test_leading_sectors_are_produced_in_their_park():
    ps = load("park_sectors.csv")
    have = set(zip(ps["park"], ps["sector"], strict=True))
    p = load_text("parks.csv")
    for _, row in p.iterrows():
        for col in ("leading_1", "leading_2"):
            if row[col]:
                assert (row["park"], row[col]) in have, f"{row['park']} leads in {row[col]} but produces none"


# ---- allowed values


def test_sector_categories():
    s = load_text("sectors.csv")
    assert set(s["kind"]) <= {"industrial", "services"}, set(s["kind"])
    assert set(s["group"]) <= GROUPS, set(s["group"]) - GROUPS
    assert set(s["strategic"]) <= BOOL_TEXT, set(s["strategic"])
    services_group = s["group"].isin(SERVICE_GROUPS)
    assert ((s["kind"] == "services") == services_group).all(), "services kind and services groups disagree"
    assert (s["kind"] == "industrial").sum() >= 14 and (s["kind"] == "services").sum() >= 2


def test_park_categories():
    p = load_text("parks.csv")
    assert len(p) == 16, f"expected the 16 zones of 2022年5月公开征求意见稿, found {len(p)}"
    assert set(p["level"]) <= {"national", "provincial"}, set(p["level"])
    for col in ("strategic_platform_candidate", "wanmu_qianyi_platform", "exit_type"):
        assert set(p[col]) <= BOOL_TEXT, f"{col}: {set(p[col])}"
    assert (p["strategic_platform_candidate"] == "true").sum() >= 6, (
        "fewer candidates than the 6-platform target"
    )


def test_recruitment_capacity_averages_one():
    cap = load("parks.csv")["recruitment_capacity"]
    assert (cap > 0).all()
    assert cap.mean() == pytest.approx(1.0, abs=0.05), cap.mean()


def test_history_categories():
    h = load_text("history.csv")
    assert set(h["confidence"]) <= {"O", "M", "I"}, set(h["confidence"])
    allowed = {"city", "zones", "zhejiang", "reference_county"} | set(load("parks.csv")["park"])
    assert set(h["entity"]) <= allowed, set(h["entity"]) - allowed
    assert h["year"].str.fullmatch(r"\d{4}").all()
    assert not h.duplicated(["year", "entity", "metric"]).any(), "duplicate year/entity/metric"
    assert pd.to_numeric(h["value"]).notna().all()


def test_concentration_ids_exist():
    c = load_text("concentration.csv")
    assert set(c["entity"]) <= {"city"} | set(load("parks.csv")["park"])
    assert set(c["sector"]) <= set(load("sectors.csv")["sector"]) | {""}


# ---- numbers


def test_numeric_columns_are_finite_and_sensible():
    s = sectors()
    positive = [
        "volatility",
        "value_added_rate",
        "tax_ratio",
        "output_per_mu_wan",
        "electricity_kwh_per_wan",
        "energy_tce_per_wan",
        "emission_index",
        "rd_intensity",
        "labour_productivity_wan",
    ]
    for col in positive:
        assert (s[col] > 0).all(), f"sectors.{col} must be > 0"
    assert s["trend_growth"].between(-0.2, 0.5).all()
    assert s["volatility"].between(0.05, 0.5).all()


def test_energy_includes_electricity():
    s = sectors()
    floor = s["electricity_kwh_per_wan"] * 1.229e-4  # tce per kWh, equivalent value
    bad = s[s["energy_tce_per_wan"] < floor * 0.95]
    assert bad.empty, f"energy below its electricity content: {list(bad.index)}"


SHARE_COLUMNS = {
    "sectors.csv": ["value_added_rate", "tax_ratio", "rd_intensity", "volatility"],
    "parks.csv": ["reported_leading_share"],
    "concentration.csv": ["share_of_output"],
}


@pytest.mark.parametrize(("name", "column"), [(n, c) for n, cols in SHARE_COLUMNS.items() for c in cols])
def test_shares_are_in_unit_interval(name, column):
    values = load(name)[column].dropna()
    assert values.between(0, 1).all(), (
        f"{name}.{column} outside [0,1]: {values[~values.between(0, 1)].tolist()}"
    )


def test_share_metrics_in_history_and_targets_are_in_unit_interval():
    for name in ("history.csv", "targets.csv"):
        df = load(name)
        shares = df[df["unit"] == "share"]
        assert not shares.empty
        cols = [c for c in ("value", "low", "high") if c in df.columns]
        vals = shares[cols].stack().dropna()
        assert vals.between(0, 1).all(), f"{name}: share outside [0,1]"


RANGES = [
    ("sectors.csv", "trend_growth", "trend_growth_low", "trend_growth_high"),
    ("parks.csv", "industrial_land_mu", "industrial_land_mu_low", "industrial_land_mu_high"),
    ("scope.csv", "total_2021_yi", "total_2021_low", "total_2021_high"),
    ("history.csv", "value", "low", "high"),
]


@pytest.mark.parametrize(("name", "value", "low", "high"), RANGES)
def test_low_value_high_are_ordered(name, value, low, high):
    df = load(name)
    v, lo, hi = df[value], df[low], df[high]
    both = lo.notna() & v.notna()
    assert (lo[both] <= v[both]).all(), f"{name}: {low} > {value} in rows {list(df.index[both & (lo > v)])}"
    both = hi.notna() & v.notna()
    assert (v[both] <= hi[both]).all(), f"{name}: {value} > {high} in rows {list(df.index[both & (v > hi)])}"


def test_uncertain_headline_values_have_ranges():
    assert load("sectors.csv")[["trend_growth_low", "trend_growth_high"]].notna().all().all()
    assert load("parks.csv")[["industrial_land_mu_low", "industrial_land_mu_high"]].notna().all().all()
    scope = load("scope.csv")
    assert scope[["total_2021_low", "total_2021_high"]].notna().all().all()
    assert (scope["total_2021_low"] < scope["total_2021_high"]).all(), "a scope range has no width"


# ---- land


def test_land_stocks_add_up_exactly_and_are_non_negative():
    p = parks()
    cols = ["industrial_land_mu", "occupied_land_mu", "low_efficiency_land_mu", "vacant_land_mu"]
    assert (p[cols] >= 0).all().all(), "negative land"
    assert (p[cols] == p[cols].round()).all().all(), "land is not whole 亩"
    parts = p["occupied_land_mu"] + p["low_efficiency_land_mu"] + p["vacant_land_mu"]
    bad = p.index[parts != p["industrial_land_mu"]]
    assert bad.empty, f"occupied + low-efficiency + vacant != industrial land for {list(bad)}"


def test_zone_land_is_below_city_stock_and_below_target_share():
    total = parks()["industrial_land_mu"].sum()
    assert total < CITY_INDUSTRIAL_LAND_MU, total
    share = total / CITY_INDUSTRIAL_LAND_MU
    assert share < ZONE_LAND_TARGET, (
        f"zones already hold {share:.2f} of industrial land (target 0.70 not binding)"
    )
    assert share >= 0.5, f"zones hold only {share:.2f} of industrial land"


def test_vacant_land_is_small_and_low_efficiency_near_the_cap():
    p = parks()
    assert (p["vacant_land_mu"] / p["industrial_land_mu"] <= 0.10).all(), "vacant land should be a few %"
    low = p["low_efficiency_land_mu"] / p["industrial_land_mu"]
    assert (low <= 0.40).all(), "a zone far above the 30% low-efficiency cap"


def test_park_land_productivity_multiplier_is_plausible():
    c = industrial_cells()
    implied = (c["output_2021_yi"] * 1e4 / c["output_per_mu_wan"]).groupby(c["park"]).sum()
    mult = implied / parks()["occupied_land_mu"]
    assert mult.between(0.5, 2.0).all(), mult[~mult.between(0.5, 2.0)].to_dict()


# ---- totals and scope


def test_scope_rows_and_totals_match_park_sectors():
    scope = load("scope.csv").set_index("scope")
    assert set(scope.index) == {"industrial", "all_guishang"}
    ind = industrial_cells()["output_2021_yi"].sum()
    total = load("park_sectors.csv")["output_2021_yi"].sum()
    assert scope.at["industrial", "total_2021_yi"] == pytest.approx(ind, rel=0.005)
    assert scope.at["all_guishang", "total_2021_yi"] == pytest.approx(total, rel=0.005)
    assert total > ind, "the all_guishang scope must add services"


def test_zones_share_of_city_industrial_output():
    h = load("history.csv")
    city = h[(h["entity"] == "city") & (h["metric"] == "guishang_industrial_output_yi") & (h["year"] == 2021)]
    assert len(city) == 1
    share = industrial_cells()["output_2021_yi"].sum() / city["value"].iloc[0]
    assert 0.60 < share < 0.70, f"zones hold {share:.3f} of city 规上工业总产值 (DATA-SOURCES: >60%)"


def test_all_guishang_total_in_the_chosen_band():
    total = load("park_sectors.csv")["output_2021_yi"].sum()
    assert 18_000 <= total <= 24_000, total
    assert total < 30_000, "the 2021 total must be below the 3万亿 target"


def test_sourced_park_anchors():
    c = industrial_cells()
    by_park = c.groupby("park")["output_2021_yi"].sum()
    assert by_park["yuhang_etdz"] == pytest.approx(1060, rel=0.01)  # DATA-SOURCES ≈1060亿 2021
    assert by_park["hangzhou_etdz"] > 3000  # DATA-SOURCES >3000亿 2021
    assert by_park.idxmax() == "hangzhou_etdz"  # "first in the city"
    growth = by_park["zijingang_sci_city"] / 213.6  # DATA-SOURCES 213.6亿 in 2019
    assert 1.05 < growth < 1.35, growth
    bio = c[(c["park"] == "hangzhou_etdz") & (c["sector"] == "biomedicine")]["output_2021_yi"]
    assert bio.iloc[0] == pytest.approx(473.26)  # DATA-SOURCES 钱塘 生命健康 2021


def test_multi_industry_reported_shares_are_reproduced():
    c = industrial_cells()

    def share(park, sectors_):
        sub = c[c["park"] == park]
        return sub[sub["sector"].isin(sectors_)]["output_2021_yi"].sum() / sub["output_2021_yi"].sum()

    yuhang = share("yuhang_etdz", ["high_end_equipment", "biomedicine", "home_textiles_fashion"])
    assert yuhang >= 0.90, yuhang  # DATA-SOURCES 高端装备+生物医药+家纺时尚 >90%
    chexinhua = ["nev_auto", "biomedicine", "integrated_circuits", "chemicals", "new_materials", "aerospace"]
    etdz = share("hangzhou_etdz", chexinhua)
    assert etdz == pytest.approx(0.84, abs=0.03), etdz  # DATA-SOURCES 车药芯化航 ≈84%


def test_two_sector_leading_share_does_not_exceed_reported_share():
    c = industrial_cells()
    p = parks()
    for park, reported in p["reported_leading_share"].dropna().items():
        two = leading_share(c[c["park"] == park])
        assert two <= reported + 1e-9, f"{park}: leading_1+leading_2 share {two:.2f} > reported {reported}"


def test_citywide_leading_share_is_well_below_target():
    ind = leading_share(industrial_cells())
    everything = leading_share(cells())
    assert 0.35 <= ind <= 0.55, ind
    assert 0.35 <= everything <= 0.55, everything


def test_zone_sector_totals_respect_city_sector_figures():
    h = load("history.csv").set_index(["year", "entity", "metric"])["value"]
    ic = cells().query("sector == 'integrated_circuits'")["output_2021_yi"].sum()
    city_ic_2020 = h[(2020, "city", "ic_output_yi")]
    growth = 1 + h[(2020, "city", "ic_growth")]
    assert ic <= city_ic_2020 * growth * 1.15, f"zones' IC {ic} exceeds the city's IC industry"


# ---- sector calibration


def test_weighted_value_added_rate_matches_city_derivation():
    assert 0.22 <= weighted("value_added_rate") <= 0.25


def test_emission_index_is_relative_to_the_mean():
    assert weighted("emission_index") == pytest.approx(1.0, abs=0.05)


def test_tax_per_mu_is_below_the_target():
    c = industrial_cells()
    tax_wan = (c["output_2021_yi"] * c["tax_ratio"]).sum() * 1e4
    per_mu = tax_wan / parks()["occupied_land_mu"].sum()
    assert 25 <= per_mu <= 35, f"zones' 亩均税收 {per_mu:.1f}万元/亩 (target 40, Zhejiang 2017 25.5)"


def test_rd_relative_to_zone_gdp_is_near_the_target():
    c = cells()
    rd = (c["output_2021_yi"] * c["rd_intensity"]).sum()
    h = load("history.csv").set_index(["year", "entity", "metric"])["value"]
    gdp = h[(2021, "city", "gdp_yi")] * h[(2021, "zones", "share_of_gdp")]
    assert 0.03 <= rd / gdp <= 0.05, rd / gdp


def test_services_are_denser_per_mu_than_industry():
    s = sectors()
    assert (
        s.loc[s["kind"] == "services", "output_per_mu_wan"].min()
        > s.loc[s["kind"] == "industrial", "output_per_mu_wan"].max()
    )


# ---- targets


def test_targets_metrics_comparisons_and_variants():
    t = load_text("targets.csv")
    assert set(t["metric"]) <= METRICS, set(t["metric"]) - METRICS
    assert set(t["comparison"]) <= {">=", "<="}, set(t["comparison"])
    assert set(t["variant"]) <= {"2023", "2022_jul", "2022_may"}, set(t["variant"])
    assert t["source"].str.contains(POLICY_TEXTS).all(), "every target cites a clause of its policy text"
    assert not t.duplicated(["metric", "variant"]).any(), "two targets for one metric and variant"
    assert pd.to_numeric(t["value"]).notna().all()
    assert t["year"].str.fullmatch(r"20\d\d").all()


def test_every_metric_has_a_default_target():
    t = load("targets.csv")
    default = t[t["variant"].astype(str).isin(["2023", "2022_jul"])]
    assert set(default["metric"]) == METRICS, METRICS - set(default["metric"])


def test_headline_target_values():
    t = (
        load("targets.csv")
        .assign(variant=lambda d: d["variant"].astype(str))
        .set_index(["metric", "variant"])
    )
    assert t.at[("total_output_yi", "2023"), "value"] == 30000
    assert t.at[("leading_share", "2023"), "value"] == pytest.approx(0.60)
    assert t.at[("clusters_qianyi", "2023"), "value"] == 3
    assert t.at[("clusters_qianyi", "2022_jul"), "value"] == 4
    assert t.at[("clusters_wanyi", "2023"), "value"] == 2
    assert t.at[("max_low_efficiency_share", "2022_jul"), "comparison"] == "<="
    assert t.at[("max_low_efficiency_share", "2022_jul"), "value"] == pytest.approx(0.30)


# ---- concentration


def test_concentration_facts_are_internally_consistent():
    c = load("concentration.csv")
    assert (c["firm_count"] > 0).all()
    known = c.dropna(subset=["total_yi", "threshold_yi"])
    floor = known["firm_count"] * known["threshold_yi"]
    assert (floor <= known["total_yi"]).all(), "more output above the threshold than in total"
    held = c.dropna(subset=["total_yi", "threshold_yi", "share_of_output"])
    assert (held["share_of_output"] * held["total_yi"] >= held["firm_count"] * held["threshold_yi"]).all()
    top = c.dropna(subset=["top_n"])
    assert (top["firm_count"] <= top["top_n"]).all()


def test_required_concentration_facts_match_park_outputs():
    c = load("concentration.csv").set_index("fact")
    ind = industrial_cells()
    yuhang = ind[ind["park"] == "yuhang_etdz"]["output_2021_yi"].sum()
    assert c.at["yuhang_2021_firms_ge_1yi", "total_yi"] == pytest.approx(yuhang, rel=0.005)
    assert c.at["yuhang_2021_firms_ge_1yi", "firm_count"] == 113
    assert c.at["yuhang_2021_top15", "top_n"] == 15
    bio = ind[(ind["park"] == "hangzhou_etdz") & (ind["sector"] == "biomedicine")]["output_2021_yi"].sum()
    counts = {
        "qiantang_lifehealth_2021_guishang": 83,
        "qiantang_lifehealth_2021_ge_1yi": 54,
        "qiantang_lifehealth_2021_ge_5yi": 21,
        "qiantang_lifehealth_2021_ge_10yi": 11,
    }
    for fact, n in counts.items():
        assert c.at[fact, "firm_count"] == n, fact
        assert c.at[fact, "total_yi"] == pytest.approx(bio, rel=0.005), fact
