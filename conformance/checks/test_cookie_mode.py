"""Cookie mode: the refresh token lives in an HttpOnly cookie with sound attributes, and rotates on refresh."""

from __future__ import annotations

from conformance.checks.api import (
    DirectusClient,
    Members,
    Target,
    check,
    expect,
    expect_status,
    fail,
    login,
    received,
    refresh_with,
)

BEHAVIOUR = "Cookie mode"
CONSTANTS = "api/src/constants.ts"
SECURITY_DOCS = "/configuration/security-limits"


@check(
    "COOKIE-ATTRIBUTES",
    level="MUST",
    refs=(CONSTANTS, SECURITY_DOCS, "v5.0.0-3.3.2", "v5.0.0-3.3.4"),
    title="The refresh cookie is HttpOnly, has SameSite and Path, and a Max-Age equal to the refresh token TTL",
)
def test_refresh_cookie_attributes(directus: DirectusClient, members: Members, target: Target) -> None:
    result = login(directus, members.reader, "cookie")
    cookie = result.cookie
    if cookie is None:
        fail(f"a {directus.refresh_cookie} cookie", result.response)
    expect(cookie.has("httponly"), "the HttpOnly attribute", result.response)
    expect(bool(cookie.attributes.get("samesite")), "a SameSite attribute", result.response)
    expect(bool(cookie.attributes.get("path")), "a Path attribute", result.response)
    if target.refresh_ttl_s is not None:
        expect(
            cookie.max_age == int(target.refresh_ttl_s),
            f"Max-Age={int(target.refresh_ttl_s)} (the refresh token TTL)",
            result.response,
        )
    else:
        expect(cookie.max_age is not None and cookie.max_age > 0, "a positive Max-Age", result.response)


@check(
    "COOKIE-SECURE",
    level="SHOULD",
    refs=(SECURITY_DOCS, "v5.0.0-3.3.1"),
    title="The refresh cookie is Secure (REFRESH_TOKEN_COOKIE_SECURE; off by default in Directus)",
)
def test_refresh_cookie_is_secure(directus: DirectusClient, members: Members) -> None:
    result = login(directus, members.reader, "cookie")
    expect(result.cookie is not None and result.cookie.has("secure"), "the Secure attribute", result.response)


@check(
    "COOKIE-ROTATES",
    level="MUST",
    refs=(CONSTANTS, "api/src/controllers/auth.ts", "v5.0.0-10.4.5"),
    title="Refreshing with the cookie sets a new HttpOnly refresh cookie, and the old value is refused",
)
def test_refresh_cookie_rotates(directus: DirectusClient, members: Members) -> None:
    first = login(directus, members.reader, "cookie")
    old = received(first.cookie, f"a cookie login sets the {directus.refresh_cookie} cookie", first.response)
    rotated = refresh_with(directus, "cookie", old.value)
    expect_status(rotated.response, 200, why="a refresh with the cookie")
    expect(
        rotated.cookie is not None and rotated.cookie.value not in ("", old.value) and rotated.cookie.has("httponly"),
        "a new HttpOnly refresh cookie",
        rotated.response,
    )
    expect_status(
        refresh_with(directus, "cookie", old.value).response,
        401,
        "INVALID_CREDENTIALS",
        why="the old cookie value",
    )
