"""One result per check instance, recorded from the Status each report carries: status, one-line reason, detail.

The Status itself is decided once, by `outcome.classify` (see `conformance.pytest.outcomes`); this only records it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from conformance.outcome import Status
from conformance.redaction import redact_text

__all__ = ["CheckResult", "ResultRecorder", "instance_id", "one_line"]

# the report properties by which a check's outcome crosses from an xdist worker to the controller
STATUS = "status"
STOP = "stop"
FINDING = "finding"
WAIVED = "waived"
WAIVED_FAILURE = "waived_failure"


@dataclass
class CheckResult:
    id: str
    check: str
    level: str
    behaviour: str
    status: Status
    reason: str = ""
    detail: str = ""


def instance_id(nodeid: str, check: str) -> str:
    """`…::test_x[json-beth]` → `CHECK-ID[json-beth]`: the check ID plus its parameters."""
    params = nodeid.split("[", 1)[1].rstrip("]") if "[" in nodeid else ""
    return f"{check}[{params}]" if params else check


def one_line(text: str) -> str:
    """The line that says what was expected (or the first meaningful line)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if line.startswith(("expected:", "precondition not met:")):
            received = next((x for x in lines if x.startswith("received:")), "")
            return f"{line} — {received}" if received else line
    return lines[-1] if lines else ""


class ResultRecorder:
    """A pytest plugin object: a CheckResult per conformance test from the (controller's) log reports."""

    def __init__(self) -> None:
        self.results: dict[str, CheckResult] = {}

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        properties = dict(report.user_properties)
        if STATUS not in properties:
            return
        status = Status(properties[STATUS])
        check = str(properties["check_id"])
        result = self.results.setdefault(
            report.nodeid,
            CheckResult(
                instance_id(report.nodeid, check),
                check,
                str(properties.get("level", "")),
                str(properties.get("behaviour", "")),
                Status.PASSED,
            ),
        )
        text = redact_text(report.longreprtext or "")
        if status is Status.SKIPPED:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else text
            result.status, result.reason = status, str(reason).removeprefix("Skipped: ")
        elif status.failing:
            if not result.status.failing:  # the first failing phase says why
                result.status, result.reason, result.detail = status, one_line(text), text
        elif status is Status.WARNING:
            result.status, result.detail = status, redact_text(str(properties[FINDING]))
            result.reason = one_line(result.detail)
        elif status is Status.WAIVED:
            result.status, result.reason = status, str(properties[WAIVED])
            result.detail = redact_text(str(properties.get(WAIVED_FAILURE, "")))
