"""Logout answers 204 with no body, and the refresh token or session it ends is refused afterwards."""

from __future__ import annotations

import httpx
import pytest

from conformance.checks.api import (
    COOKIE_MODES,
    MODES,
    DirectusClient,
    Members,
    Mode,
    bearer,
    check,
    expect,
    expect_status,
    expect_user,
    login,
    logout_with,
    received,
    refresh_credential,
    refresh_with,
    set_cookies,
    whoami,
)

BEHAVIOUR = "Logout"
CONTROLLER = "api/src/controllers/auth.ts"
TOKENS_DOCS = "/guides/auth/tokens-cookies"


def log_in_and_out(directus: DirectusClient, members: Members, mode: Mode) -> tuple[str, httpx.Response]:
    """Log a member in, log them out in the same mode; return the refresh credential and the logout response.

    A session cookie is first shown to work, so that its refusal after logout means something."""
    member = members.member
    secret = refresh_credential(directus, member, mode)
    if mode == "session":
        expect_user(whoami(directus, directus.session_headers(secret)), member, "the session cookie before logout")
    return secret, logout_with(directus, mode, secret)


@check(
    "LOGOUT-204",
    level="MUST",
    refs=(CONTROLLER, "api/src/middleware/respond.ts", TOKENS_DOCS),
    title="Logout answers 204 No Content with an empty body",
)
@pytest.mark.parametrize("mode", MODES)
def test_logout_answers_204(directus: DirectusClient, members: Members, mode: Mode) -> None:
    _, response = log_in_and_out(directus, members, mode)
    expect_status(response, 204)
    expect(response.content == b"", "an empty body", response)


@check(
    "LOGOUT-REVOKES",
    level="MUST",
    refs=(CONTROLLER, TOKENS_DOCS, "GHSA-g65h-35f3-x2w3", "CVE-2024-34709", "v5.0.0-7.4.1", "v5.0.0-10.4.9"),
    title="After logout, the refresh token (json, cookie) or the session cookie (session) is refused with 401",
)
@pytest.mark.parametrize("mode", MODES)
def test_logout_revokes(directus: DirectusClient, members: Members, mode: Mode) -> None:
    secret, response = log_in_and_out(directus, members, mode)
    expect_status(response, (200, 204), why="the logout succeeds (its exact status is LOGOUT-204's concern)")
    if mode == "session":
        expect_status(
            whoami(directus, directus.session_headers(secret)),
            401,
            "INVALID_CREDENTIALS",
            why="the session cookie after logout",
        )
    refreshed = refresh_with(directus, mode, secret)
    expect_status(refreshed.response, 401, "INVALID_CREDENTIALS", why="a refresh with the logged-out credential")


@check(
    "LOGOUT-CLEARS-COOKIE",
    level="MUST",
    refs=(CONTROLLER, "v5.0.0-7.4.1"),
    title="Logout clears the refresh or session cookie (empty value or expired)",
)
@pytest.mark.parametrize("mode", COOKIE_MODES)
def test_logout_clears_cookie(directus: DirectusClient, members: Members, mode: Mode) -> None:
    _, response = log_in_and_out(directus, members, mode)
    name = directus.cookie_of(mode)
    cleared = set_cookies(response).get(name)
    expect(cleared is not None and cleared.is_cleared, f"a Set-Cookie that empties or expires {name}", response)


@check(
    "LOGOUT-ENDS-ACCESS-TOKEN",
    level="SHOULD",
    refs=(TOKENS_DOCS, "v5.0.0-7.4.1"),
    title="After a json logout, the access token issued with the refresh token no longer works",
)
def test_logout_ends_access_token(directus: DirectusClient, members: Members) -> None:
    result = login(directus, members.member, "json")
    access = received(result.access_token, "a json login returns an access token", result.response)
    refresh = received(result.refresh_token, "a json login returns a refresh token", result.response)
    expect_status(directus.logout("json", refresh_token=refresh), 204)
    expect_status(
        whoami(directus, bearer(access)),
        401,
        why="a logged-out session's access token should stop working (Directus documents that it stays "
        "valid until it expires)",
    )
