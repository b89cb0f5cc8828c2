"""The policy dashboard: its levers, numbers and downloads, and the page itself in a real headless Chromium.

The browser test starts ``parkabm dashboard`` in a subprocess on a free local port with a small world and few
replicates, and drives Debian's Chromium through Playwright (never a downloaded browser). Without Chromium or
Playwright it is skipped, except under ``CI`` where it must run.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from parkabm.experiments.analysis.projection import run_replicates
from parkabm.experiments.dashboard import levers, runs
from parkabm.model.outputs.targets import select_targets
from parkabm.scenarios.errors import UserInputError
from parkabm.scenarios.loader import load_scenario, validate
from parkabm.scenarios.schema import LandLevers
from parkabm.scenarios.world import load_world

SCALE = 0.2
REPS = 8
REDEVELOPMENT = "levers.land.redevelopment_mu_per_year"


@pytest.fixture(scope="module")
def world():
    return load_world()


@pytest.fixture(scope="module")
def baseline():
    return load_scenario("baseline")


def test_every_slider_takes_its_bounds_unit_and_source_from_the_schema():
    controls = {c.key: c for c in levers.lever_controls()}
    redevelopment = controls[REDEVELOPMENT]
    field = LandLevers.model_fields["redevelopment_mu_per_year"]
    assert (redevelopment.low, redevelopment.high) == (0.0, 50000.0)
    assert redevelopment.unit == field.json_schema_extra["unit"] == "亩/yr"
    assert redevelopment.source == field.json_schema_extra["source"]
    assert "亩/yr" in redevelopment.label("en") and "低效用地" in redevelopment.label("zh")
    assert controls["levers.evaluation.rectification_years"].integer
    families = {c.family for c in controls.values()}
    assert {"land", "funds", "evaluation", "recruitment", "chain_leaders", "race"} <= families


def test_out_of_range_value_gets_the_problem_line_of_parkabm_validate(tmp_path, baseline):
    controls = levers.lever_controls()
    changes = levers.changed_levers(baseline, {REDEVELOPMENT: 60000.0}, controls)
    assert changes == {REDEVELOPMENT: 60000}
    with pytest.raises(UserInputError) as raised:
        levers.build_scenario(baseline, changes)
    page_message = str(raised.value)
    path = tmp_path / "too_much.yaml"
    path.write_text(levers.scenario_yaml("baseline", changes, controls=controls), encoding="utf-8")
    [problem] = validate([path])
    assert page_message == str(problem).replace(str(path), levers.SOURCE, 1)
    assert "a number from 0 to 50000 [亩/yr]" in page_message


def test_downloaded_settings_are_a_scenario_that_extends_the_chosen_one(tmp_path):
    base = load_scenario("land_first")
    controls = levers.lever_controls()
    values = {c.key: c.value_of(base) for c in controls}
    values["levers.race.weight"] = 0.8
    values["levers.evaluation.rectification_years"] = 4.0
    changes = levers.changed_levers(base, values, controls)
    assert changes == {"levers.race.weight": 0.8, "levers.evaluation.rectification_years": 4}
    path = tmp_path / "mine.yaml"
    path.write_text(levers.scenario_yaml("land_first", changes, controls=controls, population_scale=SCALE),
                    encoding="utf-8")
    assert validate([path]) == []
    loaded = load_scenario(path)
    assert loaded.extends == "land_first"
    assert loaded.levers.race.weight == 0.8 and loaded.levers.evaluation.rectification_years == 4
    assert loaded.levers.land == base.levers.land  # everything else comes from the chosen scenario
    assert loaded.world.population_scale == SCALE


def test_paired_difference_interval_covers_the_true_difference_about_95_percent_of_the_time():
    same = np.array([True] * 6 + [False] * 4)
    diff, low, high = runs.paired_difference(same, same)
    assert diff == 0.0 and low < 0.0 < high
    # twin replicates that mostly agree (as under common random numbers): P(met) 0.55 and 0.45, 80% concordant
    rng = np.random.default_rng(12)
    cells = np.array([0.40, 0.15, 0.05, 0.40])  # both met, only the first, only the second, neither
    true = (cells[0] + cells[1]) - (cells[0] + cells[2])
    covered, widths = 0, []
    trials = 2000
    for _ in range(trials):
        kind = rng.choice(4, size=50, p=cells)
        met, ref = np.isin(kind, (0, 1)), np.isin(kind, (0, 2))
        d, lo, hi = runs.paired_difference(met, ref)
        covered += lo <= true <= hi
        widths.append(hi - lo)
        assert lo <= d <= hi
    assert 0.93 <= covered / trials <= 0.98
    # narrower than treating the two sets of replicates as independent (the point of common random numbers)
    independent = 2 * 1.96 * np.sqrt(2 * 0.5 * 0.5 / 50)
    assert np.mean(widths) < 0.8 * independent


def test_update_uses_the_replicates_of_parkabm_run_and_common_random_numbers(baseline, world):
    scenario = levers.build_scenario(baseline, {}, population_scale=SCALE)
    changed = levers.build_scenario(baseline, {REDEVELOPMENT: 40000}, population_scale=SCALE)
    update = runs.run_update(changed, scenario, base_name="baseline", reference_name="baseline",
                             changes={REDEVELOPMENT: 40000}, reps=4, seed=3, world=world)
    projection = run_replicates(changed, reps=4, seed=3, world=world)
    assert update.replicates.yearly.equals(projection.yearly)
    # the reference shares every replicate's parameter draws: only the lever differs
    assert update.replicates.parameters.equals(update.reference_replicates.parameters)
    same = runs.run_update(scenario, scenario, base_name="baseline", reference_name="baseline", changes={},
                           reps=4, seed=3, world=world)
    assert (same.targets.loc[same.targets["n"] > 0, "diff"] == 0).all()
    assert len(update.targets) == len(select_targets(world.targets))
    cost = update.costs.set_index("component").loc["fiscal_total_yi"]
    yearly = update.replicates.yearly
    expected = yearly[yearly["year"] >= 2022].groupby("replicate")["fiscal_total_yi"].sum().mean()
    assert cost["mean"] == pytest.approx(expected)
    assert cost["diff"] > 0  # redeveloping four times the land costs more


def test_charts_render_as_png_and_svg_in_both_languages(baseline, world):
    scenario = levers.build_scenario(baseline, {}, population_scale=SCALE)
    update = runs.run_update(scenario, scenario, base_name="baseline", reference_name="baseline", changes={},
                             reps=3, seed=0, world=world)
    png = runs.render_chart(update, "fan_total_output", "zh", "png", dpi=60)
    svg = runs.render_chart(update, "parks_output", "en", "svg")
    assert png.startswith(b"\x89PNG") and b"<svg" in svg[:500]


@pytest.mark.parametrize(("args", "message"), [
    (["--scenario", "nope"], "--scenario: 'nope' — allowed: a shipped scenario (baseline"),
    (["--reference", "nope.yaml"], "nope.yaml"),
    (["--population-scale", "0"], "--population-scale: 0.0 — allowed: a number > 0 and ≤ 200"),
])
def test_dashboard_command_rejects_bad_settings_before_serving(args, message):
    from click.testing import CliRunner

    from parkabm.experiments.cli import main

    result = CliRunner().invoke(main, ["dashboard", "--port", str(_free_port()), *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_scenario_file_such_as_a_design_package_is_offered_beside_the_shipped_ones(tmp_path):
    from parkabm.experiments.dashboard.settings import DashboardSettings

    package = Path(__file__).resolve().parents[1] / "docs" / "design" / "baseline" / "packages" / "baseline_best.yaml"
    settings = DashboardSettings()
    settings.configure(reps=3, seed=0, population_scale=None, scenario=str(package), reference="baseline")
    assert settings.scenario == "baseline_best" and settings.reference == "baseline"
    assert "baseline_best" in settings.scenario_names and "status_quo" in settings.scenario_names
    shown = settings.scenario_of("baseline_best")
    assert shown == load_scenario(package)
    assert shown.levers.land.redevelopment_mu_per_year != settings.scenario_of("baseline").levers.land \
        .redevelopment_mu_per_year
    clash = tmp_path / "clash.yaml"
    clash.write_text("name: status_quo\nextends: baseline\n", encoding="utf-8")
    with pytest.raises(UserInputError, match="name: 'status_quo' — allowed: a name that no shipped scenario uses"):
        settings.configure(reps=3, seed=0, population_scale=None, scenario=str(clash), reference="baseline")
    with pytest.raises(UserInputError, match=r"no_such\.yaml"):
        settings.configure(reps=3, seed=0, population_scale=None, scenario=str(tmp_path / "no_such.yaml"),
                           reference="baseline")


# ----------------------------------------------------------------------------------------------------
# In the browser
# ----------------------------------------------------------------------------------------------------

CHROMIUM = os.environ.get("PARKABM_CHROMIUM", "/usr/bin/chromium")
"""Debian's Chromium; another path for a browser elsewhere."""


