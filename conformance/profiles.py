"""Example budgets for the generative suites: a fast profile for CI gates, a deep one for nightly runs.

Every generative check runs derandomized (the same examples on every run, no example database), so a CI result is
reproducible; the budget bounds how many requests it sends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hypothesis import settings


@dataclass(frozen=True)
class Profile:
    name: str
    openapi_examples: int  # per operation and generation mode (positive, negative)
    property_examples: int  # per hypothesis property
    lifecycle_runs: int  # state-machine runs per mode
    lifecycle_steps: int  # steps per state-machine run
    concurrent_refreshes: int  # parallel refreshes of one refresh token


PROFILES: dict[str, Profile] = {
    "fast": Profile(
        "fast", openapi_examples=8, property_examples=25, lifecycle_runs=6, lifecycle_steps=10, concurrent_refreshes=5
    ),
    "deep": Profile(
        "deep",
        openapi_examples=100,
        property_examples=300,
        lifecycle_runs=25,
        lifecycle_steps=20,
        concurrent_refreshes=5,
    ),
}
DEFAULT_PROFILE = "fast"


def examples(count: int, *, shrink: bool = True, **extra: object) -> settings:
    """Deterministic hypothesis settings for `count` examples against a live server (no deadline: it is remote).

    `shrink=False` where each example costs logins: a failure is then reported as found, in bounded time.
    (hypothesis is imported here: the pytest controller reads the profiles but runs no check.)"""
    from hypothesis import HealthCheck, Phase, settings

    return settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        print_blob=False,
        report_multiple_bugs=False,
        phases=(Phase.explicit, Phase.generate, Phase.shrink) if shrink else (Phase.explicit, Phase.generate),
        suppress_health_check=(HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large),
        **extra,  # type: ignore[arg-type]
    )
