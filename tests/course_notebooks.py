"""The course's notebooks as the tests read them: their numbers, their exercises and solutions.

Conventions (followed by every notebook of ``notebooks/``):

- ``NN_topic.ipynb`` is course notebook ``NN``: the number in its title, its header and every
  cross-reference ("notebook 9") is the file's number; the course is read in that order.
- An exercise is a code cell with metadata ``{"exercise": "3.1", "tags": ["exercise"]}`` that ends
  by calling a check; its solution is a markdown cell with metadata ``{"solution": "3.1"}``
  holding the code in a folded ``<details>`` block (```python fence). Filling a notebook in
  replaces each exercise cell's source by its solution's code.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

nbformat = pytest.importorskip("nbformat")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
FENCE = re.compile(r"```python\n(.*?)```", re.S)


def number(path: Path) -> int:
    """The course number of a notebook: its file's number."""
    return int(path.stem[:2])


def read(path: Path) -> Any:
    return nbformat.read(path, as_version=4)


def exercises(nb: Any) -> dict[str, int]:
    """Exercise id -> index of its cell."""
    return {c.metadata["exercise"]: i for i, c in enumerate(nb.cells) if "exercise" in c.metadata}


def solutions(nb: Any) -> dict[str, str]:
    """Exercise id -> the code of its solution."""
    found = {}
    for c in nb.cells:
        if "solution" in c.metadata:
            blocks = FENCE.findall(c.source)
            if len(blocks) != 1:
                raise ValueError(f"solution {c.metadata['solution']} holds {len(blocks)} python blocks, not 1")
            found[c.metadata["solution"]] = blocks[0]
    return found


def filled(nb: Any) -> Any:
    """A copy of ``nb`` with every exercise cell's source replaced by its solution, outputs cleared."""
    copy = nbformat.from_dict(nb)
    sols = solutions(copy)
    for ex, i in exercises(copy).items():
        copy.cells[i].source = sols[ex]
    for c in copy.cells:
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
    return copy
