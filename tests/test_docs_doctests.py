"""The docstrings' examples (``>>>``) in ``autograd`` and ``nn`` run, and print what they show.

Every module of both packages is imported and searched, except the ``__main__`` modules, which run the
command line when imported. An example runs in its module's namespace, as ``pytest --doctest-modules``
would run it; the reference shows the same examples.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import autograd
import nn

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def modules() -> list[str]:
    names = []
    for package in (autograd, nn):
        names.append(package.__name__)
        for info in pkgutil.walk_packages(package.__path__, prefix=package.__name__ + "."):
            if not info.name.endswith("__main__"):
                names.append(info.name)
    return sorted(names)


def examples(name: str) -> list[doctest.DocTest]:
    module = importlib.import_module(name)
    return [t for t in doctest.DocTestFinder(exclude_empty=True).find(module, name) if t.examples]


def test_there_are_examples() -> None:
    n = sum(len(t.examples) for name in modules() for t in examples(name))
    assert n >= 30, f"only {n} docstring examples in autograd and nn"


@pytest.mark.parametrize("name", modules())
def test_docstring_examples(name: str) -> None:
    for test in examples(name):
        report: list[str] = []
        if doctest.DocTestRunner(optionflags=FLAGS).run(test, out=report.append).failed:
            pytest.fail("".join(report), pytrace=False)
