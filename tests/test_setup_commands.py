"""What `make test` installs, said truthfully: the oracle's pin, the ways around its download, the README.

The make targets are run dry (``make -n``) against a folder that does not
exist, so nothing is installed: the commands they would run are checked.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def dry_run(tmp_path, *options: str) -> list[str]:
    """The commands `make test` would run (with ``options``), for a fresh environment in ``tmp_path``."""
    done = subprocess.run(["make", "-n", "test", f"VENV={tmp_path / 'venv'}", *options], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if not line.startswith("echo ")]


def pip_installs(commands: list[str]) -> list[str]:
    return [c.split(" install ", 1)[1] for c in commands if " -m pip install " in c]


def test_the_default_installs_the_pinned_oracle_from_pypi(tmp_path):
    installs = pip_installs(dry_run(tmp_path))
    assert installs == ['--disable-pip-version-check --progress-bar on -e ".[dev,oracle]"']


def test_oracle_empty_installs_no_torch(tmp_path):
    (install,) = pip_installs(dry_run(tmp_path, "ORACLE="))
    assert install.endswith('-e ".[dev]"') and "torch" not in install and "oracle" not in install


def test_a_cpu_index_installs_that_build_first_with_the_same_pin(tmp_path):
    url = "https://download.pytorch.org/whl/cpu"
    first, second = pip_installs(dry_run(tmp_path, f"TORCH_INDEX={url}"))
    assert first.endswith(f'--index-url {url} "torch==2.13.0"')
    assert second.endswith('-e ".[dev,oracle]"')  # satisfied by the torch just installed: nothing else to fetch
    assert len(pip_installs(dry_run(tmp_path, f"TORCH_INDEX={url}", "ORACLE="))) == 1  # ORACLE= wins


def test_a_torch_outside_the_environment_can_be_seen(tmp_path):
    commands = dry_run(tmp_path, "ORACLE=", "VENV_OPTIONS=--system-site-packages")
    assert any(re.search(r"-m venv --system-site-packages \S+venv$", c) for c in commands), commands


def test_the_makefile_pin_is_the_oracle_extras_pin():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    version = re.search(r"^TORCH_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.M).group(1)
    assert extras["oracle"] == [f"torch=={version}"]
    assert f"torch=={version}" in extras["bench"]


@pytest.mark.parametrize(("page", "start", "end"), [("README.md", "## Set up and run", "## Quick start"),
                                                     ("docs/getting-started.md", "## Install", "## A value")])
def test_readme_and_pyproject_say_what_make_test_downloads(page, start, end):
    """#20: both said "PyTorch 2.13.0 (CPU)" although PyPI's pin is the CUDA build on Linux (several GB).

    The README's set-up section and the set-up page of the documentation both say it.
    """
    text = (ROOT / page).read_text(encoding="utf-8")
    setup = " ".join(text[text.index(start):text.index(end)].split())
    assert "(CPU)" not in setup and "CUDA build" in setup and "over 2.5 GB to download" in setup
    for option in ("make test ORACLE=", "TORCH_INDEX=https://download.pytorch.org/whl/cpu",
                   "VENV_OPTIONS=--system-site-packages"):
        assert option in setup
    pyproject = (ROOT / "pyproject.toml").read_text()
    comment = pyproject[:pyproject.index('oracle = ["torch')].rsplit("\n\n", 1)[-1]
    assert "CPU build, exact pin" not in comment and "CUDA build" in comment and "ORACLE=" in comment
