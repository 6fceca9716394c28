"""The API reference's names: what its pages list, what the packages export, what ``API.md`` promises.

The reference pages (``docs/reference/autograd.md``, ``nn.md``) hold ``::: identifier`` blocks that
mkdocstrings renders from docstrings. :func:`unlisted` finds the names of a package's ``__all__`` that no
block shows yet (the build adds them at the end of the page, so a new name is never missing);
:func:`api_names` reads the public contract's names from ``API.md`` (kept beside the repository, in
``../shared/API.md``) and :func:`covered` says whether the reference documents one.
"""

from __future__ import annotations

import importlib
import inspect
import re
from typing import Any

from docs.sitegen import DOCS, ROOT

PAGES = {"reference/autograd.md": "autograd", "reference/nn.md": "nn"}  # page source -> package
API_MD = ROOT.parent / "shared" / "API.md"
_BLOCK = re.compile(r"^::: ([\w.]+)", re.M)
_SPAN = re.compile(r"`([^`\n]+)`")
_DOTTED = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")
# in API.md's prose and examples a receiver stands for its class: `v.backward()` is Value.backward
RECEIVERS = {"x": "autograd.Value", "v": "autograd.Value", "model": "nn.Module", "opt": "nn.Optimizer",
             "report": "nn.HealthReport", "ex": "autograd.drawing.Explorer"}
# a bare name in API.md is looked up in these, in order
BARE_SCOPES = ("autograd", "nn", "nn.losses", "autograd.Value", "nn.Module", "nn.Optimizer")


def resolve(dotted: str, submodules: bool = True) -> Any:
    """The object a dotted name stands for (importing submodules on the way, if asked), or ``None``."""
    parts = dotted.split(".")
    if not all(parts):
        return None
    try:
        obj: Any = importlib.import_module(parts[0])
    except ImportError:
        return None
    for k, part in enumerate(parts[1:], start=1):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            if inspect.isclass(obj) and _declared(obj, part):  # an instance attribute (dataclass field)
                return _Declared(obj, part)
            if not submodules:
                return None
            try:
                obj = importlib.import_module(".".join(parts[: k + 1]))
            except ImportError:
                return None
    return obj


class _Declared:
    """An attribute a class declares (annotated) that only its instances hold."""

    def __init__(self, owner: type, name: str) -> None:
        self.owner, self.name = owner, name


def _declared(cls: type, name: str) -> bool:
    return any(name in vars(klass).get("__annotations__", {}) for klass in cls.__mro__)


def blocks(page: str) -> list[str]:
    """The identifiers of the ``:::`` blocks of a reference page (its source under ``docs/``)."""
    return _BLOCK.findall((DOCS / page).read_text(encoding="utf-8"))


def listed_objects() -> list[Any]:
    """Every object a ``:::`` block of the reference shows, as imported."""
    return [resolve(ident) for page in PAGES for ident in blocks(page)]


def is_dunder(name: str) -> bool:
    """A module attribute such as ``autograd.__version__``: a value, described in a page's text, not a block."""
    last = name.rpartition(".")[2]
    return last.startswith("__") and last.endswith("__")


def mentioned(name: str) -> bool:
    """Whether a reference page's text names ``name`` as code."""
    return any(f"`{name}`" in (DOCS / page).read_text(encoding="utf-8") for page in PAGES)


def unlisted(page: str) -> list[str]:
    """The package's names that no block of the reference shows: from its ``__all__`` and from ``API.md``."""
    package = importlib.import_module(PAGES[page])
    wanted = [f"{package.__name__}.{name}" for name in package.__all__]
    text = api_md()
    if text is not None:  # e.g. `autograd.__version__`, `nn.bugs`: promised, maybe not in __all__
        prefix = package.__name__ + "."
        wanted += sorted(n for n in api_names(text) if n.startswith(prefix) and "." not in n[len(prefix):]
                         and resolve(n) is not None)
    return [name for name in dict.fromkeys(wanted) if not is_dunder(name) and not covered(name)]


def defining_path(public: str) -> str:
    """Where the static analyser finds a public name: its defining module for a lazily imported one."""
    obj = resolve(public)
    if inspect.ismodule(obj):
        return obj.__name__
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    return f"{module}.{qualname}" if module and qualname else public


def appendix(names: list[str]) -> str:
    """Markdown for names the reference pages do not list yet."""
    parts = ["\n\n## Other names\n"]
    for name in names:
        parts.append(f"\n::: {defining_path(name)}\n    options:\n      heading: {name}\n")
    return "".join(parts)


def api_names(text: str) -> set[str]:
    """The dotted names ``API.md`` promises, each as ``package.Name`` or ``package.Class.member``.

    Read from its code spans and its Python blocks: names starting with ``autograd.`` or ``nn.``, members
    on a receiver that stands for a class (``v.backward``), and bare names found in the packages
    (``SGD``, ``mse``, ``exp``); words that name nothing there (``float``, ``ok``) are not API names.
    """
    spans = _SPAN.findall(text)
    for block in re.findall(r"```python\n(.*?)```", text, re.S):
        spans.extend(line.split("#")[0] for line in block.splitlines())
    names: set[str] = set()
    for span in spans:
        span = re.sub(r"^\s*from (\w+) import (.*)$", lambda m: " ".join(
            f"{m.group(1)}.{n.strip()}" for n in m.group(2).split(",")), span)
        for token in _DOTTED.findall(span):
            head, _, rest = token.partition(".")
            if head in ("autograd", "nn"):
                if rest:
                    names.add(token)
            elif head in RECEIVERS and rest:
                names.add(f"{RECEIVERS[head]}.{rest}")
            elif not rest:
                for scope in BARE_SCOPES:  # attributes only: `value` is not the module autograd.value
                    found = resolve(f"{scope}.{token}", submodules=False)
                    if found is not None and not inspect.ismodule(found) and not token.startswith("_"):
                        names.add(f"{scope}.{token}")
                        break
    return names


def covered(name: str) -> bool:
    """Whether the reference shows ``name``: a listed object, or a public member of a listed class or module."""
    if is_dunder(name):
        return mentioned(name)
    obj = resolve(name)
    if obj is None:
        return False
    listed = listed_objects()
    if any(obj is shown for shown in listed):
        return True
    owner_name, _, member = name.rpartition(".")
    owner = resolve(owner_name)
    if member.startswith("_"):
        return False
    return any(owner is shown for shown in listed) and (inspect.isclass(owner) or inspect.ismodule(owner))


def api_md() -> str | None:
    """``API.md``'s text, or ``None`` where the repository has no ``shared/`` folder beside it."""
    return API_MD.read_text(encoding="utf-8") if API_MD.exists() else None
