"""What a newcomer meets first: star imports that keep the built-ins, a version, a licence."""

from __future__ import annotations

import builtins
import subprocess
import sys
from pathlib import Path

import pytest

import autograd
import autograd.forward
import autograd.functional
import nn
from autograd import version as version_module

ROOT = Path(__file__).resolve().parent.parent
SHADOWED = ("max", "min", "sum", "compile", "abs", "pow", "round", "any", "all", "map", "filter", "input", "open",
            "type", "id", "hash", "iter", "next", "range", "len", "print", "format", "vars", "dir", "help")


@pytest.mark.parametrize("module", [autograd, nn, autograd.functional, autograd.forward],
                         ids=lambda m: m.__name__)
def test_no_public_star_name_shadows_a_builtin(module):
    clash = sorted(set(module.__all__) & set(dir(builtins)))
    assert not clash, f"from {module.__name__} import * would replace the built-in(s) {clash}"


def test_star_imports_leave_the_builtins_in_a_fresh_interpreter():
    code = f"""
import builtins
from autograd import *
from nn import *
for name in {SHADOWED!r}:
    if name in globals():
        assert globals()[name] is getattr(builtins, name), name
assert max(3, 5) == 5 and min(3, 5) == 3 and sum([1, 2]) == 3 and abs(-2) == 2 and pow(2, 3) == 8
assert eval(compile("1+1", "<s>", "eval")) == 2
assert Value(2.0).data == 2.0 and callable(grad) and callable(trace_backward) and MLP
"""
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_max_and_compile_stay_attributes():
    import autograd as ag

    assert ag.max([ag.Value(1.0), ag.Value(3.0)]).data == 3.0
    assert callable(ag.compile)
    assert "max" in dir(ag) and "compile" in dir(ag)
    assert "max" not in ag.__all__ and "compile" not in ag.__all__


def test_version_is_the_installed_distributions():
    from importlib import metadata

    assert autograd.__version__ == nn.__version__ == metadata.version("chainrule")
    assert "__version__" not in autograd.__all__  # a dunder, not a star name


def test_version_falls_back_to_the_source_tree(monkeypatch, tmp_path):
    from importlib import metadata

    def missing(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    declared = version_module.source_tree_version(str(ROOT))
    assert declared is not None and declared[0].isdigit()
    assert version_module.package_version() == declared
    # a tree whose pyproject.toml belongs to another project, or none at all: unknown
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "other"\nversion = "9.9"\n', encoding="utf-8")
    assert version_module.source_tree_version(str(tmp_path)) is None
    assert version_module.source_tree_version(str(tmp_path / "nowhere")) is None
    (tmp_path / "pyproject.toml").write_text(
        '[build-system]\nversion = "1"\n\n[project]\nname = "chainrule"\nversion = "2.5.0"\n', encoding="utf-8")
    assert version_module.source_tree_version(str(tmp_path)) == "2.5.0"
    monkeypatch.setattr(version_module, "source_tree_version", lambda root=None: None)
    assert version_module.package_version() == "0+unknown"


def test_licence_file_matches_pyproject():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "The chainrule authors" in text
    assert 'license = "MIT"' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")
