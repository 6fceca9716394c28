"""Smoke test for ``benchmarks/explorer_page.py`` (no timing asserted)."""

from __future__ import annotations

import pytest

from autograd import topological_order
from benchmarks import explorer_page


def test_graphs_have_the_wanted_sizes() -> None:
    for n in (100, 500):
        root = explorer_page.graph_with_steps(n)
        assert sum(len(v.parents) for v in topological_order(root)) == n
    with pytest.raises(ValueError, match="one example"):
        explorer_page.graph_with_steps(5)
    assert abs(len(topological_order(explorer_page.deep_chain(1000))) - 1000) <= 1
    assert 1800 <= len(topological_order(explorer_page.mlp_graph(2000))) <= 2200


def test_quick_run_prints_a_row_per_graph(capsys) -> None:
    assert explorer_page.main(["--quick"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("explorer page:")
    assert [line.split()[0] for line in out[2:]] == ["100", "chain", "MLP"]
