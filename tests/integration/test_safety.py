"""Safe to point at anyone's server: bad configurations end in one line and exit 2, TLS is opt-in, nothing is left
behind by an interrupted run, and the read-only profile writes nothing."""

from __future__ import annotations

import os
import re
import secrets
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import trustme

from conformance.admin import Admin
from conformance.embedded import EmbeddedDirectus
from tests.integration.fake_targets import canned_server, failing_behind_ping, html_page, rate_limited, silent_server
from tests.integration.processes import directus_processes_on_port
from tests.leaks import leaked
from tests.mutants.proxy import FaultProxy, Mutant, Upstream
from tests.target_state import snapshot

CLI = [sys.executable, "-m", "conformance.cli"]
Arguments = Callable[[EmbeddedDirectus, ExitStack, Path], list[str]]


def clean_env() -> dict[str, str]:
    """No target settings from the environment (the harness's own install cache stays)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("DIRECTUS_") or k == "DIRECTUS_CONFORMANCE_CACHE"}


@contextmanager
def tls_proxy(embedded: EmbeddedDirectus, ca_file: Path) -> Iterator[str]:
    """HTTPS in front of the embedded Directus, with a certificate from a CA nobody trusts (written to ca_file)."""
    authority = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(context)
    authority.cert_pem.write_to_path(str(ca_file))
    upstream = Upstream(embedded.settings.base_url, embedded.settings.admin_token, embedded.settings.secret)
    with FaultProxy(upstream, Mutant(), tls=context) as proxy:
        yield proxy.base_url


def admin(embedded: EmbeddedDirectus) -> list[str]:
    return ["--admin-token", embedded.settings.admin_token]


BAD_CONFIGURATIONS: list[tuple[str, Arguments, str]] = [
    ("connection refused", lambda e, s, t: ["--base-url", "http://127.0.0.1:9", *admin(e)], "connection refused by"),
    ("unknown host", lambda e, s, t: ["--base-url", "http://no-such-host.invalid", *admin(e)], "unknown host"),
    ("timeout", lambda e, s, t: ["--base-url", s.enter_context(silent_server()), *admin(e)], "no answer from"),
    (
        "not Directus (an HTML page)",
        lambda e, s, t: ["--base-url", s.enter_context(canned_server(html_page)), *admin(e)],
        "does not look like Directus",
    ),
    (
        "Directus under a wrong path",
        lambda e, s, t: ["--base-url", f"{e.settings.base_url}/admin", *admin(e)],
        "not under /admin",
    ),
    (
        "wrong admin password",
        lambda e, s, t: [
            "--base-url",
            e.settings.base_url,
            "--admin-email",
            e.settings.admin_email,
            "--admin-password",
            "not-the-password",
        ],
        "the admin login was refused",
    ),
    (
        "invalid admin token",
        lambda e, s, t: ["--base-url", e.settings.base_url, "--admin-token", "not-a-token"],
        "the admin token was refused",
    ),
    (
        "untrusted TLS certificate",
        lambda e, s, t: ["--base-url", s.enter_context(tls_proxy(e, t / "ca.pem")), *admin(e)],
        "is not trusted",
    ),
    ("malformed URL", lambda e, s, t: ["--base-url", "not a url", *admin(e)], "not an http(s) URL"),
    ("missing credentials", lambda e, s, t: ["--base-url", e.settings.base_url], "no admin credentials"),
    (
        "half the credentials",
        lambda e, s, t: ["--base-url", e.settings.base_url, "--admin-email", "a@example.com"],
        "give both --admin-email",
    ),
    (
        "429 Too Many Requests",
        lambda e, s, t: ["--base-url", s.enter_context(canned_server(rate_limited)), *admin(e)],
        "keeps answering 429",
    ),
    (
        "5xx to the admin",
        lambda e, s, t: ["--base-url", s.enter_context(canned_server(failing_behind_ping)), *admin(e)],
        "answered HTTP 500 to GET /users/me",
    ),
]


@pytest.mark.parametrize(("cause", "arguments", "message"), BAD_CONFIGURATIONS, ids=[c[0] for c in BAD_CONFIGURATIONS])
def test_a_bad_configuration_ends_in_one_line_and_exit_2(
    embedded: EmbeddedDirectus, tmp_path: Path, cause: str, arguments: Arguments, message: str
) -> None:
    with ExitStack() as stack:
        command = [*CLI, "run", "--reports", str(tmp_path / "reports"), *arguments(embedded, stack, tmp_path)]
        started = time.monotonic()
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, env=clean_env())
        elapsed = time.monotonic() - started
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    print(f"{cause}: {lines[-1] if lines else '(nothing)'} [exit {result.returncode}, {elapsed:.1f} s]")
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert elapsed < 10
    assert embedded.settings.admin_token not in result.stderr + result.stdout


@pytest.mark.parametrize("opt_in", ["--ca-bundle", "--insecure"])
def test_an_untrusted_certificate_is_accepted_only_when_asked(
    embedded: EmbeddedDirectus, tmp_path: Path, opt_in: str
) -> None:
    ca_file = tmp_path / "ca.pem"
    with tls_proxy(embedded, ca_file) as base_url:
        flag = [opt_in, str(ca_file)] if opt_in == "--ca-bundle" else [opt_in]
        command = [*CLI, "run", "--base-url", base_url, *admin(embedded), *flag, "--reports", str(tmp_path / "r")]
        command += ["--", "-k", "test_anonymous_me_is_unauthorized or test_unknown_token_is_refused"]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, env=clean_env())
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "3 passed" in result.stdout


def activity_count(admin: Admin) -> int:
    rows = admin.get("/activity", **{"aggregate[count]": "*"})
    return int(rows[0]["count"])


ANONYMOUS_ADVISORY_CHECKS = {
    "UTILS-HASH-NEEDS-AUTH": "GHSA-xw72-c69j-h2rj",
    "GQL-AUTH-MUTATION-ONCE": "GHSA-g293-vf99-xv36",
}
"""The known advisories of the embedded release (11.17.4) that the read-only profile finds: anonymous probes."""
PERSONA_ADVISORY_CHECKS = {"SOCKET-FOREIGN-ORIGIN-REFUSED": "GHSA-mww8-4gwh-rjfw"}
"""And with a persona, whose login shows which WebSocket doors are open (GET /server/info): an anonymous upgrade."""


def check_outcomes(junit: Path) -> dict[str, set[str]]:
    """Check IDs by outcome (passed, skipped, failed) from a run's junit.xml."""
    outcomes: dict[str, set[str]] = {"passed": set(), "skipped": set(), "failed": set()}
    for case in ET.parse(junit).getroot().iter("testcase"):
        check_id = next(p.get("value") for p in case.iter("property") if p.get("name") == "check_id")
        if case.find("skipped") is not None:
            outcomes["skipped"].add(str(check_id))
        elif case.find("failure") is not None or case.find("error") is not None:
            outcomes["failed"].add(str(check_id))
        else:
            outcomes["passed"].add(str(check_id))
    return outcomes


