"""The one rule that decides a check's status, and how a check stopped (also inside hypothesis's groups)."""

from __future__ import annotations

import pytest
from hypothesis.errors import FlakyFailure

from conformance.outcome import CheckFailed, PreconditionFailed, Status, Stop, check_failure_in, classify, stop_of


@pytest.mark.parametrize(
    ("level", "stop", "skipped", "in_call", "waived", "status"),
    [
        ("MUST", None, False, True, False, Status.PASSED),
        ("MUST", Stop.CHECK, False, True, False, Status.FAILED),
        ("SHOULD", Stop.CHECK, False, True, False, Status.WARNING),
        ("MUST", Stop.CHECK, False, True, True, Status.WAIVED),
        ("MUST", None, False, True, True, Status.FAILED),  # a waiver that expected a failure which did not come
        ("MUST", Stop.PRECONDITION, False, True, False, Status.ERROR),
        ("MUST", Stop.CRASH, False, True, True, Status.ERROR),  # a waiver covers failures, not errors
        ("MUST", Stop.CHECK, False, False, False, Status.ERROR),  # in a fixture: the check never got to run
        ("MUST", None, True, False, False, Status.SKIPPED),
    ],
)
def test_classify(level: str, stop: Stop | None, skipped: bool, in_call: bool, waived: bool, status: Status) -> None:
    assert classify(level, stop=stop, skipped=skipped, in_call=in_call, waived=waived) is status


def test_a_check_failure_is_found_inside_a_group_as_hypothesis_raises_a_flaky_one() -> None:
    first = CheckFailed("expected: 401")
    group = FlakyFailure(  # type: ignore[no-untyped-call,unused-ignore]  # unannotated in some hypothesis releases
        "Falsified on the first call but did not on a subsequent one", [ValueError("x"), first]
    )
    assert check_failure_in(group) is first
    assert stop_of(group) is Stop.CHECK
    assert stop_of(PreconditionFailed("a login")) is Stop.PRECONDITION
    assert stop_of(KeyError("data")) is Stop.CRASH


def test_failing_and_passing_statuses() -> None:
    assert {s for s in Status if s.failing} == {Status.FAILED, Status.ERROR}
    assert {s for s in Status if s.passing} == {Status.PASSED, Status.WARNING, Status.WAIVED}
