"""The reliability suite: faults, fuzzed packs, hostile answers, concurrent and killed processes.

Property-based tests run under the `ci` hypothesis profile by default: derandomized (the same examples every run,
so CI is reproducible) and with modest example counts, so the whole suite stays within a few minutes on 2 cores.
`HYPOTHESIS_PROFILE=explore` runs more, random examples locally.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=150, deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "explore", max_examples=2000, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
