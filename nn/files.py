"""Writing files so that a reader sees the old contents or the new ones: never a part, never a mix.

One file (:func:`write_atomic`): the bytes go to a staging file next to the
target, are flushed to disk, then renamed over the target with ``os.replace``.
A crash at any moment leaves the previous file as it was.

Several files (:func:`write_all_atomic`, e.g. the demo's plots, checkpoint and
metrics) are one unit:

1. every file is staged (written and flushed) first; an error here (a full
   disk) removes the staging files, and no target has changed;
2. a journal listing the renames is written and flushed;
3. the staging files are renamed over their targets, with Ctrl-C, SIGTERM and
   SIGHUP held back until the last rename is done (:func:`nn.interrupts.deferred`);
4. the journal is removed.

A process killed outright (SIGKILL, power loss) during step 3 leaves the
journal: the next write into that folder (or :func:`recover`) finishes its
renames first, so the unit ends up wholly new. The renames of one commit and
the recovery are serialised by a lock on the folder. (The outputs are swapped
in by a journal rather than by renaming one fresh folder over the old one:
the folder may hold the user's other files, or be the current directory.)

Staging files and journals have names nobody else uses
(``.chainrule-<name>.<16 hex>.partial`` and ``.chainrule-journal.<16 hex>.json``).

Permissions: the target keeps an existing file's permission bits, and a new
file gets ``0o666`` minus the umask. A staging file is created
(``O_CREAT | O_EXCL | O_NOFOLLOW``) with the owner's part of that mode only,
whatever the umask (0 included), before a byte is written, and gets the full
mode just before its rename: it is never more open than the target, and a
staging file left by a killed save is readable by its owner only.

Symbolic links: writing to a symlink writes to the file it points to (through
any chain of links) and leaves the link in place. Writing over a directory or
a special file (a device, a pipe) raises ``OSError`` and writes nothing.

Leftovers: staging files of a killed writer are removed by a later write to
the same target, only names of exactly the form above, only regular files,
only older than :data:`STALE_SECONDS` and not locked by a live writer.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import secrets
import stat
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

from nn import interrupts

PREFIX = ".chainrule-"
STAGE_SUFFIX = ".partial"
JOURNAL = re.compile(r"\.chainrule-journal\.[0-9a-f]{16}\.json")
JOURNAL_FORMAT = "chainrule.files.journal"
# A staging file of a write that is still running is never removed: a leftover must be at
# least this old (and not locked by a live writer) before a later write deletes it.
STALE_SECONDS = 5.0
# Longer target names are shortened to a hash in staging names, so that those stay within NAME_MAX (255 bytes).
MAX_NAME_BYTES = 200
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_umask_lock = threading.Lock()


class InterruptedAfterWriting(KeyboardInterrupt):
    """Ctrl-C came while the files were being swapped in: all of them were written, then it was delivered."""


class IncompleteWriteError(OSError):
    """A rename failed after others had succeeded; the journal left behind completes them at the next write."""


# -- names ------------------------------------------------------------------------------------


def _name_part(name: str) -> str:
    """``name`` as it appears in staging names: itself, or a hash when it is too long to add to."""
    if len(os.fsencode(name)) <= MAX_NAME_BYTES:
        return name
    return "h" + hashlib.sha256(os.fsencode(name)).hexdigest()[:32]


def stage_name(target_name: str, token: str) -> str:
    """The staging file's name for a target called ``target_name`` (``token``: 16 hex digits)."""
    return f"{PREFIX}{_name_part(target_name)}.{token}{STAGE_SUFFIX}"


def _stage_pattern(target_name: str) -> re.Pattern[str]:
    return re.compile(re.escape(f"{PREFIX}{_name_part(target_name)}.") + "[0-9a-f]{16}" + re.escape(STAGE_SUFFIX))


def resolve_target(path: Path) -> Path:
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


# -- permissions -------------------------------------------------------------------------------


def current_umask() -> int:
    """The process's umask, read without changing it where the system tells it (Linux), else briefly set."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    with _umask_lock:  # os.umask can only be read by setting it; other threads of this module wait
        mask = os.umask(0o077)
        os.umask(mask)
    return mask


def final_mode(target: Path) -> int:
    """The permission bits ``target`` will have: an existing file's, else ``0o666`` minus the umask."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        return 0o666 & ~current_umask()


# -- locks --------------------------------------------------------------------------------------


def _try_lock(fd: int) -> bool:
    """Take the exclusive lock on ``fd`` without waiting; False when a live process holds it (POSIX)."""
    try:
        import fcntl
    except ImportError:  # no flock (Windows): rely on the age threshold alone
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        return e.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES)
    return True


