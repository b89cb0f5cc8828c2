"""The validation layer: every problem of a file in one pass, the gaps a hostile user found, and the import layering."""

import ast
import textwrap
import tracemalloc
from pathlib import Path

import pytest
from batch_fixtures import SMALL_SPEC, cli, output_of, write_spec

from parkabm.experiments.cli import main
from parkabm.experiments.design.designs import MAX_DESIGN_BYTES
from parkabm.experiments.design.spec import MAX_JOBS, load_spec
from parkabm.scenarios.errors import UserInputError
from parkabm.scenarios.loader import load_scenario, minimum_population_scale, validate
from parkabm.scenarios.validation import MAX_NESTING, MAX_NODES, read_yaml_mapping
from parkabm.scenarios.world import load_world

PACKAGE = Path(__file__).resolve().parents[1]


def run_validate(*args):
    from click.testing import CliRunner

    try:
        runner = CliRunner(mix_stderr=False)
    except TypeError:
        runner = CliRunner()
    result = runner.invoke(main, ["validate", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.stdout + result.stderr
    return result


def problem_keys(text: str, file: str) -> list[str]:
    return [line.split(" = ")[0].removeprefix(f"{file}: ") for line in text.strip().splitlines()]


# ----------------------------------------------------------------------------------------------------
# All problems of a file in one pass
# ----------------------------------------------------------------------------------------------------


def test_a_broken_extends_does_not_hide_the_files_own_problems(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text(textwrap.dedent("""
        name: bad
        extends: basline
        world: {horizon: 2040}
        levers:
          land: {redevelopment_mu: 5}
        uncertainties:
          trend_growth_multiplier: {dist: normal, mean: 1.0, sd: .inf}
    """), encoding="utf-8")
    result = run_validate("bad.yaml")
    assert result.exit_code == 2
    keys = problem_keys(result.stderr, "bad.yaml")
    assert keys == ["extends", "world.horizon", "levers.land.redevelopment_mu",
                    "uncertainties.trend_growth_multiplier.sd"], result.stderr
    assert "did you mean 'baseline'?" in result.stderr
    assert "did you mean 'redevelopment_mu_per_year'?" in result.stderr
    assert "(missing)" not in result.stderr  # keys the lost parent would give are not reported missing


def test_an_unreadable_parent_does_not_hide_the_childs_problems(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "parent.yaml").write_text("name: parent\nlevers: [1, 2\n", encoding="utf-8")
    (tmp_path / "child.yaml").write_text(
        "name: child\nextends: parent.yaml\nlevers: {race: {weight: 3}}\nworld: {scope: services}\n",
        encoding="utf-8")
    result = run_validate("child.yaml")
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("parent.yaml: - = (line 3")
    assert {line.split(" = ")[0] for line in lines[1:]} == {"child.yaml: levers.race.weight",
                                                             "child.yaml: world.scope"}


TREND = {"name": "trend_growth_multiplier", "kind": "uncertainty", "bounds": [0.8, 1.2]}
LEVER = {"name": "levers.land.redevelopment_mu_per_year", "kind": "lever", "bounds": [5000, 20000]}


def test_reversed_bounds_do_not_hide_other_problems_of_an_experiment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    body = {**SMALL_SPEC, "scenarios": ["baselin"], "outputs": {"metrics": ["total_output"]},
            "factors": [{**TREND, "bounds": [1.2, 0.8]}, {**LEVER, "name": "levers.land.redevelopment_mu"},
                        {**TREND, "name": "volatility", "bounds": [0.9, float("inf")]}],
            "design": {"kind": "latin_hypercube", "samples": 4}}
    write_spec(tmp_path, body)
    result = cli("batch", "spec.yaml", "--workers", 1)
    text = output_of(result)
    assert result.exit_code == 2, text
    assert "Traceback" not in text
    keys = set(problem_keys(text, "spec.yaml"))
    assert {"factors[0].bounds", "factors[1].name", "factors[2].bounds[1]", "scenarios[0]",
            "outputs.metrics[0]"} <= keys, text
    assert "a finite number" in text and "low < high" in text
    assert not (tmp_path / "results").exists()


# ----------------------------------------------------------------------------------------------------
# The gaps
# ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("body, key", [
    ("{dist: normal, mean: 1.0, sd: .inf}", "sd"),
    ("{dist: normal, mean: .nan, sd: 0.1}", "mean"),
    ("{dist: uniform, low: 0.8, high: .inf}", "high"),
    ("{dist: triangular, low: -.inf, mode: 1.0, high: 1.2}", "low"),
    ("{dist: fixed, value: .nan}", "value"),
])
def test_non_finite_distribution_parameters_are_refused(tmp_path, monkeypatch, body, key):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text(f"name: bad\nextends: baseline\nuncertainties:\n  trend_growth_multiplier: "
                                       f"{body}\n", encoding="utf-8")
    result = run_validate("bad.yaml")
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert line.startswith(f"bad.yaml: uncertainties.trend_growth_multiplier.{key} = ")
    assert "a finite number (not .inf, -.inf or .nan)" in line


def test_a_population_scale_that_empties_the_world_is_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text("name: bad\nextends: baseline\nworld: {population_scale: 0.000001}\n",
                                       encoding="utf-8")
    result = run_validate("bad.yaml")
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert line.startswith("bad.yaml: world.population_scale = 1e-06 — allowed: a number from 0.0267 to 200")
    assert "规上" in line


def test_the_minimum_population_scale_follows_the_smallest_cell_and_the_base_year(tmp_path):
    from parkabm.scenarios.schema import WorldSettings

    world = load_world()
    smallest = world.park_sectors["output_2021_yi"].min()
    minimum, why = minimum_population_scale(world, WorldSettings())
    assert minimum == pytest.approx(0.2 / (smallest * 0.75))
    assert f"{smallest:g}亿元" in why
    earlier, _ = minimum_population_scale(world, WorldSettings(base_year=2019))
    assert earlier > minimum
    # the small worlds of the test suite and the benchmarks stay valid
    path = tmp_path / "small.yaml"
    path.write_text("name: small\nextends: baseline\nworld: {population_scale: 0.05}\n", encoding="utf-8")
    assert validate([path]) == []
    assert load_scenario(path).world.population_scale == 0.05


def test_sobol_base_samples_must_be_a_power_of_two(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_spec(tmp_path, {**SMALL_SPEC, "factors": [TREND], "design": {"kind": "sobol", "base_samples": 100}})
    with pytest.raises(UserInputError) as caught:
        load_spec("spec.yaml")
    assert str(caught.value).startswith("spec.yaml: design.base_samples = 100 — allowed: a power of two, e.g. 64 "
                                        "or 128")


def test_morris_levels_must_be_even(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_spec(tmp_path, {**SMALL_SPEC, "factors": [TREND], "design": {"kind": "morris", "trajectories": 4,
                                                                        "levels": 5}})
    with pytest.raises(UserInputError, match=r"spec.yaml: design.levels = 5 — allowed: an even whole number"):
        load_spec("spec.yaml")


@pytest.mark.parametrize("design, key", [
    ({"kind": "monte_carlo", "samples": 10**9}, "design.samples"),
    ({"kind": "sobol", "base_samples": 2**30}, "design.base_samples"),
    ({"kind": "morris", "trajectories": 10**8}, "design.trajectories"),
])
def test_a_design_beyond_the_memory_budget_is_refused_before_allocation(tmp_path, monkeypatch, design, key):
    monkeypatch.chdir(tmp_path)
    write_spec(tmp_path, {**SMALL_SPEC, "factors": [TREND, LEVER], "design": design})
    tracemalloc.start()
    try:
        result = cli("batch", "spec.yaml", "--workers", 1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    text = output_of(result)
    assert result.exit_code == 2, text
    assert text.startswith(f"spec.yaml: {key} = "), text
    assert f"{MAX_DESIGN_BYTES // 2**20} MiB" in text
    assert peak < MAX_DESIGN_BYTES  # refused from the settings, not after drawing the points
    assert not (tmp_path / "results").exists()


def test_a_grid_beyond_the_memory_budget_is_refused(tmp_path, monkeypatch):
    from parkabm.scenarios.parameters import PARAMETERS

    monkeypatch.chdir(tmp_path)
    names = ["trend_growth_multiplier", "volatility_multiplier", "exit_base_hazard", "base_output_multiplier"]
    factors = [{"name": n, "kind": "uncertainty",
                "levels": [round(PARAMETERS[n].low + (PARAMETERS[n].high - PARAMETERS[n].low) * i / 200, 6)
                           for i in range(200)]}
               for n in names]
    write_spec(tmp_path, {**SMALL_SPEC, "factors": factors})
    with pytest.raises(UserInputError) as caught:
        load_spec("spec.yaml")
    assert str(caught.value).startswith("spec.yaml: design = (a grid of 1,600,000,000 points) — allowed: fewer levels")


def test_too_many_jobs_are_refused(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_spec(tmp_path, {**SMALL_SPEC, "replicates": MAX_JOBS})
    with pytest.raises(UserInputError) as caught:
        load_spec("spec.yaml")
    assert str(caught.value).startswith(f"spec.yaml: replicates = {MAX_JOBS} — allowed: at most 166,666 here: "
                                        "1 scenarios × 6 design points")


# ----------------------------------------------------------------------------------------------------
# Hostile YAML
# ----------------------------------------------------------------------------------------------------

BILLION_LAUGHS = "name: bomb\nextends: baseline\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10))
"""Nine levels of nine aliases: 10⁹ strings from under 1 kB."""


def test_an_alias_bomb_is_refused_before_it_expands(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bomb.yaml").write_text(BILLION_LAUGHS, encoding="utf-8")
    tracemalloc.start()
    try:
        result = run_validate("bomb.yaml")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert line.startswith("bomb.yaml: - = (line ")
    assert f"at most {MAX_NODES:,} values, aliases expanded" in line
    assert peak < 50 * 2**20


def test_a_few_aliases_are_still_fine(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("name: ok\nextends: baseline\nx: &w {tax_per_mu: 0.3}\nlevers: {evaluation: {weights: *w}}\n",
                    encoding="utf-8")
    data, problems = read_yaml_mapping(path, "ok.yaml", what="scenario", keys=["name"])
    assert problems == [] and data["levers"]["evaluation"]["weights"] == {"tax_per_mu": 0.3}


@pytest.mark.parametrize("style", ["block", "flow"])
def test_deep_nesting_is_refused_with_its_line(tmp_path, monkeypatch, style):
    monkeypatch.chdir(tmp_path)
    if style == "flow":
        body = "name: deep\nlevers: " + "[" * 5000 + "]" * 5000 + "\n"
    else:  # indentation grows with depth: 1,000 levels make a 500 kB file
        body = "name: deep\nlevers:\n" + "".join(" " * i + "- \n" for i in range(1, 1000))
    (tmp_path / "deep.yaml").write_text(body, encoding="utf-8")
    result = run_validate("deep.yaml")
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert line.startswith("deep.yaml: - = (line ")
    assert f"nested at most {MAX_NESTING} deep" in line


def test_nesting_through_aliases_is_refused(tmp_path):
    chain = "a0: &a0 [x]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, MAX_NESTING + 5))
    path = tmp_path / "chain.yaml"
    path.write_text(chain, encoding="utf-8")
    data, problems = read_yaml_mapping(path, "chain.yaml", what="scenario", keys=["name"])
    assert data is None and f"nested at most {MAX_NESTING} deep" in problems[0].allowed


def test_a_document_that_contains_itself_is_refused(tmp_path):
    path = tmp_path / "loop.yaml"
    path.write_text("name: loop\nlevers: &l {land: *l}\n", encoding="utf-8")
    data, problems = read_yaml_mapping(path, "loop.yaml", what="scenario", keys=["name"])
    assert data is None
    assert str(problems[0]).startswith("loop.yaml: - = (line 2, column 9: an alias refers to the mapping or list")


def test_a_huge_file_is_refused_unread(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text("name: huge\n" + "#" * 2_000_000 + "\n", encoding="utf-8")
    data, problems = read_yaml_mapping(path, "huge.yaml", what="scenario", keys=["name"])
    assert data is None and problems[0].value == "(a file of 2,000,012 bytes)"


# ----------------------------------------------------------------------------------------------------
# Layering: no cycles, no hidden imports
# ----------------------------------------------------------------------------------------------------


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(("parkabm", *parts[:-1])) if parts[-1] == "__init__" else ".".join(("parkabm", *parts))


def _imports(path: Path) -> tuple[set[str], list[str]]:
    """Every parkabm module a file imports, and those imported inside a function (deferred, outside TYPE_CHECKING)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    deferred: list[str] = []
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("parkabm"):
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names if a.name.startswith("parkabm")]
        found.update(names)
    for func in ast.walk(tree):
        if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(func):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("parkabm"):
                    deferred.append(f"{path.name}: {node.module}")
    return found, deferred


LAYERS = {"scenarios": ["parkabm.model", "parkabm.experiments"],
          "experiments/design": ["parkabm.experiments.execution", "parkabm.experiments.analysis",
                                 "parkabm.experiments.charts", "parkabm.experiments.cli"]}


@pytest.mark.parametrize("folder", list(LAYERS))
def test_input_layers_import_nothing_downstream_and_nothing_deferred(folder):
    files = sorted((PACKAGE / folder).glob("*.py"))
    assert len(files) >= 4
    for path in files:
        found, deferred = _imports(path)
        bad = sorted(m for m in found if any(m == f or m.startswith(f + ".") for f in LAYERS[folder]))
        assert not bad, f"{path.name} imports {bad}"
        assert not deferred, deferred


def test_no_import_cycles_in_the_input_layers():
    modules = {}
    for folder in LAYERS:
        for path in (PACKAGE / folder).glob("*.py"):
            modules[_module_name(path)] = _imports(path)[0]
    graph = {m: {d for d in deps if d in modules and d != m} for m, deps in modules.items()}
    state: dict[str, int] = {}

    def visit(module, trail):
        if state.get(module) == 1:
            raise AssertionError("import cycle: " + " → ".join([*trail, module]))
        if state.get(module) == 2:
            return
        state[module] = 1
        for dep in graph[module]:
            visit(dep, [*trail, module])
        state[module] = 2

    for module in graph:
        visit(module, [])
    assert "parkabm.experiments.design.designs" in graph["parkabm.experiments.design.spec"]
    assert "parkabm.experiments.design.spec" not in graph["parkabm.experiments.design.sensitivity"]


def test_yaml_module_is_only_read_by_the_validation_layer():
    users = [p.name for folder in LAYERS for p in (PACKAGE / folder).glob("*.py")
             if "import yaml" in p.read_text(encoding="utf-8")]
    assert users == ["validation.py"]


def test_a_design_kind_that_is_not_text_is_a_problem(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_spec(tmp_path, "name: x\nscenarios: [tiny.yaml]\nreplicates: 1\ndesign: {kind: []}\n")
    with pytest.raises(UserInputError) as caught:
        load_spec("spec.yaml")
    assert str(caught.value).startswith("spec.yaml: design.kind = [] — allowed: one of 'grid', 'monte_carlo'")


def test_a_key_with_a_line_break_stays_on_one_problem_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text('name: bad\nextends: baseline\n"lev\\rers": 1\n', encoding="utf-8")
    result = run_validate("bad.yaml")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "bad.yaml: lev\\rers = 1 — allowed: did you mean 'levers'? known keys: name, description, extends, world, "
        "levers, uncertainties"]


def test_validate_checks_experiment_files_too(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_spec(tmp_path, {**SMALL_SPEC, "replicates": 0, "design": {"kind": "sobol", "base_samples": 100},
                          "factors": [{**TREND, "bounds": [1.2, 0.8]}, {**TREND, "name": "trend_growth"}]})
    result = run_validate("spec.yaml", "tiny.yaml")
    assert result.exit_code == 2
    assert result.stdout == "ok  tiny.yaml\n"
    keys = problem_keys(result.stderr, "spec.yaml")
    assert keys == ["factors[0].bounds", "design.base_samples", "replicates", "factors[1].name"], result.stderr
    write_spec(tmp_path)
    assert run_validate("spec.yaml").stdout == "ok  spec.yaml\n"


def test_a_non_finite_grid_level_is_one_problem_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_spec(tmp_path, {**SMALL_SPEC, "factors": [{"name": "levers.race.weight", "kind": "lever",
                                                      "levels": [float("nan"), 0.2]}]})
    with pytest.raises(UserInputError) as caught:
        load_spec("spec.yaml")
    assert str(caught.value) == ("spec.yaml: factors[0].levels[0] = nan — allowed: a finite number (not .inf, -.inf "
                                 "or .nan): true or false, a number or text")
