"""The reporting side of a run, on the pytest controller: the report files, the unused waivers and the exit status.

Registered by the plugin (with a ResultRecorder) when a run asks for reports, waivers or a baseline; the Status of
each check is already decided (`conformance.pytest.outcomes`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conformance import __version__
from conformance.registry import load_all_checks
from conformance.report import matrix
from conformance.report.allure import finish_results
from conformance.report.files import write_reports
from conformance.report.results import ResultRecorder
from conformance.report.target import ReportedTarget
from conformance.run import Run
from conformance.waivers import WaiverBook

__all__ = ["ReportingPlugin"]


class ReportingPlugin:
    def __init__(self, recorder: ResultRecorder, run: Run, target: ReportedTarget, waivers: WaiverBook) -> None:
        self.recorder = recorder
        self.run = run
        self.target = target
        self.waivers = waivers
        self.notes: list[str] = []

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        current = matrix.build(self.target.as_row(), load_all_checks(), list(self.recorder.results.values()))
        unused = self.waivers.unused(self.target.name, self.target.version)
        self.notes += [f"waiver matched nothing (remove it or fix its pattern): {w.describe()}" for w in unused]
        regressions = improvements = None
        if self.run.baseline is not None:
            regressions, improvements = matrix.diff(matrix.load(self.run.baseline), current)
        failing = any(result.status.failing for result in self.recorder.results.values()) or bool(unused)
        if self.run.fail_on == "regressions":
            failing = bool(regressions)
        if session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) and self.recorder.results:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED if failing else pytest.ExitCode.OK
        if self.run.reports is not None:
            notes, reports = self.notes, self.run.reports
            write_reports(current, reports, notes=notes, regressions=regressions, improvements=improvements)
            self._finish_allure_results(session)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.notes:
            terminalreporter.section("waivers", red=True)
            for note in self.notes:
                terminalreporter.line(note)

    def _finish_allure_results(self, session: pytest.Session) -> None:
        allure_dir = getattr(session.config.option, "allure_report_dir", None)
        if not allure_dir:
            return
        environment = {
            "Target": self.target.name,
            "Target.URL": self.target.base_url,
            "Directus.Version": self.target.version,
            "Suite.Version": __version__,
            "Database": self.target.database,
            **{f"Target.{key}": value for key, value in self.target.facts.items()},
        }
        by_instance = {result.id: result for result in self.recorder.results.values()}
        finish_results(Path(allure_dir), by_instance, {key: str(value) for key, value in environment.items()})
