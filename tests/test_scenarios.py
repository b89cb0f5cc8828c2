"""Scenario files: the shipped ones load, inheritance works, sampling is reproducible and stays in bounds."""

import textwrap
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from parkabm.scenarios.errors import Problem, UserInputError
from parkabm.scenarios.loader import (
    SCENARIO_DIR,
    apply_changes,
    list_scenarios,
    load_scenario,
    shipped_names,
    validate,
)
from parkabm.scenarios.parameters import PARAMETERS, defaults
from parkabm.scenarios.schema import (
    FixedDistribution,
    Levers,
    NormalDistribution,
    Scenario,
    TriangularDistribution,
    UniformDistribution,
    WorldSettings,
)

SHIPPED = [
    "baseline", "combined", "draft_jul_2022", "draft_may_2022", "focus_leading", "industrial_scope",
    "jiaxing_platforms",
    "land_first",
    "manufacturing_lapsed",
    "status_quo",
    "strict_mujun", "subsidy_first",
]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def lever(scenario: Scenario, dotted: str):
    value = scenario.levers
    for part in dotted.split("."):
        value = getattr(value, part)
    return value


# ----------------------------------------------------------------------------------- shipped files


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_scenario_loads_under_its_file_name(name):
    scenario = load_scenario(name)
    assert scenario.name == name
    assert scenario.description.en and scenario.description.zh
    assert scenario.extends == (None if name == "baseline" else "baseline")


def test_list_scenarios_returns_every_shipped_file_sorted():
    table = list_scenarios()
    assert list(table.columns) == ["name", "description_en", "description_zh", "extends", "path"]
    assert list(table["name"]) == SHIPPED
    assert shipped_names() == SHIPPED
    assert sorted(Path(p).name for p in table["path"]) == sorted(p.name for p in SCENARIO_DIR.glob("*.yaml"))


def test_resolved_baseline_equals_the_schema_defaults():
    baseline = load_scenario("baseline")
    assert baseline.levers == Levers()
    assert baseline.world == WorldSettings()


def test_baseline_gives_every_parameter_a_distribution_over_its_range():
    """Prior ranges for every parameter, except those the calibration narrowed (docs/calibration/report.md).

    A calibrated parameter (source ``calibrated …``) spans its 95% interval, inside its bounds, with the mode at its
    default (the fitted value); every other parameter spans its whole plausible range.
    """
    uncertainties = load_scenario("baseline").uncertainties
    assert set(uncertainties) == {n for n, p in PARAMETERS.items() if p.sampled_in_baseline}
    for name, dist in uncertainties.items():
        parameter = PARAMETERS[name]
        assert isinstance(dist, TriangularDistribution | UniformDistribution), name
        if parameter.source.startswith("calibrated"):
            assert parameter.low <= dist.low < dist.high <= parameter.high, name
            assert (dist.low, dist.high) != (parameter.low, parameter.high), f"{name}: calibrated but not narrowed"
        elif name != "base_output_multiplier":
            assert (dist.low, dist.high) == (parameter.low, parameter.high), name
        if isinstance(dist, TriangularDistribution):
            assert dist.mode == parameter.default, name


def test_base_output_multiplier_follows_the_scope_range_in_the_data():
    from parkabm.scenarios.world import load_world

    scope = load_world().scope
    for scenario in ("baseline", "industrial_scope"):
        loaded = load_scenario(scenario)
        row = scope.loc[loaded.world.scope]
        dist = loaded.uncertainties["base_output_multiplier"]
        assert dist.mode == 1.0
        assert dist.low == pytest.approx(row["total_2021_low"] / row["total_2021_yi"], abs=0.01)
        assert dist.high == pytest.approx(row["total_2021_high"] / row["total_2021_yi"], abs=0.01)


