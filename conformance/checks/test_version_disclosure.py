"""Anonymous callers learn no exact Directus version: it tells an attacker which advisories apply."""

from __future__ import annotations

import re

from conformance.checks.api import DirectusClient, check, expect, json_body

BEHAVIOUR = "Version disclosure"
RELEASE_NUMBER = re.compile(r"\d+\.\d+\.\d+")


@check(
    "VERSION-NOT-IN-OAS",
    level="SHOULD",
    refs=("GHSA-rmjh-cf9q-pv7q", "CVE-2025-53887", "api/src/services/specifications.ts", "v5.0.0-13.4.6"),
    title="The OpenAPI document the public may read (GET /server/specs/oas) carries no release number in info.version",
)
def test_public_openapi_document_names_no_release(directus: DirectusClient) -> None:
    response = directus.request("GET", "/server/specs/oas")
    version = str((json_body(response).get("info") or {}).get("version", ""))
    expect(
        response.status_code != 200 or not RELEASE_NUMBER.fullmatch(version),
        f"no release number in info.version (it is {version!r})",
        response,
    )


@check(
    "VERSION-NOT-IN-SERVER-INFO",
    level="SHOULD",
    refs=("/reference/system/server", "api/src/services/server.ts", "v5.0.0-13.4.6"),
    title="Anonymous GET /server/info names no Directus version (data.version, data.directus.version before 10.2)",
)
def test_anonymous_server_info_names_no_version(directus: DirectusClient) -> None:
    response = directus.request("GET", "/server/info")
    data = json_body(response).get("data") or {}
    version = data.get("version") or (data.get("directus") or {}).get("version")  # 10.2+, and before
    expect(version is None, f"no version in the public server info (it names {version!r})", response)
