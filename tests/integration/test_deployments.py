"""The embedded Directus with documented settings users run: the suite learns them and raises no false alarm."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

CLI = [sys.executable, "-m", "conformance.cli"]


def run_embedded(reports: Path, *settings: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    command = [*CLI, "run", "--reports", str(reports)]
    for setting in settings:
        command += ["--directus-env", setting]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    matrix = json.loads((reports / "matrix.json").read_text()) if (reports / "matrix.json").exists() else {}
    return done, matrix


def test_renamed_cookies_are_learnt_and_every_check_holds(tmp_path: Path) -> None:
    done, matrix = run_embedded(tmp_path, "REFRESH_TOKEN_COOKIE_NAME=acme_refresh", "SESSION_COOKIE_NAME=acme_session")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "cookies: refresh acme_refresh, session acme_session (learnt from the logins' Set-Cookie)" in done.stdout
    facts = matrix["targets"][0]["facts"]
    assert (facts["refresh_cookie"], facts["session_cookie"]) == ("acme_refresh", "acme_session")
    statuses = {result["status"] for result in matrix["results"]["embedded"].values()}
    assert statuses == {"passed", "warning"}, statuses


def test_with_password_login_off_the_checks_that_log_in_skip_with_one_reason(tmp_path: Path) -> None:
    done, matrix = run_embedded(tmp_path, "AUTH_DISABLE_DEFAULT=true")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "password login: disabled (GET /auth: disableDefault)" in done.stdout
    results = matrix["results"]["embedded"].values()
    skipped = [result for result in results if result["status"] == "skipped"]
    assert skipped and {result["reason"].split(":")[0] for result in skipped} == {
        "password login is disabled on the target (GET /auth answers disableDefault"
    }
    assert not [result for result in results if result["status"] in ("failed", "error")]
    assert matrix["targets"][0]["facts"]["password_login"] == "false"


def test_on_postgresql_every_check_holds_and_the_database_goes_with_the_run(tmp_path: Path) -> None:
    command = [*CLI, "run", "--database", "postgres", "--reports", str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "directus target: database: pg" in done.stdout
    matrix = json.loads((tmp_path / "matrix.json").read_text())
    assert matrix["targets"][0]["database"] == "pg"
    statuses = {result["status"] for result in matrix["results"]["embedded"].values()}
    assert statuses == {"passed", "warning"}, statuses
    leftovers = subprocess.run(["pgrep", "-f", "directus-conformance-pg-"], capture_output=True, text=True)
    assert leftovers.stdout == "", leftovers.stdout  # the throwaway PostgreSQL was stopped by its PID
