"""The one exception every part of ``explain`` raises for a user's mistake."""

from __future__ import annotations


class ExplainError(Exception):
    """A user error: a one-line message, and the span of the expression at fault when there is one."""

    def __init__(self, message: str, span: tuple[int, int] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.span = span  # (start, end) character columns in the expression
