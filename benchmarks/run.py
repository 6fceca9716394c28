"""Run every workload on every engine, interleaved round by round; print a table, write JSON.

``python -m benchmarks [--quick] [--engines ours,compiled,batched,...] [--rounds N] [--against REF] [--out PATH]``

Each measurement runs in its own subprocess (see ``worker.py``). The engines
take turns: every round runs each workload once on every engine (in an order
that rotates from round to round) before the next round starts, so a change
of load on the machine reaches all engines alike; each figure is the median
over rounds. Ratios are ours / peer from the same run: below 1 means ours is
faster (or smaller); the "x" figure beside it is peer / ours.

``--against REF`` adds this project's engine as it was at git commit ``REF``
(``autograd/`` and ``nn/`` exported with ``git archive`` into a temporary
directory), interleaved with the current one on the demo step, the digits
epoch (its Value path ``ref`` and its whole-batch compiled steps
``ref_compiled``), the collector's scaling and the deep chain, and prints the
ratios current / REF.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "benchmarks" / "results" / "latest.json"
ENGINES = ("ours", "compiled", "batched", "micrograd", "torch", "torch_batched", "jax")
REF = "ref"  # the name of the --against engine in results
# the --against engines: name -> (engine run with REF's code, the workloads it runs)
REFS = {REF: ("ours", ("mlp_step", "digits_epoch", "collector_scaling")),
        "ref_compiled": ("compiled", ("digits_epoch",))}

# Sizes from the issue; --quick shrinks everything so the whole run takes seconds.
FULL: dict[str, Any] = {
    "mlp_step": {"points": 100, "sizes": [16, 16, 1], "steps": 5},
    "cnn_step": {"batch_size": 16, "steps": 5},
    "deep_chain": [1_000, 100_000, 1_000_000],
    "wide_sum": {"n": 100_000, "repeats": 5},
    "bytes_per_node": {"n": 100_000},
    "scaling": {"units": 2_000, "factors": [1, 10, 100], "repeats": 3},
    "limits": {"n": 200_000},
    "train_scaling": {"points": 10, "factor": 100, "steps": 5},
    "mlp_step_large": {"points": 1000, "steps": 5},
    "digits_epoch": {},
    "collector_scaling": {"factors": [1, 10, 100], "points": 10, "sum_size": 10_000, "rounds": 2, "steps": 8},
    "rounds": 3,
}
QUICK: dict[str, Any] = {
    "mlp_step": {"points": 4, "sizes": [4, 4, 1], "steps": 1},
    "cnn_step": {"batch_size": 2, "steps": 1, "channels": 1},
    "deep_chain": [10, 100],
    "wide_sum": {"n": 100, "repeats": 1},
    "bytes_per_node": {"n": 1_000},
    "scaling": {"units": 10, "factors": [1, 10], "repeats": 1},
    "limits": {"n": 2_000},
    "train_scaling": {"points": 2, "factor": 2, "steps": 1},
    "mlp_step_large": {"points": 8, "steps": 1},
    "digits_epoch": {"n": 40, "hidden": 4, "batch_size": 8, "repeats": 1},
    "collector_scaling": {"factors": [1, 2], "points": 2, "sum_size": 50, "rounds": 1, "steps": 2},
    "rounds": 2,
}
# collector_scaling's kinds of work, as the table names them
COLLECTOR_KINDS = {"fit": "nn.train.fit", "loop": "a user's loop", "sum": "one large sum",
                   "sum_gen": "the sum from a generator"}
WORKLOADS = ("mlp_step", "mlp_step_large", "digits_epoch", "cnn_step", "wide_sum", "bytes_per_node", "scaling",
             "train_scaling", "collector_scaling")


def run_worker(engine: str, workload: str, kwargs: dict[str, Any], timeout: float,
               code_dir: Path | None = None) -> dict[str, Any]:
    """One fresh interpreter for one measurement; a timeout or crash becomes an error record.

    ``code_dir``: a directory holding another version of ``autograd/`` and ``nn/``
    to import instead of the current ones (the benchmarks still come from here).
    """
    paths = [str(code_dir)] if code_dir else []
    paths += [str(ROOT), os.environ.get("PYTHONPATH", "")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, paths)))
    cmd = [sys.executable, "-m", "benchmarks.worker", engine, workload, json.dumps(kwargs)]
    try:
        proc = subprocess.run(cmd, cwd=code_dir or ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"timeout after {timeout:g} s"}
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or [f"exit status {proc.returncode}"])[-1]
        return {"ok": False, "error": f"crashed: {last[:200]}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def median_record(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The rounds of one measurement as one record: every number the median over the rounds that succeeded."""
    ok = [r["result"] for r in records if r.get("ok")]
    if not ok:
        return records[0]

    def merge(items: list[Any]) -> Any:
        first = items[0]
        if isinstance(first, bool) or not isinstance(first, (int, float, dict)):
            return first
        if isinstance(first, dict):
            return {k: merge([i[k] for i in items if isinstance(i, dict) and k in i]) for k in first}
        return statistics.median(items)

    out = merge(ok)
    out["rounds"] = len(ok)
    return {"ok": True, "result": out}


