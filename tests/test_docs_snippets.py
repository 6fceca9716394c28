"""Every snippet in the documentation's Markdown pages (``docs/**/*.md``) runs, and shows what it prints.

The pages follow the README's conventions (see ``tests/test_readme.py``, whose matching this reuses): a
```python block runs in a fresh namespace in a temporary folder, and a ```text block right after it is
what it prints, with ``...`` wildcards. A ```console block's ``python -m autograd`` and ``python -m nn``
commands are run and compared; its other commands are set-up commands (``make ...``) and are not run here.
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

from tests.test_readme import RUNNABLE, matches

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "docs").rglob("*.md"))
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.M | re.S)


def _where(page: Path, text: str, start: int) -> str:
    return f"{page.relative_to(ROOT).as_posix()}:{text.count(chr(10), 0, start) + 1}"


def python_snippets() -> list[tuple[str, str | None, str]]:
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        spans = list(FENCE.finditer(text))
        for k, m in enumerate(spans):
            if m.group(1) != "python":
                continue
            expected = None
            if k + 1 < len(spans) and spans[k + 1].group(1) == "text" \
                    and text[m.end():spans[k + 1].start()].strip() == "":
                expected = spans[k + 1].group(2)
            found.append((m.group(2), expected, _where(page, text, m.start())))
    return found


def console_commands() -> list[tuple[str, str, str]]:
    found = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for m in FENCE.finditer(text):
            if m.group(1) != "console":
                continue
            rows = m.group(2).splitlines()
            starts = [k for k, row in enumerate(rows) if row.startswith("$ ")] + [len(rows)]
            for k, nxt in zip(starts, starts[1:]):
                found.append((rows[k][2:], "\n".join(rows[k + 1:nxt]), _where(page, text, m.start())))
    return found


def test_the_docs_have_snippets() -> None:
    assert len(python_snippets()) >= 10
    assert console_commands()


@pytest.mark.parametrize(("code", "expected", "where"), python_snippets(), ids=[w for *_, w in python_snippets()])
def test_python_snippet(code: str, expected: str | None, where: str, tmp_path: Path,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ROOT))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, where, "exec"), {"__name__": "__docs__"})
    if expected is not None:
        assert matches(expected, out.getvalue()), f"{where} printed:\n{out.getvalue()}"


@pytest.mark.parametrize(("command", "expected", "where"), console_commands(),
                         ids=[w for *_, w in console_commands()])
def test_console_command(command: str, expected: str, where: str, tmp_path: Path) -> None:
    if not command.startswith(RUNNABLE):
        assert command.startswith(("make ", ".venv/bin/")), f"{where}: {command!r} is neither run here nor set-up"
        return
    argv = [sys.executable, *shlex.split(command)[1:]]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=300, env=env)
    assert matches(expected, done.stdout + done.stderr), f"{where}: `{command}` printed:\n{done.stdout}{done.stderr}"
