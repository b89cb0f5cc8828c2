"""`parkabm plot` redraws the charts of a `parkabm run` folder without running the model, and refuses other folders."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from parkabm.experiments.charts import plot as plot_module
from parkabm.experiments.cli import main

REPS = 3
CHARTS_OF_A_RUN = {"fan_total_output", "fan_leading_share", "parks_output", "parks_leading_share", "clusters",
                   "cluster_counts", "land_balance"}


def invoke(*args):
    return CliRunner().invoke(main, [*map(str, args)])


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    """A small `parkabm run` output, made once for this module."""
    folder = tmp_path_factory.mktemp("plot")
    scenario = folder / "small.yaml"
    scenario.write_text("name: small\nextends: baseline\nworld:\n  population_scale: 0.15\n", encoding="utf-8")
    result = invoke("run", scenario, "--reps", REPS, "--out", folder / "run")
    assert result.exit_code == 0, result.output
    return folder / "run"


@pytest.mark.parametrize("lang, fmt", [("en", "png"), ("zh", "svg"), ("zh", "pdf")])
def test_plot_writes_every_chart_the_run_supports(run_folder, tmp_path, lang, fmt, monkeypatch):
    def no_model_runs(*_args, **_kwargs):
        raise AssertionError("parkabm plot ran the model")

    monkeypatch.setattr("parkabm.model.city.ParkModel.step", no_model_runs)
    out = tmp_path / "charts"
    result = invoke("plot", run_folder, "--lang", lang, "--format", fmt, "--out", out)
    assert result.exit_code == 0, result.output
    written = {p.name for p in out.iterdir()}
    assert written == {f"{name}.{lang}.{fmt}" for name in CHARTS_OF_A_RUN}  # the language in every name
    assert all(p.stat().st_size > 5_000 for p in out.iterdir())
    assert f"charts in {out}/" in result.output
    assert "not drawn" not in result.output  # a run folder supports every chart


def test_plot_defaults_to_the_results_folder(run_folder):
    result = invoke("plot", run_folder)
    assert result.exit_code == 0, result.output
    assert all((run_folder / f"{name}.en.png").is_file() for name in CHARTS_OF_A_RUN)
    assert json.loads((run_folder / "summary.json").read_text(encoding="utf-8"))["reps"] == REPS


def test_plot_results_is_the_same_function_for_notebooks(run_folder, tmp_path):
    files = plot_module.plot_results(run_folder, lang="zh", fmt="svg", out=tmp_path / "nb")
    assert set(files) == CHARTS_OF_A_RUN
    assert list(files) == [c for c in plot_module.CHARTS if c in files]
    assert files["land_balance"].read_text(encoding="utf-8").lstrip().startswith("<?xml")


@pytest.mark.parametrize("make, fragment", [
    (lambda d: d / "missing", "not there"),
    (lambda d: d, "summary.json"),
    (lambda d: (d / "file.txt").write_text("x") and d / "file.txt", "a file"),
    (lambda d: (d / "summary.json").write_text("{broken") and (d / "yearly.parquet").write_text("no") and d,
     "cannot be read"),
])
def test_a_folder_that_is_not_a_results_folder_exits_2(tmp_path, make, fragment):
    target = make(tmp_path)
    result = invoke("plot", target)
    assert result.exit_code == 2
    assert "RESULTS_DIR" in result.output and fragment in result.output
    assert "Traceback" not in result.output


def test_bad_options_exit_2(run_folder, tmp_path):
    (tmp_path / "a_file").write_text("x")
    for args in (["--format", "gif"], ["--lang", "fr"], ["--out", tmp_path / "a_file"]):
        result = invoke("plot", run_folder, *args)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_chart_title_names_the_scenario_once_in_one_style(run_folder, tmp_path, monkeypatch, lang):
    """Titles start with the scenario, have no doubled colon, and Chinese titles use full-width brackets only."""
    from parkabm.experiments import charts

    drawn = {}

    def keep(fig, path, fmt):
        drawn[Path(path).name] = fig
        return Path(path)

    monkeypatch.setattr("parkabm.experiments.charts.projection.save_figure", keep)
    monkeypatch.setattr("parkabm.experiments.charts.save_figure", keep)
    plot_module.plot_results(run_folder, lang=lang, out=tmp_path)
    assert set(drawn) == {f"{name}.{lang}.png" for name in CHARTS_OF_A_RUN}
    scenario = charts.scenario_label("small", lang)
    for name, fig in drawn.items():
        title = fig.get_suptitle() or fig.axes[0].get_title()
        assert title.startswith(scenario), (name, title)
        assert "::" not in title and "：：" not in title and ": :" not in title, (name, title)
        assert title.count(":") + title.count("：") == 1, (name, title)
        if lang == "zh":
            assert "(" not in title and ")" not in title, (name, title)