@pytest.fixture
def own_account(admin: Admin) -> Iterator[tuple[str, str]]:
    """A user of the target's own (not made by the suite): what a read-only user passes as --persona-email."""
    email, password = f"own-{secrets.token_hex(4)}@example.com", secrets.token_urlsafe(16)
    user = admin.call("POST", "/users", action="create a user", json={"email": email, "password": password})
    yield email, password
    admin.call("DELETE", f"/users/{user['id']}", action="delete the user")


@pytest.mark.parametrize("with_persona", [False, True], ids=["no persona", "own persona"])
def test_the_readonly_profile_needs_no_admin_and_writes_nothing(
    embedded: EmbeddedDirectus, admin: Admin, tmp_path: Path, own_account: tuple[str, str], with_persona: bool
) -> None:
    before, activity = snapshot(admin), activity_count(admin)
    env = clean_env()
    command = [*CLI, "run", "--profile", "readonly", "--base-url", embedded.settings.base_url]
    command += [
        "--reports",
        str(tmp_path),
        "--session-grace-period",
        str(embedded.settings.session_refresh_grace_period_s),
    ]
    if with_persona:
        command += ["--persona-email", own_account[0]]
        env["DIRECTUS_PERSONA_PASSWORD"] = own_account[1]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env)
    outcomes = check_outcomes(tmp_path / "junit.xml")
    # what a production server would be asked safely: the advisories of 11.17.4 that anonymous probes show
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-2000:]
    found = ANONYMOUS_ADVISORY_CHECKS | (PERSONA_ADVISORY_CHECKS if with_persona else {})
    assert outcomes["failed"] == set(found), outcomes["failed"]
    summary = (tmp_path / "summary.md").read_text()
    assert all(f"affected by {advisory} (" in summary for advisory in found.values())
    assert snapshot(admin) == before
    assert {"ANON-ME-401", "ANON-SYSTEM-403", "BADTOKEN-UNKNOWN-401", "REFRESH-UNKNOWN-401"} <= outcomes["passed"]
    assert {"OWNERSHIP-LIST", "STATIC-REGENERATION", "OAS-NO-5XX"} <= outcomes["skipped"]
    assert "read-only profile" in summary
    lifecycle = {"REFRESH-SINGLE-USE", "LOGOUT-REVOKES", "LIFECYCLE-STATE-MACHINE", "PROP-ACCESS-TOKEN-MUTATED"}
    if with_persona:  # its own logins write its sessions (and login activity): the only writes, all on that user
        assert lifecycle <= outcomes["passed"]
    else:
        assert lifecycle <= outcomes["skipped"]
        assert activity_count(admin) == activity  # not a single login, not a single write
    assert own_account[1] not in result.stdout + result.stderr


