"""Install, ahead of the proofs, every Directus release they boot: `python -m tests.prefetch`.

.ci/run starts it in the background beside the everyday tests: an install is mostly download and unpacking (cold,
ten took 22 min beside other runs; the everyday tests took 622 s beside them instead of 489), and the proofs then
find each release installed (`ensure_installed`
waits on the lock of one still being installed, so the proofs may start before it ends). Without it, the proofs
install them one after the other.
"""

from __future__ import annotations

from conformance.embedded import OLDEST_VERSION, PINNED_VERSIONS
from conformance.embedded.install import ensure_installed
from conformance.versions import parse_version
from tests.advisories.proofs import cover, releases_of


def releases() -> list[str]:
    """What the proofs boot, in the order they boot it: the advisories' cover first (the first proof), then the
    oldest installable release and the pins (the versions)."""
    first = releases_of(cover())
    return first + sorted({OLDEST_VERSION, *PINNED_VERSIONS} - set(first), key=parse_version)


if __name__ == "__main__":
    for release in releases():
        ensure_installed(release)
