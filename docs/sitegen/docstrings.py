"""A griffe extension (mkdocstrings' loader): the docstrings' reStructuredText habits, read as Markdown.

The code's docstrings are written to read well in ``help()``: Sphinx roles (``:func:`grad```,
``:class:`~autograd.ops.Op```) and ``::`` before an indented example. Markdown has neither, so the
reference would show them raw. Here a role becomes inline code of the name as written (``~`` keeps only
the last part, as Sphinx shows it), and a paragraph ending in ``::`` ends in ``:``; the indented block after
it is a code block in Markdown already. The source code is not changed.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:func|class|mod|meth|attr|data|obj|exc|const|py:\w+):`(~?)([^`]+)`")
_LITERAL_INTRO = re.compile(r"(\S)::$", re.M)


def _role(m: re.Match[str]) -> str:
    name = m.group(2).strip()
    if m.group(1):
        name = name.rsplit(".", 1)[-1]
    return f"`{name}`"


def markdown(text: str) -> str:
    """A docstring's text with its reStructuredText roles and literal-block markers made Markdown."""
    text = _ROLE.sub(_role, text)
    return _LITERAL_INTRO.sub(r"\1:", text)


class RstToMarkdown(griffe.Extension):
    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = markdown(obj.docstring.value)
