"""nn.files: several files as one unit (journal, held-back signals), and nn.interrupts."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from nn import interrupts
from nn.files import (
    JOURNAL,
    IncompleteWriteError,
    InterruptedAfterWriting,
    recover,
    stage_name,
    write_all_atomic,
)
from tests.nn.faults import Faults, ctrl_c

ROOT = Path(__file__).resolve().parents[2]
POSIX = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
NAMES = ("loss.png", "model.json", "metrics.json")


def _old_files(folder: Path) -> dict[str, bytes]:
    folder.mkdir(exist_ok=True)
    files = {name: f"old {name}".encode() for name in NAMES}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return files


def _new_files() -> dict[str, bytes]:
    return {name: f"new {name} ".encode() * 50 for name in NAMES}


def _contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def _unit_write(folder: Path, monkeypatch, at=None, fault="enospc"):
    """Write the new files over the old ones with a fault at call ``at``; (outcome, calls counted)."""
    faults = Faults(monkeypatch, at, fault)
    try:
        write_all_atomic({folder / name: data for name, data in _new_files().items()})
        outcome = "done"
    except InterruptedAfterWriting:
        outcome = "interrupted after writing"
    except KeyboardInterrupt:
        outcome = "interrupted"
    except OSError as e:
        outcome = f"error {errno.errorcode.get(e.errno, e.errno)}"
    finally:
        monkeypatch.undo()
    return outcome, faults


def test_a_unit_write_replaces_every_file_and_leaves_nothing_else(tmp_path, monkeypatch):
    _old_files(tmp_path)
    outcome, faults = _unit_write(tmp_path, monkeypatch)
    assert outcome == "done" and _contents(tmp_path) == _new_files()
    assert faults.seen.count("replace") == len(NAMES)


@POSIX
@pytest.mark.parametrize("fault", ["enospc", "sigint"])
def test_a_fault_at_each_write_leaves_all_old_or_all_new_and_says_which(tmp_path, monkeypatch, fault):
    """ENOSPC or a real SIGINT at every write, flush, chmod and rename of the unit: never a mix."""
    _old_files(tmp_path / "count")
    _, faults = _unit_write(tmp_path / "count", monkeypatch)
    seen = []
    for at in range(1, faults.count + 1):
        folder = tmp_path / f"at{at}"
        old = _old_files(folder)
        outcome, _ = _unit_write(folder, monkeypatch, at, fault)
        now = _contents(folder)
        seen.append(outcome)
        if outcome in ("done", "interrupted after writing"):
            assert now == _new_files(), (at, outcome)
        else:
            assert now == old, (at, outcome)  # no staging file or journal left either
    if fault == "sigint":  # staging is interruptible; the renames are not, and the interrupt comes right after
        assert set(seen) == {"interrupted", "interrupted after writing"}, seen
    else:  # a rename that fails midway is completed from the journal: the unit is whole
        assert "error ENOSPC" in seen and set(seen) <= {"error ENOSPC", "done"}, seen


def test_a_failing_rename_that_stays_failed_leaves_a_journal_that_the_next_write_completes(tmp_path, monkeypatch):
    _old_files(tmp_path)
    real = os.replace
    calls = []

    def replace(src, dst):
        calls.append(dst)
        if Path(dst).name == "model.json":
            raise OSError(errno.EIO, "Input/output error", str(dst))
        return real(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(IncompleteWriteError, match=r"after 1 of 3 files; the next write into this folder completes"):
        write_all_atomic({tmp_path / name: data for name, data in _new_files().items()})
    monkeypatch.undo()
    assert [p for p in tmp_path.iterdir() if JOURNAL.fullmatch(p.name)]
    assert (tmp_path / "metrics.json").read_bytes() == _new_files()["metrics.json"]  # the first retry moved it
    assert recover(tmp_path) == [tmp_path / "model.json"]
    assert _contents(tmp_path) == _new_files()


@POSIX
def test_a_commit_killed_between_renames_is_finished_by_the_next_write(tmp_path):
    """SIGKILL cannot be held back: the journal on disk makes the next write finish the unit first."""
    old = _old_files(tmp_path)
    child = subprocess.Popen([sys.executable, "-c", (
        "import os, sys, time\n"
        "from pathlib import Path\n"
        "from nn.files import write_all_atomic\n"
        "real, n = os.replace, []\n"
        "def replace(a, b):\n"
        "    real(a, b)\n"
        "    n.append(b)\n"
        "    if len(n) == 1:\n"
        "        time.sleep(120)\n"
        "os.replace = replace\n"
        f"folder = Path({str(tmp_path)!r})\n"
        f"write_all_atomic({{folder / n: d for n, d in {_new_files()!r}.items()}})\n"
    )], cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while (tmp_path / "loss.png").read_bytes() == old["loss.png"]:
            assert child.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    mixed = _contents(tmp_path)
    assert mixed["loss.png"] == _new_files()["loss.png"] and mixed["model.json"] == old["model.json"]
    assert any(JOURNAL.fullmatch(name) for name in mixed)
    write_all_atomic({tmp_path / "other.txt": b"x"})  # any later write into the folder recovers first
    assert _contents(tmp_path) == {**_new_files(), "other.txt": b"x"}


def test_a_journal_can_only_rename_this_modules_staging_files(tmp_path):
    """A journal planted in the folder cannot move arbitrary files: entries must be staging names beside
    their target."""
    victim = tmp_path / "keep.txt"
    victim.write_text("mine")
    token = "0123456789abcdef"
    staged = tmp_path / stage_name("t.txt", token)
    staged.write_text("new")
    moves = [[str(victim), str(tmp_path / "stolen.txt"), 0o644],  # not a staging name
             [str(staged), str(tmp_path / "elsewhere" / "t.txt"), 0o644],  # another folder
             ["relative.partial", "t.txt", 0o644], "junk", [str(staged), str(tmp_path / "t.txt"), 99999]]
    (tmp_path / f".chainrule-journal.{token}.json").write_text(
        json.dumps({"format": "chainrule.files.journal", "version": 1, "moves": moves}))
    assert recover(tmp_path) == []
    assert victim.read_text() == "mine" and staged.exists() and not (tmp_path / "stolen.txt").exists()
    assert not [p for p in tmp_path.iterdir() if JOURNAL.fullmatch(p.name)]


def test_a_unit_lives_in_one_folder(tmp_path):
    (tmp_path / "a").mkdir()
    with pytest.raises(ValueError, match="writes into one folder, got 2"):
        write_all_atomic({tmp_path / "x": b"1", tmp_path / "a" / "y": b"2"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]


def test_long_names_get_staging_names_within_the_limit(tmp_path):
    name = "n" * 250
    write_all_atomic({tmp_path / name: b"1", tmp_path / "short": b"2"})
    assert (tmp_path / name).read_bytes() == b"1" and len(stage_name(name, "0" * 16)) < 255


# -- nn.interrupts ----------------------------------------------------------------------------------


@POSIX
def test_deferred_holds_signals_back_and_delivers_them_after_the_block():
    events = []
    previous = signal.signal(signal.SIGTERM, lambda s, f: events.append("term"))
    try:
        with pytest.raises(KeyboardInterrupt):
            with interrupts.deferred():
                ctrl_c()
                ctrl_c(signal.SIGTERM)
                time.sleep(0.01)
                events.append("block done")
        assert events == ["block done", "term"]
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_deferred_and_catching_do_nothing_outside_the_main_thread():
    errors = []

    def body():
        try:
            with interrupts.catching(), interrupts.deferred():
                pass
        except Exception as e:  # signal.signal would raise ValueError here
            errors.append(e)

    t = threading.Thread(target=body)
    t.start()
    t.join()
    assert errors == []


@POSIX
def test_catching_remembers_an_interrupt_a_finaliser_swallowed(capsys):
    class Finaliser:
        def __del__(self):
            ctrl_c()
            time.sleep(0.01)  # the handler runs here, inside __del__, where its exception cannot escape

    with interrupts.catching():
        Finaliser()  # collected at once: Python ignores the KeyboardInterrupt raised inside __del__
        assert interrupts.requested()
        with pytest.raises(KeyboardInterrupt):
            interrupts.check()
    assert not interrupts.requested()
    assert "Exception ignored" not in capsys.readouterr().err  # the flag stands for it: nothing printed


@pytest.mark.parametrize("argv, expected", [
    (["python", "-m", "nn"], True),
    (["python", "-X", "dev", "-m", "nn", "--epochs", "1"], True),
    (["python", "-mnn.demo"], True),
    (["python", "-m", "pytest", "tests"], False),
    (["python", "script.py", "-m", "nn"], False),
    (["python", "-c", "import nn", "-m", "nn"], False),
    (["python"], False),
])
def test_started_as_reads_the_original_command_line(monkeypatch, argv, expected):
    monkeypatch.setattr(sys, "orig_argv", argv)
    assert interrupts.started_as("nn", "nn.demo") is expected


def test_quiet_start_changes_nothing_when_nn_is_imported_as_a_library(monkeypatch):
    monkeypatch.setattr(sys, "orig_argv", ["python", "-m", "pytest"])
    before = signal.getsignal(signal.SIGINT)
    interrupts.quiet_start("nn")
    assert signal.getsignal(signal.SIGINT) is before
