"""The compiled kernels (parkabm.model.kernels) give the same numbers as the NumPy code they stand in for.

Every run is made twice from the same seed, once with the kernels and once without, and every yearly and per-park
output and every firm array must be equal to the bit. The cases cover each compiled pass: growth with and without
its mechanisms, the energy quota, relocation (the kernel compiled, and as Python on lists), exit with and without
enforcement, upgrading, the low-efficiency land of the tally and of redevelopment, and the tally itself.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

from parkabm.agents.firms import FIELDS
from parkabm.agents.population import ATTRIBUTES, draw_firm_attributes
from parkabm.model import kernels, threads
from parkabm.model.city import ParkModel
from parkabm.model.simulate import draw_parameters, replicate_seed
from parkabm.scenarios.loader import apply_changes, load_scenario

CASES = [
    ("baseline", {"world.population_scale": 0.5}),
    ("industrial_scope", {"world.population_scale": 0.5}),
    ("jiaxing_platforms", {"world.population_scale": 0.5}),
    ("combined", {"world.population_scale": 0.5}),
    ("strict_mujun", {"world.population_scale": 0.5}),
    # Relocation: every firm short of space tries to move, served in class order and at random.
    ("baseline", {"world.population_scale": 2.0, "levers.land.relocation_probability": 1.0}),
    ("baseline", {"world.population_scale": 2.0, "levers.land.relocation_probability": 1.0,
                  "levers.land.class_priority": 0.5}),
    # Mechanisms off: the terms of growth, exit and evaluation the kernels leave out.
    ("baseline", {"world.population_scale": 0.5, "levers.mechanisms.shocks": 0.0,
                  "levers.mechanisms.agglomeration": 0.0, "levers.mechanisms.chain_spillover": 0.0,
                  "levers.mechanisms.space_constraint": 0.0}),
    ("baseline", {"world.population_scale": 0.5, "levers.evaluation.enforcement": 0.0,
                  "levers.mechanisms.energy_quota": 0.0}),
]


def run(scenario, seed: int, replicate: int, compiled: bool, **changes) -> ParkModel:
    """Run ``scenario`` with (or without) the compiled kernels; return the model."""
    parameters = draw_parameters(scenario, seed, replicate)
    for name, value in changes.items():
        parameters[name] = value
    with kernels.use_compiled(compiled):
        model = ParkModel(scenario, parameters=parameters, rng=replicate_seed(seed, replicate),
                          mesa_datacollector=False)
        model.run_model()
    return model


def differences(a: ParkModel, b: ParkModel) -> list[str]:
    """Name every output or firm array in which two runs differ in any bit."""
    out = []
    if a.firms.n != b.firms.n:
        return [f"firm rows {a.firms.n} != {b.firms.n}"]
    for name in FIELDS:
        x, y = getattr(a.firms, name), getattr(b.firms, name)
        if x.dtype != y.dtype or x.tobytes() != y.tobytes():
            out.append(f"firms.{name}")
    for label, left, right in (("records", a.records, b.records), ("park_records", a.park_records, b.park_records)):
        for year, (r, s) in enumerate(zip(left, right, strict=True)):
            for key in r:
                u, v = np.asarray(r[key]), np.asarray(s[key])
                if u.dtype != v.dtype or u.tobytes() != v.tobytes():
                    out.append(f"{label}[{year}].{key}")
    return out


@pytest.mark.skipif(sys.version_info >= (3, 15), reason="numba is a dependency only below Python 3.15")
def test_numba_is_there():
    """The kernels can be compiled here (numba is a dependency): otherwise the comparisons below test nothing."""
    assert kernels.available()


@pytest.mark.parametrize(("name", "changes"), CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_compiled_runs_equal_numpy_runs(name, changes):
    scenario = apply_changes(load_scenario(name), changes)
    for replicate in range(2):
        fast = run(scenario, 11, replicate, compiled=True)
        plain = run(scenario, 11, replicate, compiled=False)
        assert differences(fast, plain) == []
        if "levers.land.relocation_probability" in changes:
            assert sum(r["relocations"] for r in fast.records) > 0  # the relocation kernel ran


def test_comparison_sees_one_bit():
    """A parameter one unit in the last place away changes the runs: equal arrays above mean equal arithmetic."""
    scenario = apply_changes(load_scenario("baseline"), {"world.population_scale": 0.5})
    value = draw_parameters(scenario, 11, 0)["trend_growth_multiplier"]
    base = run(scenario, 11, 0, compiled=True)
    nudged = run(scenario, 11, 0, compiled=True, trend_growth_multiplier=float(np.nextafter(value, np.inf)))
    assert "firms.output_yi" in differences(base, nudged)


@pytest.fixture
def fresh_state(monkeypatch):
    """A process state of the kernels as at start-up (restored after the test)."""
    monkeypatch.setattr(kernels, "_state", {**kernels._state, "on": False, "forced": False, "firm_years": 0,
                                            "mode": None})
    return kernels._state


def test_auto_mode_switches_after_enough_firm_years(fresh_state, monkeypatch):
    monkeypatch.delenv(kernels.ENVIRONMENT_SWITCH, raising=False)
    kernels.count_firm_years(kernels.AUTO_FIRM_YEARS - 1)
    assert not kernels.enabled()
    kernels.count_firm_years(1)
    assert kernels.enabled()


@pytest.mark.parametrize(("value", "on_at_once", "on_later"), [("1", True, True), ("0", False, False),
                                                               ("auto", False, True), (" Auto ", False, True)])
def test_environment_chooses(fresh_state, monkeypatch, value, on_at_once, on_later):
    monkeypatch.setenv(kernels.ENVIRONMENT_SWITCH, value)
    kernels.count_firm_years(1)
    assert kernels.enabled() == on_at_once
    kernels.count_firm_years(kernels.AUTO_FIRM_YEARS)
    assert kernels.enabled() == on_later


def test_an_unknown_mode_warns_and_counts_as_auto(fresh_state, monkeypatch):
    monkeypatch.setenv(kernels.ENVIRONMENT_SWITCH, "yes")
    with pytest.warns(RuntimeWarning, match=r"PARKABM_COMPILED='yes' is not one of auto, 1, 0"):
        kernels.count_firm_years(1)
    assert not kernels.enabled()
    kernels.count_firm_years(kernels.AUTO_FIRM_YEARS)
    assert kernels.enabled()


def test_without_numba_the_plain_code_runs(fresh_state, monkeypatch):
    """With numba missing (or refusing the NumPy installed), mode 1 runs the NumPy code and the model still runs."""
    monkeypatch.setenv(kernels.ENVIRONMENT_SWITCH, "1")
    fresh_state["numba"] = False
    model = ParkModel("baseline", seed=3, population_scale=0.2, mesa_datacollector=False)
    assert not kernels.enabled()
    model.run_model()
    assert model.records[-1]["total_output_yi"] > 0


def test_use_compiled_holds_against_the_count(fresh_state, monkeypatch):
    monkeypatch.setenv(kernels.ENVIRONMENT_SWITCH, "1")
    with kernels.use_compiled(False):
        kernels.count_firm_years(kernels.AUTO_FIRM_YEARS)
        assert not kernels.enabled()
    kernels.count_firm_years(1)
    assert kernels.enabled()


# --- each compiled pass against its NumPy code, on the state of a running model ----------------------------------

def stepped_pair(years: int = 2, **changes) -> tuple[ParkModel, ParkModel]:
    """Two identical models (same seed, NumPy code) stepped ``years`` years, for one pass to be run on each."""
    scenario = apply_changes(load_scenario("baseline"), {"world.population_scale": 0.5, **changes})
    models = []
    for _ in range(2):
        with kernels.use_compiled(False):
            model = ParkModel(scenario, parameters=draw_parameters(scenario, 5, 0), rng=replicate_seed(5, 0),
                              mesa_datacollector=False)
            for _ in range(years):
                model.step()
        models.append(model)
    return models[0], models[1]


def same_bits(a, b) -> bool:
    """Whether two results (arrays, numbers, or tuples and dataclasses of them) are equal to the bit."""
    if isinstance(a, tuple):
        return len(a) == len(b) and all(same_bits(x, y) for x, y in zip(a, b, strict=True))
    if hasattr(a, "__dataclass_fields__"):
        return all(same_bits(getattr(a, name), getattr(b, name)) for name in a.__dataclass_fields__)
    x, y = np.asarray(a), np.asarray(b)
    return x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()


def firm_arrays_equal(a: ParkModel, b: ParkModel) -> bool:
    return all(same_bits(getattr(a.firms, name), getattr(b.firms, name)) for name in FIELDS)


def test_growth_passes_equal_numpy():
    from parkabm.model.rules import growth

    a, b = stepped_pair()
    a.year = b.year = a.year + 1
    idx = np.flatnonzero(a.firms.alive & (a.firms.ramp_left == 0))
    with kernels.use_compiled(True):
        fast = growth._desired_compiled(a, idx)
    plain = growth._desired_numpy(b, idx)
    assert same_bits(fast, plain)
    assert a.rng.bit_generator.state == b.rng.bit_generator.state  # the same draws
    for with_capacity in (True, False):
        with kernels.use_compiled(True):
            fast = growth._capacity_compiled(a, idx, fast[1], 1.01, with_capacity)
        plain = growth._capacity_numpy(b, idx, plain[1], 1.01, with_capacity)
        assert len(plain[2]) > 0 or not with_capacity  # some firms are short of space
        assert same_bits(fast, plain)
        assert firm_arrays_equal(a, b)
    with kernels.use_compiled(True):
        growth.agglomeration_index(a)
    with kernels.use_compiled(False):
        growth.agglomeration_index(b)
    assert same_bits(a.agglomeration, b.agglomeration)


@pytest.mark.parametrize("enforcement", [0.0, 0.8])
def test_exit_bracket_equals_numpy(enforcement):
    from parkabm.model.rules.exit import exit_bracket

    a, b = stepped_pair()
    draw = np.random.default_rng(1).random(a.firms.n)
    for screened, screen in ((True, 0.05), (False, float("inf"))):
        with kernels.use_compiled(True):
            fast = exit_bracket(a, threads.Draw.made(draw), enforcement, 1.4, screened, screen)
        with kernels.use_compiled(False):
            plain = exit_bracket(b, threads.Draw.made(draw), enforcement, 1.4, screened, screen)
        assert 0 < len(plain[3]) <= len(plain[0])
        assert plain[2].any()  # overdue D firms are there
        assert same_bits(fast, plain)


def test_upgrade_candidates_equal_numpy():
    from parkabm.model.rules.upgrading import upgrade_candidates

    a, b = stepped_pair()
    draw = np.random.default_rng(2).random(a.firms.n)
    with kernels.use_compiled(True):
        fast = upgrade_candidates(a, threads.Draw.made(draw), 0.1)
    with kernels.use_compiled(False):
        plain = upgrade_candidates(b, threads.Draw.made(draw), 0.1)
    assert len(plain) > 0
    assert same_bits(fast, plain)


def test_low_efficiency_and_tally_equal_numpy():
    from parkabm.model.outputs import reporters
    from parkabm.model.rules import land

    a, b = stepped_pair()
    with kernels.use_compiled(True):
        fast = land.low_efficiency_firms(a), land.low_efficiency_land_mu(a), reporters._row_sums_compiled(a)
    with kernels.use_compiled(False):
        plain = land.low_efficiency_firms(b), land.low_efficiency_land_mu(b), reporters._row_sums_numpy(b)
    assert plain[0].any()
    assert len(plain[2].big) > 0 and plain[2].hightech > 0
    assert same_bits(fast, plain)
    for name in ("value_added", "rd", "tax", "space"):  # the totals NumPy makes of them
        assert same_bits(getattr(fast[2], name).sum(), getattr(plain[2], name).sum())


def test_relocation_kernel_equals_python_on_lists():
    from parkabm.model.rules.space import relocate_firms

    a, b = stepped_pair(**{"levers.land.relocation_probability": 1.0})
    f = a.firms
    idx = np.flatnonzero(f.alive & f.industrial & (f.land_mu > 0))[::7]
    need = np.full(len(idx), 2.0)
    with kernels.use_compiled(True):
        fast = relocate_firms(a, idx, need)
    with kernels.use_compiled(False):
        plain = relocate_firms(b, idx, need)
    assert len(plain) > 0
    assert same_bits(fast, plain)
    assert firm_arrays_equal(a, b)
    assert same_bits(a.park_state.vacant_mu, b.park_state.vacant_mu)
    assert same_bits(a.park_state.factory_space_mu, b.park_state.factory_space_mu)


@pytest.mark.parametrize("coverage", ["guishang", "all"])
def test_evaluation_equals_numpy(coverage):
    from parkabm.model.rules.evaluation import covered_firms, evaluate_mujun

    a, b = stepped_pair(**{"levers.evaluation.coverage": coverage})
    with kernels.use_compiled(True):
        rows = covered_firms(a)
        evaluate_mujun(a)
    with kernels.use_compiled(False):
        assert same_bits(rows, covered_firms(b))
        evaluate_mujun(b)
    assert len(np.unique(b.firms.mujun_class)) == 5  # A–D and firms not evaluated
    assert b.firms.years_in_d.max() > 1
    assert firm_arrays_equal(a, b)
    for name in ("score", "surcharge_share", "resource_share"):
        assert same_bits(getattr(a, name), getattr(b, name))


def test_a_worker_told_its_share_switches_at_once(fresh_state, monkeypatch):
    monkeypatch.delenv(kernels.ENVIRONMENT_SWITCH, raising=False)
    kernels.expect_firm_years(kernels.AUTO_FIRM_YEARS - 1)
    assert not kernels.enabled()
    kernels.expect_firm_years(kernels.AUTO_FIRM_YEARS)
    assert kernels.enabled()


def test_a_worker_in_mode_0_stays_off(fresh_state, monkeypatch):
    monkeypatch.setenv(kernels.ENVIRONMENT_SWITCH, "0")
    kernels.expect_firm_years(10 * kernels.AUTO_FIRM_YEARS)
    assert not kernels.enabled()


def test_chunks_carry_the_workers_share_of_the_batch(tmp_path):
    from parkabm.experiments.design.spec import resolve_spec
    from parkabm.experiments.execution.runner import FIRM_ROWS_AT_SCALE_ONE, _chunks

    (tmp_path / "big.yaml").write_text("name: big\nextends: baseline\nworld: {population_scale: 3}\n",
                                       encoding="utf-8")
    experiment = resolve_spec({"name": "share", "scenarios": ["big.yaml"], "design": {"kind": "monte_carlo",
                               "samples": 10}, "replicates": 10, "factors": [
        {"name": "levers.land.redevelopment_mu_per_year", "kind": "lever", "bounds": [0, 30000]}]},
        source="test", base_dir=tmp_path)
    chunks = list(_chunks(experiment, np.arange(experiment.n_jobs), 25, workers=2))
    per_job = FIRM_ROWS_AT_SCALE_ONE * 3 * (2025 - 2021)
    assert [c.firm_years_ahead for c in chunks] == [int(n / 2 * per_job) for n in (100, 75, 50, 25)]


def run_on_both(rule, **changes) -> tuple[ParkModel, ParkModel]:
    """Run one rule on two identical stepped models, compiled on the first and in NumPy on the second."""
    a, b = stepped_pair(**changes)
    with kernels.use_compiled(True):
        rule(a)
    with kernels.use_compiled(False):
        rule(b)
    return a, b


def test_land_release_equals_numpy():
    from parkabm.model.rules.resources import release_unused_land

    before = stepped_pair()[0].firms.land_mu.sum()
    a, b = run_on_both(release_unused_land)
    assert b.firms.land_mu.sum() < before  # land was released
    assert firm_arrays_equal(a, b)
    assert same_bits(a.park_state.vacant_mu, b.park_state.vacant_mu)


def test_innovation_support_and_chain_leaders_equal_numpy():
    from parkabm.model.rules.chain_leaders import chain_leaders
    from parkabm.model.rules.funds import support_innovation

    a, b = run_on_both(support_innovation)
    assert b.ledger["innovation_support"] > 0
    assert firm_arrays_equal(a, b)
    assert same_bits(a.ledger["innovation_support"], b.ledger["innovation_support"])
    a, b = run_on_both(chain_leaders)
    assert b.leader.any()
    assert same_bits(a.leader, b.leader)
    assert same_bits(a.has_leader, b.has_leader)


def test_milestone_rewards_equal_numpy():
    from parkabm.model.rules.funds import pay_milestone_rewards

    def from_scratch(model):  # every firm's level back to 0, so that the large ones reach theirs again
        model.firms.reward_level[:] = 0
        pay_milestone_rewards(model)

    a, b = run_on_both(from_scratch)
    assert b.firms.reward_level.max() >= 2
    assert firm_arrays_equal(a, b)
    assert same_bits(a.ledger["milestone_rewards"], b.ledger["milestone_rewards"])


def test_energy_quota_equals_numpy():
    from parkabm.model.rules.resources import cap_energy_growth

    a, b = stepped_pair()
    idx = np.flatnonzero(a.firms.alive & (a.firms.ramp_left == 0))
    real = a.firms.output_yi[idx] / a.price
    desired = real * np.random.default_rng(3).uniform(0.8, 1.6, len(idx))  # many want to grow, some shrink
    with kernels.use_compiled(True):
        fast = cap_energy_growth(a, idx, real, desired.copy())
    with kernels.use_compiled(False):
        plain = cap_energy_growth(b, idx, real, desired.copy())
    assert b.energy_quota_bound > 0  # the quota binds for some firms
    assert same_bits(fast, plain)
    assert a.energy_quota_bound == b.energy_quota_bound
    assert same_bits(a.energy_quota_requested, b.energy_quota_requested)
    assert same_bits(a.energy_quota_granted, b.energy_quota_granted)


def test_upgrades_equal_numpy():
    from parkabm.model.rules.upgrading import upgrade_firms

    a, b = stepped_pair()
    for model in (a, b):
        model.rng = np.random.default_rng(4)  # the rule's draws, the same for both
    with kernels.use_compiled(True):
        upgrade_firms(a)
    with kernels.use_compiled(False):
        upgrade_firms(b)
    assert b.counts["upgrades"] > 0 and b.counts["subsidised_upgrades"] > 0
    assert firm_arrays_equal(a, b)
    for name in ("upgrades", "fai_yi", "subsidised_upgrades"):
        assert same_bits(a.counts[name], b.counts[name])
    assert same_bits(a.subsidy_demand, b.subsidy_demand)
    assert same_bits(a.subsidy_demand_full, b.subsidy_demand_full)


def test_space_serving_equals_numpy():
    """serve_in_order compiled and in NumPy: the same grants and stocks to the bit, ties and empty stocks included."""
    from parkabm.model.rules.space import SpaceStocks, serve_in_order

    rng = np.random.default_rng(11)
    served_in_part = 0
    for trial in range(400):
        n, n_parks = int(rng.integers(0, 40)), int(rng.integers(1, 5))
        park = np.sort(rng.integers(0, n_parks, n)).astype(np.int16)
        # Round numbers make exact ties between what is asked and what is left; the others are arbitrary.
        request = rng.choice([0.0, 1.0, 2.5, 4.0], n) if trial % 2 else rng.random(n) * 3.0
        vacant = rng.choice([0.0, 3.0, 7.5, 20.0 * rng.random()], n_parks)
        factory = rng.choice([0.0, 1.0, 5.0 * rng.random()], n_parks)
        for floor_first in (True, False):
            for draw_down in (True, False):
                results = []
                for compiled in (True, False):
                    stocks = SpaceStocks(vacant_mu=vacant.copy(), factory_space_mu=factory.copy())
                    with kernels.use_compiled(compiled):
                        got = serve_in_order(request, park, stocks, floor_first=floor_first, draw_down=draw_down)
                    results.append((got, stocks.vacant_mu, stocks.factory_space_mu))
                assert same_bits(results[0], results[1])
                total = results[1][0][0] + results[1][0][1]
                served_in_part += int(((total > 0) & (total < request)).sum())
    assert served_in_part > 0  # some requests got part of what they asked


def test_seed_words_equal_numpys_generate_state():
    """The rule streams' seed words, compiled, are NumPy's SeedSequence.generate_state words, for any entropy."""
    rng = np.random.default_rng(12)
    for trial in range(300):
        entropy = int(rng.integers(2**63)) if trial % 3 else int(rng.integers(2**16))
        seed = np.random.SeedSequence(entropy, spawn_key=(int(rng.integers(1990, 2100)),))
        n = int(rng.integers(1, 120))
        words = np.empty(n, dtype=np.uint64)
        with kernels.use_compiled(True):
            kernels.seed_words(seed.pool, n, kernels.SEED_HASH_INIT, kernels.SEED_HASH_MULT, words)
        assert same_bits(words, seed.generate_state(n, np.uint64))


def test_the_leader_screen_keeps_every_firm_at_the_threshold():
    """Outputs a few roundings either side of the chain-leader threshold: the screened kernel marks the same firms."""
    price, scale, threshold = 1.0731, 0.37, 100.0
    exact = threshold / scale * price
    output = np.array([np.nextafter(exact, 0.0), exact, np.nextafter(exact, np.inf), exact * (1 - 1e-12),
                       exact * (1 + 1e-12), 0.0, np.nan, np.inf, exact / 2])
    output = np.concatenate([output, output * np.nextafter(1.0, 2.0), output * np.nextafter(1.0, 0.0)])
    n = len(output)
    with np.errstate(invalid="ignore"):
        expected = output / price * scale >= threshold
    assert 0 < expected.sum() < n
    leader, has_leader = np.zeros(n, dtype=bool), np.zeros(1, dtype=bool)
    with kernels.use_compiled(True):
        kernels.mark_leaders(np.ones(n, dtype=bool), output, price, scale, threshold,
                             kernels.below_for_sure(threshold, price, scale), np.zeros(n, dtype=np.int16),
                             np.zeros(n, dtype=np.int16), 1, np.ones(1, dtype=bool), leader, has_leader)
    assert same_bits(leader, expected)


@pytest.mark.parametrize("names", [ATTRIBUTES, ATTRIBUTES[1:], ("land_productivity",), ("rd_intensity", "tax_ratio"),
                                   ("value_added_rate", "rd_intensity")])
@pytest.mark.parametrize("n", [0, 7, 20_000])
def test_attribute_passes_equal_numpy(names, n):
    """The compiled passes of the firm attributes give the NumPy code's numbers, chunks and clipping included."""
    from parkabm.model.city import world_tables
    from parkabm.scenarios.world import load_world

    sectors = dict(world_tables(load_world(), "all_guishang").sector_table)
    # Sector values spread wide, so that both bounds of the value-added rate and the upper one of R&D bind.
    spread = np.geomspace(0.1, 4.0, len(sectors["industrial"]))
    sectors["value_added_rate"] = sectors["value_added_rate"] * spread
    sectors["rd_intensity"] = sectors["rd_intensity"] * spread * 10
    sector = np.random.default_rng(3).integers(0, len(spread), n).astype(np.int16)
    with kernels.use_compiled(True):
        passes = kernels.attribute_passes()
        assert passes is not None
        fast_rng = np.random.default_rng(11)
        fast = draw_firm_attributes(sector, sectors, fast_rng, names=names, passes=passes)
    plain_rng = np.random.default_rng(11)
    plain = draw_firm_attributes(sector, sectors, plain_rng, names=names)
    assert list(fast) == list(plain) == [name for name in ATTRIBUTES if name in names]
    assert all(same_bits(fast[name], plain[name]) for name in plain)
    assert fast_rng.bit_generator.state == plain_rng.bit_generator.state
    if n > 1000:  # the bounds bind for some firms: the clipping is compared too
        if "value_added_rate" in names:
            assert np.isin(0.05, plain["value_added_rate"]) and np.isin(0.7, plain["value_added_rate"])
        if "rd_intensity" in names:
            assert np.isin(0.3, plain["rd_intensity"])
