"""directus-conformance: checks that a Directus instance's authentication behaves as Directus documents."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("directus-conformance")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
