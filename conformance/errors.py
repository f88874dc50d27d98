"""The errors that stop a run, in one tree: each says, in one line, what is wrong and what to do.

ConformanceError            exit 2; `cli.main` prints the message as one line
 ├── ConfigError            how the run was called: an option, a cast, waivers or a targets file
 └── TargetError            the target cannot be checked as configured
      ├── DirectusError     an administrative call got an answer it could not use (in `client`: it keeps
      │                     the response)
      ├── SeedFailed        the run's seed failed; every check that needs the cast reports it
      └── EmbeddedError     the embedded Directus did not come up
           └── InstallError it could not be installed
"""

from __future__ import annotations

__all__ = ["ConfigError", "ConformanceError", "EmbeddedError", "InstallError", "SeedFailed", "TargetError"]


class ConformanceError(Exception):
    """A run that cannot start or go on; the message names the cause and what to do, in one line."""

    exit_code = 2


class ConfigError(ConformanceError, ValueError):
    """A configuration the run cannot start with (the user fixes how they call us)."""


class TargetError(ConformanceError, RuntimeError):
    """The target cannot be checked as configured."""


class SeedFailed(TargetError):
    """The run's seed failed: the target's answer, redacted."""


class EmbeddedError(TargetError):
    """The embedded Directus did not come up; the message carries the tail of its log."""


class InstallError(EmbeddedError):
    """The pinned Directus could not be installed; the message names the step and the log to read."""
