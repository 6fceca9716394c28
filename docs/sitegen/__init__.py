"""What the documentation site generates at build time (run by ``docs/hooks.py``) and how it is checked.

- :mod:`.course`: every ``notebooks/*.ipynb`` (and note beside them) as a course page, in the index's order;
- :mod:`.links`: links in Markdown sources that point at files outside ``docs/`` become links to their pages;
- :mod:`.reference`: the API reference's names against ``API.md`` and the packages' ``__all__``;
- :mod:`.docstrings`, :mod:`.members`: griffe extensions, so the reference reads the docstrings' Sphinx
  roles as Markdown and lists members that exist only at run time (``Value``'s generated op methods);
- :mod:`.gallery`: the explorer pages embedded in the gallery;
- :mod:`.check`: the built site's links, anchors and reference names, and that no page asks the network
  for anything.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository
DOCS = ROOT / "docs"
