"""The API reference covers the public API: every name of ``API.md`` and of the packages' ``__all__``.

``API.md`` is the project's public contract, kept beside the repository (``../shared/API.md``); where it is
not there, its comparison skips. The reference is ``docs/reference/*.md``: ``::: name`` blocks, each showing
an object and its public members (the build adds blocks for any ``__all__`` name without one, but the pages
should list every name themselves, in its place). A name ``API.md`` promises that the code does not have
yet skips, saying so.
"""

from __future__ import annotations

import pytest

import autograd
import nn
from docs.sitegen import reference

API_TEXT = reference.api_md()
API_NAMES = sorted(reference.api_names(API_TEXT)) if API_TEXT is not None else []


def test_the_reference_pages_name_only_real_objects() -> None:
    for page in reference.PAGES:
        for ident in reference.blocks(page):
            assert reference.resolve(ident) is not None, f"{page}: ::: {ident} names nothing"


@pytest.mark.parametrize("name", [f"autograd.{n}" for n in autograd.__all__] + [f"nn.{n}" for n in nn.__all__])
def test_every_exported_name_is_in_the_reference(name: str) -> None:
    if reference.covered(name):
        return
    # not placed in a page yet: the build adds it at the end of its package's page, from where it is
    # defined, which the static analyser must be able to find
    page = next(p for p, package in reference.PAGES.items() if name.startswith(package + "."))
    assert name in reference.unlisted(page), f"{name} is neither in docs/{page} nor added by the build"
    griffe = pytest.importorskip("griffe", reason="the docs extra (make docs) installs griffe")
    path = reference.defining_path(name)
    module, _, _ = path.partition(".")
    assert griffe.load(module, search_paths=[str(reference.ROOT)])[path.partition(".")[2]] is not None


@pytest.mark.skipif(API_TEXT is None, reason=f"no API document at {reference.API_MD}")
def test_the_api_document_is_read() -> None:
    # the contract's core names, so a parser that finds nothing cannot pass
    assert {"autograd.Value", "autograd.Value.backward", "autograd.grad", "autograd.hessian", "autograd.compile",
            "autograd.explore", "nn.MLP", "nn.SGD", "nn.health", "nn.losses.mse", "nn.Module.save"} <= set(API_NAMES)
    assert len(API_NAMES) >= 50


@pytest.mark.skipif(API_TEXT is None, reason=f"no API document at {reference.API_MD}")
@pytest.mark.parametrize("name", API_NAMES)
def test_every_api_name_is_in_the_reference(name: str) -> None:
    if reference.resolve(name) is None:
        pytest.skip(f"{name}: in API.md, not in the code yet")
    assert reference.covered(name), f"{name} is in API.md but the API reference does not show it"


def test_a_name_missing_from_the_pages_is_added_by_the_build() -> None:
    # what docs/hooks.py appends for a name without a block: its defining module, headed by its public name
    text = reference.appendix(["autograd.draw"])
    assert "::: autograd.drawing.build.draw" in text and "heading: autograd.draw" in text


def test_the_api_document_parser() -> None:
    text = ("- `autograd.hessian(f, inputs) -> list`, `v.register_hook(fn)`, `model.save(path)`\n"
            "- Losses: `mse`, `float(v)`, `ok`\n```python\nfrom nn import MLP, SGD\nx.grad: float  # `nope`\n```\n")
    assert reference.api_names(text) == {"autograd.hessian", "autograd.Value.register_hook", "nn.Module.save",
                                         "nn.losses.mse", "nn.MLP", "nn.SGD", "autograd.Value.grad"}


def test_module_attributes_are_covered_by_the_pages_text() -> None:
    assert reference.is_dunder("autograd.__version__") and not reference.is_dunder("autograd.Value")
    assert reference.covered("autograd.__version__") and reference.covered("nn.__version__")
    assert not reference.covered("autograd.__nothing__")
