"""The per-agent Mesa reference (benchmarks/reference_per_agent.py) and the fast engine run the same rules.

Two checks on a small world (population scale 0.1, 2021 → 2023, the energy-use quota on):

- with every rule that draws random numbers switched off (shocks, recruitment, upgrading, exit, service entry) and
  relocation made certain, the two engines follow the same path: every deterministic rule (evaluation, surcharges and
  resource prices, release of unused land, chain leaders, agglomeration, macro path, prices, 赛马, redevelopment and
  腾笼换鸟, delivery, standard factories, new land, the energy-use quota, space by class, innovation support,
  milestone rewards) is checked year by year, up to the rounding of sums taken in another order (which can move a
  firm that sits on a class cut-off, or two parks tied on a ratio);
- with every rule on, the mean paired differences of the 2023 outcomes (same seeds, parameter draws and initial
  population; the engines draw different random numbers) are within their replicate noise: this catches the random
  rules (recruitment, upgrading, exit, service entry) and the fund's settlement, whose subsidies need upgrades.

No firm relocates in this small world in two years, so relocation is checked by neither part;
``benchmarks/bench_reference.py`` compares relocations at full scale.
"""

import sys
from pathlib import Path

import numpy as np
import pytest

from parkabm.model.city import ParkModel
from parkabm.model.simulate import draw_parameters, replicate_seed
from parkabm.scenarios.loader import apply_changes, load_scenario

REPLICATES = 12
SMALL_WORLD = {"world.population_scale": 0.1, "world.horizon": 2023, "levers.mechanisms.energy_quota": 1.0}
RANDOM_RULES = ("shocks", "recruitment", "upgrading", "exit", "entry")
PATH_OUTPUTS = ("total_output_yi", "industrial_output_yi", "leading_share", "tax_per_mu_wan", "value_added_per_mu_wan",
                "chain_leaders", "hightech_firms", "exits", "enforced_exits", "relocations", "land_firms_mu",
                "land_vacant_mu", "land_idle_mu", "land_pipeline_mu", "surcharge_revenue_yi", "fai_yi",
                "fiscal_total_yi", "energy_quota_bound", "energy_quota_granted")
PATH_TOLERANCE = 5e-4
"""Relative tolerance of the path check: the reference sums in Python, in another order than NumPy, and a firm whose
base-year score is a class cut-off or two parks whose ratios tie can fall either way (at most 2e-4 in these runs);
dropping the rules with the smallest effect moves an output by more (the energy-use quota: industrial output by
7.8e-4, the quota granted entirely; milestone rewards: the fiscal total by 1.3e-3)."""
DISTRIBUTION_OUTPUTS = ("total_output_yi", "leading_share", "tax_per_mu_wan", "firms_alive", "guishang_firms", "exits",
                        "upgrades", "projects_signed", "service_entries", "class_d_share", "fiscal_total_yi",
                        "fiscal_tech_upgrade_subsidy_yi")
Z_LIMIT = 4.0
"""The mean paired difference (reference − fast, same seed and parameters) of each output must be within this many
of its standard errors (honest runs stay within 1.5 here)."""


@pytest.fixture(scope="module")
def reference_model():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    try:
        from reference_per_agent import ReferenceModel
    finally:
        sys.path.pop(0)
    return ReferenceModel


def yearly(engine, scenario, names) -> np.ndarray:
    """Return ``names`` of every simulated year of every replicate (replicates × years × names).

    Besides recorded outputs, ``energy_quota_bound`` (firms the 用能指标 capped) and ``energy_quota_granted``
    (energy-use increment granted, summed over parks) are read from the model after each year.
    """
    runs = []
    for r in range(REPLICATES):
        model = engine(scenario, parameters=draw_parameters(scenario, 0, r), rng=replicate_seed(0, r))
        years = []
        while model.running:
            model.step()
            values = {**model.records[-1], "energy_quota_bound": model.energy_quota_bound,
                      "energy_quota_granted": sum(model.energy_quota_granted)}
            years.append([float(values[name]) for name in names])
        runs.append(years)
    return np.array(runs)


def test_deterministic_rules_follow_the_same_path(reference_model):
    changes = {**SMALL_WORLD, **{f"levers.mechanisms.{rule}": 0.0 for rule in RANDOM_RULES},
               "levers.land.relocation_probability": 1.0}
    scenario = apply_changes(load_scenario("baseline"), changes)
    fast = yearly(ParkModel, scenario, PATH_OUTPUTS)
    ref = yearly(reference_model, scenario, PATH_OUTPUTS)
    gap = np.abs(ref - fast) / np.maximum(np.abs(fast), 1e-9)
    worst = np.unravel_index(np.argmax(gap), gap.shape)
    print(f"largest relative gap {gap[worst]:.2e}: {PATH_OUTPUTS[worst[2]]}, replicate {worst[0]}, "
          f"year {2022 + worst[1]}")
    for k, name in enumerate(PATH_OUTPUTS):
        assert gap[..., k].max() <= PATH_TOLERANCE, name


def test_outcome_distributions_agree(reference_model):
    scenario = apply_changes(load_scenario("baseline"), SMALL_WORLD)
    fast = yearly(ParkModel, scenario, DISTRIBUTION_OUTPUTS)[:, -1]
    ref = yearly(reference_model, scenario, DISTRIBUTION_OUTPUTS)[:, -1]
    diff = ref - fast
    se = diff.std(axis=0, ddof=1) / np.sqrt(REPLICATES)
    z = np.divide(diff.mean(axis=0), se, out=np.zeros(len(se)), where=se > 0)
    for k, name in enumerate(DISTRIBUTION_OUTPUTS):
        print(f"{name:<32}fast {fast[:, k].mean():11.4f}  reference {ref[:, k].mean():11.4f}  "
              f"paired difference {diff[:, k].mean() / abs(fast[:, k].mean()):+7.2%}  z {z[k]:+5.1f}")
    for k, name in enumerate(DISTRIBUTION_OUTPUTS):
        # A difference with zero spread is a difference in every replicate (unless it is zero).
        assert abs(z[k]) <= Z_LIMIT and (se[k] > 0 or diff[:, k].mean() == 0), name
