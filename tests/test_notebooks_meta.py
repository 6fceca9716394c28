"""The notebooks are stored executed, cite their sources, and are real checks.

nbmake executes them (see ``[tool.pytest.ini_options]``); these tests check
what execution cannot: that they are saved *with* their outputs (so they read
well on a code host), executed top to bottom in one run without an error, on
the standard ``python3`` kernel, with small outputs, and that they open with the
work they follow and assert their hand formulas against the engine.
``python notebooks/run_all.py`` re-executes them in place.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
# the course, in reading order
COURSE = [
    "01_chain_rule",
    "02_mlp_backprop",
    "09_four_equations",
    "10_worked_example",
    "06_sum_over_paths",
    "03_softmax_cross_entropy",
    "07_training_mlp",
    "11_vanishing_gradients",
    "04_conv_and_pooling",
    "05_rnn_bptt",
    "08_higher_order",
]
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
MINE = [p for p in PATHS if p.stem in COURSE]
MAX_NOTEBOOK_BYTES = 400_000
MAX_IMAGE_CHARS = 150_000  # one embedded image (base64 PNG or SVG text)


def _read(path: Path):
    return nbformat.read(path, as_version=4)


def test_the_course_is_all_there() -> None:
    stems = [p.stem for p in PATHS]
    assert set(COURSE) <= set(stems), f"missing: {set(COURSE) - set(stems)}"
    for stem in stems:
        assert re.fullmatch(r"\d\d_[a-z0-9_]+", stem), f"{stem}: notebooks are named NN_topic"
    numbers = [s[:2] for s in stems]
    assert len(numbers) == len(set(numbers)), f"two notebooks share a number: {stems}"


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_saved_executed_in_order_without_errors(path: Path) -> None:
    nb = _read(path)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec") == KERNELSPEC, f"{path.name}: kernelspec {nb.metadata.get('kernelspec')}"
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    assert code, f"{path.name} has no code"
    # one run, top to bottom: execution counts 1, 2, 3, ... in cell order
    counts = [c.execution_count for _, c in code]
    assert counts == list(range(1, len(code) + 1)), (
        f"{path.name}: execution counts {counts}; run `python notebooks/run_all.py {path.stem}` to store a clean run"
    )
    assert any(c.outputs for _, c in code), f"{path.name} was saved without outputs"
    for i, cell in code:
        for out in cell.outputs:
            assert out.output_type != "error", f"{path.name}: cell {i} stored an error: {out.get('ename')}"
            if out.output_type == "stream":
                assert "Traceback" not in out.text, f"{path.name}: cell {i} printed a traceback"
            for mime, data in out.get("data", {}).items():
                if mime.startswith("image/"):
                    size = len(data) if isinstance(data, str) else len("".join(data))
                    assert size <= MAX_IMAGE_CHARS, f"{path.name}: cell {i} embeds a {size}-character {mime}"
    assert path.stat().st_size <= MAX_NOTEBOOK_BYTES, f"{path.name} is {path.stat().st_size} bytes"


@pytest.mark.parametrize("path", MINE, ids=[p.stem for p in MINE])
def test_opens_with_its_source_and_place_in_the_course(path: Path) -> None:
    nb = _read(path)
    assert nb.cells and nb.cells[0].cell_type == "markdown", f"{path.name} must open with its derivation"
    opening = nb.cells[0].source
    assert "**Follows:**" in opening, f"{path.name}: the opening cell must name the work it follows"
    position = COURSE.index(path.stem) + 1
    assert f"notebook {position} of" in opening, f"{path.name}: the opening cell must give its place in the course"
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            # readers do not have the private source texts: cite works by title and author instead
            assert not re.search(r"\bseeds?\b", cell.source, re.IGNORECASE), f"{path.name}: cell {i} says 'seed'"


@pytest.mark.parametrize("path", MINE, ids=[p.stem for p in MINE])
def test_teaches_then_checks(path: Path) -> None:
    nb = _read(path)
    asserts = 0
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source, filename=f"{path.name}[{i}]")  # also: every code cell is valid Python
        asserts += sum(isinstance(node, ast.Assert) for node in ast.walk(tree))
    assert asserts >= 3, f"{path.name}: only {asserts} assert statements; the hand formulas must be checked"
    source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "1e-9" in source, f"{path.name}: hand formula and engine must be compared to 1e-9"
