"""The package list in pyproject.toml names every package (the flat layout is not discovered automatically)."""

from __future__ import annotations

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
