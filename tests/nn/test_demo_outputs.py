"""The demo's outputs are one unit, and Ctrl-C always ends it with status 130 and a true one-line message.

- A fault (ENOSPC) or a real SIGINT at each write, flush, chmod and rename of
  the demo's outputs (MLP and RNN): the folder holds every file of the earlier
  run or every file of this one, and the message says which.
- Real SIGINTs sent to ``python -m nn`` at random moments, repeated.
- The report's case: an interrupt that lands in tqdm's finaliser (where Python
  swallows it) still ends the demo with 130, and nothing is written.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nn.demo import command, main
from tests.nn.faults import Faults, ctrl_c

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

ROOT = Path(__file__).resolve().parents[2]
POSIX = pytest.mark.skipif(os.name != "posix", reason="POSIX signals")


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """For mlp and rnn: (argv, the files of an earlier run, a finished run of other settings to write over them)."""
    from nn.demo import mlp
    from nn.examples import fit_rnn

    out = {}
    for model, argv, fit in (
        ("mlp", ["--epochs", "1"], lambda seed: mlp.fit_mlp("moons", 1, None, seed, progress=False)),
        ("rnn", ["--model", "rnn", "--epochs", "1"], lambda seed: fit_rnn(1, seed=seed, progress=False)),
    ):
        folder = tmp_path_factory.mktemp(f"earlier-{model}")
        assert main([*argv, "--seed", "1", "--out", str(folder)]) == 0
        out[model] = (argv, _snapshot(folder), fit(2))
    return out


def _run_with_fault(monkeypatch, capsys, folder, model, runs, at, fault):
    """The demo with training replaced by a finished run, and a fault at call ``at`` of its writing."""
    argv, _, finished = runs[model]
    monkeypatch.setattr("nn.demo.mlp.fit_mlp", lambda *a, **k: finished)
    monkeypatch.setattr(command, "_example_run", lambda *a, **k: finished)
    real_write = command.write_outputs
    counted = {}

    def write_outputs(*args):
        counted["faults"] = faults = Faults(monkeypatch, at, fault)  # only while the outputs are written
        try:
            return real_write(*args)
        finally:
            faults.restore()

    monkeypatch.setattr(command, "write_outputs", write_outputs)
    try:
        status = main([*argv, "--out", str(folder)])
    finally:
        monkeypatch.undo()
    captured = capsys.readouterr()
    return status, captured, counted["faults"].count


@POSIX
@pytest.mark.parametrize("model", ["mlp", "rnn"])
@pytest.mark.parametrize("fault", ["enospc", "sigint"])
def test_a_fault_at_each_write_of_the_demo_leaves_one_runs_files_and_says_which(tmp_path, monkeypatch, capsys,
                                                                                runs, model, fault):
    argv, earlier, finished = runs[model]
    new = finished.outputs
    _, _, n = _run_with_fault(monkeypatch, capsys, _copy(earlier, tmp_path / "count"), model, runs, None, fault)
    assert n >= 4 * len(new)  # every file written, flushed, chmod'ed and renamed
    outcomes = set()
    for at in range(1, n + 1):
        folder = _copy(earlier, tmp_path / f"at{at}")
        status, captured, _ = _run_with_fault(monkeypatch, capsys, folder, model, runs, at, fault)
        now = _snapshot(folder)
        err = captured.err
        if status == 0:
            assert now == new and err == "", (at, err)
        else:
            assert err.startswith("error: ") and err.count("\n") == 1, (at, err)
            assert "Traceback" not in err
            if "after the outputs were written" in err:
                assert status == 130 and now == new, (at, err)
            else:
                assert "nothing was written" in err and "earlier run are unchanged" in err, (at, err)
                assert status == (130 if fault == "sigint" else 1) and now == earlier, (at, err)
        outcomes.add((status, "after the outputs" in err))
    if fault == "sigint":
        assert outcomes == {(130, False), (130, True)}  # interruptible while staging, not between renames
    else:
        assert (1, False) in outcomes


def _copy(files: dict[str, bytes], folder: Path) -> Path:
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


# -- real signals -----------------------------------------------------------------------------------


def _demo(argv, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "nn", *argv], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


@POSIX
def test_ctrl_c_at_random_moments_always_ends_with_130_and_one_true_line(tmp_path):
    """Real SIGINTs, repeated, at random moments of `python -m nn --model rnn`: while its modules load, while it
    trains, while it writes, while it exits."""
    earlier = tmp_path / "earlier"
    done = subprocess.run([sys.executable, "-m", "nn", "--model", "rnn", "--epochs", "2", "--out", str(earlier)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    old = _snapshot(earlier)
    rng = random.Random(21)
    statuses = []
    for k in range(6):
        folder = _copy(old, tmp_path / f"run{k}")
        child = _demo(["--model", "rnn", "--epochs", "30", "--out", str(folder)])
        time.sleep(rng.uniform(0.05, 3.0))
        child.send_signal(signal.SIGINT)
        out, err = child.communicate(timeout=120)
        statuses.append(child.returncode)
        now = _snapshot(folder)
        if child.returncode == 0:  # it had finished before the signal came
            assert err == "" and all(now[name] != old[name] for name in old)
            continue
        if err.startswith("Traceback") and "/nn/" not in err and "/autograd/" not in err:
            continue  # Python's own start-up (site, the path finder), before the program's first line
        assert child.returncode == 130, (err, out)
        assert err.count("\n") == 1 and err.startswith("error: interrupted (Ctrl-C)"), err
        if "after the outputs were written" in err:
            assert all(now[name] != old[name] for name in old)
        else:
            assert now == old, err
    assert 130 in statuses


@POSIX
def test_an_interrupt_out_of_a_string_exec_still_ends_python_m_nn_with_130(tmp_path):
    """CPython marks a KeyboardInterrupt that leaves ``exec`` of a string as unhandled even once it is caught, and
    ``python -m`` then dies by SIGINT (-2) instead of returning 130: seen when Ctrl-C landed while a library built a
    dataclass. Here the interrupt always comes out of such an ``exec``, at the start of training."""
    (tmp_path / "runner.py").write_text(
        "import runpy\n"
        "import nn.demo.command as command\n"
        "def run(argv, progress):\n"
        "    exec('raise KeyboardInterrupt')  # as dataclasses' generated methods are made\n"
        "command.run = run\n"
        "runpy.run_module('nn', run_name='__main__', alter_sys=True)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    run = subprocess.run([sys.executable, "-m", "runner", "--epochs", "1", "--out", str(tmp_path / "out")],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 130, (run.returncode, run.stderr)
    assert run.stderr == "error: interrupted (Ctrl-C)\n"


def _interrupt_in_set_name(argv, progress):
    class Slow:
        def __set_name__(self, owner, name):  # Python 3.11 wraps what this raises in RuntimeError
            ctrl_c()
            time.sleep(5)

    class Holder:
        field = Slow()


def _interrupt_in_an_extensions_import(argv, progress):
    try:
        ctrl_c()
        time.sleep(5)
    except KeyboardInterrupt:
        raise ImportError("initialization failed") from None  # what a pybind11 module's import reports


@POSIX
@pytest.mark.parametrize("interrupted", [_interrupt_in_set_name, _interrupt_in_an_extensions_import])
def test_an_interrupt_that_surfaces_as_another_error_is_reported_as_the_interrupt(monkeypatch, capsys, interrupted):
    """Seen with Ctrl-C at random moments: a traceback of RuntimeError (matplotlib defining a class), and "the demo
    needs a package that is not installed" followed by the interrupt's line (matplotlib's C++ modules)."""
    monkeypatch.setattr(command, "run", interrupted)
    status = main(["--epochs", "1"])
    captured = capsys.readouterr()
    assert status == 130
    assert captured.err == "error: interrupted (Ctrl-C)\n"


