"""Every notebook in notebooks/ runs in a real Jupyter kernel, and every plotting cell shows its
figure (the inline backend, as a researcher sees it); notebook 05's paper figures match the
committed reference images.

The kernel runs without the test session's ``MPLBACKEND=Agg``, so it uses Jupyter's inline
backend: a figure shows only if it reaches the cell's outputs as an ``image/png``. Before the
theme stopped wrapping figure creation in ``matplotlib.rc_context``, only the first figure of a
kernel showed (issue: "only the first figure shows in Jupyter").
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest
from matplotlib.testing.compare import compare_images
from nbclient import NotebookClient

import hormonestats as hs

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
REFERENCE = ROOT / "tests" / "reference" / "figures"

#: a cell that draws: calls an hs.plots figure function (not save/theme)
PLOT_CALL = re.compile(r"\bhs\.plots\.(?!save\b|set_theme\b|theme\b)\w+\(")

#: figures each notebook must show (a notebook that loses a figure fails here)
EXPECTED_FIGURES = {
    "01_validate_and_process": 0,
    "02_test_hypotheses": 4,
    "03_repeated_and_dyadic": 1,
    "04_power": 1,
    "05_paper_figures": 8,
}

#: RMS difference (0-255 grey levels) allowed against the reference PNGs: covers font
#: rasterisation differences between FreeType builds, not a changed line, bar or label position
TOLERANCE = 3.0

_RUNS: dict[str, tuple[nbformat.NotebookNode, Path]] = {}


def run_notebook(path: Path, folder: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    NotebookClient(nb, timeout=600, kernel_name="python3").execute(cwd=str(folder), env=env)
    return nb


def executed(path: Path, tmp_path_factory) -> tuple[nbformat.NotebookNode, Path]:
    if path.stem not in _RUNS:
        folder = tmp_path_factory.mktemp(path.stem)
        _RUNS[path.stem] = (run_notebook(path, folder), folder)
    return _RUNS[path.stem]


def images(cell) -> int:
    return sum("image/png" in out.get("data", {}) for out in cell.get("outputs", []))


def test_every_notebook_is_listed():
    assert {p.stem for p in NOTEBOOKS} == set(EXPECTED_FIGURES)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_every_plotting_cell_shows_its_figure(path, tmp_path_factory):
    nb, _ = executed(path, tmp_path_factory)
    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.outputs if o.get("output_type") == "error"]
    assert not errors
    plotting = [c for c in code if PLOT_CALL.search(c.source)]
    shown = [images(c) for c in plotting]
    assert shown == [1] * len(plotting), [
        (c.source.splitlines()[-1], n) for c, n in zip(plotting, shown) if n != 1
    ]
    assert sum(images(c) for c in code) == EXPECTED_FIGURES[path.stem]


def test_paper_figures_match_the_reference_images(tmp_path_factory):
    path = ROOT / "notebooks" / "05_paper_figures.ipynb"
    _, folder = executed(path, tmp_path_factory)
    written = sorted((folder / "figures").glob("*.png"))
    references = sorted(p for p in REFERENCE.glob("*.png") if "-failed-diff" not in p.name)
    assert [p.name for p in written] == [p.name for p in references]
    assert len(written) == EXPECTED_FIGURES["05_paper_figures"]
    failures = [
        msg for ref, new in zip(references, written)
        if (msg := compare_images(str(ref), str(new), tol=TOLERANCE)) is not None
    ]
    assert not failures, failures


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.mark.parametrize("backend", ["inline", "widget"])
def test_every_figure_shows_in_inline_and_widget_backends(backend, tmp_path):
    """Two hs.plots figures, then a plain matplotlib one, in a fresh kernel: each shows (the
    widget backend, ipympl, displays a canvas widget with a PNG fallback)."""
    cells = [
        f"%matplotlib {backend}\nimport pandas as pd\nimport hormonestats as hs\n"
        "tab = pd.DataFrame({'n': [50, 100, 200], 'power': [0.3, 0.6, 0.9]})",
        "hs.plots.power_curve(tab);",
        "hs.plots.forest(pd.DataFrame({'hypothesis': ['H1'], 'estimate': [0.2],\n"
        "                              'conf_low': [0.1], 'conf_high': [0.3]}));",
        "import matplotlib.pyplot as plt\nplt.figure()\nplt.plot([1, 2]);",
    ]
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}  # fmt: skip
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    NotebookClient(nb, timeout=300, kernel_name="python3").execute(cwd=str(tmp_path), env=env)
    kind = "image/png" if backend == "inline" else WIDGET_VIEW
    shown = [sum(kind in o.get("data", {}) for o in c.outputs) for c in nb.cells[1:]]
    assert shown == [1, 1, 1]


def test_notebooks_use_only_public_names():
    """A reader copies notebook cells into their own work: only ``hs.<public name>``."""
    import json

    private = re.compile(r"from hormonestats\.|import hormonestats\.|hormonestats\.[a-z_]+\.")
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            source = "".join(cell["source"])
            if cell["cell_type"] == "code":
                assert not private.search(source), (path.stem, source)
                assert not re.search(r"\b(gene|env|cov_type|w|w_values)=", source), source
                for name in re.findall(r"\bhs\.([A-Za-z_]\w*)", source):
                    assert name in hs.__all__, (path.stem, name)
