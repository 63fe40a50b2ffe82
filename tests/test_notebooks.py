"""The analyst notebooks: committed without outputs, in sync with their generator, and
running top to bottom on the bundled sample data."""
from __future__ import annotations

import importlib.util
import re

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import ROOT

NB_DIR = ROOT / "notebooks"
NOTEBOOKS = ["01_explore_reports.ipynb", "02_error_analysis.ipynb", "03_panel.ipynb"]


def read(name: str):
    return nbformat.read(NB_DIR / name, as_version=4)


def generator():
    spec = importlib.util.spec_from_file_location("make_notebooks", NB_DIR / "make_notebooks.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_notebooks_have_no_outputs(name):
    nb = read(name)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


@pytest.mark.parametrize("name,cells", [(NOTEBOOKS[0], "EXPLORE"), (NOTEBOOKS[1], "ERRORS"),
                                        (NOTEBOOKS[2], "PANEL")])
def test_notebooks_match_their_generator(name, cells):
    want = [(c.cell_type, c.source) for c in getattr(generator(), cells)]
    assert [(c.cell_type, c.source) for c in read(name).cells] == want


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebooks_define_no_logic(name):
    """Cells call package functions and plot; helpers belong in the package."""
    for cell in read(name).cells:
        if cell.cell_type == "code":
            assert not re.search(r"^\s*(def|class|lambda)\b|\blambda\b", cell.source, re.M)


def execute(name: str):
    nb = read(name)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    return nb


def texts(cell) -> str:
    out = []
    for o in cell.outputs:
        if o.output_type == "stream":
            out.append(o.text)
        elif "data" in o:
            out.append(o.data.get("text/plain", ""))
    return "\n".join(out)


def tagged(nb, tag: str) -> list:
    return [c for c in nb.cells if tag in c.metadata.get("tags", [])]


def images(nb) -> int:
    return sum("image/png" in o.get("data", {}) for c in nb.cells if c.cell_type == "code"
               for o in c.outputs)


def test_explore_reports_runs_on_the_samples():
    nb = execute(NOTEBOOKS[0])  # a cell error raises CellExecutionError
    n_samples = len([p for p in (ROOT / "samples" / "reports").glob("seed-*.txt")])
    assert f"{n_samples} reports, 0 with errors" in texts(tagged(nb, "reports")[0])
    m = re.search(r"(\d+) facts, (\d+) mapped", texts(tagged(nb, "facts")[0]))
    assert m and int(m.group(1)) > 0 and int(m.group(2)) > 0
    assert "received" in texts(tagged(nb, "requests")[0])
    plots = tagged(nb, "plot")
    assert len(plots) == 4 and all(any("image/png" in o.get("data", {}) for o in c.outputs)
                                   for c in plots)


def test_error_analysis_runs_on_the_gold_dev_split():
    nb = execute(NOTEBOOKS[1])
    out = texts(tagged(nb, "analysis")[0])
    m = re.search(r"(\d+) dev documents, (\d+) gold spans, (\d+) predicted", out)
    assert m and int(m.group(1)) > 0 and int(m.group(2)) > 0
    assert "dev split: " in out
    assert images(nb) == 2


def test_panel_notebook_runs_on_the_samples():
    nb = execute(NOTEBOOKS[2])
    n_samples = len([p for p in (ROOT / "samples" / "reports").glob("seed-*.txt")])
    m = re.search(r"(\d+) records, (\d+) reports joined", texts(tagged(nb, "panel")[0]))
    assert m and int(m.group(1)) == n_samples and int(m.group(2)) > 0
    assert images(nb) == 3
