"""What a bad target's answer means, in one line; back-off from a limiter's refusal; TLS options."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from conformance.client import refused_before_handling_s, retry_after_s
from conformance.config import tls_verification
from conformance.errors import ConfigError
from conformance.preflight import describe_connect_error, describe_unexpected_answer

URL = "https://directus.example.com"


def answer(status: int, *, headers: dict[str, str] | None = None, json: object = None) -> httpx.Response:
    return httpx.Response(status, headers=headers, json=json, request=httpx.Request("GET", f"{URL}/server/ping"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[Errno -2] Name or service not known", "unknown host directus.example.com"),
        ("[Errno 111] Connection refused", "connection refused"),
        ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed", "--ca-bundle"),
        ("something else", "cannot reach"),
    ],
)
def test_connect_errors_name_their_cause(text: str, expected: str) -> None:
    assert expected in describe_connect_error(URL, httpx.ConnectError(text))


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (answer(429, headers={"Retry-After": "1"}), "429 Too Many Requests"),
        (answer(503), "answered HTTP 503 to GET /server/ping"),
        (answer(404, json={"errors": [{"extensions": {"code": "ROUTE_NOT_FOUND"}}]}), "path prefix"),
        (answer(200, headers={"Content-Type": "text/html"}), "does not look like Directus"),
    ],
)
def test_unexpected_answers_name_their_cause(response: httpx.Response, expected: str) -> None:
    line = describe_unexpected_answer(URL, response)
    assert expected in line and "\n" not in line


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert retry_after_s(answer(429, headers={"Retry-After": "3"})) == 3.0
    assert retry_after_s(answer(429, headers={"Retry-After": "Thu, 01 Jan 1970 00:00:00 GMT"})) == 0.0
    assert retry_after_s(answer(429)) is None


UNDER_PRESSURE = {
    "errors": [
        {
            "message": 'Service "api" is unavailable. Under pressure.',
            "extensions": {"code": "SERVICE_UNAVAILABLE", "service": "api", "reason": "Under pressure"},
        }
    ]
}


def test_a_limiter_s_refusal_is_sent_again_and_nothing_else() -> None:
    """Directus's rate limiter (429) and pressure limiter (503 "Under pressure", on by default) refuse a request
    before any handler runs; any other answer, a 503 of a proxy included, is the target's answer."""
    assert refused_before_handling_s(answer(429, headers={"Retry-After": "2"})) == 2.0
    assert refused_before_handling_s(answer(503, json=UNDER_PRESSURE)) == 1.0
    assert refused_before_handling_s(answer(503, headers={"Retry-After": "3"}, json=UNDER_PRESSURE)) == 3.0
    assert refused_before_handling_s(answer(503, json={"errors": [{"message": "Bad gateway"}]})) is None
    assert refused_before_handling_s(answer(500)) is None


def test_tls_verification_options(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    assert tls_verification({}) is True
    assert tls_verification({"insecure": True, "ca_bundle": bundle}) is False
    assert tls_verification({"ca_bundle": bundle}) == str(bundle)
    with pytest.raises(ConfigError, match="no such file"):
        tls_verification({"ca_bundle": tmp_path / "missing.pem"})
