"""The error every set-up step raises when the target cannot be checked as configured."""

from __future__ import annotations


class TargetError(RuntimeError):
    """The target cannot be checked as configured; the message names the cause and what to do (one line)."""