@contextlib.contextmanager
def _folder_locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (commits and recoveries there run one at a time); best effort."""
    try:
        import fcntl

        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _O_CLOEXEC)
    except (ImportError, OSError):
        yield
        return
    try:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _fsync_dir(folder: Path) -> None:
    """Make renames in ``folder`` durable (POSIX); best effort."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# -- staging --------------------------------------------------------------------------------------


@dataclass
class _Staged:
    fd: int
    tmp: Path
    target: Path
    mode: int


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _create_private(folder: Path, name_of: Any, mode: int) -> tuple[int, Path]:
    """A new file ``folder / name_of(token)`` open for writing, with ``mode``'s owner bits only, any umask."""
    private = mode & 0o700
    while True:
        tmp = folder / name_of(secrets.token_hex(8))
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_NOFOLLOW | _O_CLOEXEC, private)
            break
        except FileExistsError:  # 64 random bits: only a leftover could collide
            continue
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, private)  # the umask may have taken bits away; it cannot add any: exactly private
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return fd, tmp


def _stage(path: Path, data: bytes) -> _Staged:
    """Write ``data`` to a new staging file next to ``path``'s target, flushed; the file stays open and locked."""
    target = resolve_target(path)
    mode = final_mode(target)
    fd, tmp = _create_private(target.parent, lambda token: stage_name(target.name, token), mode)
    try:
        _try_lock(fd)  # held until the rename, so another writer's sweep never takes this file
        _write_all(fd, data)
        os.fsync(fd)  # the bytes are on disk before the rename makes them visible
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return _Staged(fd, tmp, target, mode)


def remove_stale_temporaries(path: str | PathLike[str]) -> list[Path]:
    """Delete the staging files that killed writes to ``path`` left behind; return what was deleted.

    Only names of the exact form ``.chainrule-<name>.<16 hex digits>.partial``
    in the same folder, only regular files, only those older than
    :data:`STALE_SECONDS` and not locked by a writer that is still running.
    Errors are ignored: this is housekeeping.
    """
    path = Path(path)
    pattern = _stage_pattern(path.name)
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
            fd = os.open(entry.path, os.O_RDONLY | _O_NOFOLLOW | _O_NONBLOCK | _O_CLOEXEC)
        except OSError:
            continue
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode) or now - st.st_mtime < STALE_SECONDS or not _try_lock(fd):
                continue
            os.unlink(entry.path)
            removed.append(Path(entry.path))
        except OSError:
            continue
        finally:
            os.close(fd)
    return removed


# -- the journal ------------------------------------------------------------------------------------


def _write_journal(folder: Path, staged: list[_Staged]) -> Path:
    moves = [[os.fsdecode(s.tmp), os.fsdecode(s.target), s.mode] for s in staged]
    text = json.dumps({"format": JOURNAL_FORMAT, "version": 1, "moves": moves}, ensure_ascii=True)
    fd, journal = _create_private(folder, lambda token: f"{PREFIX}journal.{token}.json", 0o600)
    try:
        _write_all(fd, text.encode("ascii"))
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(journal)
        raise
    os.close(fd)
    _fsync_dir(folder)  # the journal exists on disk before the first rename
    return journal


def _valid_move(move: Any) -> tuple[Path, Path, int] | None:
    """A journal entry that this module could have written (else None: never act on it)."""
    if not (isinstance(move, list) and len(move) == 3 and all(isinstance(x, str) for x in move[:2])
            and type(move[2]) is int and 0 <= move[2] <= 0o7777):
        return None
    tmp, target = Path(move[0]), Path(move[1])
    if not (tmp.is_absolute() and tmp.parent == target.parent and _stage_pattern(target.name).fullmatch(tmp.name)):
        return None
    return tmp, target, move[2]


def recover(folder: str | PathLike[str]) -> list[Path]:
    """Finish the commits that a killed writer left in ``folder`` (see the module doc); return the files renamed.

    A journal that cannot be read was not complete, so none of its renames had
    started: it is removed and its staging files are left to the sweep.
    """
    folder = Path(folder)
    done: list[Path] = []
    try:
        journals = [e.path for e in os.scandir(folder) if JOURNAL.fullmatch(e.name)]
    except OSError:
        return done
    with _folder_locked(folder):
        for journal in journals:
            try:
                with open(journal, "rb") as f:
                    data = json.loads(f.read(1 << 20).decode("ascii"))
                moves = data["moves"] if data.get("format") == JOURNAL_FORMAT else []
            except FileNotFoundError:
                continue  # finished by someone else meanwhile
            except (OSError, ValueError, AttributeError, KeyError, TypeError):
                moves = []
            failed = False
            for move in moves if isinstance(moves, list) else []:
                checked = _valid_move(move)
                if checked is None:
                    continue
                tmp, target, mode = checked
                try:
                    st = os.lstat(tmp)
                except OSError:
                    continue  # renamed before the writer died
                if not stat.S_ISREG(st.st_mode) or (hasattr(os, "geteuid") and st.st_uid != os.geteuid()):
                    continue
                try:
                    os.chmod(tmp, mode)
                    os.replace(tmp, target)
                except OSError:
                    failed = True  # the journal stays: a later write tries again
                    continue
                done.append(target)
                _fsync_dir(target.parent)
            if not failed:
                with contextlib.suppress(OSError):
                    os.unlink(journal)
        if journals:
            _fsync_dir(folder)
    return done


