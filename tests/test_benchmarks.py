"""Smoke tests for ``benchmarks/`` (every workload at tiny size, no timing) and the engine's sort scratch state."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings

from autograd import Value, reverse_topological_order, topological_order
from benchmarks import engines, run, worker, workloads
from tests.strategies import random_graphs

TINY = {
    "mlp_step": {"points": 4, "sizes": (3, 1), "steps": 1},
    "deep_chain": {"n": 5},
    "wide_sum": {"n": 20, "repeats": 1},
    "bytes_per_node": {"n": 200},
    "scaling": {"units": 5, "factors": (1, 2), "repeats": 1},
    "cnn_step": {"batch_size": 2, "steps": 1, "channels": 1},
    "limits": {"n": 2_000},
    "train_scaling": {"points": 2, "factor": 2, "steps": 1},
    "mlp_step_large": {"points": 5, "steps": 1},
    "digits_epoch": {"n": 20, "hidden": 3, "batch_size": 8, "repeats": 1},
    "collector_scaling": {"factors": (1, 2), "points": 2, "sum_size": 20, "rounds": 1, "steps": 2},
}
NEEDS = {"ours": "autograd", "compiled": "autograd", "batched": "numpy", "micrograd": "micrograd", "torch": "torch",
         "torch_batched": "torch", "jax": "jax"}


def _engine(name: str) -> engines.Engine:
    pytest.importorskip(NEEDS[name])
    return engines.make(name)


@pytest.mark.parametrize("name", sorted(NEEDS))
@pytest.mark.parametrize("workload", sorted(TINY))
def test_each_workload_runs_at_tiny_size(name: str, workload: str) -> None:
    engine = _engine(name)
    try:
        engine.check_workload(workload)
    except engines.Unsupported:
        assert worker.run(name, workload, TINY[workload])["error"].startswith("unsupported")
        return
    result = worker.WORKLOADS[workload](engine, **TINY[workload])
    json.dumps(result)  # the runner ships results as JSON
    numbers = [v for v in result.values() if isinstance(v, float)]
    assert numbers and all(math.isfinite(v) and v >= 0 for v in numbers)


@pytest.mark.parametrize("name", ["ours", "micrograd", "torch"])
def test_deep_chain_gradient_matches_the_chain_rule(name: str) -> None:
    # d/dx of tanh(1.0001 x + 0.1) composed n times: product of 1.0001 (1 - y_k^2)
    n, x, expected = 7, 0.5, 1.0
    for _ in range(n):
        x = math.tanh(1.0001 * x + 0.1)
        expected *= 1.0001 * (1.0 - x * x)
    assert workloads.deep_chain(_engine(name), n)["grad"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("name", ["ours", "micrograd", "torch"])
def test_mlp_step_learns_on_every_engine(name: str) -> None:
    # same data, same loss: a few SGD steps must lower the loss whatever the engine
    engine = _engine(name)
    xs, ys = workloads.two_moons(20)
    model, params = engine.mlp(2, [8, 1], seed=3)

    def loss() -> tuple[object, float]:
        value = engine.hinge_l2([model(x) for x in xs], ys, params, alpha=1e-4)
        return value, float(value.data)

    first = loss()[1]
    for _ in range(5):
        engine.sgd_step(loss()[0], params, lr=0.1)
    assert loss()[1] < first


def test_compiled_engine_trains_like_ours() -> None:
    """The compiled demo step moves the parameters exactly as the Value path does; the batched one to 1e-12."""
    pytest.importorskip("numpy")
    xs, ys = workloads.two_moons(12)
    runs = []
    for name in ("ours", "compiled", "batched"):
        engine = engines.make(name)
        model, params = engine.mlp(2, [6, 1], seed=3)
        step = engine.mlp_stepper(model, params, xs, ys, alpha=1e-4)
        for k in range(3):
            step(1.0 - 0.09 * k)
        runs.append([p.data for p in params])
    assert runs[0] == runs[1]
    assert all(math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15) for a, b in zip(runs[0], runs[2]))


def test_torch_batched_engine_trains_like_ours() -> None:
    """PyTorch with tensors runs the same demo step: the same parameters after a few steps (to rounding)."""
    torch = pytest.importorskip("torch")
    xs, ys = workloads.two_moons(12)
    ours = engines.make("ours")
    model, params = ours.mlp(2, [6, 1], seed=3)
    tb = engines.make("torch_batched")
    layers, tparams = tb.mlp(2, [6, 1], seed=3)
    with torch.no_grad():  # the same initial weights, neuron by neuron
        for li, layer in enumerate(model.layers):
            for j, neuron in enumerate(layer.neurons):
                for i, w in enumerate(neuron.w):
                    layers[li][0][i, j] = w.data
                layers[li][1][j] = neuron.b.data
    steps = [ours.mlp_stepper(model, params, xs, ys, alpha=1e-4), tb.mlp_stepper(layers, tparams, xs, ys, alpha=1e-4)]
    for k in range(3):
        for step in steps:
            step(1.0 - 0.09 * k)
    flat = [w for (wm, bm) in layers for w in torch.cat([wm.T, bm[:, None]], 1).flatten().tolist()]
    assert all(math.isclose(a.data, b, rel_tol=1e-9, abs_tol=1e-12) for a, b in zip(params, flat))


def test_rounds_interleave_engines_and_take_medians(monkeypatch) -> None:
    calls: list[tuple[str, str]] = []

    def fake(engine, workload, kwargs, timeout, code_dir=None):
        calls.append((engine, workload))
        return {"ok": True, "result": {"seconds": float(len(calls)), "nested": {"x": 1.0}}}

    monkeypatch.setattr(run, "run_worker", fake)
    config = dict(run.QUICK, rounds=3)
    results = run.measure(["ours", "compiled"], config, 1.0, lambda msg: None)
    mlp = [c for c in calls if c[1] == "mlp_step"]
    assert mlp[:2] == [("ours", "mlp_step"), ("compiled", "mlp_step")]
    assert mlp[2:4] == [("compiled", "mlp_step"), ("ours", "mlp_step")]  # the order rotates
    # every workload of round 1 ran before any of round 2
    first_round = calls[:len(calls) // 3]
    assert {w for _, w in first_round} >= {"mlp_step", "cnn_step", "wide_sum"}
    rec = results["ours"]["mlp_step"]
    assert rec["ok"] and rec["result"]["rounds"] == 3 and rec["result"]["nested"] == {"x": 1.0}


def test_median_record_skips_failed_rounds() -> None:
    recs = [{"ok": True, "result": {"seconds": 3.0}}, {"ok": False, "error": "timeout"},
            {"ok": True, "result": {"seconds": 1.0}}]
    assert run.median_record(recs) == {"ok": True, "result": {"seconds": 2.0, "rounds": 2}}
    assert run.median_record([{"ok": False, "error": "x"}]) == {"ok": False, "error": "x"}


def test_export_commit_extracts_the_engine(tmp_path) -> None:
    if not (run.ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    sha = run.export_commit("HEAD", tmp_path)
    assert sha and (tmp_path / "autograd" / "value.py").exists() and (tmp_path / "nn" / "module.py").exists()
    with pytest.raises(ValueError, match="not a commit"):
        run.export_commit("no-such-ref-xyz", tmp_path)


def test_two_moons_is_balanced_and_labelled() -> None:
    xs, ys = workloads.two_moons(50, seed=1)
    assert len(xs) == 50 and all(len(x) == 2 for x in xs)
    assert sorted(set(ys)) == [-1.0, 1.0] and sum(ys) == 0.0


def test_worker_reports_micrograds_recursion_limit_as_a_result() -> None:
    pytest.importorskip("micrograd")
    out = worker.run("micrograd", "deep_chain", {"n": 5_000})
    assert out["ok"] is False and out["error"].startswith("RecursionError")


def test_unknown_engine_and_workload_are_named() -> None:
    with pytest.raises(KeyError, match="nope"):
        engines.make("nope")
    with pytest.raises(KeyError, match="nope"):
        worker.run("ours", "nope", {})


def test_quick_run_end_to_end(tmp_path, capsys) -> None:
    out = tmp_path / "r.json"
    assert run.main(["--quick", "--engines", "ours,compiled", "--rounds", "1", "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    ours = report["results"]["ours"]
    assert all(ours[w]["ok"] for w in ("mlp_step", "cnn_step", "wide_sum", "bytes_per_node", "scaling", "limits"))
    assert ours["deep_chain"]["largest_n"] == max(run.QUICK["deep_chain"])
    assert all(ours[w]["ok"] for w in ("mlp_step_large", "digits_epoch", "collector_scaling"))
    assert report["results"]["compiled"]["mlp_step"]["ok"]
    printed = capsys.readouterr().out
    assert "mlp_step" in printed and "deep_chain largest n" in printed
    assert "compiled/ours" in printed and "physical limit on this machine" in printed
    assert "fraction of it reached: ours" in printed


def test_table_shows_ratios_and_failures() -> None:
    config = run.QUICK
    ok = {"ok": True, "result": {"seconds": 1.0, "seconds_gc_off": 1.0}}
    results = {
        "ours": {"mlp_step": ok, "deep_chain": {"by_n": {}, "largest_n": 100, "failed_at": None, "error": None}},
        "micrograd": {
            "mlp_step": {"ok": True, "result": {"seconds": 4.0, "seconds_gc_off": 2.0}},
            "deep_chain": {"by_n": {}, "largest_n": None, "failed_at": 10, "error": "RecursionError: deep"},
        },
    }
    text = run.table(results, config, ["ours", "micrograd"])
    assert "0.250 (4.0x)" in text and "none (RecursionError at 10)" in text
    assert run.targets(results, config)["mlp_step ours/micrograd <= 1/3"] == {"figure": 0.25, "met": True}


# -- the topological sort keeps scratch counts on the nodes: they must always return to 0 --


@settings(max_examples=40)
@given(random_graphs())
def test_sort_leaves_no_scratch_counts(graph: tuple[Value, list[Value]]) -> None:
    root, _ = graph
    order = topological_order(root)
    assert len(set(map(id, order))) == len(order)
    position = {id(v): i for i, v in enumerate(order)}
    assert all(position[id(p)] < position[id(v)] for v in order for p in v.parents)
    root.backward()
    assert all(v._pending == 0 for v in order)


class _InterruptOnce(Value):
    """A node whose parents cannot be read the first time: stands in for Ctrl-C mid-sort."""

    __slots__ = ("_armed",)

    @property
    def parents(self) -> tuple[Value, ...]:
        if self._armed:
            self._armed = False
            raise KeyboardInterrupt
        return ()

    @parents.setter
    def parents(self, value: tuple[Value, ...]) -> None:
        self._armed = True


def test_interrupted_sort_resets_its_counts() -> None:
    shared = Value(1.0)
    mid = shared * 2.0
    bomb = _InterruptOnce(3.0)
    root = Value(0.0, "", "sum", (mid, shared, bomb), (1.0, 1.0, 1.0))
    with pytest.raises(KeyboardInterrupt):
        reverse_topological_order(root)
    assert (mid._pending, shared._pending, bomb._pending) == (0, 0, 0)
    assert reverse_topological_order(mid + shared)[1:] == [mid, shared]


# -- collector_paused: a scoped pause that always restores the collector's state --


@pytest.mark.parametrize("initially", [True, False])
def test_collector_paused_restores_state_even_on_error(initially: bool) -> None:
    import gc

    import autograd

    (gc.enable if initially else gc.disable)()
    try:
        with pytest.raises(ZeroDivisionError):
            with autograd.collector_paused():
                assert not gc.isenabled()
                with autograd.collector_paused():
                    assert not gc.isenabled()
                assert not gc.isenabled()  # the inner block must not re-enable it
                raise ZeroDivisionError("inside the block")
        assert gc.isenabled() is initially
    finally:
        gc.enable()


def test_graph_built_with_collector_paused_is_freed_by_reference_counting() -> None:
    import gc

    import autograd

    with autograd.collector_paused():
        gc.collect()
        x = Value(0.5)
        y = x
        for _ in range(1_000):
            y = (1.0001 * y + 0.1).tanh()
        y.backward()
        del y
        # no cycles: reference counting already freed the whole graph, the collector finds nothing
        assert gc.collect() == 0
    assert x.grad != 0.0


def test_demo_timing_interleaves_the_runs_and_compares_their_losses(monkeypatch, capsys) -> None:
    """benchmarks.demo: every run in every round, the order rotating; speedups and loss differences reported."""
    from benchmarks import demo

    seen = []
    seconds = {(True, False): 1.0, (True, True): 4.0, (False, False): 20.0}  # compiled, ref compiled, Value path

    def fake(model, compiled, out, code_dir):
        key = (compiled, code_dir is not None)
        seen.append((model, key))
        loss = [1.0, 0.5 * (1 + 1e-13 * key[1])]
        return {"train_seconds": seconds[key], "wall_seconds": seconds[key] + 2.0, "loss": loss,
                "accuracy": (0.9, 0.8)}

    monkeypatch.setattr(demo, "run_demo", fake)
    assert demo.main(["--rounds", "2", "--models", "rnn"]) == 0
    out = capsys.readouterr().out
    assert len(seen) == 6 and seen[0][1] != seen[3][1]  # three runs a round, the first one rotating
    assert "compiled is 4.0x faster to train than ref compiled (2.0x the whole command)" in out
    assert "compiled is 20.0x faster to train than Value path" in out
    assert "loss history vs ref compiled: largest relative difference 1e-13; accuracies: same" in out