EXPECTED_LEVERS = [
    ("status_quo", "land.redevelopment_mu_per_year", 5000),
    ("status_quo", "land.standard_factory_m2_per_year", 1_500_000),
    ("status_quo", "land.new_land_quota_mu_per_year", 1000),
    ("status_quo", "recruitment.leading_focus", 0.3),
    ("status_quo", "recruitment.chain_pull", 0.1),
    ("status_quo", "race.weight", 0),
    ("status_quo", "funds.industry_fund_yi", 50),
    ("status_quo", "evaluation.coverage", "guishang"),
    ("status_quo", "evaluation.enforcement", 0.3),
    ("status_quo", "mechanisms.chain_leader_service", 0),
    ("land_first", "land.redevelopment_mu_per_year", 20000),
    ("land_first", "land.standard_factory_m2_per_year", 8_000_000),
    ("land_first", "land.new_land_quota_mu_per_year", 8000),
    ("land_first", "land.standard_factory_plot_ratio", 3.0),
    ("subsidy_first", "funds.manufacturing_fund_yi_per_year", 60),
    ("subsidy_first", "funds.tech_upgrade_subsidy_rate", 0.25),
    ("subsidy_first", "funds.industry_fund_yi", 300),
    ("subsidy_first", "funds.innovation_support_yi_per_year", 10),
    ("subsidy_first", "funds.milestone_reward_scale", 2),
    ("strict_mujun", "evaluation.enforcement", 1.0),
    ("strict_mujun", "evaluation.surcharge_yuan_per_kwh.d", 0.6),
    ("strict_mujun", "evaluation.surcharge_yuan_per_kwh.c", 0.2),
    ("strict_mujun", "evaluation.persistent_d_surcharge_yuan_per_kwh", 0.8),
    ("strict_mujun", "evaluation.rectification_years", 1),
    ("strict_mujun", "land.class_priority", 1.0),
    ("focus_leading", "recruitment.leading_focus", 0.9),
    ("focus_leading", "recruitment.chain_pull", 0.6),
    ("draft_may_2022", "chain_leaders.threshold_yi", 50),
    ("draft_jul_2022", "chain_leaders.threshold_yi", 20),
    ("combined", "evaluation.enforcement", 0.8),
]


@pytest.mark.parametrize(("name", "dotted", "expected"), EXPECTED_LEVERS)
def test_shipped_scenarios_set_the_specified_lever_values(name, dotted, expected):
    assert lever(load_scenario(name), dotted) == expected


def test_combined_is_the_sum_of_its_parts():
    combined = load_scenario("combined").levers
    assert combined.land == load_scenario("land_first").levers.land
    assert combined.funds == load_scenario("subsidy_first").levers.funds
    assert combined.recruitment == load_scenario("focus_leading").levers.recruitment


def test_children_change_only_what_they_name():
    baseline = load_scenario("baseline").levers
    draft = load_scenario("draft_may_2022").levers
    assert draft.chain_leaders.threshold_yi == 50
    assert draft.model_copy(update={"chain_leaders": baseline.chain_leaders}) == baseline
    assert load_scenario("status_quo").uncertainties == load_scenario("baseline").uncertainties


# ------------------------------------------------------------------------------------- inheritance


def test_child_overrides_one_lever_and_inherits_the_rest(tmp_path):
    child = write(tmp_path / "child.yaml", """
        name: child
        extends: baseline
        levers:
          land:
            redevelopment_mu_per_year: 12345
    """)
    scenario = load_scenario(child)
    baseline = load_scenario("baseline")
    assert scenario.levers.land.redevelopment_mu_per_year == 12345
    assert scenario.levers.land.standard_factory_m2_per_year == 4_000_000
    assert scenario.levers.funds == baseline.levers.funds
    assert scenario.description == baseline.description
    assert scenario.uncertainties == baseline.uncertainties
    assert scenario.extends == "baseline"


def test_lists_are_replaced_not_merged(tmp_path, tiny_world):
    write(tmp_path / "parent.yaml", """
        name: parent
        description: {en: Parent., zh: 父。}
        levers:
          parks:
            east_zone: {leading: [biomed, chips], recruitment_effort: 2}
    """)
    child = write(tmp_path / "child.yaml", """
        name: child
        extends: parent.yaml
        levers:
          parks:
            east_zone: {leading: [textiles]}
    """)
    override = load_scenario(child, world=tiny_world).levers.parks["east_zone"]
    assert override.leading == ["textiles"]
    assert override.recruitment_effort == 2


