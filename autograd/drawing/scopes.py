"""``autograd.drawing.scope`` and ``Scope``, kept importable here; they live in :mod:`autograd.scopes` (the engine)."""

from __future__ import annotations

from autograd.scopes import GroupPath, Scope, scope

__all__ = ["GroupPath", "Scope", "scope"]
