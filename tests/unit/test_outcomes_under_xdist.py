"""Under pytest-xdist, as every run is: a check's status is decided once, and a failure is a failure (not an error)
in matrix.json, a precondition is an error that says which, and a hypothesis failure that does not reproduce keeps
its first evidence."""

from __future__ import annotations

import json
from pathlib import Path

from tests.xdist_runs import run_with_workers

CHECKS = """
from hypothesis import given, settings, strategies as st

from conformance.checks.api import check, expect, received, require

attempts = []


@check("TEST-BROKEN", level="MUST", title="broken", refs=["x"])
def test_broken():
    expect(False, "a behaviour the target breaks")


@check("TEST-FINDING", level="SHOULD", title="finding", refs=["x"])
def test_finding():
    expect(False, "what the target should do")


@check("TEST-PRECONDITION", level="MUST", title="precondition", refs=["x"])
def test_precondition():
    require(False, "the persona logs in")


@check("TEST-NO-COOKIE", level="MUST", title="no cookie", refs=["x"])
def test_no_cookie():
    received(None, "a session login sets the directus_session_token cookie")


@check("TEST-CRASH", level="MUST", title="crash", refs=["x"])
def test_crash():
    {}["data"]


@check("TEST-FLAKY", level="MUST", title="first attempt changed the state", refs=["x"])
@settings(max_examples=5, database=None, derandomize=True)
@given(st.integers())
def test_flaky(n):
    attempts.append(n)
    expect(len(attempts) > 1, "the first attempt is refused")


@check("TEST-FINE", level="MUST", title="fine", refs=["x"])
def test_fine():
    expect(True, "nothing")
"""


def test_statuses_cross_from_the_workers_intact(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    done = run_with_workers(tmp_path, CHECKS, 2, "--reports", str(reports), "--assert=plain")
    assert done.returncode == 1, done.stdout + done.stderr
    results = json.loads((reports / "matrix.json").read_text())["results"]["default"]
    assert {instance: result["status"] for instance, result in results.items()} == {
        "TEST-BROKEN": "failed",
        "TEST-FINDING": "warning",
        "TEST-PRECONDITION": "error",
        "TEST-NO-COOKIE": "error",
        "TEST-CRASH": "error",
        "TEST-FLAKY": "failed",
        "TEST-FINE": "passed",
    }
    assert results["TEST-PRECONDITION"]["reason"] == "precondition not met: the persona logs in"
    assert results["TEST-FLAKY"]["reason"] == "expected: the first attempt is refused"
    assert "Traceback" not in results["TEST-FLAKY"]["detail"]
    assert " 1 finding" in done.stdout or "1 finding" in done.stdout
