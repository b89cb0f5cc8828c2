"""The policy brief (``parkabm report``): the Chinese PDF and the English HTML, their text, tables and figures.

The PDF is printed by Debian's Chromium and read back with poppler (``pdftotext``, ``pdftoppm``, ``pdffonts``).
Without them the PDF test is skipped, except under ``CI``, where ``.ci/run`` installs both and the test must run.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from parkabm.experiments.cli import main
from parkabm.experiments.report import build, sources
from parkabm.experiments.report.pdf import find_chromium
from parkabm.experiments.report.text import TEXT
from parkabm.model.outputs.targets import headline_targets
from parkabm.scenarios.world import load_world

REPS = 4
SCENARIOS = ["baseline", "land_first"]
LEVERS = "levers: [levers.land.redevelopment_mu_per_year, levers.recruitment.effort]\n"
POPPLER = ("pdftotext", "pdftoppm", "pdfinfo", "pdffonts")


def _tools_or_skip() -> None:
    missing = [] if find_chromium() else ["no Chromium (apt-get install chromium)"]
    missing += [f"no {tool} (apt-get install poppler-utils)" for tool in POPPLER if shutil.which(tool) is None]
    if missing:
        if os.environ.get("CI"):
            pytest.fail("CI must print and read the PDF report: " + "; ".join(missing))
        pytest.skip("; ".join(missing))


def _report(args: list[str]) -> str:
    result = CliRunner().invoke(main, ["report", *args])
    assert result.exit_code == 0, result.output + str(result.exception)
    return result.output


@pytest.fixture(scope="module")
def zh_pdf(tmp_path_factory):
    """``parkabm report baseline land_first --lang zh --format pdf`` at small sizes, its lever effects measured."""
    _tools_or_skip()
    folder = tmp_path_factory.mktemp("report")
    levers = folder / "levers.yaml"
    levers.write_text(LEVERS, encoding="utf-8")
    out = folder / "zh"
    _report([*SCENARIOS, "--lang", "zh", "--format", "pdf", "--reps", str(REPS), "--effects-reps", "3",
             "--levers", str(levers), "--workers", "1", "--out", str(out)])
    return out


@pytest.fixture(scope="module")
def en_html(tmp_path_factory):
    """The English HTML, reading the effects of a small ``parkabm effects`` run (``--effects DIR``)."""
    folder = tmp_path_factory.mktemp("report_en")
    levers = folder / "levers.yaml"
    levers.write_text(LEVERS, encoding="utf-8")
    effects = folder / "effects"
    result = CliRunner().invoke(main, ["effects", "baseline", "--reps", "3", "--workers", "1", "--levers",
                                       str(levers), "--out", str(effects)])
    assert result.exit_code == 0, result.output
    out = folder / "en"
    _report([*SCENARIOS, "--reps", str(REPS), "--effects", str(effects), "--workers", "1", "--out", str(out)])
    return out, effects


def _pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_chinese_pdf_has_its_pages_headings_fonts_and_figures(zh_pdf):
    pdf = zh_pdf / "report.zh.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert 4 <= pages <= 20
    body = _pdf_text(pdf)
    flat = re.sub(r"\s+", "", body)
    for key in ("question", "answer", "projections", "comparison", "effects", "depends", "method", "caveats"):
        assert re.sub(r"\s+", "", TEXT[key]["zh"]) in flat, key
    assert "□" not in body and "\ufffd" not in body
    # every target of targets.csv by its Chinese name
    for name in load_world().targets["name_zh"].unique():
        assert re.sub(r"\s+", "", str(name)) in flat, name
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "yes" in fonts  # the fonts are embedded
    _assert_no_tofu(pdf, zh_pdf)
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(zh_pdf / "page")], check=True)
    images = sorted(zh_pdf.glob("page-*.png"))
    assert len(images) == pages
    from matplotlib.image import imread

    chart_pixels = []
    for image in images:
        rgb = imread(image)[..., :3]
        assert (rgb < 0.5).any(), f"{image.name} is blank"
        # the charts' bands and lines are the project's blue; text and tables are grey or black
        blue = (rgb[..., 2] - rgb[..., 0] > 0.15)
        chart_pixels.append(int(blue.sum()))
    assert sum(p > 500 for p in chart_pixels) >= 2, chart_pixels


FULL_WIDTH = "[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]"


def _assert_no_tofu(pdf: Path, folder: Path, dpi: int = 150) -> None:
    """Chinese words of page 1 are drawn as different glyphs, not one empty box repeated (tofu).

    pdftotext places each word; its full-width characters share the word's width equally, so each one's cell is
    cut from the page drawn at ``dpi`` and the cells are compared: a missing glyph is the same box every time.
    """
    from matplotlib.image import imread

    words = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True,
                           text=True, check=True).stdout
    found = [(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(' + FULL_WIDTH + '{4,})</word>',
        words)]
    assert found, "no Chinese word on page 1"
    subprocess.run(["pdftoppm", "-r", str(dpi), "-f", "1", "-l", "1", "-png", str(pdf), str(folder / "first")],
                   check=True)
    page = imread(next(folder.glob("first*.png")))[..., :3].mean(axis=2) < 0.5
    scale = dpi / 72
    for x0, y0, x1, y1, word in found[:3]:
        width = (x1 - x0) / len(word)
        rows = slice(int(y0 * scale), int(y1 * scale))
        cells = [page[rows, int((x0 + i * width) * scale):int((x0 + (i + 1) * width) * scale)]
                 for i in range(len(word))]
        size = min(c.shape[1] for c in cells)
        cells = [c[:, :size] for c in cells]
        assert all(c.any() for c in cells), f"a character of {word!r} is blank"
        differing = [float((a != b).mean()) for a, b in itertools.pairwise(cells)]
        assert max(differing) > 0.03, f"{word!r} is drawn as one repeated box"


def test_english_html_is_self_contained_with_every_section(en_html):
    out, effects = en_html
    html = (out / "report.en.html").read_text(encoding="utf-8")
    # self-contained: no file, script or stylesheet loaded from elsewhere
    assert not re.search(r"""(src|href)\s*=\s*["'](?!#|data:)""", html)
    assert "<script" not in html and "@import" not in html and "url(file:" not in html
    assert html.count('<svg class="chart"') == 2 * len(SCENARIOS) + 1  # fan charts and the comparison
    for key in ("question", "answer", "projections", "comparison", "effects", "depends", "method", "caveats"):
        assert TEXT[key]["en"] in html, key
    head = headline_targets()
    world = load_world().targets.reset_index().set_index("target")
    for metric in ("total_output_yi", "leading_share"):
        assert str(world.loc[head[metric].target, "name_en"]).lower()[:20] in html.lower()
    assert "all enterprises above scale" in html or "all_guishang" in html
    assert f"{effects / 'effects.csv'}" in html
    assert "Spearman" in html  # the fallback of the decomposition, labelled
    assert "Most behavioural parameters are assumed" in html  # ODD §11, read from the document


