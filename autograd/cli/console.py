"""Printing to a console that may not take every character (``PYTHONIOENCODING=ascii``, a Windows code page).

The report is ASCII except what the user typed (names such as ``α``, file
names that are not UTF-8). Text the stream cannot encode is written with
ASCII stand-ins for common mathematical symbols, then ``\\u03b1``-style
escapes for anything else: a clean report instead of a ``UnicodeEncodeError``
traceback. A stream that takes the text gets it unchanged.
"""

from __future__ import annotations

import codecs
from typing import TextIO

# Stand-ins a reader recognises, for the symbols a report or a message might hold.
ASCII_SYMBOLS = str.maketrans({
    "\u2192": "->", "\u2190": "<-", "\u2202": "d", "\u00b7": "*", "\u00d7": "x", "\u2212": "-", "\u2211": "sum",
    "\u221a": "sqrt", "\u00b2": "^2", "\u00b3": "^3", "\u2026": "...", "\u2264": "<=", "\u2265": ">=",
    "\u2260": "!=", "\u2248": "~", "\u221e": "inf", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    "\u2013": "-", "\u2014": "--", "\u00a0": " ",
})


def _encoding(stream: TextIO) -> str | None:
    encoding = getattr(stream, "encoding", None)
    if not encoding:
        return None  # e.g. io.StringIO: takes any text
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return None


def fit_for(stream: TextIO, text: str) -> str:
    """``text`` as ``stream`` can encode it (unchanged when it can)."""
    encoding = _encoding(stream)
    if encoding is None:
        return text
    try:
        text.encode(encoding)
        return text
    except UnicodeEncodeError:
        pass
    plain = text.translate(ASCII_SYMBOLS)
    return plain.encode(encoding, errors="backslashreplace").decode(encoding)


def write_line(stream: TextIO, text: str = "") -> None:
    """Print ``text`` and a newline to ``stream``, in characters it can encode."""
    print(fit_for(stream, text), file=stream)
