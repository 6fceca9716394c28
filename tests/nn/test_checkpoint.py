"""Checkpoints: exact round trip, strict validation leaving the model unchanged, atomic saves."""

from __future__ import annotations

import json
import math
import os
import re
import signal
import stat
import struct
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nn.checkpoint
from autograd import Value
from nn import MLP, CheckpointError, Module, Neuron, Sequential
from nn.checkpoint import FORMAT, VERSION


def bits(model: Module) -> list[bytes]:
    return [struct.pack("<d", p.data) for p in model.parameters()]


def small_model() -> MLP:
    return MLP(2, [3, 2], seed=0)


any_float = st.floats(allow_nan=False)  # every finite double, ±0.0, subnormals and ±inf


@given(values=st.lists(any_float, min_size=17, max_size=17))
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_round_trip_is_bit_exact(tmp_path, values):
    model = small_model()
    assert model.num_parameters() == 17
    for p, v in zip(model.parameters(), values):
        p.data = v
    saved = bits(model)
    model.save(tmp_path / "m.json")
    other = small_model()
    other.load(tmp_path / "m.json")
    assert bits(other) == saved


def test_state_dict_round_trip_and_file_layout(tmp_path):
    model = small_model()
    path = tmp_path / "m.json"
    model.save(path)
    data = json.loads(path.read_text())
    assert data["format"] == FORMAT and data["version"] == VERSION
    assert data["architecture"]["type"] == "MLP"
    assert data["architecture"]["config"] == {"nin": 2, "sizes": [3, 2], "activation": "tanh",
                                              "output_activation": None}
    assert data["parameters"] == model.state_dict()
    fresh = MLP(2, [3, 2], seed=1)
    fresh.load_state_dict(model.state_dict())
    assert bits(fresh) == bits(model)


def _corrupt(tmp_path, edit) -> tuple[MLP, os.PathLike]:
    """Save a model, edit the file with ``edit(data) -> text``, return a different model and the path."""
    path = tmp_path / "m.json"
    small_model().save(path)
    data = json.loads(path.read_text())
    path.write_text(edit(data))
    return MLP(2, [3, 2], seed=5), path


def _truncated(data):
    return json.dumps(data)[:-40]


def _wrong_shape(data):
    data["parameters"]["layers.0.neurons.1.w"].append(0.5)
    return json.dumps(data)


def _scalar_for_list(data):
    data["parameters"]["layers.1.neurons.0.w"] = 0.5
    return json.dumps(data)


def _other_version(data):
    data["version"] = VERSION + 1
    return json.dumps(data)


def _not_a_number(data):
    data["parameters"]["layers.1.neurons.1.b"] = "0.1"
    return json.dumps(data)


def _bool_entry(data):
    data["parameters"]["layers.0.neurons.2.w"][0] = True
    return json.dumps(data)


def _missing_name(data):
    del data["parameters"]["layers.0.neurons.0.b"]
    return json.dumps(data)


def _other_architecture(data):
    data["architecture"]["config"]["sizes"] = [4, 2]
    return json.dumps(data)


def _not_a_checkpoint(data):
    return json.dumps([1, 2, 3])


@pytest.mark.parametrize("edit, message", [
    (_truncated, "not valid JSON"),
    (_wrong_shape, r"layers\.0\.neurons\.1\.w has shape \[2\] in the model, but the file holds a list of 3"),
    (_scalar_for_list, r"layers\.1\.neurons\.0\.w has shape \[3\]"),
    (_other_version, f"format version {VERSION + 1}; this version of nn reads version {VERSION}"),
    (_not_a_number, r"layers\.1\.neurons\.1\.b should be a number, got '0.1'"),
    (_bool_entry, r"layers\.0\.neurons\.2\.w\[0\] should be a number, got True"),
    (_missing_name, r"missing layers\.0\.neurons\.0\.b"),
    (_other_architecture, "different architecture"),
    (_not_a_checkpoint, "not an nn checkpoint"),
])
def test_bad_files_raise_checkpoint_error_and_leave_the_model_unchanged(tmp_path, edit, message):
    model, path = _corrupt(tmp_path, edit)
    before = bits(model)
    with pytest.raises(CheckpointError, match=message):
        model.load(path)
    assert bits(model) == before


