"""Smoke test for ``benchmarks/explorer_page.py`` (no timing asserted)."""

from __future__ import annotations

import pytest

from autograd import topological_order
from benchmarks import explorer_page


def test_graphs_have_exactly_the_wanted_number_of_steps() -> None:
    for n in (100, 500):
        root = explorer_page.graph_with_steps(n)
        assert sum(len(v.parents) for v in topological_order(root)) == n
    with pytest.raises(ValueError, match="one example"):
        explorer_page.graph_with_steps(5)


def test_quick_run_prints_a_row(capsys) -> None:
    assert explorer_page.main(["--quick"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("explorer page:") and "renderer" in out[0]
    assert out[-1].split()[0] == "100"