def test_description_is_replaced_as_a_whole(tmp_path):
    child = write(tmp_path / "child.yaml", """
        name: child
        extends: baseline
        description: {en: Only English.}
    """)
    with pytest.raises(UserInputError) as caught:
        load_scenario(child)
    assert [(p.file, p.key) for p in caught.value.problems] == [(str(child), "description.zh")]


def test_an_uncertainty_entry_is_replaced_as_a_whole(tmp_path):
    child = write(tmp_path / "child.yaml", """
        name: child
        extends: baseline
        uncertainties:
          trend_growth_multiplier: {dist: fixed, value: 1.2}
    """)
    scenario = load_scenario(child)
    assert scenario.uncertainties["trend_growth_multiplier"] == FixedDistribution(dist="fixed", value=1.2)
    assert len(scenario.uncertainties) == sum(p.sampled_in_baseline for p in PARAMETERS.values())


def test_extends_path_is_relative_to_the_extending_file_and_chains(tmp_path):
    write(tmp_path / "base" / "mid.yaml", """
        name: mid
        extends: baseline
        levers: {funds: {industry_fund_yi: 150}}
    """)
    leaf = write(tmp_path / "work" / "leaf.yaml", """
        name: leaf
        extends: ../base/mid.yaml
        levers: {land: {class_priority: 0.5}}
    """)
    scenario = load_scenario(leaf)
    assert scenario.levers.funds.industry_fund_yi == 150
    assert scenario.levers.land.class_priority == 0.5
    assert scenario.levers.recruitment == load_scenario("baseline").levers.recruitment
    assert scenario.extends == "../base/mid.yaml"


def test_bare_extends_name_prefers_a_sibling_file_over_the_shipped_one(tmp_path):
    write(tmp_path / "baseline.yaml", """
        name: baseline
        description: {en: Local copy., zh: 本地副本。}
        levers: {race: {weight: 0.9}}
    """)
    child = write(tmp_path / "child.yaml", "name: child\nextends: baseline\n")
    assert load_scenario(child).levers.race.weight == 0.9


def test_problems_name_the_file_that_wrote_the_bad_value(tmp_path):
    write(tmp_path / "parent.yaml", """
        name: parent
        extends: baseline
        levers: {land: {relocation_probability: 2}}
    """)
    child = write(tmp_path / "child.yaml", """
        name: child
        extends: parent.yaml
        levers: {funds: {industry_fund_yi: -1}}
    """)
    problems = validate([child])
    assert {(Path(p.file).name, p.key) for p in problems} == {
        ("parent.yaml", "levers.land.relocation_probability"),
        ("child.yaml", "levers.funds.industry_fund_yi"),
    }


def test_yaml_exponent_numbers_are_numbers(tmp_path):
    child = write(tmp_path / "child.yaml", """
        name: child
        extends: baseline
        levers: {land: {redevelopment_mu_per_year: 1.5e4}}
    """)
    assert load_scenario(child).levers.land.redevelopment_mu_per_year == 15000


def test_park_overrides_are_checked_against_the_world(tmp_path, tiny_world):
    good = write(tmp_path / "good.yaml", """
        name: good
        extends: baseline
        levers: {parks: {west_zone: {leading: [chips, textiles], recruitment_effort: 1.5}}}
    """)
    bad = write(tmp_path / "bad.yaml", """
        name: bad
        extends: baseline
        levers: {parks: {west_zon: {leading: [chip]}}}
    """)
    assert load_scenario(good, world=tiny_world).levers.parks["west_zone"].leading == ["chips", "textiles"]
    problems = validate([bad], world=tiny_world)
    assert [p.key for p in problems] == ["levers.parks.west_zon", "levers.parks.west_zon.leading[0]"]
    assert "did you mean 'west_zone'" in problems[0].allowed
    assert "did you mean 'chips'" in problems[1].allowed


def test_park_overrides_validate_against_the_shipped_world(tmp_path):
    from parkabm.scenarios.world import load_world

    world = load_world()
    park = world.parks.index[0]
    sector = world.sectors.index[0]
    child = write(tmp_path / "child.yaml", f"""
        name: child
        extends: baseline
        levers: {{parks: {{{park}: {{leading: [{sector}]}}}}}}
    """)
    assert load_scenario(child).levers.parks[park].leading == [sector]


