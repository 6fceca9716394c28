"""``python -m benchmarks.demo``: the demo's CNN and RNN (``python -m nn --model cnn|rnn``), timed as users run them.

Each run is the demo command itself in a fresh interpreter, with its default settings:
compiled (the default), on the Value path (``--no-compiled``), and compiled with the code of
git commit ``--against`` (default ``main``: ``autograd/`` and ``nn/`` exported with
``git archive``, as ``python -m benchmarks --against`` does). The runs take turns round by
round, the order rotating. Reported per model: the median over rounds of the training time
the demo writes into ``metrics.json`` (``train_seconds``: recording included) and of the whole
command's wall-clock time, the speedups, and the largest relative difference between the
loss histories of the runs (the printed results must not change).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.run import ROOT, export_commit

MODELS = ("cnn", "rnn")


def run_demo(model: str, compiled: bool, out: Path, code_dir: Path | None) -> dict[str, Any]:
    """One ``python -m nn --model MODEL`` in a fresh interpreter: its metrics and wall-clock seconds."""
    paths = [str(code_dir)] if code_dir else []
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([*paths, str(ROOT)]))
    cmd = [sys.executable, "-m", "nn", "--model", model, "--out", str(out)]
    if not compiled:
        cmd.append("--no-compiled")
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=code_dir or ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.strip()[-300:]}")
    metrics = json.loads((out / "metrics.json").read_text())
    return {"train_seconds": metrics["train_seconds"], "wall_seconds": wall, "loss": metrics["loss"],
            "accuracy": (metrics["train_accuracy"], metrics["test_accuracy"])}


def _largest_difference(a: list[float], b: list[float]) -> float:
    return max(abs(x - y) / abs(x) if x else abs(y) for x, y in zip(a, b))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--against", metavar="REF", default="main", help="the commit to compare with (default main)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated: cnn, rnn")
    parser.add_argument("--no-value-path", action="store_true", help="skip the --no-compiled runs")
    args = parser.parse_args(argv)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    if set(models) - set(MODELS) or args.rounds < 1:
        parser.error(f"--models from {MODELS}, --rounds >= 1")
    runs = [("compiled", True, False), ("ref compiled", True, True)]
    if not args.no_value_path:
        runs.append(("Value path", False, False))
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as tmp:
        ref_dir = Path(tmp) / "ref"
        ref_dir.mkdir()
        sha = export_commit(args.against, ref_dir)
        results: dict[str, dict[str, list[dict[str, Any]]]] = {m: {name: [] for name, _, _ in runs} for m in models}
        for r in range(args.rounds):
            order = runs[r % len(runs):] + runs[:r % len(runs)]
            for model in models:
                for name, compiled, ref in order:
                    print(f"  round {r + 1}/{args.rounds}  {model}  {name}", file=sys.stderr, flush=True)
                    out = Path(tmp) / f"{model}-{name.replace(' ', '-')}-{r}"
                    results[model][name].append(run_demo(model, compiled, out, ref_dir if ref else None))
    print(f"python -m nn --model cnn|rnn, default settings; {args.rounds} interleaved rounds, medians; "
          f"ref = {args.against} ({sha})")
    for model in models:
        res = results[model]
        med = {name: {k: statistics.median(x[k] for x in res[name]) for k in ("train_seconds", "wall_seconds")}
               for name in res}
        print(f"{model}:")
        for name in res:
            print(f"  {name:<13} training {med[name]['train_seconds']:7.2f} s   whole command "
                  f"{med[name]['wall_seconds']:7.2f} s")
        base = med["compiled"]
        for name in res:
            if name != "compiled":
                print(f"  compiled is {med[name]['train_seconds'] / base['train_seconds']:.1f}x faster to train than "
                      f"{name} ({med[name]['wall_seconds'] / base['wall_seconds']:.1f}x the whole command)")
        first = res["compiled"][0]
        for name in res:
            if name != "compiled":
                other = res[name][0]
                same = "same" if other["accuracy"] == first["accuracy"] else "DIFFERENT"
                print(f"  loss history vs {name}: largest relative difference "
                      f"{_largest_difference(other['loss'], first['loss']):.2g}; accuracies: {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
