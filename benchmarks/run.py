"""Run every workload on every engine, print a table, write JSON.

``python -m benchmarks [--quick] [--engines ours,micrograd,torch] [--out PATH]``

Each (engine, workload) pair runs in its own subprocess (see ``worker.py``).
Ratios are ours / peer from the same run: below 1 means ours is faster (or
smaller); the "x" figure beside it is peer / ours.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "latest.json"
ENGINES = ("ours", "micrograd", "torch")

# Sizes from the issue; --quick shrinks everything so the whole run takes seconds.
FULL: dict[str, Any] = {
    "mlp_step": {"points": 100, "sizes": [16, 16, 1], "steps": 5},
    "deep_chain": [1_000, 100_000, 1_000_000],
    "wide_sum": {"n": 100_000, "repeats": 5},
    "bytes_per_node": {"n": 100_000},
    "scaling": {"units": 2_000, "factors": [1, 10, 100], "repeats": 3},
}
QUICK: dict[str, Any] = {
    "mlp_step": {"points": 4, "sizes": [4, 4, 1], "steps": 1},
    "deep_chain": [10, 100],
    "wide_sum": {"n": 100, "repeats": 1},
    "bytes_per_node": {"n": 1_000},
    "scaling": {"units": 10, "factors": [1, 10], "repeats": 1},
}


def run_worker(engine: str, workload: str, kwargs: dict[str, Any], timeout: float) -> dict[str, Any]:
    """One fresh interpreter for one measurement; a timeout or crash becomes an error record."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    cmd = [sys.executable, "-m", "benchmarks.worker", engine, workload, json.dumps(kwargs)]
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timeout after {timeout:g} s"}
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        return {"ok": False, "error": f"crashed: {last[:200]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure(engine: str, config: dict[str, Any], timeout: float, log: Any) -> dict[str, Any]:
    """All workloads for one engine; deep_chain climbs its sizes and stops at the first failure."""
    results: dict[str, Any] = {}
    for workload in ("mlp_step", "wide_sum", "bytes_per_node", "scaling"):
        log(f"  {engine:<10} {workload}")
        results[workload] = run_worker(engine, workload, config[workload], timeout)
        if not results[workload]["ok"] and results[workload]["error"].startswith("unavailable"):
            return {"unavailable": results[workload]["error"]}
    chain: dict[str, Any] = {"by_n": {}, "largest_n": None, "failed_at": None, "error": None}
    for n in config["deep_chain"]:
        log(f"  {engine:<10} deep_chain n={n}")
        rec = run_worker(engine, "deep_chain", {"n": n}, timeout)
        chain["by_n"][str(n)] = rec
        if not rec["ok"]:
            chain["failed_at"], chain["error"] = n, rec["error"]
            break
        chain["largest_n"] = n
    results["deep_chain"] = chain
    return results


def _value(results: dict[str, Any], engine: str, path: tuple[str, ...]) -> float | None:
    node: Any = results.get(engine, {})
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
        if isinstance(node, dict) and "ok" in node:
            if not node["ok"]:
                return None
            node = node["result"]
    return node if isinstance(node, (int, float)) else None


def _error(results: dict[str, Any], engine: str, path: tuple[str, ...]) -> str:
    node: Any = results.get(engine, {})
    if "unavailable" in node:
        return "n/a"
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return "-"
        node = node[key]
        if isinstance(node, dict) and node.get("ok") is False:
            return node["error"].split(":")[0]
    return "-"


def rows(results: dict[str, Any], config: dict[str, Any]) -> list[tuple[str, str, tuple[str, ...]]]:
    """(label, unit, path into an engine's results) for every line of the table."""
    out = [
        ("mlp_step", "s/step", ("mlp_step", "seconds")),
        ("mlp_step, collector off", "s/step", ("mlp_step", "seconds_gc_off")),
        ("wide_sum backward", "s", ("wide_sum", "seconds")),
        ("wide_sum forward", "s", ("wide_sum", "forward")),
        ("bytes_per_node (tracemalloc*)", "B", ("bytes_per_node", "bytes_per_node")),
        ("bytes_per_node (RSS growth)", "B", ("bytes_per_node", "rss_bytes_per_node")),
    ]
    for f in config["scaling"]["factors"]:
        out.append((f"scaling x{f} fwd+bwd", "s", ("scaling", "seconds_by_factor", str(f))))
    for f in config["scaling"]["factors"][1:]:
        out.append((f"scaling x{f} time ratio", "x1", ("scaling", "ratio_by_factor", str(f))))
    for f in config["scaling"]["factors"][1:]:
        out.append((f"scaling x{f} ratio, collector off", "x1", ("scaling", "ratio_by_factor_gc_off", str(f))))
    for n in config["deep_chain"]:
        out.append((f"deep_chain n={_n(n)}", "s", ("deep_chain", "by_n", str(n), "seconds")))
    return out


def _n(n: int) -> str:
    """1000 -> "1e3", for sizes in labels (small sizes as they are)."""
    if n < 1000:
        return str(n)
    text = f"{n:.0e}".replace("+0", "").replace("+", "")
    return text if float(text) == n else str(n)


def _fmt(x: float | None) -> str:
    if x is None:
        return "-"
    if x >= 100:
        return f"{x:.0f}"
    return f"{x:.3g}"


def table(results: dict[str, Any], config: dict[str, Any], engines: list[str]) -> str:
    peers = [e for e in engines if e != "ours"]
    head = ["workload", "unit", *engines, *(f"ours/{p}" for p in peers)]
    lines = []
    for label, unit, path in rows(results, config):
        cells = [label, unit]
        vals = {e: _value(results, e, path) for e in engines}
        cells += [_fmt(vals[e]) if vals[e] is not None else _error(results, e, path) for e in engines]
        for p in peers:
            ours, peer = vals.get("ours"), vals[p]
            if "ratio" in label or ours is None or peer is None or peer == 0 or ours == 0:
                cells.append("")
            else:
                cells.append(f"{ours / peer:.3f} ({peer / ours:.1f}x)")
        lines.append(cells)
    largest = ["deep_chain largest n", "nodes"]
    for e in engines:
        chain = results.get(e, {}).get("deep_chain")
        if chain is None:
            largest.append("n/a")
        elif chain["largest_n"] is None:
            largest.append(f"none ({chain['error'].split(':')[0]} at {_n(chain['failed_at'])})")
        else:
            largest.append(_n(chain["largest_n"]))
    lines.append(largest + [""] * len(peers))
    widths = [max(len(row[i]) for row in [head, *lines]) for i in range(len(head))]
    fmt = "  ".join(f"{{:<{w}}}" if i < 2 else f"{{:>{w}}}" for i, w in enumerate(widths))
    sep = "  ".join("-" * w for w in widths)
    return "\n".join(line.rstrip() for line in [fmt.format(*head), sep, *(fmt.format(*row) for row in lines)])


def targets(results: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """The issue's targets, each with the figure reached and whether it is met (None: not measurable)."""

    def ratio(peer: str, path: tuple[str, ...]) -> float | None:
        ours, other = _value(results, "ours", path), _value(results, peer, path)
        return None if ours is None or other is None else ours / other

    last = str(config["scaling"]["factors"][-1])
    chain = results.get("ours", {}).get("deep_chain", {})
    biggest = max(config["deep_chain"])
    out = {
        "mlp_step ours/micrograd <= 1/3": ratio("micrograd", ("mlp_step", "seconds")),
        "mlp_step ours/torch <= 1/10": ratio("torch", ("mlp_step", "seconds")),
        "bytes_per_node ours/micrograd <= 0.5": ratio("micrograd", ("bytes_per_node", "bytes_per_node")),
        f"scaling x{last} time ratio <= {1.1 * int(last):g}": _value(
            results, "ours", ("scaling", "ratio_by_factor", last)
        ),
        f"deep_chain n={_n(biggest)} completes": chain.get("largest_n") == biggest if chain else None,
    }
    limits = [1 / 3, 1 / 10, 0.5, 1.1 * int(last)]
    met: dict[str, Any] = {}
    for (name, figure), limit in zip(out.items(), [*limits, None]):
        if limit is None:
            met[name] = {"figure": figure, "met": figure}
        else:
            met[name] = {"figure": figure, "met": None if figure is None else figure <= limit}
    return met


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
    }
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        if names:
            info["cpu"] = names[0]
    except OSError:
        pass
    for lib in ("micrograd", "torch"):
        try:
            from importlib.metadata import version

            info[lib] = version(lib)
        except Exception:
            info[lib] = None
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repeat (a smoke test)")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated, from: " + ", ".join(ENGINES))
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON results (default {DEFAULT_OUT})")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per measurement (default 600, quick 60)")
    args = parser.parse_args(argv)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = sorted(set(engines) - set(ENGINES))
    if unknown:
        parser.error(f"unknown engine(s) {unknown}; choose from {list(ENGINES)}")
    if "ours" not in engines:
        engines.insert(0, "ours")
    config = QUICK if args.quick else FULL
    timeout = args.timeout or (60.0 if args.quick else 600.0)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    started = time.time()
    results = {}
    for e in engines:
        results[e] = measure(e, config, timeout, log)
        if "unavailable" in results[e]:
            log(f"  {e}: {results[e]['unavailable']}")
    report = {
        "machine": machine(),
        "quick": args.quick,
        "config": config,
        "seconds_total": time.time() - started,
        "results": results,
        "targets": targets(results, config),
    }
    print(table(results, config, engines))
    print("* tracemalloc sees Python's allocator only: for torch it misses the C++ tensors and autograd nodes")
    print()
    for name, t in report["targets"].items():
        status = {True: "met", False: "MISSED", None: "not measured"}[t["met"]]
        fig = t["figure"]
        fig_text = f"{fig:.3g}" if isinstance(fig, float) else str(fig)
        print(f"target {name}: {fig_text} -> {status}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"\nwrote {args.out}")
    return 0