def test_load_state_dict_checks_everything_before_changing_anything():
    model = small_model()
    before = bits(model)
    state = MLP(2, [3, 2], seed=9).state_dict()
    state["layers.1.neurons.1.b"] = "x"  # the last slot is bad: earlier ones must stay untouched
    with pytest.raises(CheckpointError, match="should be a number"):
        model.load_state_dict(state)
    assert bits(model) == before
    with pytest.raises(CheckpointError, match="unexpected extra"):
        model.load_state_dict({**model.state_dict(), "extra": 1.0})


def test_a_file_that_cannot_be_read_raises_its_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        small_model().load(tmp_path / "nope.json")
    with pytest.raises(IsADirectoryError):
        small_model().load(tmp_path)


def _leftovers(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != "m.json")


@pytest.mark.parametrize("target", ["replace", "fsync"])
def test_interrupted_save_leaves_the_previous_file_intact(tmp_path, monkeypatch, target):
    path = tmp_path / "m.json"
    small_model().save(path)
    previous = path.read_bytes()

    def crash(*args, **kwargs):
        raise OSError("simulated crash during save")

    monkeypatch.setattr(os, target, crash)
    with pytest.raises(OSError, match="simulated crash"):
        MLP(2, [3, 2], seed=1).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == previous
    assert _leftovers(tmp_path) == []  # the temporary file is cleaned up
    small_model().load(path)


