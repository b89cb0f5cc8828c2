"""The notebooks run top to bottom in a fresh kernel, end with computed conclusions, and are committed without outputs.

Each notebook reads ``PARKABM_NOTEBOOK_REPS`` (replicates per scenario, or the sample size of its design) and
``PARKABM_NOTEBOOK_OUT`` (folder for its files); the tests set a small size and a temporary folder, so a notebook runs
in seconds, and every notebook then says that it runs in quick mode.
"""

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
TEST_REPS = 8
CELL_TIMEOUT_S = 120
QUICK_NOTE = "numbers not meaningful"
SIZE_SHOWN = {  # what each notebook prints when PARKABM_NOTEBOOK_REPS is TEST_REPS: the value is used, not a switch
    "01_quickstart": f"{TEST_REPS} replicates of baseline",
    "02_compare_interventions": f"5 scenarios × {TEST_REPS} replicates",
    "03_sensitivity": f"{TEST_REPS} base samples;",
    "04_scenario_discovery": f"{TEST_REPS} runs over",
    "05_calibration": f"uses {TEST_REPS} seeds",
}
PANEL_CLICK = "panel_reps.value = 2\nrun_button.click()"
"""Appended to 02 by the test: pressing the panel's button runs a comparison (the notebook itself never presses it)."""


def test_the_notebooks_are_there():
    assert {p.name for p in NOTEBOOKS} >= {"01_quickstart.ipynb", "02_compare_interventions.ipynb"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a cell has outputs; clear them before committing"
            assert cell.execution_count is None, f"{path.name}: a cell has an execution count"


def test_every_notebook_has_a_size_check():
    assert {p.stem for p in NOTEBOOKS} == set(SIZE_SHOWN)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_ends_with_a_conclusion_cell_that_computes_its_text(path):
    nb = nbformat.read(path, as_version=4)
    heading = [i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith("## Conclusion")]
    assert heading, f"{path.name} has no Conclusion section"
    after = [c for c in nb.cells[heading[-1] + 1:] if c.cell_type == "code"]
    assert after and "conclusion" in after[0].source and 'f"' in after[0].source and "print(" in after[0].source


def _texts(cell) -> str:
    return "".join(o.get("text", "") if o.output_type == "stream" else str(o.get("data", {}).get("text/plain", ""))
                   for o in cell.outputs)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, tmp_path, monkeypatch):
    monkeypatch.setenv("PARKABM_NOTEBOOK_REPS", str(TEST_REPS))
    monkeypatch.setenv("PARKABM_NOTEBOOK_OUT", str(tmp_path / "results"))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(path, as_version=4)
    panel = path.stem == "02_compare_interventions"
    if panel:
        nb.cells.append(new_code_cell(PANEL_CLICK))
    client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, with the failing cell and its traceback, if a cell fails
    code = [c for c in nb.cells if c.cell_type == "code"]
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    tofu = [o.text for o in outputs if o.output_type == "stream" and "missing from font" in o.text]
    assert not tofu, tofu
    shown = [o for o in outputs if "image/png" in o.get("data", {})]
    assert shown, f"{path.name} shows no chart"
    assert any((tmp_path / "results").rglob("*.svg")), f"{path.name} wrote no chart file"
    everything = "".join(_texts(c) for c in code)
    assert SIZE_SHOWN[path.stem] in everything, f"{path.name} does not use PARKABM_NOTEBOOK_REPS={TEST_REPS}"
    first = _texts(code[0])
    assert "quick mode:" in first and QUICK_NOTE in first, f"{path.name} does not say that {TEST_REPS} is a quick run"

    heading = max(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith("## Concl"))
    cell = next(c for c in nb.cells[heading + 1:] if c.cell_type == "code")
    conclusion = _texts(cell)
    numbers = re.findall(r"\d+(?:\.\d+)?%?", conclusion)
    assert len(numbers) >= 3, f"{path.name}: the conclusion states no numbers: {conclusion!r}"
    computed = [n for n in numbers if n not in cell.source]
    assert computed, f"{path.name}: every number of the conclusion is typed in its cell"
    assert QUICK_NOTE in conclusion

    if panel:
        widgets = [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
        assert widgets, "02 shows no lever panel"
        ran = list((tmp_path / "results" / "panel").glob("*/compare/comparison.csv"))
        assert len(ran) == 1, "pressing the panel's button ran no comparison"
