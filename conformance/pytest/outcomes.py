"""From pytest's reports to each check's Status, in two steps that meet in `outcome.classify`.

Where a check runs (a worker), its report is marked with how it stopped (`Stop`): the exception exists only there.
Where the reports arrive (the controller), `Classifier` asks `outcome.classify`, with the check's level and any
waiver, and writes the Status on the report, so the terminal, JUnit and the result recorder all say the same: a
WARNING or WAIVED check reads as passed to pytest (it does not fail the run), a FAILED or ERROR one as failed.

(PYTEST_DONT_REWRITE: a plugin module that the entry point imports before pytest loads it; it asserts nothing.)
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from conformance.outcome import Status, Stop, check_failure_in, classify, stop_of
from conformance.registry import check_info
from conformance.report.results import FINDING, STATUS, STOP, WAIVED, WAIVED_FAILURE, instance_id
from conformance.report.target import ReportedTarget
from conformance.waivers import WaiverBook

__all__ = ["Classifier"]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    """Mark a check's failed phase with how it stopped; a hypothesis failure that did not reproduce (the first
    attempt changed the target's state: `FlakyFailure`) keeps the first failure's evidence, not a traceback."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if check_info(item) is None or call.excinfo is None or not report.failed:
        return
    report.user_properties.append((STOP, stop_of(call.excinfo.value).value))
    first = check_failure_in(call.excinfo.value)
    if first is not None and first is not call.excinfo.value:
        report.longrepr = str(first.msg)


class Classifier:
    """On the controller (or the only process): the Status of every check report, waivers applied."""

    def __init__(self, waivers: WaiverBook, target: ReportedTarget) -> None:
        self.waivers = waivers
        self.target = target
        self.for_teardown: dict[str, list[tuple[str, str]]] = {}  # what JUnit should say of a call: it reads teardown's

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        properties = dict(report.user_properties)
        check, level = properties.get("check_id"), properties.get("level")
        if not check or not level:
            return
        if report.when == "teardown":
            report.user_properties += self.for_teardown.pop(report.nodeid, [])
        if report.when != "call" and report.passed:
            return  # a set-up or tear-down that went well says nothing of the check
        waiver = None
        if report.when == "call" and not report.skipped:
            waiver = self.waivers.find(instance_id(report.nodeid, str(check)), self.target.name, self.target.version)
        stop = Stop(properties[STOP]) if STOP in properties else (Stop.CRASH if report.failed else None)
        status = classify(
            str(level),
            stop=stop,
            skipped=report.skipped and not hasattr(report, "wasxfail"),
            in_call=report.when == "call",
            waived=waiver is not None,
        )
        report.user_properties.append((STATUS, status.value))
        if status is Status.WARNING:
            report.user_properties.append((FINDING, report.longreprtext))
            self.for_teardown[report.nodeid] = [(FINDING, report.longreprtext)]
            report.outcome, report.longrepr = "passed", None
        elif status is Status.WAIVED and waiver is not None:
            waived = [(WAIVED, waiver.reason), (WAIVED_FAILURE, report.longreprtext)]
            report.user_properties += waived
            self.for_teardown[report.nodeid] = waived
            report.outcome, report.longrepr = "passed", None
        elif status is Status.FAILED and report.passed and waiver is not None:
            report.outcome = "failed"
            report.longrepr = (
                f"[{check}] waived as expected to fail ({waiver.reason}), but it passed: remove the waiver"
            )

    def pytest_report_teststatus(
        self, report: pytest.TestReport
    ) -> tuple[str, str, tuple[str, dict[str, bool]]] | None:
        if report.when == "call" and (STATUS, Status.WARNING.value) in report.user_properties:
            return FINDING, "W", ("FINDING", {"yellow": True})
        return None

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        findings = terminalreporter.stats.get(FINDING, [])
        if findings:
            terminalreporter.section("findings (SHOULD-level checks that failed)", yellow=True)
            for report in findings:
                terminalreporter.line(f"{report.nodeid}\n{dict(report.user_properties)[FINDING]}\n")
