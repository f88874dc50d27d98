"""The reporting side of a run, on the pytest controller: waivers, the report files and the exit status.

Registered by conformance.plugin (with a ResultRecorder) when a run asks for reports, waivers or a baseline.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance import __version__
from conformance.redaction import redact_text
from conformance.registry import load_all_checks
from conformance.report import matrix
from conformance.report.files import write_reports
from conformance.report.results import WAIVED, ResultRecorder, instance_id
from conformance.waivers import WaiverBook

REPORTING_PLUGIN_NAME = "directus-conformance-reporting"  # its name in pytest's plugin manager


class ReportingPlugin:
    def __init__(
        self,
        recorder: ResultRecorder,
        *,
        target: dict[str, Any],
        reports: Path | None,
        waivers: WaiverBook,
        baseline: Path | None,
        fail_on: str,
        version: Callable[[], str],
    ) -> None:
        self.recorder = recorder
        self.target = target
        self.reports = reports
        self.waivers = waivers
        self.baseline = baseline
        self.fail_on = fail_on
        self.version = version
        self.notes: list[str] = []

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Apply waivers before anything counts the report: a waived failure passes; a waived pass fails."""
        properties = dict(report.user_properties)
        check = properties.get("check_id")
        if not check or report.when != "call":
            return
        if not self.target.get("version"):  # read while the seed's handle still exists
            self.target["version"] = self.version()
        if not self.waivers.waivers:
            return
        instance = instance_id(report.nodeid, str(check))
        waiver = self.waivers.find(instance, self.target["name"], self.target["version"])
        if waiver is None:
            return
        if report.failed:
            report.user_properties += [(WAIVED, waiver.reason), ("waived_failure", report.longreprtext)]
            report.outcome = "passed"
            report.longrepr = None
        elif report.passed and "finding" not in properties:
            report.outcome = "failed"
            report.longrepr = (
                f"[{check}] waived as expected to fail ({waiver.reason}), but it passed: remove the waiver"
            )

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        current = matrix.build(self.target, load_all_checks(), list(self.recorder.results.values()))
        unused = self.waivers.unused(self.target["name"], self.target.get("version", ""))
        self.notes += [f"waiver matched nothing (remove it or fix its pattern): {w.describe()}" for w in unused]
        regressions = improvements = None
        if self.baseline is not None:
            regressions, improvements = matrix.diff(matrix.load(self.baseline), current)
        totals = self.recorder.totals()
        failing = totals["failed"] + totals["error"] + len(unused) > 0
        if self.fail_on == "regressions":
            failing = bool(regressions)
        if session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) and self.recorder.results:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED if failing else pytest.ExitCode.OK
        if self.reports is not None:
            write_reports(current, self.reports, notes=self.notes, regressions=regressions, improvements=improvements)
            self._allure_environment(session)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.notes:
            terminalreporter.section("waivers", red=True)
            for note in self.notes:
                terminalreporter.line(note)

    def _allure_environment(self, session: pytest.Session) -> None:
        allure_dir = getattr(session.config.option, "allure_report_dir", None)
        if not allure_dir:
            return
        properties = {
            "Target": self.target["name"],
            "Target.URL": self.target.get("base_url", ""),
            "Directus.Version": self.target.get("version", ""),
            "Suite.Version": __version__,
            "Database": self.target.get("database", "unknown"),
        }
        Path(allure_dir).mkdir(parents=True, exist_ok=True)
        (Path(allure_dir) / "environment.properties").write_text(
            "".join(f"{key}={redact_text(str(value))}\n" for key, value in properties.items())
        )
        (Path(allure_dir) / "executor.json").write_text(
            json.dumps({"name": "directus-conformance", "type": "directus-conformance"})
        )
