"""The packages' types as a user's type checker sees them.

``make typecheck`` runs ``mypy --strict`` over ``autograd`` and ``nn`` themselves; these tests check what
that does not: a user's typed script gets the precise types the overloads promise (one bare input, a
float; a list of inputs, a list), the names ``autograd`` imports on first use are typed, and a
misspelt name is an error rather than ``Any``.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

import autograd

ROOT = Path(__file__).resolve().parent.parent

# Each line's revealed type, as mypy prints it
USER_SCRIPT = '''
import autograd
import nn
from autograd import Value, grad

x = Value(2.0, label="x")
w = Value(-1.0)
y = (x * w + 1.0).tanh()
reveal_type(y)                                                        # autograd.value.Value
reveal_type(y.data)                                                   # float
x.data = 3                                                            # (an int is a number: accepted)
reveal_type(grad(y, x))                                               # float
reveal_type(grad(y, [x, w]))                                          # list[float]
reveal_type(grad(y, x, create_graph=True))                            # autograd.value.Value
reveal_type(grad(y, (x, w), create_graph=True))                       # list[autograd.value.Value]
reveal_type(autograd.hessian(lambda v: v ** 3, 2.0))                  # float
reveal_type(autograd.hessian(lambda v: v[0] * v[1], [1.0, 2.0]))      # list[list[float]]
reveal_type(autograd.hvp(lambda v: v[0] * v[1], [1.0, 2.0], [1.0, 0.0]))  # list[float]
reveal_type(autograd.gradcheck(lambda v: v[0] * v[1], [1.0, 2.0]).ok)  # bool
c = autograd.compile(lambda v: v[0] * v[1], [x, w])
reveal_type(c([1.0, 2.0]))                                            # tuple[float, list[float]]
reveal_type(autograd.trace_backward(y))                               # autograd.trace.StepTable
reveal_type(autograd.max([x, w]))                                     # autograd.value.Value
model = nn.MLP(2, [4, 1], seed=0)
reveal_type(model.parameters())                                       # list[autograd.value.Value]
reveal_type(nn.SGD(model.parameters(), lr=0.1))                       # nn.optim.SGD
autograd.hesian                                                       # error: a misspelt name
'''


def _revealed(script: str) -> list[str]:
    return [line.split("# ", 1)[1].strip() for line in script.splitlines() if line.startswith("reveal_type(")]


def _unqualified(type_text: str) -> str:
    """``builtins.float`` as ``float``: mypy versions differ in how they print the built-in types."""
    return type_text.replace("builtins.", "")


def test_every_lazily_imported_name_is_declared_for_type_checkers() -> None:
    """``autograd/__init__``'s TYPE_CHECKING block imports each name of ``_LAZY`` from the module that has it."""
    tree = ast.parse((ROOT / "autograd" / "__init__.py").read_text(encoding="utf-8"))
    blocks = [node for node in tree.body if isinstance(node, ast.If) and isinstance(node.test, ast.Name)
              and node.test.id == "TYPE_CHECKING"]
    assert len(blocks) == 1, "one `if TYPE_CHECKING:` block declares the lazily imported names"
    declared = {alias.asname or alias.name: node.module for node in blocks[0].body
                if isinstance(node, ast.ImportFrom) for alias in node.names}
    assert all(alias.asname == alias.name for node in blocks[0].body if isinstance(node, ast.ImportFrom)
               for alias in node.names), "each name is imported `as` itself (an explicit re-export)"
    assert declared == autograd._LAZY


def test_a_users_typed_script_gets_the_precise_types(tmp_path: Path) -> None:
    """mypy --strict on a script using the public API: the overloads' types, and an error for a misspelt name."""
    pytest.importorskip("mypy")
    script = tmp_path / "user_script.py"
    script.write_text(USER_SCRIPT, encoding="utf-8")
    # run from the repository root, where mypy finds the packages (an editable install's finder is opaque to
    # it), with the project's cache (as make typecheck's), so that autograd and nn are analysed once across runs
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--python-version", "3.10", "--no-error-summary",
         "--hide-error-context", "--show-error-codes", "--cache-dir", str(ROOT / ".mypy_cache"), str(script)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    lines = done.stdout.splitlines()
    revealed = [_unqualified(m.group(1)) for line in lines if (m := re.search(r'Revealed type is "(.*)"', line))]
    assert revealed == _revealed(USER_SCRIPT), done.stdout
    errors = [line for line in lines if ": error:" in line]
    assert len(errors) == 1 and "hesian" in errors[0] and "[attr-defined]" in errors[0], done.stdout
