"""Small data sets (shipped by scikit-learn) as plain Python lists, and mini-batching.

scikit-learn is an optional dependency (the ``demo`` extra); it is imported
only when a data set is asked for.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from nn import checks
from nn.module import Seed, make_rng

NAMES = ("moons", "iris", "digits")
MAX_SKLEARN_SEED = 2**32 - 1  # scikit-learn's random_state: 0 .. 2**32 - 1


@dataclass(frozen=True)
class Dataset:
    """Features ``X`` (one list of floats per sample) and integer class labels ``y``."""

    name: str
    X: list[list[float]]
    y: list[int]
    n_classes: int

    def __len__(self) -> int:
        return len(self.y)

    @property
    def n_features(self) -> int:
        return len(self.X[0])


def _sklearn_datasets() -> Any:
    try:
        from sklearn import datasets
    except ImportError:
        raise ImportError(
            "the data sets come from scikit-learn, which is not installed: pip install 'chainrule[demo]'"
        ) from None
    return datasets


def _standardize(X: Sequence[Sequence[float]]) -> list[list[float]]:
    """Each feature shifted to mean 0 and scaled to standard deviation 1 (constant features left at 0)."""
    n = len(X)
    cols = list(zip(*X))
    means = [sum(c) / n for c in cols]
    stds = [(sum((v - m) ** 2 for v in c) / n) ** 0.5 for c, m in zip(cols, means)]
    return [[(v - m) / s if s > 0 else 0.0 for v, m, s in zip(row, means, stds)] for row in X]


def moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> Dataset:
    """Two interleaving half circles in 2-D (``sklearn.datasets.make_moons``), labels 0 and 1."""
    checks.count(n, "moons' n")
    checks.real(noise, "moons' noise", 0.0, math.inf)
    checks.count(seed, "moons' seed", MAX_SKLEARN_SEED, minimum=0)
    X, y = _sklearn_datasets().make_moons(n_samples=n, noise=noise, random_state=seed)
    return Dataset("moons", X.tolist(), [int(v) for v in y], 2)


def iris() -> Dataset:
    """Fisher's iris: 150 flowers, 4 measurements (standardised), 3 species."""
    bunch = _sklearn_datasets().load_iris()
    return Dataset("iris", _standardize(bunch.data.tolist()), [int(v) for v in bunch.target], 3)


def digits(n: int | None = None) -> Dataset:
    """8×8 handwritten digits (1797 of them, or the first ``n``), pixels scaled to [0, 1], labels 0-9."""
    if n is not None:
        checks.count(n, "digits' n")
    bunch = _sklearn_datasets().load_digits()
    X = (bunch.data / 16.0).tolist()
    y = [int(v) for v in bunch.target]
    if n is not None:
        X, y = X[:n], y[:n]
    return Dataset("digits", X, y, 10)


def load(name: str, **kwargs: Any) -> Dataset:
    """The data set called ``name`` (one of ``moons``, ``iris``, ``digits``)."""
    loaders = {"moons": moons, "iris": iris, "digits": digits}
    if name not in loaders:
        raise ValueError(f"unknown data set {name!r}; valid names are {', '.join(NAMES)}")
    return loaders[name](**kwargs)


def split(data: Dataset, test_fraction: float = 0.2, seed: Seed = 0) -> tuple[Dataset, Dataset]:
    """A shuffled (train, test) split; ``test_fraction`` of the samples go to test."""
    checks.real(test_fraction, "test_fraction", 0.0, 1.0, low_open=True, high_open=True)
    order = list(range(len(data)))
    make_rng(seed).shuffle(order)
    n_test = max(1, round(len(order) * test_fraction))
    test, train = order[:n_test], order[n_test:]

    def subset(idx: list[int]) -> Dataset:
        return Dataset(data.name, [data.X[i] for i in idx], [data.y[i] for i in idx], data.n_classes)

    return subset(train), subset(test)


def batches(
    n: int, batch_size: int, shuffle: bool = True, rng: random.Random | None = None
) -> Iterator[list[int]]:
    """Sample indices ``0..n-1`` in mini-batches of ``batch_size`` (the last may be smaller).

    Shuffled with ``rng`` (a new unseeded one if None) when ``shuffle`` is true.
    """
    checks.count(n, "batches' n", minimum=0)
    checks.count(batch_size, "batch_size")
    order = list(range(n))
    if shuffle:
        (rng or random.Random()).shuffle(order)
    for start in range(0, n, batch_size):
        yield order[start : start + batch_size]
