"""The one command that installs what the demo is missing."""

from __future__ import annotations

from importlib import metadata

DISTRIBUTION = "chainrule"


def install_command(*extras: str) -> str:
    """``pip install 'chainrule[demo,...]'`` with those of ``extras`` that the installed package declares.

    The SVG renderer is an extra (``render``) in some versions and a default
    dependency in others: an extra the package does not declare is left out,
    so the command is right either way (reinstalling brings the defaults).
    """
    try:
        declared = set(metadata.metadata(DISTRIBUTION).get_all("Provides-Extra") or ())
    except metadata.PackageNotFoundError:
        declared = {"demo"}
    wanted = [e for e in extras if e in declared]
    return f"pip install '{DISTRIBUTION}[{','.join(wanted)}]'" if wanted else f"pip install {DISTRIBUTION}"
