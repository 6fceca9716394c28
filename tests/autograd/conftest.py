"""Fixtures of the autograd tests: one headless Chromium per test module (see chromium.py)."""

from tests.autograd.chromium import browser  # noqa: F401 (a fixture, found by pytest here)
