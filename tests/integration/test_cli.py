"""The command line on the real embedded Directus: serve, run against a running server, exit codes."""

from __future__ import annotations

import json
import select
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.embedded.install import ensure_installed
from conformance.embedded.known_advisories import KNOWN_ADVISORIES_FILE
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
    """`directus-conformance serve`, its JSON line, and a proof that SIGTERM leaves no node process. The release is
    installed first: on a clean cache that takes minutes (beside the proofs' prefetch), and is not what this tests."""
    ensure_installed()
    process = subprocess.Popen([*CLI, "serve"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    facts = json.loads(first_line(process, timeout=120))
    yield facts
    process.send_signal(signal.SIGTERM)
    assert process.wait(20) == 0
    assert directus_processes_on_port(facts["port"]) == []


def test_serve_prints_its_facts_first_and_answers_ping(served: dict[str, Any]) -> None:
    assert set(SERVE_FACTS) <= set(served)
    assert httpx.get(f"{served['base_url']}/server/ping").text == "pong"


def run_against(served: dict[str, Any], reports: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """`directus-conformance run` against the served Directus, its reports in `reports`, its release's known
    advisories waived (as they are for the embedded default)."""
    target = ["--base-url", served["base_url"], "--admin-token", served["admin_token"]]
    target += ["--waivers", str(KNOWN_ADVISORIES_FILE)]
    grace = ["--session-grace-period", str(served["session_refresh_grace_period_s"])]
    command = [*CLI, "run", *target, *grace, "--reports", str(reports), *options]
    return subprocess.run(command, capture_output=True, text=True, timeout=600)


def test_run_against_a_running_server_is_conformant(served: dict[str, Any], tmp_path: Path) -> None:
    result = run_against(served, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    cases = ET.parse(tmp_path / "junit.xml").getroot().iter("testcase")
    properties = [{p.get("name"): p.get("value") for p in case.iter("property")} for case in cases]
    assert len(properties) > 100 and all(p.get("check_id") and p.get("level") and p.get("refs") for p in properties)
    assert served["admin_token"] not in result.stdout + result.stderr


OTHER_CAST = """
collection: articles
member_role: Writer
member_policy: Writer policy
admin_role: Editor in chief
admin_policy: Editor in chief policy
roles: {owner: alice, member: bob, reader: dana}
member_permissions:
  - {action: read, filter: {author: {_eq: $CURRENT_USER}}}
  - {action: update, filter: {author: {_eq: $CURRENT_USER}}}
  - {action: delete, filter: {author: {_eq: $CURRENT_USER}}}
users:
  - {key: eve, first_name: Eve, email: eve@example.com, role: admin}
  - {key: alice, first_name: Alice, email: alice@example.com, role: member}
  - {key: bob, first_name: Bob, email: bob@example.com, role: member}
  - {key: dana, first_name: Dana, email: dana@example.com, role: member}
posts:
  - {title: "Alice on refresh tokens", author: alice}
  - {title: "Alice on sessions", author: alice}
  - {title: "Bob's first article", author: bob}
  - {title: "Eve's editorial", author: eve}
"""


def test_a_cast_of_other_people_is_checked_alike(served: dict[str, Any], tmp_path: Path) -> None:
    """The checks ask for parts (owner, member, reader), never for names: a cast without Beth, Carmen or Mike."""
    cast = tmp_path / "cast.yaml"
    cast.write_text(OTHER_CAST)
    result = run_against(served, tmp_path / "reports", "--fixture-file", str(cast))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    results = json.loads((tmp_path / "reports" / "matrix.json").read_text())["results"]["default"]
    assert results["OWNERSHIP-LIST[alice-access_token]"]["status"] == "passed"
    assert results["SESSION-COOKIE-OWNERSHIP"]["status"] == "passed"
    assert results["WRITE-NEW-POST-IS-THE-CALLERS"]["status"] == "skipped"  # its members may write nothing
    assert not any("beth" in instance or "mike" in instance for instance in results)


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
            beth = loader.seed().playing("owner")
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
