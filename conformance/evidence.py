"""What a failure says: the request sent, what came back, what was expected, and the check with its refs.

Checks call `expect_status` / `expect` instead of bare asserts, so every failure carries the same evidence, with every
secret redacted.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import httpx
import pytest

from conformance.client import error_code
from conformance.redaction import redact_body, redact_headers, redact_text
from conformance.registry import current_check

Recorder = Callable[[str, object], None]  # pytest's record_property: extra figures for the report

SHOWN_REQUEST_HEADERS = {"authorization", "cookie", "content-type"}


def describe_request(request: httpx.Request) -> str:
    lines = [f"{request.method} {redact_text(str(request.url))}"]
    headers = [(k, v) for k, v in request.headers.items() if k.lower() in SHOWN_REQUEST_HEADERS]
    lines += [f"  {name}: {value}" for name, value in redact_headers(headers)]
    if request.content:
        lines.append(f"  body: {redact_body(request.content)}")
    return "\n".join(lines)


def describe_response(response: httpx.Response) -> str:
    code = error_code(response)
    lines = [f"HTTP {response.status_code}" + (f" {code}" if code else "")]
    cookies = [("set-cookie", v) for v in response.headers.get_list("set-cookie")]
    lines += [f"  {name}: {value}" for name, value in redact_headers(cookies)]
    if response.content:
        lines.append(f"  body: {redact_body(response.content, limit=400)}")
    return "\n".join(lines)


def fail(expected: str, response: httpx.Response | None = None) -> None:
    """Fail the current check with the standard evidence; never returns."""
    info = current_check.get()
    parts = [info.header() if info else "conformance check failed", f"expected: {expected}"]
    if response is not None:
        parts += [f"received: {describe_response(response)}", f"request:  {describe_request(response.request)}"]
    if info:
        parts.append(
            "refs:     " + ", ".join(f"{label} <{url}>" if url != label else label for label, url in info.ref_links())
        )
    pytest.fail("\n".join(parts), pytrace=False)


def expect(condition: bool, expected: str, response: httpx.Response | None = None) -> None:
    """`expect(ids == own, "the list holds exactly Beth's posts [1]", response)`."""
    if not condition:
        fail(expected, response)


def expect_status(
    response: httpx.Response, status: int | Collection[int], code: str | Collection[str] | None = None, why: str = ""
) -> None:
    """Assert the status and `errors[0].extensions.code` (never the message text, which changes across versions)."""
    statuses = {status} if isinstance(status, int) else set(status)
    codes = None if code is None else ({code} if isinstance(code, str) else set(code))
    actual_code = error_code(response)
    if response.status_code in statuses and (codes is None or actual_code in codes):
        return
    wanted = " or ".join(str(s) for s in sorted(statuses))
    if codes:
        wanted += " " + " or ".join(sorted(codes))
    fail(wanted + (f" ({why})" if why else ""), response)
