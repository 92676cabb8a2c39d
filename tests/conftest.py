"""Shared test configuration: hypothesis profiles that keep CI deterministic."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# CI runs a fixed, derandomised set of examples so that a run is reproducible;
# locally `HYPOTHESIS_PROFILE=dev` explores more.
settings.register_profile(
    "ci",
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=500, deadline=None)
# Mutation testing (docs/testing.md) runs the tests once per mutant: fewer examples, still
# derandomised, so that a run of some two thousand mutants ends within the hour.
settings.register_profile(
    "mutation",
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
