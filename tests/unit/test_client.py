"""Parsing what Directus answers (error codes, Set-Cookie attributes, cleared cookies), and the shared TLS set-up."""

from __future__ import annotations

import ssl

import httpx

from conformance.client import error_code, set_cookies, tls_context


def response(status: int, *, json: object = None, cookies: list[str] = ()) -> httpx.Response:  # type: ignore[assignment]
    headers = [("set-cookie", c) for c in cookies]
    return httpx.Response(status, json=json, headers=headers, request=httpx.Request("GET", "http://x.example.com"))


def test_error_code_reads_the_first_error() -> None:
    body = {"errors": [{"message": "m", "extensions": {"code": "FORBIDDEN"}}]}
    assert error_code(response(403, json=body)) == "FORBIDDEN"
    assert error_code(response(200, json={"data": []})) is None
    assert error_code(httpx.Response(502, text="<html>bad gateway</html>")) is None


def test_set_cookie_attributes_are_parsed() -> None:
    raw = (
        "directus_refresh_token=abc; Max-Age=604800; Path=/; Expires=Sat, 05 Dec 2026 10:00:00 GMT; HttpOnly; "
        "SameSite=Lax"
    )
    cookie = set_cookies(response(200, cookies=[raw]))["directus_refresh_token"]
    assert cookie.value == "abc" and cookie.max_age == 604800
    assert cookie.has("httponly") and not cookie.has("secure")
    assert cookie.attributes["samesite"] == "Lax" and cookie.attributes["path"] == "/"
    assert not cookie.is_cleared  # Max-Age decides over an Expires already past (RFC 6265 §5.3): the browser keeps it


def test_an_emptied_or_expired_cookie_is_cleared() -> None:
    emptied = "directus_session_token=; Max-Age=86400; Path=/; HttpOnly; SameSite=Lax"
    expired = "directus_session_token=old; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
    zero = "directus_session_token=old; Max-Age=0; Path=/"
    for raw in (emptied, expired, zero):
        assert set_cookies(response(204, cookies=[raw]))["directus_session_token"].is_cleared, raw


def test_several_cookies_in_one_response() -> None:
    cookies = set_cookies(response(200, cookies=["a=1; Path=/", "b=2; Secure"]))
    assert set(cookies) == {"a", "b"} and cookies["b"].has("secure")


def test_a_cookie_expiring_in_the_future_is_not_cleared_and_one_in_the_past_is() -> None:
    future = "directus_refresh_token=v; Path=/; Expires=Fri, 01 Jan 2100 00:00:00 GMT"
    past = "directus_refresh_token=v; Path=/; Expires=Sun, 01 Jan 2023 00:00:00 GMT"
    assert not set_cookies(response(200, cookies=[future]))["directus_refresh_token"].is_cleared
    assert set_cookies(response(200, cookies=[past]))["directus_refresh_token"].is_cleared


def test_clients_share_one_tls_context_per_verification_setting() -> None:
    verified, unverified = tls_context(True), tls_context(False)
    assert tls_context(True) is verified and tls_context(False) is unverified
    assert verified.verify_mode == ssl.CERT_REQUIRED and verified.check_hostname
    assert unverified.verify_mode == ssl.CERT_NONE and not unverified.check_hostname
