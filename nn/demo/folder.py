"""The demo's output folder: checked before training, written as one unit after it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from nn.demo.options import EXIT_FAILED, OUTPUTS, DemoError
from nn.files import IncompleteWriteError, recover
from nn.runs import Run, show_path, write_run


def prepare_out_dir(out: Path, names: Sequence[str] = OUTPUTS) -> bool:
    """Make sure ``out`` is a folder the outputs can be written into; return whether it was created.

    A unit of files that an earlier run was killed in the middle of writing is
    completed first (:func:`nn.files.recover`). Raises :class:`DemoError` (exit
    status 2) when ``out`` is a file, cannot be created or written, or one of
    ``names`` in it is a folder or another non-file.
    """
    try:
        return _prepare_out_dir(out, names)
    except (OSError, ValueError) as e:  # e.g. no permission to look, or a NUL in the name
        raise DemoError(f"cannot use the output folder {show_path(out)}: {getattr(e, 'strerror', None) or e}") \
            from None


def _prepare_out_dir(out: Path, names: Sequence[str]) -> bool:
    shown = show_path(out)
    if out.exists() and not out.is_dir():
        raise DemoError(f"--out {shown} is a file, not a folder")
    created = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DemoError(f"cannot create the output folder {shown}: {e.strerror or e}") from None
    try:  # the only reliable test of writability is to write
        fd, probe = tempfile.mkstemp(dir=out, prefix=".chainrule-probe.", suffix=".partial")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        remove_if_empty(out, created)
        raise DemoError(f"cannot write into the output folder {shown}: {e.strerror or e}") from None
    recover(out)
    for name in names:
        path = out / name
        if (path.exists() or path.is_symlink()) and not path.is_file():
            remove_if_empty(out, created)
            what = ("a folder" if path.is_dir() else "a broken symbolic link" if not path.exists()
                    else "not a regular file")
            raise DemoError(f"{show_path(path)} is {what}; the demo writes a file there: "
                            "remove it or choose another --out")
    return created


def remove_if_empty(folder: Path, created: bool) -> None:
    """Remove ``folder`` if this run created it and it is still empty."""
    if created:
        with contextlib.suppress(OSError):
            folder.rmdir()


def write_outputs(run: Run, out_dir: Path, say: Callable[[str], None]) -> None:
    """Write the run's outputs as one unit; a failure is a :class:`DemoError` (exit 1) that says what changed."""
    try:
        write_run(run, out_dir, say)
    except IncompleteWriteError as e:
        raise DemoError(f"writing the outputs into {show_path(out_dir)} stopped midway: {e.strerror or e}",
                        EXIT_FAILED) from None
    except OSError as e:
        where = f" {show_path(Path(e.filename))}" if e.filename else ""
        raise DemoError(f"cannot write the outputs into {show_path(out_dir)} ({e.strerror or e}{where}); "
                        "nothing was written: the files of an earlier run are unchanged", EXIT_FAILED) from None
