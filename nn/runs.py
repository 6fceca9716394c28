"""A finished training run (the demo's or an example's) and its output files, written as one unit.

A run keeps its outputs in memory (``name -> bytes``) until training and
drawing are done; :func:`write_run` then writes them all, ``metrics.json``
included, with :func:`nn.files.write_all_atomic`: every file new, or (on an
error or Ctrl-C before the swap) every file as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nn.files import write_all_atomic
from nn.module import Module

METRICS = "metrics.json"


@dataclass
class Run:
    """A trained ``model``, its ``metrics`` and its outputs (file name -> bytes, ``metrics.json`` last)."""

    model: Module
    metrics: dict[str, Any]
    outputs: dict[str, bytes] = field(default_factory=dict)


def metrics_json(metrics: dict[str, Any]) -> bytes:
    """Strict JSON (no NaN or Infinity, which are not JSON): a non-finite number is a bug, refused here."""
    return (json.dumps(metrics, indent=1, allow_nan=False, default=str) + "\n").encode("utf-8")


def finish(model: Module, metrics: dict[str, Any], outputs: dict[str, bytes]) -> Run:
    """The run with ``metrics["files"]`` listing every output and ``metrics.json`` added last."""
    metrics["files"] = [*outputs, METRICS]
    return Run(model, metrics, {**outputs, METRICS: metrics_json(metrics)})


def write_run(run: Run, out_dir: Path, say: Callable[[str], None]) -> None:
    """Write every output of ``run`` into ``out_dir`` (created if needed) as one unit."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    say(f"writing {show_path(out_dir)}/: {', '.join(run.outputs)}")
    write_all_atomic({out_dir / name: data for name, data in run.outputs.items()})


def show_path(path: Path | str) -> str:
    """A path for a message: as is when printable, else escaped."""
    text = str(path)
    return text if text.isprintable() else ascii(text)


@contextmanager
def progress_bar(iterable: Iterable[Any], enabled: bool, **options: Any) -> Iterator[Any]:
    """A tqdm bar over ``iterable`` (on a terminal only), closed when the block ends.

    Closing it here, not in a finaliser, keeps the bar's tidying out of the
    moments Python cannot deliver Ctrl-C in (see :mod:`nn.interrupts`).
    """
    from tqdm import tqdm

    # disable=None: the bar shows on a terminal only, so logs and captured output stay clean
    bar = tqdm(iterable, disable=None if enabled else True, **options)
    try:
        yield bar
    finally:
        bar.close()
