"""Target resolution: command line over environment over defaults, and clear errors for what cannot work."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from conformance.config import DEFAULT_SESSION_GRACE_S, AdminCredentials, Target, resolve_target
from conformance.errors import ConfigError
from conformance.pytest.workers import REMOTE_WORKERS, default_workers


def test_no_base_url_means_the_embedded_default() -> None:
    assert resolve_target({}, {}) is None


def test_command_line_wins_over_environment() -> None:
    target = resolve_target(
        {"base_url": "http://cli.example.com", "admin_token": "from-cli"},
        {"DIRECTUS_URL": "http://env.example.com", "DIRECTUS_ADMIN_TOKEN": "from-env"},
    )
    assert target is not None
    assert (target.base_url, target.admin.token) == ("http://cli.example.com", "from-cli")


def test_environment_fills_what_the_command_line_leaves_out() -> None:
    target = resolve_target(
        {"base_url": None},
        {
            "PYTEST_BASE_URL": "https://d.example.com/",
            "DIRECTUS_ADMIN_EMAIL": "a@example.com",
            "DIRECTUS_ADMIN_PASSWORD": "pw",
        },
    )
    assert target is not None
    assert target.base_url == "https://d.example.com"
    assert (target.admin.email, target.admin.password, target.admin.token) == ("a@example.com", "pw", None)
    assert target.session_grace_period_s == DEFAULT_SESSION_GRACE_S


def test_directus_url_is_preferred_over_pytest_base_url() -> None:
    target = resolve_target({}, {"DIRECTUS_URL": "http://a.example.com", "PYTEST_BASE_URL": "http://b.example.com"})
    assert target is not None and target.base_url == "http://a.example.com"


@pytest.mark.parametrize("url", ["ftp://x.example.com", "not a url", "http://", "localhost:8055"])
def test_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="not an http"):
        resolve_target({"base_url": url}, {})


def test_an_email_without_a_password_is_refused() -> None:
    with pytest.raises(ConfigError, match="both --admin-email and --admin-password"):
        resolve_target({"base_url": "http://x.example.com", "admin_email": "a@example.com"}, {})


def test_target_facts_from_the_command_line() -> None:
    target = resolve_target(
        {
            "base_url": "http://x.example.com",
            "session_grace_period": 2,
            "refresh_ttl": 60,
            "max_wait": 5,
            "embedded_target": True,
        },
        {},
    )
    assert target is not None
    assert (target.session_grace_period_s, target.refresh_ttl_s, target.max_wait_s, target.embedded) == (2, 60, 5, True)


def test_named_targets_take_their_token_from_their_own_variable() -> None:
    from conformance.config import AdminCredentials, parse_target_spec

    target = parse_target_spec(
        "staging=https://s.example.com", {"DIRECTUS_ADMIN_TOKEN_STAGING": "t1"}, AdminCredentials("global")
    )
    assert (target.name, target.base_url, target.admin.token) == ("staging", "https://s.example.com", "t1")
    other = parse_target_spec("prod-eu=https://p.example.com", {}, AdminCredentials("global"))
    assert other.admin.token == "global"
    with pytest.raises(ConfigError, match="NAME=URL"):
        parse_target_spec("https://p.example.com", {}, AdminCredentials())


def test_a_targets_file_names_secrets_by_environment_variable(tmp_path: Path) -> None:
    from conformance.config import load_targets_file

    path = tmp_path / "targets.toml"
    path.write_text(
        '[targets.staging]\nbase_url = "https://s.example.com"\nadmin_token_env = "S_TOKEN"\nsession_grace_period = 5\n'
    )
    [target] = load_targets_file(path, {"S_TOKEN": "secret"})
    assert (target.name, target.admin.token, target.session_grace_period_s) == ("staging", "secret", 5)
    with pytest.raises(ConfigError, match="S_TOKEN"):
        load_targets_file(path, {})
    path.write_text('[targets.bad]\nbase_url = "https://b.example.com"\nadmin_token = "inline"\n')
    with pytest.raises(ConfigError, match="stores a secret"):
        load_targets_file(path, {})


def test_workers_default_to_the_cores_for_an_embedded_target_and_to_more_for_a_remote_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    remote = Target(base_url="https://cms.example.com", admin=AdminCredentials(token="t"))
    assert default_workers(replace(remote, embedded=True)) == 4
    assert default_workers(remote) == REMOTE_WORKERS > 4


@pytest.mark.parametrize(
    ("url", "verify", "said"),
    [
        ("http://127.0.0.1:8055", True, "http://127.0.0.1:8055"),
        ("https://d.example/x", True, "https://d.example/x (TLS, trusting the system's trust store)"),
        ("https://d.example/x", "/tmp/ca.pem", "https://d.example/x (TLS, trusting the CA in /tmp/ca.pem)"),
        ("https://d.example/x", False, "https://d.example/x (TLS, trusting nothing: not verified (--insecure))"),
    ],
)
def test_the_run_says_where_it_reaches_the_target_and_whom_it_trusts(url: str, verify: bool | str, said: str) -> None:
    assert Target(url, verify=verify).connection == said
