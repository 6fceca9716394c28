"""Run one workload on one engine and print its result as one JSON line.

``python -m benchmarks.worker ENGINE WORKLOAD '{"n": 1000}'``

The runner starts a fresh process for every (engine, workload) pair, so the
garbage collector's state, the heap and peak memory of one measurement never
leak into another. Failures an engine is expected to have on big graphs
(RecursionError, MemoryError) are results, reported as ``{"ok": false, ...}``.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from benchmarks import collector, engines, workloads

WORKLOADS = {
    "mlp_step": workloads.mlp_step,
    "deep_chain": workloads.deep_chain,
    "wide_sum": workloads.wide_sum,
    "bytes_per_node": workloads.bytes_per_node,
    "scaling": workloads.scaling,
    "cnn_step": workloads.cnn_step,
    "limits": workloads.limits,
    "train_scaling": workloads.train_scaling,
    "mlp_step_large": workloads.mlp_step_large,
    "digits_epoch": workloads.digits_epoch,
    "collector_scaling": collector.collector_scaling,
}


def run(engine_name: str, workload: str, kwargs: dict[str, Any]) -> dict[str, Any]:
    """``{"ok": True, "result": ...}`` or ``{"ok": False, "error": "Type: message"}``."""
    if workload not in WORKLOADS:
        raise KeyError(f"unknown workload {workload!r}; choose from {sorted(WORKLOADS)}")
    try:
        engine = engines.make(engine_name)
    except engines.EngineUnavailable as e:
        return {"ok": False, "error": f"unavailable: {e}"}
    try:
        engine.check_workload(workload)
        return {"ok": True, "result": WORKLOADS[workload](engine, **kwargs)}
    except engines.Unsupported as e:
        return {"ok": False, "error": f"unsupported: {e}"}
    except (RecursionError, MemoryError, ArithmeticError) as e:
        return {"ok": False, "error": f"{type(e).__name__}: {str(e)[:200]}"}


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    engine_name, workload, kwargs = argv
    out = run(engine_name, workload, json.loads(kwargs))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