def test_failure_while_serialising_writes_nothing(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    small_model().save(path)
    previous = path.read_bytes()

    def broken_dumps(*args, **kwargs):
        raise ValueError("cannot serialise")

    monkeypatch.setattr(nn.checkpoint.json, "dumps", broken_dumps)
    with pytest.raises(ValueError, match="cannot serialise"):
        MLP(2, [3, 2], seed=1).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == previous and _leftovers(tmp_path) == []


class Kernel(Module):
    def __init__(self, shape: tuple[int, int]) -> None:
        super().__init__()
        self.shape = list(shape)
        self.k = [[Value(float(i * shape[1] + j)) for j in range(shape[1])] for i in range(shape[0])]

    def __call__(self, x):
        return x

    def config(self):
        return {"shape": self.shape}


def test_nested_tensors_and_sequential_round_trip_and_shape_checks(tmp_path):
    model = Sequential(Kernel((2, 3)), Neuron(3, seed=0))
    path = tmp_path / "s.json"
    model.save(path)
    other = Sequential(Kernel((2, 3)), Neuron(3, seed=1))
    other.load(path)
    assert bits(other) == bits(model)

    data = json.loads(path.read_text())
    data["parameters"]["layers.0.k"][1] = [1.0, 2.0]
    path.write_text(json.dumps(data))
    with pytest.raises(CheckpointError, match=r"layers\.0\.k\[1\] has shape \[3\]"):
        other.load(path)
    with pytest.raises(CheckpointError, match="different architecture"):
        Sequential(Kernel((3, 2)), Neuron(3, seed=0)).load(tmp_path / "s.json")


def test_non_finite_values_round_trip(tmp_path):
    model = small_model()
    params = model.parameters()
    params[0].data, params[1].data, params[2].data = math.inf, -math.inf, -0.0
    model.save(tmp_path / "m.json")
    other = small_model()
    other.load(tmp_path / "m.json")
    assert bits(other) == bits(model)


# -- every bad file is a CheckpointError ------------------------------------------------


def _saved_text(tmp_path) -> str:
    path = tmp_path / "m.json"
    small_model().save(path)
    return path.read_text()


def _replace_first_param(text: str, literal: str) -> str:
    data = json.loads(text)
    data["parameters"]["layers.0.neurons.0.b"] = "@@"  # a scalar slot
    return json.dumps(data).replace('"@@"', literal)


BAD_FILES = {
    "non-UTF-8 byte": lambda t: t.encode()[:30] + b"\xff\xfe" + t.encode()[30:],
    "integer above 1e308": lambda t: _replace_first_param(t, "1" + "0" * 309).encode(),
    "4,301-digit integer": lambda t: _replace_first_param(t, "7" * 4301).encode(),
    "float literal that overflows": lambda t: _replace_first_param(t, "1e999").encode(),
    "100,000 nested brackets": lambda t: b"[" * 100_000 + b"]" * 100_000,
    "100,000 nested objects": lambda t: b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
    "deep nesting in a parameter": lambda t: _replace_first_param(t, "[" * 50_000 + "]" * 50_000).encode(),
    "duplicate key": lambda t: t.replace('"version": 1,', '"version": 1, "version": 1,').encode(),
    "duplicate parameter": lambda t: t.replace('"parameters": {',
                                               '"parameters": {"layers.0.neurons.0.b": 0.5,').encode(),
    "version true": lambda t: t.replace('"version": 1', '"version": true').encode(),
    "version 1.0": lambda t: t.replace('"version": 1', '"version": 1.0').encode(),
    "version NaN": lambda t: t.replace('"version": 1', '"version": NaN').encode(),
    "format not a string": lambda t: t.replace(f'"format": "{FORMAT}"', '"format": ["x"]').encode(),
    "unknown field": lambda t: t.replace('"version": 1,', '"version": 1, "extra": 0,').encode(),
    "architecture with true for 2": lambda t: t.replace('"nin": 2', '"nin": true').encode(),
    "architecture with 2.0 for 2": lambda t: t.replace('"nin": 2', '"nin": 2.0').encode(),
    "sha256 not hex": lambda t: re.sub(r'"sha256": "[0-9a-f]+"', '"sha256": "xyz"', t).encode(),
    "sha256 a number": lambda t: re.sub(r'"sha256": "[0-9a-f]+"', '"sha256": 5', t).encode(),
    "a digit flipped": lambda t: _flip_a_digit(t).encode(),
    "empty file": lambda t: b"",
    "UTF-8 BOM": lambda t: b"\xef\xbb\xbf" + t.encode(),
    "a NUL byte": lambda t: t.encode()[:20] + b"\x00" + t.encode()[20:],
    "control characters in a name": lambda t: t.replace('"parameters": {',
                                                        '"parameters": {"\\u0000<\\ud800": 1,').encode(),
    "NaN for a list": lambda t: t.replace('"layers.0.neurons.0.w": [', '"layers.0.neurons.0.w": NaN, "x": [').encode(),
}


def _flip_a_digit(text: str) -> str:
    """Change one digit of one parameter: still valid JSON of the right shape, but not what was saved."""
    i = text.index('"parameters"')
    i = next(k for k in range(i, len(text)) if text[k] in "123456789")
    return text[:i] + ("2" if text[i] != "2" else "3") + text[i + 1:]


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_every_bad_file_raises_checkpoint_error_and_leaves_the_model_unchanged(tmp_path, name):
    raw = BAD_FILES[name](_saved_text(tmp_path))
    path = tmp_path / "bad.json"
    path.write_bytes(raw)
    model = MLP(2, [3, 2], seed=5)
    before = bits(model)
    with pytest.raises(CheckpointError) as info:
        model.load(path)
    assert bits(model) == before
    message = str(info.value)
    assert message.isprintable() or "\n" in message  # no raw control characters or surrogates
    message.encode("utf-8")  # printable to a terminal


def test_specific_messages_for_strict_types(tmp_path):
    text = _saved_text(tmp_path)
    path = tmp_path / "bad.json"
    cases = [
        (BAD_FILES["version true"], "format version True"),
        (BAD_FILES["duplicate key"], "duplicate key version"),
        (BAD_FILES["integer above 1e308"], "overflows a double"),
        (BAD_FILES["4,301-digit integer"], "integer of 4301 digits"),
        (BAD_FILES["100,000 nested brackets"], "nested too deeply"),
        (BAD_FILES["non-UTF-8 byte"], r"not UTF-8 text \(byte 30"),
        (BAD_FILES["a digit flipped"], "do not match their sha256"),
        (BAD_FILES["unknown field"], "unknown field.*extra"),
        (BAD_FILES["architecture with true for 2"], "different architecture"),
    ]
    for edit, message in cases:
        path.write_bytes(edit(text))
        with pytest.raises(CheckpointError, match=message):
            small_model().load(path)


def test_infinity_and_nan_are_accepted_for_parameters_only(tmp_path):
    text = _saved_text(tmp_path)
    path = tmp_path / "m.json"
    data = json.loads(text)
    del data["sha256"]  # a file without a checksum (older, or written by hand) still loads
    first = next(iter(data["parameters"]))
    data["parameters"][first] = [math.inf, math.nan]
    path.write_text(json.dumps(data))
    model = small_model()
    model.load(path)
    assert model.parameters()[0].data == math.inf and math.isnan(model.parameters()[1].data)


def test_a_hand_edit_without_the_checksum_loads_and_with_it_is_refused(tmp_path):
    text = _saved_text(tmp_path)
    data = json.loads(text)
    first = next(iter(data["parameters"]))
    data["parameters"][first] = [0.25, 0.5]
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(data))
    with pytest.raises(CheckpointError, match="sha256"):
        small_model().load(path)
    del data["sha256"]
    path.write_text(json.dumps(data))
    model = small_model()
    model.load(path)
    assert [p.data for p in model.parameters()[:2]] == [0.25, 0.5]


