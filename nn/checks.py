"""Checks of user settings (sizes, counts, rates) with messages that name the setting.

Every check refuses with ``ValueError`` (or ``TypeError`` for a value of the
wrong kind where the caller says so), never with ``OverflowError``: an integer
far beyond a double (``10**400``) is compared exactly, and shown by its number
of digits rather than in full (Python refuses to print an int of more than
4,300 digits).
"""

from __future__ import annotations

import math
from numbers import Real

# The largest size of one thing (a layer's width, a number of samples, an epoch count, ...) the
# checks accept by default: far beyond what a scalar engine trains, small enough to be a real setting.
MAX_COUNT = 10_000_000


def shown(x: object) -> str:
    """``repr(x)`` for a message, with a huge int shown by its size."""
    if isinstance(x, int) and not isinstance(x, bool) and x.bit_length() > 64:
        digits = int(x.bit_length() * math.log10(2)) + 1
        return f"{'a negative' if x < 0 else 'an'} integer of about {digits:,} digits"
    text = repr(x)
    return text if len(text) <= 80 else text[:77] + "..."


def count(x: object, what: str, maximum: int = MAX_COUNT, minimum: int = 1) -> int:
    """``x`` as an int in ``[minimum, maximum]``; ``ValueError`` naming ``what`` otherwise (a bool is no int)."""
    kind = "a positive int" if minimum == 1 else f"an int >= {minimum}"
    if isinstance(x, bool) or not isinstance(x, int):
        raise ValueError(f"{what} must be {kind}, got {shown(x)}")
    if x < minimum:
        raise ValueError(f"{what} must be {kind}, got {shown(x)}")
    if x > maximum:
        raise ValueError(f"{what} must be {kind} of at most {maximum:,}, got {shown(x)}")
    return x


def real(x: object, what: str, low: float, high: float, low_open: bool = False, high_open: bool = True) -> float:
    """``x`` as a finite float in the interval from ``low`` to ``high``; ``ValueError`` naming ``what`` otherwise.

    Open ends are excluded (``high_open`` by default). A bool is not a number here.
    """
    if isinstance(x, bool) or not isinstance(x, Real):
        raise ValueError(f"{what} must be a finite real number, got {shown(x)}")
    try:
        value = float(x)
    except OverflowError:  # 10**400, or a Fraction as large: beyond every double
        value = math.inf
    if not math.isfinite(value):
        raise ValueError(f"{what} must be a finite real number, got {shown(x)}")
    if value < low or (low_open and value == low) or value > high or (high_open and value == high):
        lo, hi = "(" if low_open else "[", ")" if high_open else "]"
        raise ValueError(f"{what} must be in {lo}{low}, {high}{hi}, got {shown(x)}")
    return value
