"""Target resolution: command line over environment over defaults, and clear errors for what cannot work."""

from __future__ import annotations

import pytest

from conformance.config import DEFAULT_SESSION_GRACE_S, ConfigError, resolve_target


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
            "embedded": True,
        },
        {},
    )
    assert target is not None
    assert (target.session_grace_period_s, target.refresh_ttl_s, target.max_wait_s, target.embedded) == (2, 60, 5, True)