def test_an_interrupted_run_leaves_nothing_behind(embedded: EmbeddedDirectus, admin: Admin, tmp_path: Path) -> None:
    """Ctrl-C (SIGINT to the run's process group) after the seed, in the middle of the checks."""
    before, tag = snapshot(admin), f"int{secrets.token_hex(3)}"
    env = {**clean_env(), "DIRECTUS_ADMIN_TOKEN": embedded.settings.admin_token}
    command = [*CLI, "run", "--base-url", embedded.settings.base_url, "--run-tag", tag, "--reports", str(tmp_path)]
    process = subprocess.Popen(
        command, env=env, preexec_fn=like_a_terminal, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    handle = Path(tempfile.gettempdir()) / f"directus-conformance-run-{tag}" / "cast.json"
    wait_for(handle.exists, timeout=180, what="the seed")
    time.sleep(5)  # well into the checks
    os.killpg(process.pid, signal.SIGINT)
    _, console = process.communicate(timeout=120)
    assert process.returncode == 2
    assert snapshot(admin) == before
    assert not handle.parent.exists()
    known = [embedded.settings.admin_token, embedded.settings.admin_password]
    assert not leaked(known, tmp_path, console.decode(errors="replace"))


def test_an_interrupted_embedded_run_stops_its_directus(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [*CLI, "run", "--reports", str(tmp_path)],
        env=clean_env(),
        preexec_fn=like_a_terminal,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    port = None
    deadline = time.monotonic() + 300
    while port is None and time.monotonic() < deadline:
        match = re.search(r"Starting Directus \S+ on http://127\.0\.0\.1:(\d+)", process.stderr.readline())
        port = int(match.group(1)) if match else None
    assert port is not None and directus_processes_on_port(port)
    # Into the checks: once a check's result is written, the token-expiry check (started with the first) keeps the run
    # going for 6 s more. A fixed sleep hit runs at another stage as they got faster (8 s after the server answered,
    # a 12 s run was exiting and died of the signal instead of exiting 2).
    results = tmp_path / "allure-results"
    wait_for(lambda: any(results.glob("*-result.json")), timeout=120, what="a check's result")
    os.killpg(process.pid, signal.SIGINT)
    assert process.wait(timeout=120) == 2
    assert directus_processes_on_port(port) == []


def test_an_embedded_directus_that_cannot_start_ends_in_exit_2(embedded: EmbeddedDirectus, tmp_path: Path) -> None:
    """It boots while pytest starts; if it never answers, no check runs, no report is written, the CLI says why.
    (`embedded` makes sure the install exists: npm must not run with this NODE_OPTIONS.)"""
    env = clean_env() | {"NODE_OPTIONS": "--require=/nonexistent-preload.js"}  # node exits before Directus loads
    result = subprocess.run([*CLI, "run", "--reports", str(tmp_path)], capture_output=True, text=True, env=env)
    assert result.returncode == 2, result.stderr
    assert "error: Directus exited with code 1 while starting" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout and "INTERNALERROR" not in result.stdout
    assert not (tmp_path / "matrix.json").exists()


def like_a_terminal() -> None:
    """In the child: its own process group (what Ctrl-C signals), with SIGINT acted on even when this test runs in
    the background, where the shell makes children ignore it."""
    os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)
