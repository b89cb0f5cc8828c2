"""A finished run can be freed: thousands of runs in one worker process must not accumulate models."""

import gc
import weakref

import pytest

from parkabm.model.city import ParkModel
from parkabm.model.simulate import simulate
from parkabm.scenarios.loader import apply_changes, load_scenario
from parkabm.scenarios.parameters import defaults


def small():
    return apply_changes(load_scenario("baseline"), {"world.population_scale": 0.1, "world.horizon": 2022})


def test_a_model_is_garbage_once_nothing_refers_to_it():
    model = ParkModel(small(), parameters=defaults(), rng=0)
    model.run_model()
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None, "something (e.g. mesa.Agent._ids) still holds the model"


def test_a_finished_model_is_freed_without_the_cycle_collector():
    # Nothing the model holds refers back to it (the parks hold it weakly, Mesa's stored step methods too), so the
    # last reference going frees it at once, its arrays with it, instead of at the next collection.
    gc.collect()
    gc.disable()
    try:
        model = ParkModel(small(), parameters=defaults(), rng=0)
        model.run_model()
        assert model.steps == 1 and model.year == 2022  # Mesa's step wrapper still counts the steps
        park = next(iter(model.parks_by_id.values()))
        assert park.model is model
        ref = weakref.ref(model)
        del model
        assert ref() is None, "a reference cycle keeps the finished model alive until the cycle collector runs"
        with pytest.raises(ReferenceError, match=park.park_id):
            _ = park.model
    finally:
        gc.enable()


def test_simulate_leaves_no_model_behind():
    scenario = small()
    gc.collect()
    before = sum(isinstance(o, ParkModel) for o in gc.get_objects())
    for replicate in range(5):
        simulate(scenario, seed=0, replicate=replicate)
    gc.collect()
    assert sum(isinstance(o, ParkModel) for o in gc.get_objects()) == before


def test_park_agents_keep_unique_ids():
    model = ParkModel(small(), parameters=defaults(), rng=0)
    ids = [p.unique_id for p in model.parks_by_id.values()]
    assert len(set(ids)) == len(ids) == len(model.agents)
