"""User strings as plain text in DOT (and so in the SVG Graphviz writes).

Labels, op names, group names and captions come from users. In DOT they could
be markup or break the file:

* the ``graphviz`` package passes a string shaped like ``<...>`` unquoted, as
  an HTML-like label (which can carry ``HREF="javascript:..."``): every
  string goes through :func:`graphviz.nohtml`;
* a backslash starts an escape (``\\l``, ``\\N``) and a trailing one eats the
  closing quote: backslashes are doubled;
* ``&name;`` and ``&#n;`` are entities that Graphviz decodes, ``&#1;`` into a
  control character that makes the SVG invalid XML: ``&`` becomes ``&amp;``;
* XML 1.0 has no way to write most control characters, NUL or a lone
  surrogate, even escaped: they are shown as visible stand-ins
  (``\\x01`` -> U+2401 "␁", a lone surrogate -> U+FFFD); bidirectional controls, which
  would reorder the text around them, are shown by name (U+202E -> "⟨RLO⟩").

Record labels also escape their field syntax (``{ } | < >``).
"""

from __future__ import annotations

import re
import textwrap

import graphviz

# Characters XML 1.0 cannot carry (C0 controls but tab/newline/CR, lone surrogates, U+FFFE/U+FFFF)
# and those that are legal but invisible or line-breaking in a label (tab, newline, CR, DEL, C1).
# Bidirectional controls (LRM, RLM, ALM, the embeddings/overrides and the isolates) reorder the text
# around them: a label could show another name than it holds. They are shown as their names.
_BIDI = {0x200E: "LRM", 0x200F: "RLM", 0x061C: "ALM", 0x202A: "LRE", 0x202B: "RLE", 0x202C: "PDF", 0x202D: "LRO",
         0x202E: "RLO", 0x2066: "LRI", 0x2067: "RLI", 0x2068: "FSI", 0x2069: "PDI"}
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
_RECORD_SYNTAX = re.compile(r"([{}|<>])")


def _stand_in(match: re.Match[str]) -> str:
    ch = match.group()
    code = ord(ch)
    if code in _BIDI:
        return f"\u27e8{_BIDI[code]}\u27e9"  # e.g. ⟨RLO⟩
    if code < 0x20:
        return chr(0x2400 + code)  # the Unicode "control pictures": NUL -> ␀, \n -> ␊
    if code == 0x7F:
        return "\u2421"  # ␡
    if code <= 0x9F:
        return f"\\x{code:02x}"
    return "\ufffd"


def plain(text: str) -> str:
    """``text`` with every character XML cannot hold (or that would be invisible) replaced by a visible one."""
    if not isinstance(text, str):
        raise TypeError(f"expected a str to draw, got {type(text).__name__}: {text!r}")
    return _UNSAFE.sub(_stand_in, text)


def _dot_escape(text: str) -> str:
    # Backslashes first, so the ones added below are not doubled again.
    return plain(text).replace("\\", "\\\\").replace("&", "&amp;")


def dot_text(text: str) -> str:
    """A DOT string attribute (label, cluster title) that Graphviz shows exactly as ``text``."""
    attribute: str = graphviz.nohtml(_dot_escape(text))  # a str subclass that Graphviz never reads as HTML
    return attribute


def record_text(text: str) -> str:
    """One field of a record label, shown exactly as ``text`` (pass the joined label through :func:`record`)."""
    return _RECORD_SYNTAX.sub(r"\\\1", _dot_escape(text))


def record(fields: list[str], rankdir: str = "TB") -> str:
    """A record label from fields already escaped by :func:`record_text`, stacked one above the other.

    A record's top-level fields run across the ranks' direction: down in a
    left-to-right picture (``a | b | c``), side by side in a top-to-bottom one,
    where braces turn them (``{ a | b | c }``). Stacked, a value is as wide as
    its widest line, not as its name, data and gradient in a row.
    """
    body = " | ".join(fields)
    label: str = graphviz.nohtml(body if rankdir in ("LR", "RL") else "{ " + body + " }")
    return label


def wrap(lines: list[str], width: int) -> list[str]:
    """``lines`` with each one longer than ``width`` characters broken at spaces (continuations indented).

    A path product ``a -> b -> ... :  g1 x g2 x ... = p`` breaks between its
    steps and factors, so a caption never makes a picture wider than about
    ``width`` characters of text.
    """
    out: list[str] = []
    for line in lines:
        if len(line) <= width:
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip(" "))]
        # (the first line keeps its own indent; the continuations get four spaces more)
        out.extend(textwrap.wrap(line, width, subsequent_indent=indent + "    ", break_long_words=True,
                                 break_on_hyphens=False) or [line])
    return out


def caption_text(lines: list[str], width: int | None = None) -> str:
    """A graph label of left-aligned lines (``\\l`` ends each line), wrapped at ``width`` characters if given."""
    if width is not None:
        lines = wrap(lines, width)
    label: str = graphviz.nohtml("".join(_dot_escape(line) + "\\l" for line in lines))
    return label
