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
- Atomic save: the JSON goes to a temporary file ``.<name>.<16 hex>.tmp`` in the
  same folder, is flushed to disk, then renamed over the target with
  ``os.replace``. A crash or error mid-write leaves the previous file as it was.
  A later save removes such temporary files left by a killed save (only names
  of exactly that form, only when no live process holds them, only if older
  than a few seconds).
- Permissions: a new file gets the usual ``0o666`` minus the umask; an existing
  file keeps its permission bits (a ``0o600`` checkpoint stays private). The
  new file is owned by whoever saves it, and a hard link to the old file keeps
  the old contents (the file is replaced, not rewritten in place).
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
- A file that cannot be *read* (missing, a directory, no permission) raises
  the ``OSError`` that ``open`` raises (``FileNotFoundError`` for a missing
  file): that is a problem with the path, not with a checkpoint's contents.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import math
import os
import re
import secrets
import stat
import time
from collections.abc import Iterator, Mapping
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograd import Value

if TYPE_CHECKING:
    from nn.module import Module

FORMAT = "chainrule.nn.checkpoint"
VERSION = 1
FIELDS = ("format", "version", "architecture", "parameters", "sha256")
# A double is at most ~1.8e308: an integer literal with more digits than this cannot be a parameter.
MAX_INT_DIGITS = 400
# Temporary files of a save that is still running are never removed: a leftover must be at
# least this old (and not locked by a live writer) before a later save deletes it.
STALE_TMP_SECONDS = 5.0


class CheckpointError(ValueError):
    """A checkpoint (or state dict) that cannot be loaded into this model; the model is unchanged."""


def _digest(data: dict[str, Any]) -> str:
    """sha256 of the checkpoint's fields (all but ``sha256``) as canonical JSON (sorted keys, no spaces)."""
    body = {k: data[k] for k in ("format", "version", "architecture", "parameters") if k in data}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def to_dict(module: Module) -> dict[str, Any]:
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


def _tmp_pattern(name: str) -> re.Pattern[str]:
    """Names of this module's temporary files for ``name``: 16 hex digits, or the 8 characters
    ``tempfile.mkstemp`` used in earlier versions."""
    return re.compile(rf"\.{re.escape(name)}\.(?:[0-9a-f]{{16}}|[a-z0-9_]{{8}})\.tmp")


def _is_held(fd: int) -> bool:
    """Whether a live process holds the lock a writer takes on its temporary file (POSIX only)."""
    try:
        import fcntl
    except ImportError:  # no flock (Windows): rely on the age threshold alone
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    return False


def _lock(fd: int) -> None:
    with contextlib.suppress(ImportError, OSError):
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def remove_stale_temporaries(path: str | PathLike[str]) -> list[Path]:
    """Delete the temporary files that killed saves to ``path`` left behind; return what was deleted.

    Only names of the exact form ``.<name>.<16 hex digits>.tmp`` (or an earlier
    version's ``.<name>.<8 chars>.tmp``) in the same folder, only regular files,
    only those older than :data:`STALE_TMP_SECONDS` and not locked by a writer
    that is still running. Errors are ignored: this is housekeeping.
    """
    path = Path(path)
    pattern = _tmp_pattern(path.name)
    removed: list[Path] = []
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        if not pattern.fullmatch(entry.name):
            continue
        try:
            fd = os.open(entry.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            continue
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or now - st.st_mtime < STALE_TMP_SECONDS or _is_held(fd):
                continue
            os.unlink(entry.path)
            removed.append(Path(entry.path))
        except OSError:
            continue
        finally:
            os.close(fd)
    return removed


def _target(path: Path) -> Path:
    """The file a write to ``path`` replaces: symlinks followed; refuses directories and special files."""
    target = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        st = target.stat()
    except FileNotFoundError:
        return target
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, "cannot replace a directory with a file", str(path))
    if not stat.S_ISREG(st.st_mode):
        raise OSError(errno.EINVAL, "cannot replace a file that is not a regular file", str(path))
    return target


def to_json(module: Module) -> str:
    """The checkpoint file's text for ``module``."""
    return json.dumps(to_dict(module), indent=1) + "\n"


def save(module: Module, path: str | PathLike[str]) -> Path:
    """Write ``module``'s checkpoint to ``path`` atomically (temp file + fsync + ``os.replace``); return ``path``.

    See the module docstring for permissions, symlinks and leftover temporary files.
    """
    text = to_json(module)  # serialise first: a bad model fails before any file is made
    return write_atomic(path, text.encode("utf-8"))


def write_atomic(path: str | PathLike[str], data: bytes) -> Path:
    """Replace the file at ``path`` with ``data`` atomically; return ``path``.

    The bytes go to ``.<name>.<16 hex>.tmp`` next to the target, are flushed to
    disk, then renamed over it, so readers see the old file or the new one,
    never a part. Permissions, symlinks and leftovers as in the module docstring.
    """
    write_all_atomic({path: data})
    return Path(path)


def write_all_atomic(files: Mapping[str | PathLike[str], bytes]) -> None:
    """Write several files, each atomically, and none unless every one could be staged.

    Every file's bytes go to its own temporary file first (written and
    flushed to disk); only when all are staged are they renamed over their
    targets. An error while staging (a full disk, a folder in the way) removes
    the temporary files and leaves every target as it was.
    """
    staged: list[tuple[int, Path, Path]] = []  # (fd, tmp, target)
    try:
        for path, data in files.items():
            staged.append(_stage(Path(path), data))
        if os.name == "nt":  # Windows cannot rename an open file
            for fd, _, _ in staged:
                os.close(fd)
        for _, tmp, target in staged:
            os.replace(tmp, target)
    except BaseException:
        for _, tmp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise
    finally:
        if os.name != "nt":
            for fd, _, _ in staged:
                os.close(fd)
    for folder in {target.parent for _, _, target in staged}:
        _fsync_dir(folder)


def _stage(path: Path, data: bytes) -> tuple[int, Path, Path]:
    """Write ``data`` to a new temporary file next to ``path``'s target; return (open fd, temp path, target)."""
    target = _target(path)
    remove_stale_temporaries(target)
    try:
        mode: int | None = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = None  # a new file: 0o666 minus the umask, applied by os.open below
    while True:
        tmp = target.parent / f".{target.name}.{secrets.token_hex(8)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o666)
            break
        except FileExistsError:  # 64 random bits: only a leftover could collide
            continue
    try:
        _lock(fd)  # held until the rename, so another save's clean-up never takes this file
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        if mode is not None and hasattr(os, "fchmod"):
            os.fchmod(fd, mode)
        os.fsync(fd)  # the bytes are on disk before the rename makes them visible
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return fd, tmp, target


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX); best effort."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


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


def load(module: Module, path: str | PathLike[str]) -> None:
    """Load the checkpoint at ``path`` into ``module`` in place.

    Raises :class:`CheckpointError` (model unchanged) for any problem with the
    file's contents (see the module docstring); a file that cannot be read
    raises its ``OSError`` (``FileNotFoundError`` when missing).
    """
    path = Path(path)
    with open(path, "rb") as f:
        raw = f.read()
    load_dict(module, parse(raw, str(path)), source=str(path))


def load_dict(module: Module, data: Any, source: str = "checkpoint") -> None:
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
