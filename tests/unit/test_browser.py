"""The browser's pieces that need no browser: finding Chromium, the foreign site's host, and what the transcript
shows of cookies, bodies and sent headers (redacted)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from conformance.browser import Fetched, ForeignSite, Jar, Sent, find_chromium, foreign_host
from conformance.errors import ConfigError
from conformance.redaction import MASK


def executable(path: Path) -> Path:
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_a_given_browser_is_used_and_a_missing_one_is_a_config_error(tmp_path: Path) -> None:
    chrome = executable(tmp_path / "chrome")
    assert find_chromium(str(chrome)) == chrome
    with pytest.raises(ConfigError, match="no browser at"):
        find_chromium(str(tmp_path / "missing"))


def test_without_a_given_browser_the_first_chromium_on_the_path_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("conformance.browser.CHROMIUMS", ("chromium", "google-chrome"))
    assert find_chromium(None) is None
    chrome = executable(tmp_path / "google-chrome")
    assert find_chromium(None) == chrome


def test_the_foreign_page_is_on_another_site_of_loopback() -> None:
    assert foreign_host("http://127.0.0.1:8055") == "localhost"
    assert foreign_host("http://localhost:8055") == "127.0.0.1"
    assert foreign_host("https://cms.example.com/directus") == "localhost"


def test_the_foreign_pages_of_a_target_on_loopback_are_of_another_site_and_of_its_site() -> None:
    with ForeignSite("http://127.0.0.1:8055") as site:
        assert site.url.startswith("http://localhost:") and site.same_site_url
        assert site.same_site_url.startswith("http://127.0.0.1:") and not site.same_site_url.endswith(":8055/")
    with ForeignSite("https://cms.example.com") as remote:
        assert remote.same_site_url is None


def test_an_emptied_cookie_holds_nothing_and_values_never_show() -> None:
    jar = Jar(
        {
            "directus_session_token": {"value": "", "httpOnly": True},
            "directus_refresh_token": {"value": "s3cr3t-refresh", "httpOnly": True, "sameSite": "Lax"},
        }
    )
    assert not jar.holds("directus_session_token") and jar.holds("directus_refresh_token")
    assert not jar.holds("absent")
    assert "s3cr3t-refresh" not in jar.line() and "value empty" in jar.line()


def test_what_the_browser_sent_is_told_by_name_with_values_masked() -> None:
    sent = Sent("other=1; directus_session_token=eyJhbGciOi.x.y", {"directus_refresh_token": ["SameSiteLax"]})
    assert sent.carries("directus_session_token") and not sent.carries("directus_refresh_token")
    assert "eyJhbGciOi" not in sent.line() and f"directus_session_token={MASK}" in sent.line()
    assert "directus_refresh_token (SameSiteLax)" in sent.line()


def test_a_fetched_body_is_shown_with_its_secrets_masked() -> None:
    body = '{"data":{"access_token":"eyJhbGciOiJIUzI1NiJ9.eyJpZCI6IjEifQ.sig","expires":900}}'
    shown = Fetched(200, "basic", body, "").line()
    assert "eyJ" not in shown and MASK in shown and "900" in shown
    assert Fetched(None, "error", "", "TypeError: Failed to fetch").line().startswith("refused to the page")
