"""The reporting side of a run, on the pytest controller: the report files, the unused waivers and the exit status.

Registered by the plugin (with a ResultRecorder) when a run asks for reports, waivers or a baseline; the Status of
each check is already decided (`conformance.pytest.outcomes`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance import __version__
from conformance.redaction import redact_text
from conformance.registry import load_all_checks
from conformance.report import matrix
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
            "Target": self.target.name,
            "Target.URL": self.target.base_url,
            "Directus.Version": self.target.version,
            "Suite.Version": __version__,
            "Database": self.target.database,
            **{f"Target.{key}": value for key, value in self.target.facts.items()},
        }
        Path(allure_dir).mkdir(parents=True, exist_ok=True)
        (Path(allure_dir) / "environment.properties").write_text(
            "".join(f"{key}={redact_text(str(value))}\n" for key, value in properties.items())
        )
        (Path(allure_dir) / "executor.json").write_text(
            json.dumps({"name": "directus-conformance", "type": "directus-conformance"})
        )
