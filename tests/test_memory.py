"""A finished run can be freed: thousands of runs in one worker process must not accumulate models."""

import gc
import weakref

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