# ---------------------------------------------------------------------------------------- sampling


def test_parameter_values_are_reproducible_and_complete():
    baseline = load_scenario("baseline")
    first = baseline.parameter_values(np.random.default_rng(7))
    again = baseline.parameter_values(np.random.default_rng(7))
    other = baseline.parameter_values(np.random.default_rng(8))
    assert first == again
    assert first != other
    assert set(first) == set(PARAMETERS)


def test_parameters_without_distribution_keep_their_default():
    scenario = Scenario(
        name="one", description={"en": "One.", "zh": "一。"},
        uncertainties={"exit_base_hazard": {"dist": "uniform", "low": 0.01, "high": 0.03}},
    )
    values = scenario.parameter_values(np.random.default_rng(1))
    expected = defaults()
    del expected["exit_base_hazard"]
    assert {k: v for k, v in values.items() if k != "exit_base_hazard"} == expected
    assert 0.01 <= values["exit_base_hazard"] <= 0.03


def test_each_distribution_uses_one_draw_so_others_keep_their_values():
    uniform = {"dist": "uniform", "low": 0.01, "high": 0.03}
    text = {"en": "A.", "zh": "甲。"}
    alone = Scenario(name="a", description=text, uncertainties={"exit_base_hazard": uniform})
    # agglomeration_elasticity sorts before exit_base_hazard, so it is drawn first
    fixed = {"agglomeration_elasticity": {"dist": "fixed", "value": 0.02}, "exit_base_hazard": uniform}
    normal = {"agglomeration_elasticity": {"dist": "normal", "mean": 0.01, "sd": 0.005},
              "exit_base_hazard": uniform}
    with_fixed = Scenario(name="b", description=text, uncertainties=fixed)
    with_normal = Scenario(name="c", description=text, uncertainties=normal)
    draw = alone.parameter_values(np.random.default_rng(3))["exit_base_hazard"]
    assert with_fixed.parameter_values(np.random.default_rng(3))["exit_base_hazard"] != draw  # second draw
    assert (with_fixed.parameter_values(np.random.default_rng(3))["exit_base_hazard"]
            == with_normal.parameter_values(np.random.default_rng(3))["exit_base_hazard"])


@pytest.mark.parametrize("dist", [
    UniformDistribution(dist="uniform", low=-1.0, high=2.0),
    TriangularDistribution(dist="triangular", low=-1.0, mode=1.5, high=2.0),
    TriangularDistribution(dist="triangular", low=-1.0, mode=-1.0, high=2.0),
    NormalDistribution(dist="normal", mean=1.9, sd=5.0, low=-1.0, high=2.0),
])
def test_distributions_sample_within_their_bounds(dist):
    rng = np.random.default_rng(0)
    samples = np.array([dist.sample(rng) for _ in range(2000)])
    assert samples.min() >= -1.0
    assert samples.max() <= 2.0
    assert samples.std() > 0.3  # really spread over the range, not stuck at a bound
    assert dist.ppf(0.0) == pytest.approx(-1.0)


def test_normal_truncation_is_exact_not_clipping():
    dist = NormalDistribution(dist="normal", mean=0.0, sd=1.0, low=0.0, high=10.0)
    rng = np.random.default_rng(0)
    samples = np.array([dist.sample(rng) for _ in range(4000)])
    assert (samples == 0.0).mean() < 0.01  # clipping would pile half the mass at 0
    assert samples.mean() == pytest.approx(np.sqrt(2 / np.pi), abs=0.05)  # half-normal mean


def test_a_normal_without_bounds_is_truncated_to_the_parameter_bounds():
    scenario = Scenario(
        name="n", description={"en": "N.", "zh": "正。"},
        uncertainties={"exit_base_hazard": {"dist": "normal", "mean": 0.005, "sd": 0.05}},
    )
    dist = scenario.uncertainties["exit_base_hazard"]
    parameter = PARAMETERS["exit_base_hazard"]
    assert (dist.low, dist.high) == (parameter.low, parameter.high)
    rng = np.random.default_rng(5)
    values = [scenario.parameter_values(rng)["exit_base_hazard"] for _ in range(500)]
    assert parameter.low <= min(values) and max(values) <= parameter.high


