"""No secret survives a rendering: JWTs, token parameters, cookie values, secret JSON keys, registered secrets."""

from __future__ import annotations

import json

import httpx

from conformance.evidence import describe_request
from conformance.redaction import MASK, redact_body, redact_data, redact_headers, redact_text, register_secret

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJpZCI6IjEyMyJ9.c2lnbmF0dXJl"


def test_jwts_and_token_parameters_are_masked_in_text() -> None:
    text = redact_text(f"GET /users/me?fields=id&access_token=abc123secret and {JWT}")
    assert "abc123secret" not in text and JWT not in text
    assert "access_token=" + MASK in text and "fields=id" in text


def test_registered_secrets_are_masked_anywhere() -> None:
    register_secret("s3cret-password-xyz")
    assert redact_text("login with s3cret-password-xyz failed") == f"login with {MASK} failed"


def test_secret_keys_are_masked_in_json_at_any_depth() -> None:
    data = redact_data({"data": {"refresh_token": "r", "access_token": "a", "expires": 900, "user": {"password": "p"}}})
    assert data == {"data": {"refresh_token": MASK, "access_token": MASK, "expires": 900, "user": {"password": MASK}}}


def test_an_empty_token_stays_visibly_empty() -> None:
    assert redact_data({"token": None, "password": ""}) == {"token": None, "password": ""}


def test_headers_keep_cookie_attributes_but_not_values() -> None:
    rendered = dict(
        redact_headers(
            [
                ("set-cookie", "directus_refresh_token=abcdef; Max-Age=60; Path=/; HttpOnly; SameSite=Lax"),
                ("cookie", "directus_session_token=xyz; other=1"),
                ("authorization", "Bearer abcdef"),
                ("content-type", "application/json"),
            ]
        )
    )
    assert rendered["set-cookie"] == f"directus_refresh_token={MASK}; Max-Age=60; Path=/; HttpOnly; SameSite=Lax"
    assert rendered["cookie"] == f"directus_session_token={MASK}; other={MASK}"
    assert rendered["authorization"] == f"Bearer {MASK}"
    assert rendered["content-type"] == "application/json"


def test_a_cleared_cookie_shows_its_empty_value() -> None:
    rendered = dict(redact_headers([("set-cookie", "directus_refresh_token=; Max-Age=60; Path=/")]))
    assert rendered["set-cookie"].startswith("directus_refresh_token=;")


def test_bodies_are_excerpted_and_redacted() -> None:
    body = json.dumps({"data": {"access_token": JWT, "title": "x" * 2000}}).encode()
    rendered = redact_body(body, limit=100)
    assert JWT not in rendered and rendered.endswith("…") and len(rendered) == 101
    assert redact_body(b"<html>token=abc</html>") == f"<html>token={MASK}</html>"


def test_a_multipart_request_is_described_without_its_streamed_body() -> None:
    upload = httpx.Request("PATCH", "http://x/files/1", data={"a": "b"}, files={"file": ("x.txt", b"secret bytes")})
    described = describe_request(upload)
    assert described.startswith("PATCH http://x/files/1") and "streamed" in described
    assert "secret bytes" not in described