def test_interrupts_exit_keeps_the_status_after_a_caught_interrupt_from_a_string_exec(tmp_path):
    (tmp_path / "caught.py").write_text(
        "from nn import interrupts\n"
        "try:\n"
        "    exec('raise KeyboardInterrupt')\n"
        "except KeyboardInterrupt:\n"
        "    pass\n"
        "interrupts.exit(7)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    run = subprocess.run([sys.executable, "-m", "caught"], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=60)
    assert (run.returncode, run.stderr) == (7, "")


@POSIX
def test_an_interrupt_swallowed_by_tqdms_finaliser_still_ends_the_demo_with_130(tmp_path):
    """The report: tqdm's finaliser swallowed SIGINT in 2 of 16 runs (exit status 0). Here it always lands there."""
    folder = tmp_path / "out"
    driver = (
        "import signal, sys, threading, time\n"
        "import tqdm\n"
        "real = tqdm.tqdm.__del__\n"
        "def finaliser(self):\n"
        "    # to the main thread (this one), not to the process: another thread (tqdm's monitor) could take a\n"
        "    # process-wide signal, and the sleep below would then end before Python runs the handler\n"
        "    signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)\n"
        "    time.sleep(0.05)  # Python runs the handler here, inside the finaliser\n"
        "    real(self)\n"
        "tqdm.tqdm.__del__ = finaliser\n"
        "from nn import interrupts\n"
        "from nn.demo import main\n"
        "interrupts.exit(main(sys.argv[1:]))  # as python -m nn ends\n"
    )
    run = subprocess.run([sys.executable, "-c", driver, "--epochs", "2", "--out", str(folder)], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 130, (run.stdout, run.stderr)
    assert run.stderr == ("error: interrupted (Ctrl-C); nothing was written: the files of an earlier run are "
                          "unchanged\n")
    assert not folder.exists()  # a first run that was interrupted leaves no empty folder either