def export_commit(ref: str, into: Path) -> str:
    """``autograd/`` and ``nn/`` of git commit ``ref`` extracted into ``into``; returns the commit's short hash."""
    sha = subprocess.run(["git", "rev-parse", "--short", ref], cwd=ROOT, capture_output=True, text=True)
    if sha.returncode != 0:
        raise ValueError(f"--against: {ref!r} is not a commit of this repository ({sha.stderr.strip()})")
    archive = subprocess.run(["git", "archive", "--format=tar", ref, "autograd", "nn"], cwd=ROOT, capture_output=True)
    if archive.returncode != 0:
        raise ValueError(f"--against: cannot export {ref!r}: {archive.stderr.decode(errors='replace').strip()}")
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return sha.stdout.strip()


def measure(engines: list[str], config: dict[str, Any], timeout: float, log: Any,
            ref_dir: Path | None = None, workloads: tuple[str, ...] = WORKLOADS,
            chains: bool = True) -> dict[str, Any]:
    """Every workload on every engine, ``config["rounds"]`` times, the engines taking turns; medians of rounds.

    deep_chain climbs its sizes and stops, for an engine, at its first failure.
    With ``ref_dir``, the engine of another commit (``REF``) runs too.
    """
    names = list(engines) + (list(REFS) if ref_dir else [])
    raw: dict[str, dict[str, list[dict[str, Any]]]] = {e: {} for e in names}
    unavailable: dict[str, str] = {}
    chain_failed: dict[str, tuple[int, str]] = {}
    chain_ns = list(config["deep_chain"]) if chains else []
    for r in range(config["rounds"]):
        order = names[r % len(names):] + names[:r % len(names)]  # rotate who goes first
        jobs: list[tuple[str, str, dict[str, Any]]] = [("ours", "limits", config["limits"])] if "ours" in names else []
        for workload in workloads:
            for e in order:
                if e in REFS and workload not in REFS[e][1]:
                    continue
                jobs.append((e, workload, config[workload]))
        for n in chain_ns:
            for e in order:
                if (e == REF and n != max(chain_ns)) or (e in REFS and e != REF):
                    continue
                jobs.append((e, f"deep_chain:{n}", {"n": n}))
        for e, job, kwargs in jobs:
            if e in unavailable or (e in chain_failed and job.startswith("deep_chain")
                                    and int(job.split(":")[1]) >= chain_failed[e][0]):
                continue
            log(f"  round {r + 1}/{config['rounds']}  {e:<10} {job}")
            workload = job.split(":")[0]
            rec = run_worker(REFS[e][0] if e in REFS else e, workload, kwargs, timeout,
                             ref_dir if e in REFS else None)
            if not rec["ok"] and rec["error"].startswith("unavailable"):
                unavailable[e] = rec["error"]
                continue
            if not rec["ok"] and job.startswith("deep_chain") and not rec["error"].startswith("unsupported"):
                chain_failed[e] = (int(job.split(":")[1]), rec["error"])
            raw[e].setdefault(job, []).append(rec)
    results: dict[str, Any] = {}
    for e in names:
        if e in unavailable:
            results[e] = {"unavailable": unavailable[e]}
            continue
        res: dict[str, Any] = {w: median_record(raw[e][w]) for w in (*WORKLOADS, "limits") if w in raw[e]}
        chain: dict[str, Any] = {"by_n": {}, "largest_n": None, "failed_at": None, "error": None}
        for n in chain_ns:
            recs = raw[e].get(f"deep_chain:{n}")
            if not recs:
                continue
            rec = median_record(recs)
            chain["by_n"][str(n)] = rec
            if not rec["ok"]:
                chain["failed_at"], chain["error"] = n, rec["error"]
                break
            chain["largest_n"] = n
        res["deep_chain"] = chain
        results[e] = res
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
    big = config["mlp_step_large"]["points"]
    out = [
        ("mlp_step (100 points)", "s/step", ("mlp_step", "seconds")),
        ("  spread (interquartile range / median)", "x", ("mlp_step", "spread")),
        ("  collector off", "s/step", ("mlp_step", "seconds_gc_off")),
        ("  recording (once)", "s", ("mlp_step", "record_seconds")),
        (f"mlp_step ({big} points)", "s/step", ("mlp_step_large", "seconds")),
        ("  spread (interquartile range / median)", "x", ("mlp_step_large", "spread")),
        ("digits MLP, one epoch of fit", "s", ("digits_epoch", "seconds")),
        ("  spread (interquartile range / median)", "x", ("digits_epoch", "spread")),
        ("cnn_step", "s/step", ("cnn_step", "seconds")),
        ("  recording (once)", "s", ("cnn_step", "record_seconds")),
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
    last = config["collector_scaling"]["factors"][-1]
    for kind, what in COLLECTOR_KINDS.items():
        path = ("collector_scaling", kind)
        out.append((f"{what} x{last} nodes: time ratio, collector on", "x1", (*path, "ratio", "on")))
        if kind != "fit":
            out.append(("  paused around each call (collector_paused)", "x1", (*path, "ratio", "ctx")))
        out.append(("  collector off", "x1", (*path, "ratio", "off")))
        out.append((f"  x{last}: on / off", "x", (*path, "on_over_off")))
        if kind != "fit":
            out.append((f"  x{last}: collector_paused / off", "x", (*path, "ctx_over_off")))
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


def _ratio_columns(engines: list[str]) -> list[tuple[str, str]]:
    """(numerator, denominator) engine pairs shown as ratio columns."""
    cols = [("ours", p) for p in engines if p in ("micrograd", "torch")]
    if "compiled" in engines:
        cols.append(("compiled", "ours"))
    if "batched" in engines:
        cols += [("batched", p) for p in ("compiled", "torch_batched") if p in engines]
    if REF in engines:
        cols.append(("ours", REF))
        if "batched" in engines:
            cols.append(("batched", REF))
    return cols


def add_floor(results: dict[str, Any]) -> None:
    """The CPython floor of each demo step, as a pseudo-engine: 2 multiply-adds per edge of the step's graph
    in straight-line code on floats (what a hand-written pure-Python forward and backward pass cannot beat)."""
    madd = _value(results, "ours", ("limits", "madd_ns"))
    if madd is None:
        return
    floor: dict[str, Any] = {}
    for workload in ("mlp_step", "mlp_step_large"):
        edges = next((e for e in (_value(results, name, (workload, "edges")) for name in ("ours", "batched"))
                      if e is not None), None)
        if edges is not None:
            floor[workload] = {"ok": True, "result": {"seconds": 2 * edges * madd * 1e-9, "edges": edges}}
    results["floor"] = floor


def table(results: dict[str, Any], config: dict[str, Any], engines: list[str]) -> str:
    ratios = _ratio_columns(engines)
    head = ["workload", "unit", *engines, *(f"{a}/{b}" for a, b in ratios)]
    lines = []
    for label, unit, path in rows(results, config):
        cells = [label, unit]
        vals = {e: _value(results, e, path) for e in engines}
        cells += [_fmt(vals[e]) if vals[e] is not None else _error(results, e, path) for e in engines]
        for a, b in ratios:
            x, y = vals.get(a), vals.get(b)
            if unit in ("x", "x1") or "recording" in label or x is None or y is None or x == 0 or y == 0:
                cells.append("")
            else:
                cells.append(f"{x / y:.3f} ({y / x:.1f}x)")
        if any(v is not None for v in vals.values()):  # rows of workloads not run this time are left out
            lines.append(cells)
    largest = ["deep_chain largest n", "nodes"]
    for e in engines:
        chain = results.get(e, {}).get("deep_chain")
        if chain is None:
            largest.append("n/a")
        elif chain["largest_n"] is None:
            err = chain["error"] or "-"
            largest.append("-" if err.startswith("unsupported") or chain["failed_at"] is None
                           else f"none ({err.split(':')[0]} at {_n(chain['failed_at'])})")
        else:
            largest.append(_n(chain["largest_n"]))
    chains = [results.get(e, {}).get("deep_chain") or {} for e in engines]
    if any(c.get("by_n") or c.get("failed_at") or c.get("largest_n") for c in chains):
        lines.append(largest + [""] * len(ratios))
    widths = [max(len(row[i]) for row in [head, *lines]) for i in range(len(head))]
    fmt = "  ".join(f"{{:<{w}}}" if i < 2 else f"{{:>{w}}}" for i, w in enumerate(widths))
    sep = "  ".join("-" * w for w in widths)
    return "\n".join(line.rstrip() for line in [fmt.format(*head), sep, *(fmt.format(*row) for row in lines)])


def limit_report(results: dict[str, Any], engines: list[str]) -> tuple[list[str], dict[str, Any]]:
    """Lines stating the machine's physical limit for each step and every engine's fraction of it."""
    alloc = _value(results, "ours", ("limits", "alloc_ns"))
    madd = _value(results, "ours", ("limits", "madd_ns"))
    if alloc is None or madd is None:
        return ["physical limit: not measured"], {}
    lines = [f"physical limit on this machine: allocating a slotted object {alloc:.1f} ns, "
             f"a Python multiply-add {madd:.1f} ns; a step's limit = nodes x alloc + 2 x edges x multiply-add"]
    out: dict[str, Any] = {"alloc_ns": alloc, "madd_ns": madd}
    for workload in ("mlp_step", "cnn_step"):
        nodes = _value(results, "ours", (workload, "nodes"))
        edges = _value(results, "ours", (workload, "edges"))
        if nodes is None or edges is None:
            continue
        limit = (nodes * alloc + 2 * edges * madd) * 1e-9
        fractions = {}
        for e in engines:
            t = _value(results, e, (workload, "seconds"))
            if t:
                fractions[e] = limit / t
        out[workload] = {"nodes": nodes, "edges": edges, "limit_seconds": limit, "fraction": fractions}
        parts = ", ".join(f"{e} {f:.2f}" for e, f in fractions.items())
        lines.append(f"  {workload}: {nodes:.0f} nodes, {edges:.0f} edges -> limit {limit * 1e3:.2f} ms; "
                     f"fraction of it reached: {parts}")
    return lines, out


def targets(results: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
    """The issue's targets, each with the figure reached and whether it is met (None: not measurable)."""

    def ratio(a: str, b: str, path: tuple[str, ...]) -> float | None:
        x, y = _value(results, a, path), _value(results, b, path)
        return None if x is None or y is None or y == 0 else x / y

    chain = results.get("ours", {}).get("deep_chain", {})
    biggest = max(config["deep_chain"])
    big = config["mlp_step_large"]["points"]
    last = str(config["collector_scaling"]["factors"][-1])
    today = REF if REF in results else "ours"  # the digits epoch as on REF (or this Value path, the same engine)
    checks: list[tuple[str, Any, Any]] = [  # (name, figure, test: None, or a function of the figure)
        ("mlp_step ours/micrograd <= 1/3", ratio("ours", "micrograd", ("mlp_step", "seconds")), lambda f: f <= 1 / 3),
        ("mlp_step ours/torch <= 1/10", ratio("ours", "torch", ("mlp_step", "seconds")), lambda f: f <= 1 / 10),
        ("mlp_step ours/compiled >= 3", ratio("ours", "compiled", ("mlp_step", "seconds")), lambda f: f >= 3),
        ("mlp_step compiled/batched >= 2 (batched twice as fast as whole-batch compiled, 100 points)",
         ratio("compiled", "batched", ("mlp_step", "seconds")), lambda f: f >= 2),
        ("mlp_step batched/torch_batched <= 3 (100 points)",
         ratio("batched", "torch_batched", ("mlp_step", "seconds")), lambda f: f <= 3),
        (f"mlp_step batched/torch_batched <= 3 ({big} points)",
         ratio("batched", "torch_batched", ("mlp_step_large", "seconds")), lambda f: f <= 3),
        (f"digits epoch {today}/batched >= 5 (fit compiled=True against the Value path of "
         f"{'the --against commit' if today == REF else 'this commit'})",
         ratio(today, "batched", ("digits_epoch", "seconds")), lambda f: f >= 5),
        ("cnn_step ours/compiled >= 3", ratio("ours", "compiled", ("cnn_step", "seconds")), lambda f: f >= 3),
        ("bytes_per_node ours/micrograd <= 0.5",
         ratio("ours", "micrograd", ("bytes_per_node", "bytes_per_node")), lambda f: f <= 0.5),
        (f"deep_chain n={_n(biggest)} completes",
         chain.get("largest_n") == biggest if chain and (chain.get("by_n") or chain.get("failed_at")) else None, None),
    ]
    for kind, policy, what in (("fit", "on", "nn.train.fit as is"), ("loop", "on", "a user's loop as is"),
                               ("sum", "on", "one large sum as is"),
                               ("loop", "ctx", "a user's loop, collector_paused"),
                               ("sum", "ctx", "one large sum, collector_paused")):
        path = ("collector_scaling", kind)
        checks.append((f"{what}: x{last} nodes <= 150x the time",
                       _value(results, "ours", (*path, "ratio", policy)), lambda f: f <= 150))
        key = "on_over_off" if policy == "on" else "ctx_over_off"
        checks.append((f"{what}: x{last} nodes <= 1.2x the time with the collector off",
                       _value(results, "ours", (*path, key)), lambda f: f <= 1.2))
    checks.append((f"the sum from a generator as is: x{last} nodes / collector off",
                   _value(results, "ours", ("collector_scaling", "sum_gen", "on_over_off")), None))
    if REF in results:
        checks.append(("mlp_step ours/ref (1: unchanged)", ratio("ours", REF, ("mlp_step", "seconds")), None))
        for kind in ("loop", "sum", "sum_gen"):
            what = COLLECTOR_KINDS[kind]
            checks.append((f"{what} as is on the --against commit: x{last} nodes / collector off",
                           _value(results, REF, ("collector_scaling", kind, "on_over_off")), None))
        checks.append((f"deep_chain n={_n(biggest)} ours/ref (1: unchanged)",
                       ratio("ours", REF, ("deep_chain", "by_n", str(biggest), "seconds")), None))
        checks.append(("digits epoch ref_compiled/batched (whole-batch compiled on the --against commit)",
                       ratio("ref_compiled", "batched", ("digits_epoch", "seconds")), None))
    met: dict[str, Any] = {}
    for name, figure, test in checks:
        if test is None:
            met[name] = {"figure": figure, "met": figure if isinstance(figure, bool) else None}
        else:
            met[name] = {"figure": figure, "met": None if figure is None else bool(test(figure))}
    return met


def collector_report(results: dict[str, Any], config: dict[str, Any]) -> list[str]:
    """What the cyclic collector did at the largest size, per kind of work (from gc.callbacks)."""
    last = config["collector_scaling"]["factors"][-1]
    lines = []
    for engine in ("ours", REF):
        node: Any = results.get(engine, {}).get("collector_scaling")
        if not node or not node.get("ok"):
            continue
        res = node["result"]
        lines.append(f"the collector at x{last} nodes, collector on (gc.callbacks), {engine}, per call (a step, a "
                     "sum): collections, seconds in them, objects they examined; where the most began")
        for kind in COLLECTOR_KINDS:
            if kind not in res:
                continue
            found = res[kind]["collections"]
            stats = found["by_generation"]
            parts = [f"gen {g}: {stats[g]['count']:.3g} x, {stats[g]['seconds']:.3g} s, "
                     f"{stats[g]['objects']:.3g} objects" for g in ("0", "1", "2")]
            lines.append(f"  {kind:<7} " + "; ".join(parts))
            places = sorted(found["places"].items(), key=lambda kv: -kv[1])[:4]
            if places:
                lines.append("          began: " + "; ".join(f"{p} {n:.3g} x" for p, n in places))
    return lines + [""] if lines else []


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
    for lib in ("micrograd", "torch", "numpy", "jax"):
        try:
            from importlib.metadata import version

            info[lib] = version(lib)
        except Exception:
            info[lib] = None
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, two rounds (a smoke test)")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated, from: " + ", ".join(ENGINES))
    parser.add_argument("--rounds", type=int, default=None, help="rounds of interleaved measurements (default 3)")
    parser.add_argument("--against", metavar="REF", default=None,
                        help="also run the engine of git commit REF, interleaved, and print current/REF")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON results (default {DEFAULT_OUT})")
    parser.add_argument("--timeout", type=float, default=None, help="seconds per measurement (default 600, quick 60)")
    parser.add_argument("--workloads", default=None,
                        help="comma-separated subset of the workloads (deep_chain included by name), default all: "
                        + ", ".join((*WORKLOADS, "deep_chain")))
    args = parser.parse_args(argv)
    chosen = WORKLOADS + ("deep_chain",)
    if args.workloads:
        chosen = tuple(w.strip() for w in args.workloads.split(",") if w.strip())
        bad = sorted(set(chosen) - set(WORKLOADS) - {"deep_chain"})
        if bad:
            parser.error(f"unknown workload(s) {bad}; choose from {[*WORKLOADS, 'deep_chain']}")
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = sorted(set(engines) - set(ENGINES))
    if unknown:
        parser.error(f"unknown engine(s) {unknown}; choose from {list(ENGINES)}")
    if "ours" not in engines:
        engines.insert(0, "ours")
    config = dict(QUICK if args.quick else FULL)
    if args.rounds is not None:
        if args.rounds < 1:
            parser.error("--rounds must be >= 1")
        config["rounds"] = args.rounds
    timeout = args.timeout or (60.0 if args.quick else 600.0)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    started = time.time()
    with tempfile.TemporaryDirectory(prefix="bench-ref-") as tmp:
        ref_dir, ref_sha = None, None
        if args.against:
            try:
                ref_sha = export_commit(args.against, Path(tmp))
            except ValueError as e:
                parser.error(str(e))
            ref_dir = Path(tmp)
        results = measure(engines, config, timeout, log, ref_dir, tuple(w for w in WORKLOADS if w in chosen),
                          "deep_chain" in chosen)
    measured = engines + (list(REFS) if ref_dir else [])
    for e in measured:
        if "unavailable" in results[e]:
            log(f"  {e}: {results[e]['unavailable']}")
    limit_lines, limit_data = limit_report(results, measured)
    add_floor(results)
    shown = [e for e in measured if "unavailable" not in results[e]] + (["floor"] if "floor" in results else [])
    report = {
        "machine": machine(),
        "quick": args.quick,
        "config": config,
        "against": {"ref": args.against, "commit": ref_sha} if ref_sha else None,
        "seconds_total": time.time() - started,
        "results": results,
        "limits": limit_data,
        "targets": targets(results, config),
    }
    info = report["machine"]
    against = f"; ref = {args.against} ({ref_sha})" if ref_sha else ""
    print(f"machine: {info['cpus']} cores, {info.get('cpu', info['processor'])}, Python {info['python']}; "
          f"{config['rounds']} interleaved rounds, medians{against}")
    print(table(results, config, shown))
    print("* tracemalloc sees Python's allocator only: for torch it misses the C++ tensors and autograd nodes")
    print("floor: the CPython floor of the same graph, 2 multiply-adds per edge in straight-line code on floats")
    print()
    for line in collector_report(results, config):
        print(line)
    for line in limit_lines:
        print(line)
    print()
    for name, t in report["targets"].items():
        status = {True: "met", False: "MISSED", None: "measured"}[t["met"]] if t["figure"] is not None \
            else "not measured"
        fig = t["figure"]
        fig_text = f"{fig:.3g}" if isinstance(fig, float) else str(fig)
        print(f"target {name}: {fig_text} -> {status}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"\nwrote {args.out}")
    return 0