def test_every_probability_matches_the_comparison_and_unmodelled_targets_have_none(en_html, tmp_path):
    out, _ = en_html
    table = pd.read_csv(out / "comparison.csv")
    world = load_world()
    targets = table[table["kind"] == "target"]
    rows = build.target_rows(targets.assign(n=targets["n"].astype(int)), ["baseline", "land_first"], world, "en")
    html = (out / "report.en.html").read_text(encoding="utf-8")
    for row in rows:
        for cell in row["cells"]:
            assert cell in html
    evaluated = targets[targets["n"] > 0].iloc[0]
    assert build.probability_cell(evaluated["p_met"], evaluated["ci_low"], evaluated["ci_high"]) in html
    # a `modelled` column saying false turns a target's P into "not modelled"
    marked = world.targets.copy()
    marked["modelled"] = ["false" if i == evaluated["name"] else "true" for i in marked.index]
    marked["not_modelled_reason"] = ["a reason" if i == evaluated["name"] else "" for i in marked.index]
    shown = build.target_rows(targets, ["baseline", "land_first"], _with_targets(world, marked), "zh")
    cells = {r["id"]: r["cells"] for r in shown}
    assert cells[evaluated["name"]] == ["未建模", "未建模"]
    assert any("%" in c for k, v in cells.items() if k != evaluated["name"] for c in v)


def _with_targets(world, targets):
    import dataclasses

    return dataclasses.replace(world, targets=targets)


