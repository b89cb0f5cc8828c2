"""The notebooks run top to bottom in a fresh kernel, and are committed without outputs.

Each notebook reads ``PARKABM_NOTEBOOK_REPS`` (replicates per scenario) and ``PARKABM_NOTEBOOK_OUT`` (folder for its
files); the tests set a handful of replicates and a temporary folder, so a notebook runs in seconds.
"""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
TEST_REPS = 4
CELL_TIMEOUT_S = 120


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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, tmp_path, monkeypatch):
    monkeypatch.setenv("PARKABM_NOTEBOOK_REPS", str(TEST_REPS))
    monkeypatch.setenv("PARKABM_NOTEBOOK_OUT", str(tmp_path / "results"))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, with the failing cell and its traceback, if a cell fails
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    tofu = [o.text for o in outputs if o.output_type == "stream" and "missing from font" in o.text]
    assert not tofu, tofu
    shown = [o for o in outputs if "image/png" in o.get("data", {})]
    assert shown, f"{path.name} shows no chart"
    assert any((tmp_path / "results").rglob("*.svg")), f"{path.name} wrote no chart file"
