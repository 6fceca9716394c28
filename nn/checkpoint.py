"""JSON checkpoints: architecture + parameters + a format version + a checksum.

File layout (format version 1)::

    {"format": "chainrule.nn.checkpoint", "version": 1,
     "architecture": {"type": "MLP", "config": {...}, "children": [...]},
     "parameters": {"layers.0.neurons.0.w": [0.12, -0.5], "layers.0.neurons.0.b": 0.0, ...},
     "sha256": "<hex digest of the fields above in canonical JSON>"}

Guarantees:

- Exact round trip: floats are written with ``repr``, the shortest text that
  reads back to the same double, so every parameter comes back bit for bit
  (infinities and NaN are written as ``Infinity``/``NaN``, as Python's json does).
- Atomic, private save (:mod:`nn.files`): the JSON goes to a staging file
  ``.chainrule-<name>.<16 hex>.partial`` in the same folder, created with the
  owner's permission bits only (whatever the umask), flushed to disk, then
  renamed over the target. A crash or error mid-write leaves the previous file
  as it was. An existing file keeps its permission bits (a ``0o600``
  checkpoint stays private), a new one gets ``0o666`` minus the umask. A later
  save removes staging files left by a killed save (only names of exactly that
  form, only when no live process holds them, only if older than a few seconds).
- Symbolic links: saving to a symlink writes to the file it points to (through
  any chain of links) and leaves the link in place. Saving over a directory or
  a non-regular file (a device, a pipe) raises ``OSError`` and writes nothing.
- Strict load: the whole file is read and checked before any parameter is
  touched; any problem with its contents raises :class:`CheckpointError` and
  the model is unchanged. That covers bytes that are not UTF-8, JSON syntax
  errors and truncation, nesting too deep, duplicate keys, numbers that
  overflow a double (``1e999``, integers of hundreds of digits), unknown or
  mistyped fields (``"version": true`` is not version 1), another format
  version or architecture, parameters with other names, shapes or non-numeric
  entries, and a ``sha256`` that does not match the contents (a flipped digit
  in a parameter is caught). ``NaN`` and ``Infinity`` are accepted as parameter
  values only (a model can hold them, and they round trip). Files without a
  ``sha256`` (written before it existed) load with all the other checks.
- Only regular files are read: a FIFO, a device (``/dev/zero``), a socket
  raise :class:`CheckpointError` at once, without blocking or reading (the
  file is opened non-blocking and its type checked with ``fstat`` first), and
  so does a file larger than :data:`MAX_BYTES`.
- A file that cannot be *opened* (missing, a directory, no permission) raises
  the ``OSError`` that ``open`` raises (``FileNotFoundError`` for a missing
  file): that is a problem with the path, not with a checkpoint's contents.

This module sits below :mod:`nn.module`: it works on anything with the
:class:`Checkpointable` methods and imports nothing else from ``nn`` but
:mod:`nn.files`.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import math
import os
import re
import stat
from collections.abc import Iterator
from os import PathLike
from pathlib import Path
from typing import Any, Protocol

from autograd import Value
from nn.files import write_atomic

FORMAT = "chainrule.nn.checkpoint"
VERSION = 1
FIELDS = ("format", "version", "architecture", "parameters", "sha256")
# A double is at most ~1.8e308: an integer literal with more digits than this cannot be a parameter.
MAX_INT_DIGITS = 400
# The largest checkpoint load reads: about 20 million parameters (a scalar engine trains far fewer).
MAX_BYTES = 512 * 2**20


class CheckpointError(ValueError):
    """A checkpoint (or state dict) that cannot be loaded into this model; the model is unchanged."""


class Checkpointable(Protocol):
    """What checkpoints need of a model (:class:`nn.Module` has it all)."""

    def architecture(self) -> dict[str, Any]: ...

    def state_dict(self) -> dict[str, Any]: ...

    def named_slots(self, prefix: str = "") -> Iterator[tuple[str, Any]]: ...


def _digest(data: dict[str, Any]) -> str:
    """sha256 of the checkpoint's fields (all but ``sha256``) as canonical JSON (sorted keys, no spaces)."""
    body = {k: data[k] for k in ("format", "version", "architecture", "parameters") if k in data}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def to_dict(module: Checkpointable) -> dict[str, Any]:
    """The checkpoint of ``module`` as a JSON-able dict (with its ``sha256``)."""
    data: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "architecture": module.architecture(),
        "parameters": module.state_dict(),
    }
    data["sha256"] = _digest(data)
    return data


