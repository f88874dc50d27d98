"""Safe to point at anyone's server: bad configurations end in one line and exit 2, TLS is opt-in, nothing is left
behind by an interrupted run, and the read-only profile writes nothing."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import trustme

from conformance.embedded import EmbeddedDirectus
from tests.integration.fake_targets import canned_server, failing_behind_ping, html_page, rate_limited, silent_server
from tests.mutants.proxy import FaultProxy, Mutant, Upstream

CLI = [sys.executable, "-m", "conformance.cli"]
Arguments = Callable[[EmbeddedDirectus, ExitStack, Path], list[str]]


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("DIRECTUS_")}


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
