"""Test settings shared by the whole suite."""

import os

from hypothesis import HealthCheck, settings

# Graph building is pure Python: no per-example deadline, and a lighter profile in CI.
settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "default")
