"""Every snippet in the README runs, and shows what it prints.

Conventions the README follows (so this test can read it):

- A ```python block is executed in a fresh namespace, in a temporary working
  folder. When a ```text block follows it directly, that is what it prints.
- A ```console block holds commands after ``$ `` and what each prints. Commands
  of ``python -m autograd`` and ``python -m nn`` are run and compared; ``make``
  targets are the set-up commands that CI itself runs, and are not re-run here.
- In shown output, a word ending in ``...`` stands for any word starting with
  what comes before the dots (``0.5224...`` matches ``0.522423``; ``...`` alone
  matches any word); a line that is only ``...`` stands for any number of lines.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.M | re.S)


def blocks() -> list[tuple[str, str, int]]:
    """``(language, text, line number)`` of every fenced block, in order."""
    return [(m.group(1), m.group(2), README.count("\n", 0, m.start()) + 1) for m in FENCE.finditer(README)]


def python_snippets() -> list[tuple[str, str | None, int]]:
    """``(code, expected output or None, line)``; the output is the ```text block right after the code."""
    found = []
    spans = list(FENCE.finditer(README))
    for k, m in enumerate(spans):
        if m.group(1) != "python":
            continue
        expected = None
        if k + 1 < len(spans):
            nxt = spans[k + 1]
            if nxt.group(1) == "text" and README[m.end():nxt.start()].strip() == "":
                expected = nxt.group(2)
        found.append((m.group(2), expected, README.count("\n", 0, m.start()) + 1))
    return found


def console_commands() -> list[tuple[str, str, int]]:
    """``(command, expected output, line)`` from ```console blocks."""
    found = []
    for lang, text, line in blocks():
        if lang != "console":
            continue
        command, out, start = None, [], line
        for k, row in enumerate(text.splitlines()):
            if row.startswith("$ "):
                if command is not None:
                    found.append((command, "\n".join(out), start))
                command, out, start = row[2:], [], line + k + 1
            else:
                out.append(row)
        if command is not None:
            found.append((command, "\n".join(out), start))
    return found


def matches(expected: str, actual: str) -> bool:
    """``actual`` has the lines of ``expected``, with ``...`` wildcards (see the module doc)."""
    want = [line.split() for line in expected.strip("\n").splitlines()]
    got = [line.split() for line in actual.strip("\n").splitlines()]

    def line_ok(w: list[str], g: list[str]) -> bool:
        if len(w) != len(g):
            return False
        return all(a == b or (a.endswith("...") and b.startswith(a[:-3])) for a, b in zip(w, g))

    def match(i: int, j: int) -> bool:  # lines want[i:] against got[j:]
        while i < len(want):
            if want[i] == ["..."]:
                return any(match(i + 1, k) for k in range(j, len(got) + 1))
            if j >= len(got) or not line_ok(want[i], got[j]):
                return False
            i, j = i + 1, j + 1
        return j == len(got)

    return match(0, 0)


def test_the_wildcards():
    assert matches("a 0.52... x", "a 0.5224 x")
    assert not matches("a 0.52... x", "a 0.53 x")
    assert matches("first\n...\nlast", "first\nb\nc\nlast")
    assert matches("first\n...\nlast", "first\nlast")
    assert not matches("first\nlast", "first\nmiddle\nlast")


def test_the_readme_has_snippets():
    assert len(python_snippets()) >= 5
    assert console_commands()


@pytest.mark.parametrize(("code", "expected", "line"), python_snippets(),
                         ids=[f"README.md:{line}" for _, _, line in python_snippets()])
def test_python_snippet(code, expected, line, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ROOT))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, f"README.md:{line}", "exec"), {"__name__": "__readme__"})
    if expected is not None:
        assert matches(expected, out.getvalue()), f"README.md:{line} printed:\n{out.getvalue()}"


RUNNABLE = ("python -m autograd", "python -m nn")


@pytest.mark.parametrize(("command", "expected", "line"), console_commands(),
                         ids=[f"README.md:{line}" for _, _, line in console_commands()])
def test_console_command(command, expected, line, tmp_path):
    if not command.startswith(RUNNABLE):
        assert command.startswith(("make ", ".venv/bin/python -m benchmarks", "git clone", "cd ")), \
            f"README.md:{line}: {command!r} is neither run here nor a set-up command"
        return
    argv = [sys.executable, *shlex.split(command)[1:]]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    shown = done.stdout + done.stderr
    assert matches(expected, shown), f"README.md:{line}: `{command}` printed:\n{shown}"
