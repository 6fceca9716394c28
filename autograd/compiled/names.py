"""Names for generated code: user labels made into safe identifiers, and text made safe for comments.

No user string reaches generated code except through these two functions:
:func:`NameTable.name` keeps only ASCII letters, digits and underscores (so the
result is one identifier that cannot be a keyword, a builtin the code uses, or
a helper of the namespace), and :func:`comment_text` strips every character
that could end a comment (newlines, other line and paragraph separators,
control and format characters, lone surrogates).
"""

from __future__ import annotations

import keyword
import re
import unicodedata

# Names the generated code itself uses: a label may not shadow them. Helpers all start with "_",
# which a sanitised label never does.
RESERVED = frozenset({"abs", "inf", "nan", "max", "min", "sum", "float", "len", "range", "print"})
_NOT_IDENT = re.compile(r"[^A-Za-z0-9_]+")
_IDENT = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
MAX_NAME = 40
# Prefixes of the names derived from a node's base name: its value, its gradient, its op's local data.
GRAD = "d_"
AUX = "k_"


def sanitize(label: str) -> str:
    """``label`` as an ASCII identifier stem ("" if nothing usable is left): ``"L0.N3.z"`` -> ``"L0_N3_z"``."""
    stem = _NOT_IDENT.sub("_", label).strip("_")[:MAX_NAME].rstrip("_")
    if stem and stem[0].isdigit():
        stem = "n" + stem
    if keyword.iskeyword(stem) or keyword.issoftkeyword(stem) or stem in RESERVED:
        stem += "_"
    return stem


def is_safe_identifier(name: str) -> bool:
    """True for the identifiers generated code may contain: ASCII, starting with a letter, not a keyword."""
    return bool(_IDENT.match(name)) and not keyword.iskeyword(name) and name not in RESERVED


class NameTable:
    """Unique base names for nodes; a base ``x`` also claims ``d_x`` (its gradient) and ``k_x``."""

    def __init__(self) -> None:
        self._used: set[str] = set()
        self._next: dict[str, int] = {}  # stem -> next suffix to try (a label repeated n times costs O(n))

    def name(self, label: str, default: str) -> str:
        """A fresh base name from ``label`` (or ``default`` when the label has nothing usable)."""
        stem = sanitize(label) or default
        k = self._next.get(stem, 1)
        base = stem if k == 1 else f"{stem}_{k}"
        while base in self._used or GRAD + base in self._used or AUX + base in self._used:
            k += 1
            base = f"{stem}_{k}"
        self._next[stem] = k + 1
        if not is_safe_identifier(base):  # cannot happen for the stems above; a guard for code safety
            raise ValueError(f"internal error: generated name {base!r} is not a safe identifier")
        self._used.update((base, GRAD + base, AUX + base))
        return base


def comment_text(text: str, limit: int = 60) -> str:
    """``text`` with every character that could end or disturb a comment removed, shortened to ``limit``."""
    kept = "".join(ch for ch in text if unicodedata.category(ch)[0] not in "CZ" or ch == " ")
    return kept if len(kept) <= limit else kept[:limit - 3] + "..."
