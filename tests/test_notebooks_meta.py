"""The notebooks are stored clean and are real checks.

nbmake executes them (see ``[tool.pytest.ini_options]``); these tests check
what execution cannot: that they are saved without outputs, run on the
standard ``python3`` kernel, and assert their hand formulas against the engine.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
EXPECTED = [
    "01_chain_rule",
    "02_mlp_backprop",
    "03_softmax_cross_entropy",
    "04_conv_and_pooling",
    "05_rnn_bptt",
    "06_sum_over_paths",
    "07_training_mlp",
    "08_higher_order",
]
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))


def _read(path: Path):
    return nbformat.read(path, as_version=4)


def test_one_notebook_per_derivation() -> None:
    assert [p.stem for p in PATHS] == EXPECTED


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_saved_clean_on_the_python3_kernel(path: Path) -> None:
    nb = _read(path)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec") == KERNELSPEC, f"{path.name}: kernelspec {nb.metadata.get('kernelspec')}"
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: cell {i} was saved with outputs"
            assert cell.execution_count is None, f"{path.name}: cell {i} has an execution count"


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_teaches_then_checks(path: Path) -> None:
    nb = _read(path)
    assert nb.cells and nb.cells[0].cell_type == "markdown", f"{path.name} must open with its derivation"
    assert "seed text" in nb.cells[0].source, f"{path.name}: the opening cell must cite the seed it reproduces"
    asserts = 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source, filename=f"{path.name}[{i}]")  # also: every code cell is valid Python
        asserts += sum(isinstance(node, ast.Assert) for node in ast.walk(tree))
    assert asserts >= 3, f"{path.name}: only {asserts} assert statements; the hand formulas must be checked"
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "1e-9" in source, f"{path.name}: hand formula and engine must be compared to 1e-9"