@st.composite
def damage(draw):
    """A list of byte flips (position fraction, xor mask) or a truncation point."""
    if draw(st.booleans()):
        return ("truncate", draw(st.floats(0.0, 1.0)))
    flips = draw(st.lists(st.tuples(st.floats(0.0, 1.0, exclude_max=True), st.integers(1, 255)),
                          min_size=1, max_size=4))
    return ("flip", flips)


@given(how=damage())
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_fuzz_damaged_files_raise_only_checkpoint_error_and_leave_the_model_unchanged(tmp_path, how):
    """Random byte flips and truncations: either CheckpointError with the model untouched, or (a change
    JSON cannot see, such as whitespace) exactly the saved parameters, never anything else."""
    path = tmp_path / "m.json"
    saved = MLP(2, [3, 2], seed=0)
    saved.save(path)
    raw = bytearray(path.read_bytes())
    kind, arg = how
    if kind == "truncate":
        raw = raw[: int(arg * len(raw))]
    else:
        for where, mask in arg:
            raw[int(where * len(raw))] ^= mask
    path.write_bytes(bytes(raw))
    model = MLP(2, [3, 2], seed=5)
    before = bits(model)
    try:
        model.load(path)
    except CheckpointError:
        assert bits(model) == before
    else:
        assert bits(model) == bits(saved)


# -- save: permissions, symlinks, directories, leftovers -------------------------------------


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("umask, expected", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_file_gets_the_umask_permissions(tmp_path, umask, expected):
    old = os.umask(umask)
    try:
        small_model().save(tmp_path / "m.json")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "m.json").stat().st_mode) == expected


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o444])
def test_an_existing_file_keeps_its_permissions(tmp_path, mode):
    path = tmp_path / "m.json"
    small_model().save(path)
    os.chmod(path, mode)
    MLP(2, [3, 2], seed=1).save(path)
    assert stat.S_IMODE(path.stat().st_mode) == mode
    other = small_model()
    other.load(path)
    assert bits(other) == bits(MLP(2, [3, 2], seed=1))


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_saving_to_a_symlink_writes_through_to_its_target(tmp_path):
    real = tmp_path / "store" / "real.json"
    real.parent.mkdir()
    small_model().save(real)
    os.chmod(real, 0o600)
    link = tmp_path / "link.json"
    link.symlink_to(real)
    chain = tmp_path / "chain.json"
    chain.symlink_to(link)
    MLP(2, [3, 2], seed=1).save(chain)
    assert chain.is_symlink() and link.is_symlink() and not real.is_symlink()
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    loaded = small_model()
    loaded.load(real)
    assert bits(loaded) == bits(MLP(2, [3, 2], seed=1))
    assert sorted(p.name for p in real.parent.iterdir()) == ["real.json"]  # the temp file went next to the target
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "store" / "new.json")
    small_model().save(dangling)
    assert dangling.is_symlink() and (tmp_path / "store" / "new.json").is_file()