# -- saving -------------------------------------------------------------------------------


def to_json(module: Checkpointable) -> str:
    """The checkpoint file's text for ``module``."""
    return json.dumps(to_dict(module), indent=1) + "\n"


def save(module: Checkpointable, path: str | PathLike[str]) -> Path:
    """Write ``module``'s checkpoint to ``path`` atomically (see :mod:`nn.files`); return ``path``."""
    text = to_json(module)  # serialise first: a bad model fails before any file is made
    return write_atomic(path, text.encode("utf-8"))


# -- loading ------------------------------------------------------------------------------


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise CheckpointError(f"duplicate key {_show(key)} in an object")
        out[key] = value
    return out


def _parse_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise CheckpointError(f"an integer of {digits} digits is out of range for a parameter")
    return int(text)


def _parse_float(text: str) -> float:
    x = float(text)
    if math.isinf(x):  # a literal such as 1e999; infinities are written as Infinity
        raise CheckpointError(f"the number {text[:40]} overflows a double")
    return x


def parse(raw: bytes, source: str = "checkpoint") -> Any:
    """The JSON value in ``raw``, parsed strictly; any problem raises :class:`CheckpointError`."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise CheckpointError(f"{source} is not UTF-8 text (byte {e.start}: {raw[e.start:e.start + 1]!r})") from None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_int=_parse_int, parse_float=_parse_float)
    except CheckpointError as e:
        raise CheckpointError(f"{source}: {e}") from None
    except json.JSONDecodeError as e:
        raise CheckpointError(f"{source} is not valid JSON (truncated or corrupted?): {e}") from None
    except RecursionError:
        raise CheckpointError(f"{source} is nested too deeply to be a checkpoint") from None
    except (ValueError, OverflowError) as e:  # anything else the parser refuses
        raise CheckpointError(f"{source} cannot be parsed: {e}") from None


def load(module: Checkpointable, path: str | PathLike[str]) -> None:
    """Load the checkpoint at ``path`` into ``module`` in place.

    Raises :class:`CheckpointError` (model unchanged) for any problem with the
    file's contents, for a file that is not a regular file and for one larger
    than :data:`MAX_BYTES` (see the module docstring); a path that cannot be
    opened raises its ``OSError`` (``FileNotFoundError`` when missing).
    """
    path = Path(path)
    load_dict(module, parse(read_regular_file(path), str(path)), source=str(path))


_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _refuse_special(path: Path, mode: int) -> None:
    """Raise unless ``mode`` is a regular file's: a directory as ``open`` would, anything else as CheckpointError."""
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "Is a directory", str(path))
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
        raise CheckpointError(f"{_show(str(path))} is {kind}, not a checkpoint file: nothing was read")


def read_regular_file(path: Path, limit: int | None = None) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them.

    Opened without blocking (a FIFO with no writer would wait forever) and its
    type checked on the open descriptor before reading anything, so what is
    read is what was checked. A directory raises ``IsADirectoryError`` as
    ``open`` would; any other non-regular file, or a file over ``limit`` bytes
    (default :data:`MAX_BYTES`), raises :class:`CheckpointError` naming the path and why.
    """
    limit = MAX_BYTES if limit is None else limit
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        if e.errno in (errno.ENXIO, errno.EOPNOTSUPP):  # a socket (or a device without a driver)
            with contextlib.suppress(OSError):
                _refuse_special(path, os.stat(path).st_mode)
        raise
    try:
        st = os.fstat(fd)
        _refuse_special(path, st.st_mode)
        if st.st_size > limit:
            raise CheckpointError(f"{_show(str(path))} is {st.st_size:,} bytes, more than a checkpoint can be "
                                  f"({limit:,}): nothing was read")
        chunks, size = [], 0
        while size <= limit:  # the file may grow after fstat: the bound holds for what is read
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > limit:
        raise CheckpointError(f"{_show(str(path))} grew past {limit:,} bytes while being read")
    return b"".join(chunks)


def load_dict(module: Checkpointable, data: Any, source: str = "checkpoint") -> None:
    """Validate a checkpoint dict against ``module`` completely, then copy its parameters in."""
    if not isinstance(data, dict) or data.get("format") != FORMAT or type(data.get("format")) is not str:
        raise CheckpointError(f"{source} is not an nn checkpoint (no \"format\": {FORMAT!r} field)")
    version = data.get("version")
    if type(version) is not int or version != VERSION:
        raise CheckpointError(
            f"{source} has checkpoint format version {version!r}; this version of nn reads version {VERSION}"
        )
    unknown = [k for k in data if k not in FIELDS]
    if unknown:
        raise CheckpointError(f"{source} has unknown field(s) {', '.join(map(_show, unknown))}")
    missing = [k for k in ("architecture", "parameters") if k not in data]
    if missing:
        raise CheckpointError(f"{source} lacks the field(s) {', '.join(missing)}")
    expected = json.loads(json.dumps(module.architecture()))  # tuples as lists, as in a file
    if not _same(data["architecture"], expected):
        file_arch, model_arch = _brief(data["architecture"]), _brief(expected)
        if file_arch == model_arch:  # same top-level module: the difference is further down
            file_arch, model_arch = json.dumps(data["architecture"]), json.dumps(expected)
        raise CheckpointError(
            f"{source} was saved from a different architecture:\n  file:  {file_arch}\n  model: {model_arch}"
        )
    pairs = match_state(module, data["parameters"], source)
    # last, so a hand-edited file gets the specific message above; a flipped digit is caught here
    if "sha256" in data:
        digest = data["sha256"]
        if type(digest) is not str or not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise CheckpointError(f"{source}: sha256 must be 64 lowercase hex digits, got {_short(digest)}")
        if digest != _digest(data):
            raise CheckpointError(
                f"{source}: the contents do not match their sha256 (the file was corrupted or edited)"
            )
    for value, number in pairs:
        value.data = number


def _same(a: Any, b: Any) -> bool:
    """Equality that also compares types: ``True`` is not ``1`` and ``1.0`` is not ``1``."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return bool(a == b)


