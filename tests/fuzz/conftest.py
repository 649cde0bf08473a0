"""Hypothesis profiles for the fuzz tests.

`ci` (the default) runs a fixed budget with a fixed seed, so a CI run is repeatable and short;
`long` is for fuzzing sessions (docs/development.md, "Fuzzing"):

    HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest tests/fuzz -p no:timeout

Every crash a fuzz test ever found stays as an `@example` on that test, so it is rerun always.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.register_profile(
    "long",
    max_examples=20_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
