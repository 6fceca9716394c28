"""The version of the ``chainrule`` distribution, which ships both ``autograd`` and ``nn``.

Read from the installed package's metadata, so it is always the version pip
installed. A source tree that was never installed (``PYTHONPATH=.``) has no
metadata: the version declared in its ``pyproject.toml`` is used instead, and
``"0+unknown"`` when even that cannot be read. ``autograd.__version__`` and
``nn.__version__`` call :func:`package_version` on first access only:
``importlib.metadata`` takes about 25 ms to import, more than the engine.
"""

from __future__ import annotations

import os
import re
from typing import Any

DISTRIBUTION = "chainrule"
UNKNOWN = "0+unknown"

# the ``version = "..."`` line of pyproject.toml's [project] table
_PROJECT_VERSION = re.compile(r'^\[project\]$(?:(?!^\[).)*?^version\s*=\s*"([^"\n]+)"', re.M | re.S)


def package_version() -> str:
    """The installed ``chainrule`` version; else the source tree's ``pyproject.toml`` version; else ``0+unknown``."""
    from importlib import metadata

    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return source_tree_version() or UNKNOWN


def source_tree_version(root: str | None = None) -> str | None:
    """The version in ``pyproject.toml`` at ``root`` (default: the folder holding this package), if it names one."""
    if root is None:
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        with open(os.path.join(root, "pyproject.toml"), encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError):
        return None
    if not re.search(rf'^name\s*=\s*"{DISTRIBUTION}"', text, re.M):  # another project's file
        return None
    found = _PROJECT_VERSION.search(text)
    return found.group(1) if found else None


def add_version_option(parser: Any) -> None:
    """``--version`` on an argparse parser (``python -m autograd``, ``python -m nn``): prints ``chainrule X.Y.Z``.

    The version is read when the option is given, not when the parser is built: :func:`package_version`
    imports ``importlib.metadata`` (15-30 ms), which every other run of the command would pay for nothing.
    """
    import argparse
    import sys

    class _Version(argparse.Action):
        def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                     option_string: str | None = None) -> None:
            sys.stdout.write(f"{DISTRIBUTION} {package_version()}\n")  # stdout, as argparse's own version action
            parser.exit()

    parser.add_argument("--version", action=_Version, nargs=0, default=argparse.SUPPRESS,
                        help="print the version of chainrule and exit")