def _show(name: Any) -> str:
    """A name for a message: as is when printable, else escaped (no control characters or surrogates)."""
    return name if isinstance(name, str) and name.isprintable() else ascii(name)


def _short(x: Any) -> str:
    """A bounded, escaped rendering of ``x`` for a message."""
    if isinstance(x, int) and x.bit_length() > 256:  # str() of a huge int is slow or refused
        return f"an integer of about {int(x.bit_length() * math.log10(2)) + 1} digits"
    try:
        text = ascii(x)
    except Exception:  # e.g. a list holding a huge int: its repr is refused
        return f"a {type(x).__name__} that cannot be shown"
    return text if len(text) <= 80 else text[:77] + "..."


def match_state(module: Checkpointable, state: Any, source: str = "state dict") -> list[tuple[Value, float]]:
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
            shown = ", ".join(map(_show, unexpected[:5]))
            parts.append(f"unexpected {shown}{' ...' if len(unexpected) > 5 else ''}")
        raise CheckpointError(f"{source}: parameter names do not match the model: {'; '.join(parts)}")
    pairs: list[tuple[Value, float]] = []
    for name, slot in slots.items():
        pairs.extend(_match(slot, state[name], name, source))
    return pairs


def _match(slot: Any, given: Any, where: str, source: str) -> Iterator[tuple[Value, float]]:
    if isinstance(slot, Value):
        yield slot, _number(given, where, source)
        return
    if not isinstance(given, list) or len(given) != len(slot):
        got = f"a list of {len(given)}" if isinstance(given, list) else _short(given)
        raise CheckpointError(f"{source}: {where} has shape {_shape(slot)} in the model, but the file holds {got}")
    for i, (s, g) in enumerate(zip(slot, given)):
        yield from _match(s, g, f"{where}[{i}]", source)


def _number(given: Any, where: str, source: str) -> float:
    """``given`` as a float: an int or a float (a bool is not a number here), within a double's range."""
    if isinstance(given, bool) or not isinstance(given, (int, float)):
        raise CheckpointError(f"{source}: {where} should be a number, got {_short(given)}")
    try:
        return float(given)
    except OverflowError:
        raise CheckpointError(f"{source}: {where} = {_short(given)} overflows a double") from None


def _shape(slot: Any) -> list[int]:
    shape = []
    while not isinstance(slot, Value):
        shape.append(len(slot))
        slot = slot[0]
    return shape


def _brief(arch: Any) -> str:
    """``MLP(nin=2, sizes=[16, 1], ...)`` for an architecture dict (children omitted)."""
    if not isinstance(arch, dict):
        return _short(arch)
    config = arch.get("config")
    args = ", ".join(f"{_show(k)}={v!r}" for k, v in config.items()) if isinstance(config, dict) else _short(config)
    return f"{_show(arch.get('type'))}({args})"