# -- writing ------------------------------------------------------------------------------------------


def write_atomic(path: str | PathLike[str], data: bytes) -> Path:
    """Replace the file at ``path`` with ``data`` atomically; return ``path``. See the module doc."""
    write_all_atomic({path: data})
    return Path(path)


def write_all_atomic(files: Mapping[str | PathLike[str], bytes]) -> list[Path]:
    """Write several files in one folder as one unit: all new, or (on an error) all as they were.

    See the module doc for the steps. An error while staging removes the
    staging files and leaves every target unchanged. Ctrl-C during staging
    raises ``KeyboardInterrupt`` with every target unchanged; during the renames
    it is held back until they are all done, then raised as
    :class:`InterruptedAfterWriting`. Returns the paths written.
    """
    for given in files:
        text = os.fspath(given)
        if isinstance(text, str) and (not text.strip() or text.endswith(("/", os.sep))):
            # Path('out/') is Path('out'): the slash would be dropped and a file named 'out' written
            raise ValueError(f"cannot write {text!r}: give a file name"
                             + (", not a folder (the name ends in /)" if text.strip() else ""))
    paths = [Path(p) for p in files]
    if not paths:
        return []
    folders = {p.parent for p in paths}
    if len(folders) > 1:
        raise ValueError(f"write_all_atomic writes into one folder, got {len(folders)}: "
                         f"{', '.join(sorted(map(str, folders)))}")
    (folder,) = folders
    recover(folder)
    for path in paths:
        remove_stale_temporaries(resolve_target(path))
    staged: list[_Staged] = []
    journal: Path | None = None
    done = 0  # files renamed into place
    try:
        for path, data in zip(paths, files.values()):
            staged.append(_stage(path, data))
        # the lock first: waiting for another writer's commit stays interruptible
        with _folder_locked(folder), interrupts.deferred():  # signals wait until every file is in place
            interrupts.check()  # a Ctrl-C that a finaliser swallowed earlier: commit nothing
            journal = _write_journal(folder, staged) if len(staged) > 1 else None
            for s in staged:
                if hasattr(os, "fchmod"):
                    os.fchmod(s.fd, s.mode)  # the target's mode, at the last moment (see the module doc)
                if os.name == "nt":  # Windows cannot rename an open file
                    os.close(s.fd)
                    s.fd = -1
                os.replace(s.tmp, s.target)
                done += 1
            for parent in dict.fromkeys(s.target.parent for s in staged):
                _fsync_dir(parent)
            if journal is not None:
                with contextlib.suppress(OSError):  # a journal whose files are all in place is harmless
                    os.unlink(journal)
                    _fsync_dir(folder)
    except BaseException as e:
        if done == 0:  # nothing is in place yet: every target is as it was
            _discard(staged)
            if journal is not None:
                with contextlib.suppress(OSError):
                    os.unlink(journal)
            raise
        if done < len(staged):
            # Only a failing disk or an injected error stops between renames (signals are held back):
            # finish the rest from the journal now, so the folder is never left with a mix.
            recover(folder)
            if any(os.path.lexists(s.tmp) for s in staged[done:]):
                err = e if isinstance(e, OSError) else OSError(errno.EIO, str(e) or type(e).__name__)
                raise IncompleteWriteError(
                    err.errno, f"{err.strerror or err} (after {done} of {len(staged)} files; the next write "
                    "into this folder completes the rest)", err.filename) from e
        if isinstance(e, KeyboardInterrupt):
            raise InterruptedAfterWriting("interrupted after every file was written") from None
        if done < len(staged):
            return [s.target for s in staged]  # the journal put every file in place: the write succeeded
        raise  # after the last rename: e.g. a SIGTERM handler's SystemExit, delivered once all was written
    finally:
        for s in staged:
            if s.fd >= 0:
                os.close(s.fd)
    return [s.target for s in staged]


def _discard(staged: list[_Staged]) -> None:
    for s in staged:
        with contextlib.suppress(OSError):
            os.unlink(s.tmp)
