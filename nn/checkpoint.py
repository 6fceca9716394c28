"""JSON checkpoints: architecture + parameters + a format version.

File layout (format version 1)::

    {"format": "chainrule.nn.checkpoint", "version": 1,
     "architecture": {"type": "MLP", "config": {...}, "children": [...]},
     "parameters": {"layers.0.neurons.0.w": [0.12, -0.5], "layers.0.neurons.0.b": 0.0, ...}}

Guarantees:

- Exact round trip: floats are written with ``repr``, the shortest text that
  reads back to the same double, so every parameter comes back bit for bit
  (infinities and NaN are written as ``Infinity``/``NaN``, as Python's json does).
- Atomic save: the JSON goes to a temporary file in the same folder, is
  flushed to disk, then renamed over the target with ``os.replace``. A crash
  or error mid-write leaves the previous file as it was.
- Strict load: the whole file is read and checked (JSON syntax, format,
  version, architecture, every parameter's name, shape and type) before any
  parameter is touched; any problem raises :class:`CheckpointError` and the
  model is unchanged.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from numbers import Real
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograd import Value

if TYPE_CHECKING:
    from nn.module import Module

FORMAT = "chainrule.nn.checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint (or state dict) that cannot be loaded into this model; the model is unchanged."""


def to_dict(module: Module) -> dict[str, Any]:
    """The checkpoint of ``module`` as a JSON-able dict."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "architecture": module.architecture(),
        "parameters": module.state_dict(),
    }


def save(module: Module, path: str | PathLike[str]) -> Path:
    """Write ``module``'s checkpoint to ``path`` atomically (temp file + ``os.replace``); return the path."""
    path = Path(path)
    text = json.dumps(to_dict(module), indent=1)  # serialise first: a bad model fails before any file is made
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())  # the bytes are on disk before the rename makes them visible
        os.chmod(tmp, 0o644)  # mkstemp makes the file private; a checkpoint is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def load(module: Module, path: str | PathLike[str]) -> None:
    """Load the checkpoint at ``path`` into ``module`` in place.

    Raises :class:`CheckpointError` (model unchanged) when the file is not
    valid JSON (e.g. truncated), is not a checkpoint, has another format
    version, was saved from another architecture, or its parameters have
    other names, shapes or non-numeric entries. A missing file raises
    FileNotFoundError.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise CheckpointError(f"{path} is not valid JSON (truncated or corrupted?): {e}") from None
    load_dict(module, data, source=str(path))


def load_dict(module: Module, data: Any, source: str = "checkpoint") -> None:
    """Validate a checkpoint dict against ``module`` completely, then copy its parameters in."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(f"{source} is not an nn checkpoint (no \"format\": {FORMAT!r} field)")
    version = data.get("version")
    if version != VERSION:
        raise CheckpointError(
            f"{source} has checkpoint format version {version!r}; this version of nn reads version {VERSION}"
        )
    missing = [k for k in ("architecture", "parameters") if k not in data]
    if missing:
        raise CheckpointError(f"{source} lacks the field(s) {', '.join(missing)}")
    expected = module.architecture()
    if data["architecture"] != expected:
        file_arch, model_arch = _brief(data["architecture"]), _brief(expected)
        if file_arch == model_arch:  # same top-level module: the difference is further down
            file_arch, model_arch = json.dumps(data["architecture"]), json.dumps(expected)
        raise CheckpointError(
            f"{source} was saved from a different architecture:\n  file:  {file_arch}\n  model: {model_arch}"
        )
    pairs = match_state(module, data["parameters"], source)
    for value, number in pairs:
        value.data = number


def match_state(module: Module, state: Any, source: str = "state dict") -> list[tuple[Value, float]]:
    """Pair every parameter of ``module`` with its number in ``state``, checking everything first.

    Raises :class:`CheckpointError` naming the first problem: a missing or
    unexpected name, a shape that differs, or an entry that is not a real number.
    """
    if not isinstance(state, dict):
        raise CheckpointError(f"{source}: parameters must be a dict of name -> numbers, got {type(state).__name__}")
    slots = dict(module.named_slots())
    missing = [name for name in slots if name not in state]
    unexpected = [name for name in state if name not in slots]
    if missing or unexpected:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}")
        if unexpected:
            parts.append(f"unexpected {', '.join(map(str, unexpected[:5]))}{' ...' if len(unexpected) > 5 else ''}")
        raise CheckpointError(f"{source}: parameter names do not match the model: {'; '.join(parts)}")
    pairs: list[tuple[Value, float]] = []
    for name, slot in slots.items():
        pairs.extend(_match(slot, state[name], name, source))
    return pairs


def _match(slot: Any, given: Any, where: str, source: str) -> Iterator[tuple[Value, float]]:
    if isinstance(slot, Value):
        if isinstance(given, bool) or not isinstance(given, Real):
            raise CheckpointError(f"{source}: {where} should be a number, got {given!r}")
        yield slot, float(given)
        return
    if not isinstance(given, list) or len(given) != len(slot):
        got = f"a list of {len(given)}" if isinstance(given, list) else repr(given)
        raise CheckpointError(f"{source}: {where} has shape {_shape(slot)} in the model, but the file holds {got}")
    for i, (s, g) in enumerate(zip(slot, given)):
        yield from _match(s, g, f"{where}[{i}]", source)


def _shape(slot: Any) -> list[int]:
    shape = []
    while not isinstance(slot, Value):
        shape.append(len(slot))
        slot = slot[0]
    return shape


def _brief(arch: Any) -> str:
    """``MLP(nin=2, sizes=[16, 1], ...)`` for an architecture dict (children omitted)."""
    if not isinstance(arch, dict):
        return repr(arch)
    config = arch.get("config")
    args = ", ".join(f"{k}={v!r}" for k, v in config.items()) if isinstance(config, dict) else repr(config)
    return f"{arch.get('type')}({args})"
