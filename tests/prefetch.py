"""Install, ahead of the proofs, every Directus release they boot: `python -m tests.prefetch`.

.ci/run starts it in the background beside the everyday tests: an install is mostly download and unpacking, which
the everyday tests' CPU hardly competes with, and the proofs then find each release installed (`ensure_installed`
waits on the lock of one still being installed). Without it, the proofs install nine releases one after the other.
"""

from __future__ import annotations

from conformance.embedded import OLDEST_VERSION, PINNED_VERSIONS
from conformance.embedded.install import ensure_installed
from conformance.versions import parse_version
from tests.advisories.proofs import cover, releases_of


def releases() -> list[str]:
    """What the proofs boot: the pins (versions), the oldest installable release, the advisories' cover."""
    return sorted({*PINNED_VERSIONS, OLDEST_VERSION, *releases_of(cover())}, key=parse_version)


if __name__ == "__main__":
    for release in releases():
        ensure_installed(release)
