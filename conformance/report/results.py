"""Turning pytest reports into one result per check instance: status, one-line reason, redacted detail.

Statuses: passed, failed, skipped, waived, warning (a failed SHOULD check: a finding), error (the check could not
run: a broken precondition or an unexpected exception).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import pytest

from conformance.redaction import redact_text

STATUSES = ("passed", "failed", "warning", "waived", "skipped", "error")
FINDING = "finding"
WAIVED = "waived"


@dataclass
class CheckResult:
    id: str
    check: str
    level: str
    behaviour: str
    status: str
    reason: str = ""
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def instance_id(nodeid: str, check: str) -> str:
    """`…::test_x[json-beth]` → `CHECK-ID[json-beth]`: the check ID plus its parameters."""
    params = nodeid.split("[", 1)[1].rstrip("]") if "[" in nodeid else ""
    return f"{check}[{params}]" if params else check


def one_line(text: str) -> str:
    """The line that says what was expected (or the first meaningful line)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("expected:"):
            received = next((x for x in lines if x.startswith("received:")), "")
            return f"{line} — {received}" if received else line
    return lines[-1] if lines else ""


class ResultRecorder:
    """A pytest plugin object: collects a CheckResult per conformance test from the (controller's) log reports."""

    def __init__(self) -> None:
        self.results: dict[str, CheckResult] = {}

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        properties = dict(report.user_properties)
        check = properties.get("check_id")
        if not check:
            return
        result = self.results.setdefault(
            report.nodeid,
            CheckResult(
                instance_id(report.nodeid, str(check)),
                str(check),
                str(properties.get("level", "")),
                str(properties.get("behaviour", "")),
                "passed",
            ),
        )
        text = redact_text(report.longreprtext or "")
        if report.skipped and not hasattr(report, "wasxfail"):
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else text
            result.status, result.reason = "skipped", str(reason).removeprefix("Skipped: ")
        elif report.failed:
            failed_check = report.when == "call" and text.lstrip().startswith(f"[{check}]")
            if result.status != "failed":
                result.status = "failed" if failed_check else "error"
                result.reason, result.detail = one_line(text), text
        elif report.when == "call" and FINDING in properties:
            result.status, result.detail = "warning", redact_text(str(properties[FINDING]))
            result.reason = one_line(result.detail)
        elif report.when == "call" and WAIVED in properties:
            result.status, result.reason = "waived", str(properties[WAIVED])
            result.detail = redact_text(str(properties.get("waived_failure", "")))

    def totals(self) -> dict[str, int]:
        counts = dict.fromkeys(STATUSES, 0)
        for result in self.results.values():
            counts[result.status] += 1
        return counts