def test_modelled_column_and_unproduced_indicators():
    targets = load_world().targets.reset_index()
    targets = targets.assign(modelled="true", not_modelled_reason="")
    flags = build.modelled_targets(targets)
    assert all(flags.values())  # every shipped target's indicator is an output
    marked = targets.assign(modelled=["false" if i == 0 else "true" for i in range(len(targets))],
                            not_modelled_reason=["a reason" if i == 0 else "" for i in range(len(targets))])
    flags = build.modelled_targets(marked)
    assert not flags[targets["target"].iloc[0]] and all(flags[t] for t in targets["target"].iloc[1:])
    shipped = build.target_statuses(load_world().targets)
    assert shipped["clusters_qianyi_2023"] == "met at base year"
    assert shipped["strategic_platforms_2023"] == "not modelled"
    unknown = targets.assign(metric=["no_such_output", *list(targets["metric"].iloc[1:])])
    assert not build.modelled_targets(unknown)[targets["target"].iloc[0]]


def test_decomposition_file_is_shown_and_bad_files_are_refused(en_html, tmp_path):
    _out, effects = en_html
    good = tmp_path / "decomposition.csv"
    good.write_text("group,target,share\ntrend growth,total_output_2023,0.61\nbase output,total_output_2023,0.27\n",
                    encoding="utf-8")
    again = tmp_path / "again"
    _report([*SCENARIOS, "--reps", "2", "--effects", str(effects), "--workers", "1", "--decomposition", str(good),
             "--out", str(again)])
    html = (again / "report.en.html").read_text(encoding="utf-8")
    assert "61%" in html and "27%" in html and "trend growth" in html and "Spearman" not in html
    bad = tmp_path / "bad.csv"
    bad.write_text("group,target,share\ntrend growth,total_output_2023,1.7\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["report", *SCENARIOS, "--effects", str(effects), "--decomposition", str(bad),
                                       "--out", str(tmp_path / "never")])
    assert result.exit_code == 2
    assert "--decomposition" in result.output and "share" in result.output and "from 0 to 1" in result.output
    assert not (tmp_path / "never").exists()
    missing = tmp_path / "cols.csv"
    missing.write_text("group,value\na,1\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["report", *SCENARIOS, "--effects", str(effects), "--decomposition",
                                       str(missing), "--out", str(tmp_path / "never")])
    assert result.exit_code == 2 and "missing column" in result.output


def test_bad_inputs_stop_with_one_message_and_write_nothing(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["report", "baseline", "--effects", str(tmp_path / "nowhere"), "--out",
                                  str(tmp_path / "out")])
    assert result.exit_code == 2 and "--effects" in result.output and "effects.csv" in result.output
    result = runner.invoke(main, ["report", "no_such_scenario", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "no_such_scenario" in result.output
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep", encoding="utf-8")
    result = runner.invoke(main, ["report", "baseline", "--out", str(foreign)])
    assert result.exit_code == 2 and "parkabm did not write it" in result.output
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "keep"
    assert not (tmp_path / "out").exists()
    assert "Traceback" not in result.output


def test_parameter_draws_are_those_of_the_runs():
    from parkabm.experiments.analysis.projection import run_replicates
    from parkabm.scenarios.loader import load_scenario

    scenario = load_scenario("baseline")
    scenario = scenario.model_copy(update={"world": scenario.world.model_copy(update={"horizon": 2022})})
    runs = run_replicates(scenario, reps=3, seed=5).parameters.set_index("replicate")
    draws = build.parameter_draws(["baseline"], 3, 5).set_index("replicate")
    for name in runs.columns:
        assert np.allclose(runs[name].to_numpy(dtype=float), draws[name].to_numpy(dtype=float)), name


def test_method_passages_are_cut_from_the_documents():
    odd = sources.read_document(sources.ODD)
    if odd is None:
        pytest.skip("docs/ODD.md is not in this installation")
    limitations = sources.section(odd, "11")
    assert limitations and limitations.splitlines()[0].startswith("- ")
    scope = sources.paragraph(sources.section(odd, "2"), "Output scope")
    assert scope.startswith("**Output scope**")
    files = sources.data_files()
    assert set(files["file"]) == {p.name for p in sources.data_folder().glob("*.csv")}
    targets = pd.read_csv(sources.data_folder() / "targets.csv")
    row = files.set_index("file").loc["targets.csv"]
    assert row["rows"] == len(targets) and row["what"]


def test_pdf_without_a_browser_stops_before_running(tmp_path, monkeypatch):
    monkeypatch.setenv("PARKABM_CHROMIUM", str(tmp_path / "no_browser"))
    result = CliRunner().invoke(main, ["report", "baseline", "--format", "pdf", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "--format pdf" in result.output and "Chromium" in result.output and "--format html" in result.output
    assert not (tmp_path / "out").exists()
