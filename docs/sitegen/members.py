"""A griffe extension (mkdocstrings' loader): public members that only exist once the code has run.

Static analysis reads the source. ``Value``'s op methods (``exp``, ``tanh``, ...) are generated from the op
table when ``autograd.value`` is imported, and its fields (``data``, ``grad``, ...) are slots: neither is
in the class body, so the reference would not list them. For each class of ``autograd`` and ``nn``, the
members its imported class has and its source does not are added from griffe's dynamic inspection of the
module, with their signatures and docstrings; a field without a docstring of its own takes its line of the
class's ``Attributes:`` section. A member the source declares only for type checkers (a stub under ``if
TYPE_CHECKING:``) keeps its signature and gets the generated method's docstring.
"""

from __future__ import annotations

import functools
from typing import Any

import griffe

PACKAGES = ("autograd", "nn")


@functools.cache
def _inspected(module: str) -> griffe.Module:
    return griffe.inspect(module)


def _attribute_docs(cls: griffe.Class) -> dict[str, str]:
    """``{name: description}`` from the class docstring's ``Attributes:`` section."""
    if cls.docstring is None:
        return {}
    docs: dict[str, str] = {}
    for section in griffe.parse_google(cls.docstring):
        if section.kind is griffe.DocstringSectionKind.attributes:
            docs.update({a.name: a.description for a in section.value})
    return docs


class RuntimeMembers(griffe.Extension):
    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        if pkg.name not in PACKAGES:
            return
        for cls in _classes(pkg):
            try:
                runtime = _inspected(cls.module.path)[cls.name]
            except (KeyError, ImportError):
                continue
            described = _attribute_docs(cls)
            for name, member in runtime.members.items():
                if name.startswith("_") or member.is_alias:
                    continue
                static = cls.members.get(name)
                if static is not None:  # a stub for type checkers (``if TYPE_CHECKING:``): keep its signature
                    if static.docstring is None and member.docstring is not None:
                        static.docstring = griffe.Docstring(member.docstring.value, parent=static)
                    continue
                if member.docstring is None and name in described:
                    member.docstring = griffe.Docstring(described[name], parent=member)
                cls.set_member(name, member)


def _classes(module: griffe.Module) -> list[griffe.Class]:
    found = []
    for member in module.members.values():
        if member.is_alias:
            continue
        if member.is_module:
            found += _classes(member)
        elif member.is_class:
            found.append(member)
    return found
