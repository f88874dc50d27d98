"""Anonymous callers learn no exact Directus version: it tells an attacker which advisories apply."""

from __future__ import annotations

import re
from urllib.parse import urljoin

from conformance.checks.api import Cast, DirectusClient, check, expect, json_body, received

BEHAVIOUR = "Version disclosure"
RELEASE_NUMBER = re.compile(r"\d+\.\d+\.\d+")
APP = "/admin/"
APP_SCRIPT = re.compile(r'(?:src|href)="([^"]+\.js)"')
"""The scripts the app's page loads, and those it preloads."""


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


@check(
    "VERSION-NOT-IN-APP-BUNDLE",
    level="SHOULD",
    refs=("GHSA-5mhg-wv8w-p59j", "CVE-2024-27296", "app/src/main.ts", "v5.0.0-13.4.6"),
    title="The app's scripts, which anybody may download (GET /admin/ and the scripts it loads), do not carry the "
    "exact Directus release",
)
def test_app_scripts_name_no_release(directus: DirectusClient, cast: Cast) -> None:
    version = received(cast.facts.version, "the target's release, as the admin reads it")
    release = re.compile(rf"[\"'`]{re.escape(version)}[\"'`]")  # a string of its own, not a part of an SVG path
    page = directus.request("GET", APP, follow_redirects=True)
    scripts = APP_SCRIPT.findall(page.text) if page.status_code == 200 else []  # no app served: nothing to read
    for script in scripts:
        response = directus.request("GET", urljoin(APP, script))
        named = release.search(response.text)
        around = response.text[max(0, named.start() - 40) : named.end() + 40] if named else ""
        expect(not named, f"the app's script {script} does not name release {version} (it does: …{around}…)", response)
