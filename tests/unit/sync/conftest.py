"""Hypothesis profiles for the sync core: HYPOTHESIS_PROFILE=ci (default, quick) or deep."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=60, deadline=None, stateful_step_count=30)
settings.register_profile(
    "deep",
    max_examples=600,
    deadline=None,
    stateful_step_count=60,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