def test_saving_over_a_directory_is_refused_and_writes_nothing(tmp_path):
    (tmp_path / "m.json").mkdir()
    with pytest.raises(IsADirectoryError, match="directory"):
        small_model().save(tmp_path / "m.json")
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"] and (tmp_path / "m.json").is_dir()


def _old(path, seconds=3600):
    t = time.time() - seconds
    os.utime(path, (t, t))


def test_save_removes_stale_temporaries_and_nothing_else(tmp_path):
    path = tmp_path / "model.json"
    stale = [".chainrule-model.json.0123456789abcdef.partial"]
    keep = [".chainrule-model.json.0123456789abcde.partial", ".chainrule-model.json.0123456789ABCDEF.partial",
            ".chainrule-model.json.0123456789abcdef.partial.bak", ".chainrule-other.json.0123456789abcdef.partial",
            ".chainrule-model.jsonx.0123456789abcdef.partial", "chainrule-model.json.0123456789abcdef.partial",
            # names other programs (or the user) make, earlier versions' names among them: never touched
            ".model.json.0123456789abcdef.tmp", ".model.json.k3j_9x0a.tmp", ".model.json.backup_1.tmp",
            "model.json.tmp", "model.json~", ".model.json.swp", "notes.txt"]
    for name in stale + keep:
        (tmp_path / name).write_text("x")
        _old(tmp_path / name)
    recent = tmp_path / ".chainrule-model.json.fedcba9876543210.partial"  # a save that may still be running
    recent.write_text("x")
    held = tmp_path / ".chainrule-model.json.00000000ffffffff.partial"  # a writer that holds its lock
    held.write_text("x")
    _old(held)
    folder = tmp_path / ".chainrule-model.json.aaaaaaaaaaaaaaaa.partial"  # not a regular file
    folder.mkdir()
    _old(folder)
    fcntl = pytest.importorskip("fcntl")
    with open(held, "rb") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        small_model().save(path)
    left = {p.name for p in tmp_path.iterdir()}
    assert not (set(stale) & left)
    assert set(keep) | {recent.name, held.name, folder.name, "model.json"} == left


def test_a_users_backup_next_to_a_checkpoint_is_never_swept(tmp_path):
    """The name from the report: `.notes.json.backup_1.tmp` matched the old pattern and was deleted after 5 s."""
    backup = tmp_path / ".notes.json.backup_1.tmp"
    backup.write_text("my notes")
    _old(backup)
    small_model().save(tmp_path / "notes.json")
    assert backup.read_text() == "my notes"


def _save_stopped_before_the_rename(path, umask=None) -> subprocess.Popen:
    """A child process saving to ``path`` that stops (sleeps) once its staging file holds the bytes."""
    child = subprocess.Popen([sys.executable, "-c", (
        "import os, sys, time\n"
        "sys.path.insert(0, os.getcwd())\n"
        "from nn import MLP\n"
        + (f"os.umask({umask})\n" if umask is not None else "")
        + "os.fsync = lambda fd: time.sleep(120)  # stop between the write and the rename\n"
        f"MLP(2, [3, 2], seed=1).save({str(path)!r})\n"
    )])
    deadline = time.monotonic() + 60
    # bytes in the file: the child has locked it (the lock comes before the write) and waits in fsync
    while not [p for p in path.parent.iterdir() if p.name.endswith(".partial") and p.stat().st_size]:
        if child.poll() is not None or time.monotonic() > deadline:
            child.kill()
            raise AssertionError("the child did not stop before its rename")
        time.sleep(0.05)
    return child


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_a_killed_save_leaves_the_old_file_and_its_temporary_is_removed_later(tmp_path):
    path = tmp_path / "m.json"
    small_model().save(path)
    previous = path.read_bytes()
    child = _save_stopped_before_the_rename(path)
    try:
        (tmp,) = [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]
        _old(tmp)
        MLP(2, [3, 2], seed=2).save(path)  # the child is alive and holds its file: it stays
        assert tmp.exists()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert tmp.exists()
    _old(tmp)
    loaded = small_model()
    loaded.load(path)
    assert bits(loaded) == bits(MLP(2, [3, 2], seed=2))
    small_model().save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"] and path.read_bytes() == previous