def _browser_or_skip():
    missing = []
    if not Path(CHROMIUM).is_file():
        missing.append(f"no browser at {CHROMIUM} (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
        import solara  # noqa: F401
    except ImportError as exc:
        missing.append(f"{exc.name} is not installed (pip install -e '.[test]')")
    if missing:
        if os.environ.get("CI"):
            pytest.fail("CI must run the dashboard test: " + "; ".join(missing))
        pytest.skip("; ".join(missing))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def dashboard_url():
    _browser_or_skip()
    port = _free_port()
    command = [sys.executable, "-c", "from parkabm.experiments.cli import main; main()", "dashboard",
               "--port", str(port), "--reps", str(REPS), "--population-scale", str(SCALE)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(600):
            if server.poll() is not None:
                pytest.fail("dashboard exited: " + server.stdout.read().decode(errors="replace"))
            try:
                urllib.request.urlopen(url, timeout=5)
                break
            except OSError:
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_dashboard_in_headless_chromium(dashboard_url, tmp_path, baseline, world):
    from playwright.sync_api import expect, sync_playwright

    expected_problem = None
    try:
        levers.build_scenario(baseline, {REDEVELOPMENT: 60000})
    except UserInputError as exc:
        expected_problem = str(exc)
    changed = levers.build_scenario(baseline, {REDEVELOPMENT: 50000}, population_scale=SCALE)
    reference = levers.build_scenario(baseline, {}, population_scale=SCALE)
    expected = runs.run_update(changed, reference, base_name="baseline", reference_name="baseline",
                               changes={REDEVELOPMENT: 50000}, reps=REPS, seed=0, world=world).targets

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1500, "height": 3400})
        page.set_default_timeout(120_000)
        expect.set_options(timeout=120_000)
        page.goto(dashboard_url)
        page.wait_for_selector(".parkabm-run")

        # move the redevelopment slider to its end with the keyboard, as a user would
        slider = page.locator(".parkabm-lever").filter(has_text="Low-efficiency land redeveloped") \
            .locator("[role=slider]")
        slider.focus()
        slider.press("End")
        field = page.locator(".parkabm-input-redevelopment_mu_per_year input")
        expect(field).to_have_value("50000.0")
        expect(page.locator(".parkabm-changes")).to_contain_text("land.redevelopment_mu_per_year = 50000")

        page.locator(".parkabm-run").click()
        page.wait_for_selector(".parkabm-run-state[data-state=current]", state="attached")
        chart = page.locator("img.parkabm-chart[data-chart=fan_total_output]")
        expect(chart).to_be_visible()
        assert chart.evaluate("img => img.naturalWidth") > 100
        assert page.locator("img.parkabm-chart[data-chart=parks_output]").evaluate("i => i.naturalWidth") > 100
        shown = {}
        for row in expected.itertuples(index=False):
            cell = page.locator(f"tr[data-target={row.target}] td.p-met")
            if row.n:
                shown[row.target] = (float(cell.get_attribute("data-value")),
                                     float(page.locator(f"tr[data-target={row.target}] td.diff")
                                           .get_attribute("data-value")))
        # the page shows the numbers of the same settings run in this process, and some differ from the baseline
        assert shown == {r.target: (pytest.approx(r.p_met), pytest.approx(r.diff))
                         for r in expected.itertuples(index=False) if r.n}
        assert any(diff != 0 for _, diff in shown.values())
        expect(page.locator(".parkabm-costs tr[data-component=fiscal_total_yi]")).to_be_visible()

        # the settings download is a scenario file that parkabm accepts and that reproduces the run's levers
        with page.expect_download() as download:
            page.get_by_role("button", name="Settings as scenario YAML").click()
        settings = tmp_path / download.value.suggested_filename
        download.value.save_as(settings)
        checked = subprocess.run([sys.executable, "-c", "from parkabm.experiments.cli import main; main()",
                                  "validate", str(settings)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        loaded = load_scenario(settings)
        assert loaded.extends == "baseline" and loaded.levers.land.redevelopment_mu_per_year == 50000
        with page.expect_download() as download:
            page.get_by_role("button", name="fan_total_output.png").click()
        chart_file = tmp_path / download.value.suggested_filename
        download.value.save_as(chart_file)
        assert chart_file.read_bytes().startswith(b"\x89PNG")
        page.screenshot(path=tmp_path / "dashboard.png", full_page=True)

        # Chinese labels, charts redrawn in Chinese
        page.get_by_role("button", name="中文").click()
        page.wait_for_selector("img.parkabm-chart[data-lang=zh]", state="attached")
        expect(page.locator(".parkabm-targets")).to_contain_text("达标概率")
        page.screenshot(path=tmp_path / "dashboard_zh.png", full_page=True)
        page.get_by_role("button", name="English").click()
        page.wait_for_selector("img.parkabm-chart[data-lang=en]", state="attached")

        # an out-of-range number: the CLI's message on the page, and Run disabled
        field.fill("60000")
        field.press("Enter")
        problem = page.locator(".parkabm-problem")
        expect(problem).to_have_text(expected_problem)
        expect(page.locator(".parkabm-run")).to_be_disabled()
        page.screenshot(path=tmp_path / "dashboard_error.png", full_page=True)
        browser.close()
    assert (tmp_path / "dashboard.png").stat().st_size > 10_000
