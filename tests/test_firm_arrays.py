"""The firm arrays' spare rows: entrants are appended without copying, per-firm model arrays grow alongside."""

import numpy as np
import pytest
from model_fixtures import firms_of, scenario_with

from parkabm.agents.population import ATTRIBUTES, draw_firm_attributes
from parkabm.model.city import ParkModel
from parkabm.scenarios.parameters import defaults


def test_appending_within_the_reserve_keeps_the_buffers_and_the_earlier_rows():
    firms = firms_of(output_yi=[1.0, 2.0, 3.0, 4.0])
    assert firms.capacity >= 16
    buffer_before = firms.output_yi.base
    rows = firms.append({"output_yi": np.array([5.0, 6.0]), "alive": np.ones(2, dtype=bool)})
    assert rows.tolist() == [4, 5]
    assert firms.output_yi.base is buffer_before  # no copy: the new rows went into the reserve
    assert firms.output_yi.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert firms.land_mu.tolist() == [0.0] * 6  # fields not given start at zero


def test_appending_beyond_the_reserve_grows_the_buffers_and_keeps_every_row():
    firms = firms_of(output_yi=np.arange(10.0))
    capacity = firms.capacity
    firms.append({"output_yi": np.arange(10.0, 10.0 + capacity)})
    assert firms.capacity >= 10 + capacity
    assert firms.output_yi.tolist() == list(np.arange(10.0 + capacity))


def test_a_number_given_for_a_field_fills_every_new_row():
    firms = firms_of(output_yi=[1.0, 2.0])
    rows = firms.append({"output_yi": np.array([3.0, 4.0]), "alive": True, "entry_year": 2023})
    assert rows.tolist() == [2, 3]
    assert firms.alive.tolist() == [True] * 4
    assert firms.entry_year.tolist() == [0, 0, 2023, 2023]


def test_a_new_column_is_extended_in_place_with_zero_rows_for_the_entrants():
    firms = firms_of(output_yi=[1.0, 2.0, 3.0])
    score = firms.new_column()
    score[:] = [7.0, 8.0, 9.0]
    firms.append({"output_yi": np.array([4.0, 5.0])})
    longer = firms.extend_column(score)
    assert np.shares_memory(longer, score)
    assert longer.tolist() == [7.0, 8.0, 9.0, 0.0, 0.0]


def test_any_other_array_is_copied_when_extended():
    firms = firms_of(output_yi=[1.0, 2.0, 3.0])
    plain = np.array([True, False, True])
    firms.append({"output_yi": np.array([4.0])})
    longer = firms.extend_column(plain)
    assert not np.shares_memory(longer, plain)
    assert longer.tolist() == [True, False, True, False]
    assert plain.tolist() == [True, False, True]


def test_a_run_keeps_its_per_firm_model_arrays_as_long_as_the_population():
    model = ParkModel(scenario_with(horizon=2023, scale=0.2), parameters=defaults(), rng=4)
    initial = model.firms.n
    model.run_model()
    assert model.firms.n > initial  # entrants were added
    for name in ("score", "surcharge_share", "leader"):
        assert len(getattr(model, name)) == model.firms.n, name
    assert len(model.resource_share) <= model.firms.n  # set at the evaluation; later entrants pay no difference


def test_drawing_some_attributes_draws_the_same_numbers_as_drawing_all():
    sectors = {"value_added_rate": np.array([0.25, 0.3]), "tax_ratio": np.array([0.05, 0.04]),
               "electricity_kwh_per_wan": np.array([400.0, 200.0]), "emission_index": np.array([1.0, 0.5]),
               "rd_intensity": np.array([0.02, 0.04]), "labour_productivity_wan": np.array([150.0, 90.0])}
    sector = np.array([0, 1, 1, 0, 1])
    full_rng, part_rng = np.random.default_rng(11), np.random.default_rng(11)
    full = draw_firm_attributes(sector, sectors, full_rng)
    part = draw_firm_attributes(sector, sectors, part_rng, names=("tax_ratio", "land_productivity"))
    assert set(full) == set(ATTRIBUTES) and set(part) == {"tax_ratio", "land_productivity"}
    for name in part:
        np.testing.assert_array_equal(part[name], full[name])
    assert full_rng.random() == part_rng.random()  # the generator moved on by the same draws


def test_appending_an_unknown_field_is_refused():
    firms = firms_of(output_yi=[1.0])
    with pytest.raises(ValueError, match="unknown firm fields"):
        firms.append({"turnover": np.array([2.0])})
    assert firms.n == 1


def test_memory_settings_are_decided_once_and_numpy_asks_no_huge_pages():
    import os
    import platform
    import sys

    from parkabm.model.city import retain_freed_memory

    ParkModel(scenario_with(horizon=2022, scale=0.1), parameters=defaults(), rng=1)
    first = retain_freed_memory()
    assert retain_freed_memory() is first
    user_set = os.environ.get("MALLOC_MMAP_THRESHOLD_") or os.environ.get("MALLOC_TRIM_THRESHOLD_")
    if sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc" and not user_set:
        assert first is True  # the allocator settings are in force where they can be
    multiarray = getattr(getattr(np, "_core", None), "multiarray", None)
    if "NUMPY_MADVISE_HUGEPAGE" not in os.environ and hasattr(multiarray, "_get_madvise_hugepage"):
        assert not multiarray._get_madvise_hugepage()