def test_load_state_dict_refuses_huge_integers_with_a_short_message():
    model = small_model()
    before = bits(model)
    state = model.state_dict()
    state["layers.0.neurons.0.b"] = 10**5000
    with pytest.raises(CheckpointError, match=r"b = an integer of about 5001 digits overflows a double"):
        model.load_state_dict(state)
    state["layers.0.neurons.0.b"] = [10**5000]
    with pytest.raises(CheckpointError, match="should be a number, got a list that cannot be shown"):
        model.load_state_dict(state)
    assert bits(model) == before


# -- load reads regular files only, within a bound ------------------------------------------------


def _special_file(kind, tmp_path):
    """A path to a non-regular file of ``kind``, made in ``tmp_path`` (or a system device)."""
    if kind == "fifo":
        path = tmp_path / "pipe.json"
        os.mkfifo(path)
        return path
    if kind == "fifo via a symlink":
        os.mkfifo(tmp_path / "pipe")
        (tmp_path / "link.json").symlink_to(tmp_path / "pipe")
        return tmp_path / "link.json"
    if kind == "socket":
        import socket

        path = tmp_path / "s.json"
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
        sock.close()
        return path
    return {"/dev/zero": "/dev/zero", "/dev/null": "/dev/null", "/dev/urandom": "/dev/urandom"}[kind]


SPECIAL = ["fifo", "fifo via a symlink", "socket", "/dev/zero", "/dev/null", "/dev/urandom"]
KIND_WORDS = {"fifo": "a FIFO", "fifo via a symlink": "a FIFO", "socket": "a socket", "/dev/zero": "character device",
              "/dev/null": "character device", "/dev/urandom": "character device"}


def _load_in_a_child(path, timeout=20):
    """Load ``path`` in a child process (a blocking open must not hang the test run); (status, stdout)."""
    code = ("import sys\nfrom nn import MLP, CheckpointError\n"
            "try:\n    MLP(2, [3, 2], seed=0).load(sys.argv[1])\n"
            "except CheckpointError as e:\n    print('CheckpointError:', e)\n")
    run = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=timeout,
                         cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    return run.returncode, run.stdout + run.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not os.path.exists("/dev/zero"), reason="POSIX special files")
@pytest.mark.parametrize("kind", SPECIAL)
def test_load_refuses_special_files_at_once_without_reading(tmp_path, kind):
    """A FIFO with no writer used to block forever, /dev/zero to end in MemoryError."""
    path = _special_file(kind, tmp_path)
    status, out = _load_in_a_child(path)
    assert status == 0 and out.startswith("CheckpointError: "), out
    assert str(path) in out and KIND_WORDS[kind] in out and "nothing was read" in out
    model = small_model()
    before = bits(model)
    with pytest.raises(CheckpointError, match="not a checkpoint file"):
        model.load(path)
    assert bits(model) == before


