"""Redaction of secrets (tokens, passwords, cookie values) in anything the suite renders.

Every rendering of a request or response (failure messages, report details, logs) goes through here, so a secret
never reaches a CI artefact. Known secrets of the run are also registered, so they are masked wherever they appear.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from typing import Any

MASK = "[REDACTED]"

SECRET_KEYS = frozenset(
    {"password", "token", "access_token", "refresh_token", "otp", "secret", "tfa_secret", "admin_token", "session"}
)
SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "proxy-authorization"})

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")
_QUERY_SECRET = re.compile(r"((?:access_token|refresh_token|token)=)[^&\s\"'<>;]+", re.IGNORECASE)
_COOKIE_VALUE = re.compile(r"(directus_[a-z_]*token=)[^;,\s\"']+", re.IGNORECASE)

_known: set[str] = set()
_lock = threading.Lock()


def register_secret(*values: str | None) -> None:
    """Remember secrets of this run (passwords, static tokens) so they are masked wherever they show up."""
    with _lock:
        _known.update(v for v in values if v and len(v) >= 6)


def redact_text(text: str) -> str:
    """Mask JWTs, token query parameters, Directus cookie values and every registered secret in free text."""
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for secret in known:
        text = text.replace(secret, MASK)
    text = _JWT.sub(MASK, text)
    text = _QUERY_SECRET.sub(rf"\g<1>{MASK}", text)
    return _COOKIE_VALUE.sub(rf"\g<1>{MASK}", text)


def redact_data(value: Any) -> Any:
    """Mask the values of secret-named keys in parsed JSON, recursively; other strings go through redact_text."""
    if isinstance(value, dict):
        return {k: (MASK if k.lower() in SECRET_KEYS and v else redact_data(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_data(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def redact_headers(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Mask secret headers; keep cookie names and attributes visible (they are what cookie checks are about)."""
    rendered = []
    for name, value in headers:
        lowered = name.lower()
        if lowered == "cookie":
            rendered.append((name, "; ".join(_mask_pair(pair) for pair in value.split(";"))))
        elif lowered == "set-cookie":
            pair, sep, attributes = value.partition(";")
            rendered.append((name, _mask_pair(pair) + sep + attributes))
        elif lowered in SECRET_HEADERS:
            scheme = value.split(" ", 1)[0] if " " in value else ""
            rendered.append((name, f"{scheme} {MASK}".strip()))
        else:
            rendered.append((name, redact_text(value)))
    return rendered


def redact_body(body: bytes | str, limit: int = 600) -> str:
    """Render a body excerpt with secrets masked: JSON by key, anything else as text."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        rendered = json.dumps(redact_data(json.loads(text)), ensure_ascii=False)
    except ValueError:
        rendered = redact_text(text)
    return rendered if len(rendered) <= limit else rendered[:limit] + "…"


def _mask_pair(pair: str) -> str:
    """`name=value` → `name=[REDACTED]`; an empty value stays visibly empty (a cleared cookie)."""
    name, sep, value = pair.strip().partition("=")
    return f"{name}={MASK}" if sep and value else pair.strip()
