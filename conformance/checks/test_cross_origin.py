"""Cross-origin requests: a foreign origin is not granted credentialed access (CORS) by default."""

from __future__ import annotations

import httpx
import pytest

from conformance.checks.api import DirectusClient, check, expect

BEHAVIOUR = "Cross-origin access"
FOREIGN_ORIGIN = "https://evil.example"


def grants_credentials(response: httpx.Response) -> bool:
    """Whether the answer lets the foreign page read it with the user's cookies."""
    allowed = response.headers.get("access-control-allow-origin")
    credentials = response.headers.get("access-control-allow-credentials", "").lower() == "true"
    return credentials and allowed in (FOREIGN_ORIGIN, "*")


@check(
    "CORS-NO-FOREIGN-CREDENTIALS",
    level="SHOULD",
    refs=("GHSA-g27j-74fp-xfpr", "CVE-2022-26969", "/configuration/security-limits#cors", "v5.0.0-3.4.2"),
    title="A foreign origin is not granted credentialed cross-origin access to /users/me (preflight or request)",
)
@pytest.mark.parametrize("kind", ["preflight", "request"])
def test_foreign_origin_gets_no_credentialed_access(directus: DirectusClient, kind: str) -> None:
    headers = {"Origin": FOREIGN_ORIGIN}
    if kind == "preflight":
        headers["Access-Control-Request-Method"] = "GET"
    response = directus.request("OPTIONS" if kind == "preflight" else "GET", "/users/me", headers=headers)
    expect(
        not grants_credentials(response),
        f"no Access-Control-Allow-Origin: {FOREIGN_ORIGIN} with Access-Control-Allow-Credentials: true",
        response,
    )
