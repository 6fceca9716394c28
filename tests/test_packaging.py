"""The package list in pyproject.toml names every package (the flat layout is not discovered automatically),
and the packages ship their ``py.typed`` markers."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+
ROOT = Path(__file__).resolve().parent.parent


def test_every_package_folder_is_listed():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("autograd", "nn")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert found <= listed, f"not listed in pyproject.toml: {sorted(found - listed)}"
    data = config["tool"]["setuptools"]["package-data"]
    assets = ROOT / "autograd" / "drawing" / "explorer" / "assets"
    if assets.exists():
        patterns = data["autograd.drawing.explorer.assets"]
        for f in assets.iterdir():
            if f.is_file() and f.name != "__init__.py":
                assert any(f.match(p) for p in patterns), f"{f.name} is not shipped as package data"


def test_py_typed_is_declared_as_package_data():
    """PEP 561: the marker sits in each top-level package and pyproject ships it."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    data = config["tool"]["setuptools"]["package-data"]
    for top in ("autograd", "nn"):
        assert (ROOT / top / "py.typed").is_file(), f"{top}/py.typed is missing"
        assert "py.typed" in data.get(top, []), f"py.typed of {top} is not package data"


def test_built_wheel_ships_py_typed(tmp_path):
    """A wheel built from the sources holds ``autograd/py.typed`` and ``nn/py.typed`` (and the packages)."""
    setuptools = pytest.importorskip("setuptools")
    major = int(setuptools.__version__.split(".")[0])
    if major < 77:
        pytest.skip(f"building needs setuptools>=77 (pyproject's build-system), found {setuptools.__version__}")
    # build from a copy, so the checkout gets no build/ folder
    src = tmp_path / "src"
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for top in ("autograd", "nn"):
        shutil.copytree(ROOT / top, src / top, ignore=skip)
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    out = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--disable-pip-version-check",
         "-q", "-w", str(out), str(src)],
        check=True, capture_output=True, text=True,
    )
    (wheel,) = out.glob("chainrule-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"autograd/py.typed", "nn/py.typed", "autograd/value.py", "nn/module.py"} <= names