def test_load_refuses_a_file_over_the_size_bound(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    small_model().save(path)
    monkeypatch.setattr(nn.checkpoint, "MAX_BYTES", 100)
    with pytest.raises(CheckpointError, match=r"is \d[\d,]* bytes, more than a checkpoint can be \(100\)"):
        small_model().load(path)
    monkeypatch.undo()
    small_model().load(path)
    with pytest.raises(CheckpointError, match="grew past 10 bytes"):
        _read_growing(path)


def _read_growing(path):
    """A file that is larger when read than fstat said: the bound holds for what is read."""
    real_fstat = os.fstat

    class Small:
        def __init__(self, st):
            self.st_mode, self.st_size = st.st_mode, 5

    os.fstat = lambda fd: Small(real_fstat(fd))
    try:
        return nn.checkpoint.read_regular_file(path, limit=10)
    finally:
        os.fstat = real_fstat


# -- staging files are never more open than the target ---------------------------------------------


def _watch_staging_modes(monkeypatch):
    """Record the permission bits of every staging file at the moment its first byte is written."""
    import nn.files

    seen = []
    real = nn.files._write_all

    def write_all(fd, data):
        seen.append(stat.S_IMODE(os.fstat(fd).st_mode))
        real(fd, data)

    monkeypatch.setattr(nn.files, "_write_all", write_all)
    return seen


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
@given(umask=st.integers(0, 0o777), existing=st.one_of(st.none(), st.integers(0o200, 0o777)))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_fuzz_staging_files_are_private_from_the_start_for_any_umask(tmp_path, monkeypatch, umask, existing):
    """Any umask (0 included) and any existing mode: the staging file holds the owner's bits of the target's
    final mode before a byte is written, and the target ends with exactly its final mode."""
    path = tmp_path / f"m{umask}-{existing}.json"
    if existing is not None:
        small_model().save(path)
        os.chmod(path, existing)
    seen = _watch_staging_modes(monkeypatch)
    old = os.umask(umask)
    try:
        MLP(2, [3, 2], seed=1).save(path)
    finally:
        os.umask(old)
        monkeypatch.undo()
    final = existing if existing is not None else 0o666 & ~umask
    assert seen == [final & 0o700]  # nothing for group or others, never more than the target
    assert stat.S_IMODE(path.stat().st_mode) == final


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
@pytest.mark.parametrize("existing", [0o600, None])
def test_a_staging_file_left_by_sigkill_is_readable_by_its_owner_only(tmp_path, existing):
    """The report: with umask 022 a 0600 checkpoint's contents sat in a 0644 temporary that a SIGKILL left."""
    path = tmp_path / "m.json"
    if existing is not None:
        small_model().save(path)
        os.chmod(path, existing)
    child = _save_stopped_before_the_rename(path, umask=0)
    child.send_signal(signal.SIGKILL)
    child.wait()
    (left,) = [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]
    assert stat.S_IMODE(left.stat().st_mode) == 0o600
    if existing is not None:
        assert stat.S_IMODE(path.stat().st_mode) == existing


def test_checkpoints_sit_below_modules_in_the_import_graph():
    """nn.checkpoint imports nothing of nn.module (no cycle, not even for type checking)."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(nn.checkpoint))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in imported if m and m.startswith("nn") and m not in ("nn.files",)}, imported


@pytest.mark.skipif(not hasattr(os, "mkfifo") or not os.path.exists("/dev/zero"), reason="POSIX special files")
@given(kind=st.sampled_from(SPECIAL), action=st.sampled_from(["load", "save", "load_twice"]))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_fuzz_special_files_are_refused_at_once_by_load_and_save(tmp_path, kind, action):
    """A FIFO, a socket or a device, loaded or saved over: an error at once (an alarm stops a blocked call),
    the model unchanged, the special file still there."""
    folder = tmp_path / f"{kind.replace('/', '_').replace(' ', '_')}-{action}"
    folder.mkdir()
    path = _special_file(kind, folder)
    model = small_model()
    before = bits(model)

    def blocked(signum, frame):
        raise TimeoutError(f"{action} of {kind} blocked")

    previous = signal.signal(signal.SIGALRM, blocked)
    signal.setitimer(signal.ITIMER_REAL, 5.0)
    try:
        for _ in range(2 if action == "load_twice" else 1):
            if action == "save":
                with pytest.raises(OSError, match="not a regular file"):
                    model.save(path)
            else:
                with pytest.raises(CheckpointError, match="not a checkpoint file: nothing was read"):
                    model.load(path)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert bits(model) == before
    assert os.path.exists(path) and not stat.S_ISREG(os.stat(path).st_mode)
    if str(path).startswith(str(folder)):
        assert not [p for p in folder.iterdir() if p.name.startswith(".chainrule-")]  # nothing staged or left


def test_save_returns_the_path_and_refuses_a_folder_name(tmp_path):
    """`model.save("out/")` wrote a file named `out` (Path drops the slash) and returned None."""
    from nn import MLP

    model = MLP(2, [2], seed=0)
    assert model.save(tmp_path / "m.json") == tmp_path / "m.json"
    for bad in (str(tmp_path / "out") + "/", "", "  "):
        with pytest.raises(ValueError, match="give a file name"):
            model.save(bad)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json"]
