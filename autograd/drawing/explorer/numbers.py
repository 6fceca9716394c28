"""Numbers for the page's JSON, which cannot hold NaN or infinities."""

from __future__ import annotations

import math


def num(x: float) -> float | str:
    """``x`` for JSON: finite floats as they are, the others as the strings JavaScript's Number() reads."""
    if math.isfinite(x):
        return x
    return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")
