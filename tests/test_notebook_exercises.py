"""Every notebook runs with its exercises' hidden solutions filled in, and every check passes.

The stored notebooks keep the exercises open (nbmake runs them as they are); here each exercise
cell gets its solution and the notebook runs with ``CHAINRULE_EXERCISES=strict``, where a check
that does not pass raises. Notebook 0 is the course's "build your own engine": run filled in, it
builds the engine and checks it against autograd and central differences.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.course_notebooks import NOTEBOOKS, PATHS, exercises, filled, read, solutions

nbclient = pytest.importorskip("nbclient")

WITH_EXERCISES = [p for p in PATHS if exercises(read(p))]


def test_exercises_have_one_solution_each_and_end_the_notebooks() -> None:
    from nn.exercises import REGISTRY

    seen = set()
    for path in PATHS:
        nb = read(path)
        ex, sols = exercises(nb), solutions(nb)
        assert set(ex) == set(sols), f"{path.name}: exercises {sorted(ex)} but solutions {sorted(sols)}"
        seen |= set(ex)
        n = int(path.stem[:2])
        assert all(e.split(".")[0] == str(n) or n == 12 for e in ex), f"{path.name}: exercise ids {sorted(ex)}"
        for e, i in ex.items():
            src = nb.cells[i].source
            if n != 12:
                assert f'check("{e}", ' in src, f"{path.name}: exercise {e}'s cell must call check(\"{e}\", ...)"
            assert "None" in src or "NotImplementedError" in src, f"{path.name}: exercise {e} is already solved"
    # every exercise the checks know is in a notebook
    missing = set(REGISTRY) - seen
    assert not missing, sorted(missing)


@pytest.mark.parametrize("path", WITH_EXERCISES, ids=[p.stem for p in WITH_EXERCISES])
def test_runs_with_the_solutions_filled_in(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAINRULE_EXERCISES", "strict")  # the kernel inherits it: a failed check raises
    nb = filled(read(path))
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    client.execute()  # raises CellExecutionError on the first cell that fails
    texts = [o.get("text", "") or str(o.get("data", {}).get("text/plain", ""))
             for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    verdicts = [t for t in texts if "✓ " in t or "✗ " in t]
    assert verdicts and not any("✗ " in t for t in verdicts), verdicts
    assert os.environ["CHAINRULE_EXERCISES"] == "strict"
