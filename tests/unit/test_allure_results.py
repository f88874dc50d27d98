"""allure-pytest's results given the run's Status: Allure's status, the resolved flags, the name, the marks the
categories match (Allure 3's own reading of them is tests/integration/test_allure_report.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from conformance.outcome import Status
from conformance.report.allure import CATEGORIES, INSTANCE_LABEL, finish_results
from conformance.report.results import CheckResult

EVIDENCE = "[A-ONE] MUST — one\nexpected: 204\nreceived: HTTP 200\nrequest:  POST /auth/logout"


def written_by_a_worker(directory: Path, instance: str) -> Path:
    """A result as allure-pytest writes it where the check ran: failed, whatever the controller decides after."""
    path = directory / f"{instance}-result.json"
    labels = [{"name": "story", "value": "A logout answers 204"}, {"name": INSTANCE_LABEL, "value": instance}]
    result = {"name": "test_x", "status": "failed", "statusDetails": {"message": "CheckFailed: …"}, "labels": labels}
    path.write_text(json.dumps(result))
    return path


def finished(tmp_path: Path, status: Status, reason: str = "") -> dict[str, Any]:
    path = written_by_a_worker(tmp_path, "A-ONE[json]")
    result = CheckResult("A-ONE[json]", "A-ONE", "MUST", "Logout", status, reason=reason, detail=EVIDENCE)
    finish_results(tmp_path, {result.id: result}, {"Target": "embedded"})
    return dict(json.loads(path.read_text()))


def category_of(written: dict[str, Any]) -> list[str]:
    message = written.get("statusDetails", {}).get("message", "")
    return [
        c["name"]
        for c in CATEGORIES
        if written["status"] in c["matchedStatuses"] and re.fullmatch(c["messageRegex"], message)  # as Allure 2 does
    ]


def test_a_failure_stays_failed_named_as_the_matrix_names_it(tmp_path: Path) -> None:
    written = finished(tmp_path, Status.FAILED, reason="expected: 204 — received: HTTP 200")
    assert written["name"] == "A-ONE[json] — A logout answers 204"
    assert written["status"] == "failed"
    assert written["statusDetails"] == {"message": "FAILED: expected: 204 — received: HTTP 200", "trace": EVIDENCE}
    assert category_of(written) == ["Failures: a MUST the target broke"]


def test_a_finding_is_a_muted_failure(tmp_path: Path) -> None:
    written = finished(tmp_path, Status.WARNING, reason="expected: 204 — received: HTTP 200")
    assert (written["status"], written["statusDetails"]["muted"]) == ("failed", True)
    assert category_of(written) == ["Findings: a SHOULD the target did not meet"]


def test_a_waived_failure_is_a_known_one_and_says_its_waiver(tmp_path: Path) -> None:
    written = finished(tmp_path, Status.WAIVED, reason="known advisory of this release: GHSA-xw72")
    assert (written["status"], written["statusDetails"]["known"]) == ("failed", True)
    message = written["statusDetails"]["message"]
    assert message == "WAIVED: expected: 204 — received: HTTP 200 (waived: known advisory of this release: GHSA-xw72)"
    assert category_of(written) == ["Waived: failures a waiver expected (known advisories)"]


def test_an_error_is_broken_and_a_pass_falls_in_no_category(tmp_path: Path) -> None:
    assert finished(tmp_path, Status.ERROR, reason="precondition not met: a login")["status"] == "broken"
    passed = finished(tmp_path, Status.PASSED)
    assert passed["status"] == "passed" and category_of(passed) == []


def test_the_run_s_environment_and_categories_lie_beside_the_results(tmp_path: Path) -> None:
    finished(tmp_path, Status.PASSED)
    assert (tmp_path / "environment.properties").read_text() == "Target=embedded\n"
    assert json.loads((tmp_path / "categories.json").read_text()) == CATEGORIES