def test_fixed_distribution_returns_its_value():
    assert FixedDistribution(dist="fixed", value=0.7).sample(np.random.default_rng(0)) == 0.7


# ---------------------------------------------------------------------------------- schema and API


def test_scenario_built_in_python_rejects_unknown_parameters_and_out_of_bound_values():
    with pytest.raises(ValidationError) as caught:
        Scenario(
            name="x", description={"en": "X.", "zh": "X。"},
            uncertainties={
                "trend_growth": {"dist": "fixed", "value": 1.0},
                "exit_base_hazard": {"dist": "uniform", "low": 0.0, "high": 0.03},
            },
        )
    locations = {tuple(e["loc"]) for e in caught.value.errors()}
    assert locations == {("uncertainties", "trend_growth"), ("uncertainties", "exit_base_hazard")}


def test_schema_rejects_quoted_numbers_and_booleans():
    for value in ("0.5", True):
        with pytest.raises(ValidationError):
            Scenario(name="x", description={"en": "X.", "zh": "X。"}, levers={"race": {"weight": value}})


def test_every_lever_field_documents_unit_and_source():
    def fields(model):
        for name, info in model.model_fields.items():
            yield f"{model.__name__}.{name}", info
            annotation = info.annotation
            if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
                yield from fields(annotation)

    for where, info in fields(Levers):
        assert info.description, where
        nested = isinstance(info.annotation, type) and hasattr(info.annotation, "model_fields")
        if not nested and where != "Levers.parks":
            assert "Unit:" in info.description and "Source:" in info.description, where


def test_apply_changes_returns_a_validated_copy():
    baseline = load_scenario("baseline")
    changed = apply_changes(baseline, {"levers.land.redevelopment_mu_per_year": 20000, "world.horizon": 2030})
    assert changed.levers.land.redevelopment_mu_per_year == 20000
    assert changed.world.horizon == 2030
    assert baseline.levers.land.redevelopment_mu_per_year == 10000
    with pytest.raises(UserInputError) as caught:
        apply_changes(baseline, {"levers.land.redevelopment_mu_per_year": -1, "levers.land.typo": 1},
                      source="experiment.yaml")
    assert [(p.file, p.key) for p in caught.value.problems] == [
        ("experiment.yaml", "levers.land.redevelopment_mu_per_year"),
        ("experiment.yaml", "levers.land.typo"),
    ]


def test_problem_and_error_messages():
    problem = Problem.of("a.yaml", "levers.land.class_priority", "x" * 200, "a number from 0 to 1")
    assert len(problem.value) <= 80 and problem.value.endswith("…")
    assert str(problem).startswith("a.yaml: levers.land.class_priority = 'xxx")
    assert str(problem).endswith(" — allowed: a number from 0 to 1")
    error = UserInputError([problem, Problem("b.yaml", "-", "(empty file)", "a mapping")])
    assert str(error).splitlines() == [str(problem), "b.yaml: - = (empty file) — allowed: a mapping"]
    assert str(UserInputError("plain message")) == "plain message"
    assert UserInputError("plain message").problems == []


def _lever_leaves(model, prefix="levers."):
    for name, info in model.model_fields.items():
        if hasattr(info.annotation, "model_fields"):
            yield from _lever_leaves(info.annotation, f"{prefix}{name}.")
        elif name != "parks":
            yield f"{prefix}{name}", info


def test_every_lever_and_parameter_declares_its_english_and_chinese_label():
    from parkabm.scenarios.parameters import PARAMETERS
    from parkabm.scenarios.schema import Levers, lever_label

    leaves = dict(_lever_leaves(Levers))
    assert len(leaves) > 40
    unlabelled = [p for p, info in leaves.items()
                  if not {"label_en", "label_zh"} <= set(info.json_schema_extra or {})]
    assert not unlabelled, "levers declared without label=(English, Chinese)"
    assert lever_label("levers.land.redevelopment_mu_per_year", "zh") == "低效用地整治(亩/年)"
    assert lever_label("levers.mechanisms.race", "en") == "Mechanism: race"
    assert [n for n, p in PARAMETERS.items() if not all(p.label)] == []
