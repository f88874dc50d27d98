"""What a failure says: the request sent, what came back, what was expected, and the check with its refs.

Checks call `expect` / `expect_status` instead of bare asserts, so every failure carries the same evidence, with every
secret redacted; `require…` and `received` say the same of a precondition (a persona that logs in, a cookie the target
sets), whose failure is an error of the check rather than a failure of the behaviour it tests.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import NoReturn, Protocol, TypeVar

import httpx

from conformance.advisories import named_by
from conformance.client import error_code
from conformance.outcome import CheckFailed, PreconditionFailed
from conformance.redaction import redact_body, redact_headers, redact_text
from conformance.registry import current_check

__all__ = [
    "Exchange",
    "RecordProperty",
    "describe_request",
    "describe_response",
    "expect",
    "expect_status",
    "fail",
    "received",
    "require",
    "require_status",
]

RecordProperty = Callable[[str, object], None]  # pytest's record_property: extra figures for the report
T = TypeVar("T")

SHOWN_REQUEST_HEADERS = {"authorization", "cookie", "content-type", "origin", "x-forwarded-for"}


class Exchange(Protocol):
    """What a failure shows of a conversation other than one HTTP request (a WebSocket's transcript)."""

    def evidence(self) -> list[str]: ...


Seen = httpx.Response | Exchange | None


def describe_request(request: httpx.Request) -> str:
    lines = [f"{request.method} {redact_text(str(request.url))}"]
    headers = [(k, v) for k, v in request.headers.items() if k.lower() in SHOWN_REQUEST_HEADERS]
    lines += [f"  {name}: {value}" for name, value in redact_headers(headers)]
    try:
        content = request.content
    except httpx.RequestNotRead:  # a streamed body (a multipart upload): httpx keeps no copy of it
        lines.append(f"  body: (streamed, {request.headers.get('content-length', 'unknown')} bytes, not shown)")
        return "\n".join(lines)
    if content:
        lines.append(f"  body: {redact_body(content)}")
    return "\n".join(lines)


def describe_response(response: httpx.Response) -> str:
    code = error_code(response)
    lines = [f"HTTP {response.status_code}" + (f" {code}" if code else "")]
    cookies = [("set-cookie", v) for v in response.headers.get_list("set-cookie")]
    lines += [f"  {name}: {value}" for name, value in redact_headers(cookies)]
    if response.content:
        lines.append(f"  body: {redact_body(response.content, limit=400)}")
    return "\n".join(lines)


def render(expected: str, response: Seen, *, precondition: bool = False) -> str:
    """The standard evidence: the check, what was expected (or the precondition), what came back, the refs."""
    info = current_check.get()
    parts = [info.header() if info else "conformance check failed"]
    parts.append(f"precondition not met: {expected}" if precondition else f"expected: {expected}")
    if isinstance(response, httpx.Response):
        parts += [f"received: {describe_response(response)}", f"request:  {describe_request(response.request)}"]
    elif response is not None:
        parts += response.evidence()
    if info:
        parts.append(
            "refs:     " + ", ".join(f"{label} <{url}>" if url != label else label for label, url in info.ref_links())
        )
        parts += [f"advisory: {a.label()}, fixed in {a.fixed}" for a in named_by(info.refs)]
    return "\n".join(parts)


def fail(expected: str, response: Seen = None) -> NoReturn:
    """Fail the current check with the standard evidence."""
    raise CheckFailed(render(expected, response))


def expect(condition: bool, expected: str, response: Seen = None) -> None:
    """`expect(ids == own, "the list holds exactly Beth's posts [1]", response)`."""
    if not condition:
        fail(expected, response)


def expect_status(
    response: httpx.Response, status: int | Collection[int], code: str | Collection[str] | None = None, why: str = ""
) -> None:
    """Assert the status and `errors[0].extensions.code` (never the message text, which changes across versions)."""
    wanted = _unmet_status(response, status, code)
    if wanted:
        fail(wanted + (f" ({why})" if why else ""), response)


def require(condition: bool, precondition: str, response: Seen = None) -> None:
    """A precondition of the check: when it does not hold, the check is an error that names it."""
    if not condition:
        raise PreconditionFailed(render(precondition, response, precondition=True))


def require_status(response: httpx.Response, status: int | Collection[int], why: str) -> None:
    """`expect_status` for a step the check needs, not the behaviour it tests."""
    wanted = _unmet_status(response, status, None)
    require(not wanted, f"{wanted} ({why})", response)


def received(value: T | None, precondition: str, response: Seen = None) -> T:
    """`value` when the target gave it (a token, a cookie), else the check is an error naming what was missing."""
    if value is None:
        raise PreconditionFailed(render(precondition, response, precondition=True))
    return value


def _unmet_status(
    response: httpx.Response, status: int | Collection[int], code: str | Collection[str] | None
) -> str | None:
    """None when the answer has the status (and code); else what was wanted, as words."""
    statuses = {status} if isinstance(status, int) else set(status)
    codes = None if code is None else ({code} if isinstance(code, str) else set(code))
    if response.status_code in statuses and (codes is None or error_code(response) in codes):
        return None
    wanted = " or ".join(str(s) for s in sorted(statuses))
    return wanted + (" " + " or ".join(sorted(codes)) if codes else "")
