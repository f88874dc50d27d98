"""The command line on the real embedded Directus: serve, run against a running server, exit codes."""

from __future__ import annotations

import json
import select
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.embedded.settings import SERVE_FACTS
from tests.integration.processes import directus_processes_on_port

CLI = [sys.executable, "-m", "conformance.cli"]


def first_line(process: subprocess.Popen[str], timeout: float) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    assert ready, f"no line on stdout within {timeout} s"
    return process.stdout.readline()


@pytest.fixture(scope="module")
def served() -> Iterator[dict[str, Any]]:
    """`directus-conformance serve`, its JSON line, and a proof that SIGTERM leaves no node process."""
    process = subprocess.Popen([*CLI, "serve"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    started = time.monotonic()
    facts = json.loads(first_line(process, timeout=120))
    facts["seconds_to_json"] = time.monotonic() - started
    yield facts
    process.send_signal(signal.SIGTERM)
    assert process.wait(20) == 0
    assert directus_processes_on_port(facts["port"]) == []


def test_serve_prints_its_facts_first_and_answers_ping(served: dict[str, Any]) -> None:
    assert set(SERVE_FACTS) <= set(served)
    assert httpx.get(f"{served['base_url']}/server/ping").text == "pong"


def test_run_against_a_running_server_is_conformant(served: dict[str, Any], tmp_path: Path) -> None:
    result = subprocess.run(
        [
            *CLI,
            "run",
            "--base-url",
            served["base_url"],
            "--admin-token",
            served["admin_token"],
            "--session-grace-period",
            str(served["session_refresh_grace_period_s"]),
            "--reports",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    cases = ET.parse(tmp_path / "junit.xml").getroot().iter("testcase")
    properties = [{p.get("name"): p.get("value") for p in case.iter("property")} for case in cases]
    assert len(properties) > 100 and all(p.get("check_id") and p.get("level") and p.get("refs") for p in properties)
    assert served["admin_token"] not in result.stdout + result.stderr


def test_a_wrong_admin_token_exits_2(served: dict[str, Any]) -> None:
    result = subprocess.run(
        [*CLI, "run", "--base-url", served["base_url"], "--admin-token", "wrong"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and "admin token was refused" in result.stderr


def test_a_fixture_file_that_is_no_cast_exits_2_in_one_line(served: dict[str, Any], tmp_path: Path) -> None:
    fixture, reports = tmp_path / "missing.yaml", tmp_path / "reports"
    command = [*CLI, "run", "--base-url", served["base_url"], "--admin-token", served["admin_token"]]
    result = subprocess.run(
        [*command, "--fixture-file", str(fixture), "--reports", str(reports)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 2, output
    assert "--fixture-file" in output and "cannot read it" in output and "Traceback" not in output, output
    assert not (reports / "junit.xml").exists()


def test_a_token_without_admin_access_exits_2(served: dict[str, Any]) -> None:
    from conformance.admin import Admin
    from conformance.client import DirectusClient
    from conformance.config import AdminCredentials
    from conformance.seeding import Loader, load_fixture

    with DirectusClient(served["base_url"]) as client:
        loader = Loader(Admin(client, AdminCredentials(token=served["admin_token"])), load_fixture(), "notadmin1")
        try:
            beth = loader.seed().personas["beth"]
            result = subprocess.run(
                [*CLI, "run", "--base-url", served["base_url"], "--admin-token", beth.static_token],
                capture_output=True,
                text=True,
                timeout=30,
            )
        finally:
            loader.clean()
    assert result.returncode == 2 and "without admin access" in result.stderr
    assert beth.static_token not in result.stderr
