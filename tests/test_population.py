"""Synthetic firm population: cell totals, reproducibility, concentration facts, land, and draw_sizes itself."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from model_fixtures import (
    CONCENTRATION_TOLERANCES,
    concentration_facts,
    concentration_misses,
    land_balance_gap,
    scenario_with,
    write_tiny_world,
    yearly,
)
from pandas.testing import assert_frame_equal

from parkabm.agents.firms import FIELDS, GUISHANG_THRESHOLD_YI
from parkabm.agents.population import (
    BASE_POPULATIONS,
    MILESTONES_YI,
    SMALL_FIRM_FLOOR_YI,
    BasePopulations,
    draw_sizes,
    generate_firms,
)
from parkabm.model.city import ParkModel
from parkabm.scenarios.parameters import defaults
from parkabm.scenarios.world import load_world


def built(scenario, seed, **parameters):
    return ParkModel(scenario, parameters={**defaults(), **parameters}, rng=seed)


def guishang_output_by_cell(model) -> pd.Series:
    """Output of 规上 firms by (park id, sector id), from the firm arrays."""
    f = model.firms
    keep = f.output_yi >= f.guishang_threshold_yi
    frame = pd.DataFrame({
        "park": np.asarray(model.park_ids)[f.park[keep]],
        "sector": np.asarray(model.sector_ids)[f.sector[keep]],
        "output": f.output_yi[keep],
    })
    return frame.groupby(["park", "sector"])["output"].sum()


def data_output_by_cell(world, scope, multiplier) -> pd.Series:
    """2021 output by (park id, sector id) from park_sectors.csv, in the scope, times the output multiplier."""
    cells = world.park_sectors[world.park_sectors["sector"].isin(world.sector_ids(scope))]
    return cells.set_index(["park", "sector"])["output_2021_yi"] * multiplier


# --- cell totals --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("scale", "multiplier", "scope"), [
    (0.25, 1.0, "all_guishang"), (1.0, 1.0, "all_guishang"), (0.3, 0.9, "industrial"), (1.0, 1.12, "industrial"),
])
def test_guishang_output_of_every_park_sector_cell_matches_the_data_within_one_percent(scale, multiplier, scope):
    model = built(scenario_with({"world.scope": scope}, scale=scale), seed=11, base_output_multiplier=multiplier)
    expected = data_output_by_cell(load_world(), scope, multiplier)
    got = guishang_output_by_cell(model).reindex(expected.index, fill_value=0.0)
    rel = (got / expected - 1).abs()
    assert rel.max() < 0.01, rel.sort_values().tail()
    # No firm sits in a cell the data do not have.
    assert set(guishang_output_by_cell(model).index) <= set(expected.index)


def test_guishang_threshold_of_the_population_is_the_statistical_threshold_divided_by_the_scale():
    model = built(scenario_with(scale=0.25), seed=1)
    assert model.firms.guishang_threshold_yi == pytest.approx(GUISHANG_THRESHOLD_YI / 0.25)


def test_population_contains_guixia_firms_below_the_threshold_that_do_not_count_as_guishang():
    f = built(scenario_with(scale=0.5), seed=2).firms
    small = f.output_yi < f.guishang_threshold_yi
    assert small.sum() > 0
    assert not f.guishang[small].any()
    assert (f.output_yi[small] >= SMALL_FIRM_FLOOR_YI / 0.5 * (1 - 1e-9)).all()


# --- reproducibility ----------------------------------------------------------------------------------------------

def test_same_seed_gives_identical_firms(monkeypatch):
    monkeypatch.setattr(BASE_POPULATIONS, "max_bytes", 0)  # both drawn, not the second taken from the first
    scenario = scenario_with()
    a = built(scenario, seed=2024).firms.to_frame()
    b = built(scenario, seed=2024).firms.to_frame()
    assert_frame_equal(a, b)


def test_different_seed_gives_different_firms_with_the_same_cell_totals():
    scenario = scenario_with()
    ma, mb = built(scenario, seed=1), built(scenario, seed=2)
    a, b = ma.firms.to_frame(), mb.firms.to_frame()
    assert len(a) != len(b) or not np.allclose(a["output_yi"], b["output_yi"])
    ta, tb = guishang_output_by_cell(ma), guishang_output_by_cell(mb)
    pd.testing.assert_series_equal(ta, tb.reindex(ta.index), rtol=1e-9)


# --- concentration facts (scenarios/data/concentration.csv) ---------------------------------------------------

CONCENTRATION_SEEDS = range(5)


def test_concentration_facts_hold_on_average_over_five_seeds_at_full_scale():
    scenario = scenario_with(scale=1.0)
    rows = []
    for seed in CONCENTRATION_SEEDS:
        model = built(scenario, seed)
        f = model.firms
        rows.append(concentration_facts(f.park, f.sector, f.industrial, f.output_yi, model.park_ids,
                                        model.sector_ids))
    means = pd.DataFrame(rows).mean().to_dict()
    assert concentration_misses(means) == {}, means


def test_concentration_data_agree_with_the_tolerances_checked():
    facts = load_world().concentration.set_index("fact")
    assert facts.loc["yuhang_2021_firms_ge_1yi", "firm_count"] == CONCENTRATION_TOLERANCES["yuhang_ge_1yi"][0]
    assert facts.loc["yuhang_2021_top15", "share_of_output"] == CONCENTRATION_TOLERANCES["yuhang_top15_share"][0]
    for fact, name in [("qiantang_lifehealth_2021_guishang", "qiantang_biomed_guishang"),
                       ("qiantang_lifehealth_2021_ge_1yi", "qiantang_biomed_ge_1yi"),
                       ("qiantang_lifehealth_2021_ge_5yi", "qiantang_biomed_ge_5yi"),
                       ("qiantang_lifehealth_2021_ge_10yi", "qiantang_biomed_ge_10yi")]:
        assert facts.loc[fact, "firm_count"] == CONCENTRATION_TOLERANCES[name][0]


@pytest.mark.parametrize("median", [0.3, 1.0, 2.0, 3.0, 5.0])
def test_concentration_check_rejects_a_lognormal_size_distribution_with_sigma_1_2(median):
    """The tolerances have teeth: a thinner tail fails them whatever its median."""
    world = load_world()
    sector_ids = world.sector_ids("all_guishang")
    park_ids = list(world.parks.index)
    cells = world.park_sectors[world.park_sectors["park"].isin(["yuhang_etdz", "hangzhou_etdz"])]
    park = cells["park"].map(park_ids.index).to_numpy()
    sector = cells["sector"].map(sector_ids.index).to_numpy()
    industrial = (world.sectors.loc[cells["sector"], "kind"] == "industrial").to_numpy()
    rows = []
    for seed in CONCENTRATION_SEEDS:
        cell, size = draw_sizes(cells["output_2021_yi"].to_numpy(), np.random.default_rng(seed),
                                median=median, sigma=1.2)
        rows.append(concentration_facts(park[cell], sector[cell], industrial[cell], size, park_ids, sector_ids))
    assert concentration_misses(pd.DataFrame(rows).mean().to_dict()) != {}


# --- land ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("scope", ["all_guishang", "industrial"])
def test_industrial_firms_land_sums_to_each_parks_occupied_land(scope):
    model = built(scenario_with({"world.scope": scope}, scale=0.3), seed=5)
    f = model.firms
    held = np.bincount(f.park[f.industrial], weights=f.land_mu[f.industrial], minlength=model.n_parks)
    occupied = load_world().parks.loc[model.park_ids, "occupied_land_mu"].to_numpy(dtype=float)
    np.testing.assert_allclose(held, occupied, rtol=1e-9)
    assert (f.land_mu[f.industrial] > 0).all()


def test_service_firms_hold_no_land_and_no_floor():
    f = built(scenario_with(scale=0.3), seed=5).firms
    services = ~f.industrial
    assert services.sum() > 0
    assert (f.land_mu[services] == 0).all() and (f.floor_mu[services] == 0).all()


def test_base_year_land_balance_holds_in_every_park():
    model = built(scenario_with(scale=0.3), seed=8)
    assert np.abs(land_balance_gap(model)).max() < 1e-9


def test_park_with_only_service_firms_keeps_its_occupied_land_as_idle_land(tmp_path):
    parks = pd.DataFrame({
        "park": ["factory_zone", "office_zone"], "name_zh": ["工厂区", "办公区"],
        "name_en": ["Factory zone", "Office zone"],
        "industrial_land_mu": [1000.0, 500.0], "occupied_land_mu": [700.0, 300.0],
        "low_efficiency_land_mu": [200.0, 150.0], "vacant_land_mu": [100.0, 50.0],
        "leading_1": ["biomedicine", "software_information"], "leading_2": ["", ""],
        "recruitment_capacity": [1.0, 1.0], "strategic_platform_candidate": [False, False],
    })
    folder = write_tiny_world(
        tmp_path / "world", parks=parks, sectors=["biomedicine", "chemicals", "software_information"],
        park_sectors=[("factory_zone", "biomedicine", 120.0), ("factory_zone", "chemicals", 60.0),
                      ("office_zone", "software_information", 80.0)])
    world = load_world(folder)
    scenario = scenario_with({"levers.land.redevelopment_lag_years": 0}, scale=1.0)
    model = ParkModel(scenario, parameters=defaults(), rng=3, world=world)
    f = model.firms
    office = model.park_ids.index("office_zone")
    assert (f.park == office).any() and not f.industrial[f.park == office].any()
    assert model.park_state.idle_mu[office] == pytest.approx(150.0 + 300.0)
    assert np.abs(land_balance_gap(model)).max() < 1e-9


def test_initial_firms_start_with_the_milestone_level_their_output_has_reached():
    f = built(scenario_with(scale=1.0), seed=4).firms
    np.testing.assert_array_equal(f.reward_level, np.searchsorted(MILESTONES_YI, f.output_yi, side="right"))
    assert f.reward_level.max() >= 1  # some base-year firm is already past 50亿 and is not paid for it again


# --- draw_sizes on hand-made totals ---------------------------------------------------------------------------

def test_draw_sizes_splits_hand_made_totals_exactly():
    totals = np.array([100.0, 2.5, 0.0, 1000.0])
    cell, size = draw_sizes(totals, np.random.default_rng(0), small_floor=None)
    sums = np.bincount(cell, weights=size, minlength=len(totals))
    np.testing.assert_allclose(sums, totals, rtol=1e-12)
    assert (size >= GUISHANG_THRESHOLD_YI * (1 - 1e-12)).all()
    assert not (cell == 2).any()


def test_draw_sizes_gives_a_cell_smaller_than_the_floor_one_firm_of_its_size():
    cell, size = draw_sizes(np.array([0.05]), np.random.default_rng(0), small_floor=None)
    assert cell.tolist() == [0] and size.tolist() == [0.05]


@settings(max_examples=40, deadline=None)
@given(
    totals=st.lists(st.floats(0.0, 3000.0), min_size=1, max_size=6),
    scale=st.sampled_from([0.2, 0.5, 1.0, 2.0]),
    seed=st.integers(0, 2**32 - 1),
)
def test_draw_sizes_meets_totals_above_the_floor_and_keeps_guixia_firms_below_it(totals, scale, seed):
    floor = GUISHANG_THRESHOLD_YI / scale
    totals = np.array([t if t >= floor else 0.0 for t in totals])
    cell, size = draw_sizes(totals, np.random.default_rng(seed), scale=scale)
    guishang = size >= floor
    sums = np.bincount(cell[guishang], weights=size[guishang], minlength=len(totals))
    np.testing.assert_allclose(sums, totals, rtol=1e-9)
    assert (np.bincount(cell[guishang], minlength=len(totals))[totals > 0] >= 1).all()
    guixia = size[~guishang]
    assert (guixia >= SMALL_FIRM_FLOOR_YI / scale * (1 - 1e-9)).all() and (guixia < floor).all()
    assert not np.isin(cell, np.flatnonzero(totals == 0)).any()


@pytest.mark.parametrize("scale", [0.5, 2.0, 4.0])
def test_draw_sizes_multiplies_firm_counts_by_the_scale(scale):
    totals = np.array([5000.0, 20000.0])
    one = np.bincount(draw_sizes(totals, np.random.default_rng(1), small_floor=None)[0])
    scaled = np.bincount(draw_sizes(totals, np.random.default_rng(1), scale=scale, small_floor=None)[0])
    np.testing.assert_allclose(scaled / one, scale, rtol=0.02)


def test_draw_sizes_is_heavy_tailed_a_few_firms_hold_most_output():
    _, size = draw_sizes(np.array([1000.0]), np.random.default_rng(3), small_floor=None)
    top = np.sort(size)[::-1]
    assert top[: max(1, len(top) // 10)].sum() / top.sum() > 0.5


def test_firm_attributes_average_to_their_sector_values():
    from parkabm.agents.population import draw_firm_attributes

    sectors = {"value_added_rate": np.array([0.25]), "tax_ratio": np.array([0.05]),
               "electricity_kwh_per_wan": np.array([400.0]), "emission_index": np.array([1.0]),
               "rd_intensity": np.array([0.02]), "labour_productivity_wan": np.array([150.0])}
    attrs = draw_firm_attributes(np.zeros(400_000, dtype=np.int64), sectors, np.random.default_rng(0))
    assert attrs["land_productivity"].mean() == pytest.approx(1.0, rel=0.01)
    for name, column in (("tax_ratio", "tax_ratio"), ("rd_intensity", "rd_intensity"),
                         ("electricity", "electricity_kwh_per_wan"), ("emission", "emission_index"),
                         ("labour_productivity", "labour_productivity_wan"), ("value_added_rate", "value_added_rate")):
        assert attrs[name].mean() == pytest.approx(sectors[column][0], rel=0.01), name


def test_entrant_sizes_stay_within_their_bounds_and_scale():
    from parkabm.agents.population import draw_entrant_sizes

    sizes = draw_entrant_sizes(50_000, np.random.default_rng(1), scale=0.5, size_ratio=0.5, max_size=10.0)
    assert sizes.min() >= SMALL_FIRM_FLOOR_YI / 0.5 and sizes.max() <= 10.0 / 0.5
    assert np.median(sizes) * 0.5 < 0.3  # entrants are smaller than the population's median firm


def test_base_year_rd_over_gdp_does_not_depend_on_the_size_of_the_base():
    # A GDP fixed while R&D scales with the base would make the 1.2 share 1.5 times the 0.8 share. One population
    # at scale 0.5 varies by ±14% between seeds (a few large firms carry the R&D): the means of eight seeds compared.
    shares = [np.mean([built(scenario_with({}, scale=0.5), seed, base_output_multiplier=m)
                       .yearly_frame()["rd_to_gdp"].iloc[0] for seed in range(8)])
              for m in (0.8, 1.2)]
    assert shares[1] == pytest.approx(shares[0], rel=0.05), shares
    assert 0.03 < shares[0] < 0.045


# --- base-year populations kept for reuse (BasePopulations) -------------------------------------------------------

def population_inputs(scenario=None) -> dict:
    """The inputs a model passes to generate_firms, but the generator."""
    model = built(scenario or scenario_with(), seed=1)
    return {"cell_park": model.cell_park, "cell_sector": model.cell_sector, "cell_output": model.cell_output,
            "sectors": model.sector_table, "park_occupied_mu": model.tables.park_land["occupied_land_mu"],
            "utilisation": 0.8, "base_year": model.base_year, "scale": model.scale}


def same_firms(a, b) -> bool:
    return a.n == b.n and all(np.array_equal(getattr(a, name), getattr(b, name)) for name in FIELDS)


def test_a_population_drawn_again_is_kept_and_then_taken_with_every_later_draw_the_same():
    inputs, kept = population_inputs(), BasePopulations()
    first = generate_firms(**inputs, rng=np.random.default_rng(7), reuse=kept)
    assert len(kept) == 0  # drawn once: only its key is noted
    second = generate_firms(**inputs, rng=np.random.default_rng(7), reuse=kept)
    assert len(kept) == 1 and kept.hits == 0
    fresh_rng, kept_rng = np.random.default_rng(7), np.random.default_rng(7)
    fresh = generate_firms(**inputs, rng=fresh_rng)
    again = generate_firms(**inputs, rng=kept_rng, reuse=kept)
    assert (kept.misses, kept.hits) == (2, 1)
    assert same_firms(first, fresh) and same_firms(second, fresh) and same_firms(again, fresh)
    assert kept_rng.bit_generator.state == fresh_rng.bit_generator.state  # moved past the draw, as drawing does
    assert np.array_equal(kept_rng.random(5), fresh_rng.random(5))


@pytest.mark.parametrize("change", [
    {"utilisation": 0.7}, {"scale": 0.2}, {"base_year": 2020}, "cell_output", "sector_table", "seed",
])
def test_a_population_is_not_reused_for_other_inputs_or_another_generator_state(change):
    inputs, kept = population_inputs(), BasePopulations()
    for _ in range(2):
        generate_firms(**inputs, rng=np.random.default_rng(7), reuse=kept)
    assert len(kept) == 1
    other, seed = dict(inputs), 7
    if change == "cell_output":
        other["cell_output"] = inputs["cell_output"] * (1 + 1e-12)
    elif change == "sector_table":
        other["sectors"] = {**inputs["sectors"], "tax_ratio": inputs["sectors"]["tax_ratio"] * 1.01}
    elif change == "seed":
        seed = 8
    else:
        other.update(change)
    drawn = generate_firms(**other, rng=np.random.default_rng(seed), reuse=kept)
    assert kept.hits == 0 and kept.misses == 3
    assert same_firms(drawn, generate_firms(**other, rng=np.random.default_rng(seed)))


def test_a_kept_population_is_read_only_and_a_run_changes_only_its_own_copy():
    inputs, kept = population_inputs(), BasePopulations()
    for _ in range(2):
        first = generate_firms(**inputs, rng=np.random.default_rng(3), reuse=kept)
        first.output_yi *= 2.0
        first.land_mu[:] = 0.0
    again = generate_firms(**inputs, rng=np.random.default_rng(3), reuse=kept)
    assert kept.hits == 1 and same_firms(again, generate_firms(**inputs, rng=np.random.default_rng(3)))
    (columns, _, _), = kept._kept.values()
    arrays = [v for v in columns.values() if isinstance(v, np.ndarray)]
    assert arrays and not any(a.flags.writeable for a in arrays)
    assert again.output_yi.flags.writeable


def test_kept_populations_stay_within_their_memory_and_none_is_kept_at_zero():
    inputs = population_inputs()
    probe = BasePopulations()
    for _ in range(2):
        generate_firms(**inputs, rng=np.random.default_rng(0), reuse=probe)
    size = probe._bytes
    assert size > 0
    kept = BasePopulations(max_bytes=int(2.5 * size))
    for seed in range(5):
        for _ in range(2):
            generate_firms(**inputs, rng=np.random.default_rng(seed), reuse=kept)
    assert len(kept) == 2 and kept._bytes <= kept.max_bytes
    generate_firms(**inputs, rng=np.random.default_rng(4), reuse=kept)  # the most recent is still kept
    assert kept.hits == 1
    nothing = BasePopulations(max_bytes=0)
    for _ in range(2):
        generate_firms(**inputs, rng=np.random.default_rng(0), reuse=nothing)
    assert len(nothing) == 0 and nothing.misses == 0


def test_runs_of_three_lever_settings_share_a_base_population_and_give_the_numbers_drawn_afresh(monkeypatch):
    scenarios = [scenario_with({"levers.land.redevelopment_mu_per_year": mu}) for mu in (5000, 25000, 15000)]
    monkeypatch.setattr(BASE_POPULATIONS, "max_bytes", 0)
    fresh = [yearly(s, seed) for s in scenarios for seed in (3, 4)]
    monkeypatch.setattr(BASE_POPULATIONS, "max_bytes", 64 * 2**20)
    BASE_POPULATIONS.clear()
    reused = [yearly(s, seed) for s in scenarios for seed in (3, 4)]
    assert (BASE_POPULATIONS.misses, BASE_POPULATIONS.hits) == (4, 2)  # drawn, drawn and kept, taken
    for a, b in zip(fresh, reused, strict=True):
        assert_frame_equal(a, b, check_exact=True)
    assert not fresh[0].equals(fresh[2])  # the lever changes the run, not only its label
