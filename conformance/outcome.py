"""What became of a check: one status vocabulary, the two ways a check stops, and the one rule that decides.

A check stops with `CheckFailed` when the target broke what the check tests (raised by `evidence.expect…`), or
with `PreconditionFailed` when the check could not get as far as testing it (a persona that cannot log in, a cookie
the target was expected to set). Anything else escaping a check is an error too. `classify` turns how a check
stopped, its level and a waiver into a Status; every report writer reads Status, never pytest's outcome words.
"""

from __future__ import annotations

import enum

from _pytest.outcomes import Failed  # pytest.fail's exception; pytest exports it only as `pytest.fail.Exception`

__all__ = ["CheckFailed", "PreconditionFailed", "Status", "Stop", "check_failure_in", "classify", "stop_of"]


class CheckFailed(Failed):
    """The target broke the behaviour the check tests; the message is the evidence."""

    def __init__(self, evidence: str) -> None:
        super().__init__(evidence, pytrace=False)


class PreconditionFailed(Failed):
    """The check could not get as far as testing its behaviour; the message names the precondition."""

    def __init__(self, evidence: str) -> None:
        super().__init__(evidence, pytrace=False)


class Status(str, enum.Enum):
    """In the order the reports list them."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"  # the check could not run: a precondition broken, or an unexpected exception
    WARNING = "warning"  # a SHOULD check that failed: a finding
    WAIVED = "waived"  # a failure a waiver expected
    SKIPPED = "skipped"  # the check does not apply to this target (the reason says why)

    @property
    def failing(self) -> bool:
        """Whether it makes the run non-conformant."""
        return self in (Status.FAILED, Status.ERROR)

    @property
    def passing(self) -> bool:
        return self in (Status.PASSED, Status.WARNING, Status.WAIVED)


class Stop(str, enum.Enum):
    """How a check's phase ended, as the process that ran it saw it (the exception itself stays there)."""

    CHECK = "check"  # CheckFailed
    PRECONDITION = "precondition"  # PreconditionFailed
    CRASH = "crash"  # any other exception


def check_failure_in(error: BaseException) -> CheckFailed | None:
    """The CheckFailed that ended a check: the error itself, or the first one in a group, as hypothesis raises
    when a failure changed the target's state and does not reproduce (`FlakyFailure`)."""
    if isinstance(error, CheckFailed):
        return error
    for inner in getattr(error, "exceptions", ()):
        # hypothesis wraps a BaseException (pytest's failures are) in a group, its cause being the original
        found = check_failure_in(inner) or (check_failure_in(inner.__cause__) if inner.__cause__ else None)
        if found is not None:
            return found
    return None


def stop_of(error: BaseException) -> Stop:
    if check_failure_in(error) is not None:
        return Stop.CHECK
    return Stop.PRECONDITION if isinstance(error, PreconditionFailed) else Stop.CRASH


def classify(level: str, *, stop: Stop | None, skipped: bool, in_call: bool, waived: bool) -> Status:
    """The one rule: a skip is SKIPPED; anything but a check failure in the check's body is an ERROR; a SHOULD
    check that fails is a WARNING; a MUST check that fails is FAILED, or WAIVED when a waiver expects it; and a
    check a waiver expected to fail that passes is FAILED (the waiver is out of date)."""
    if skipped:
        return Status.SKIPPED
    if stop is None:
        return Status.FAILED if waived else Status.PASSED
    if stop is not Stop.CHECK or not in_call:
        return Status.ERROR
    if level == "SHOULD":
        return Status.WARNING
    return Status.WAIVED if waived else Status.FAILED
