"""Session mode: the session cookie alone authenticates, refreshes into a new cookie, and is subject to ownership."""

from __future__ import annotations

from conformance.checks.steps import expect_user, list_posts, login, refresh_with, whoami
from conformance.client import DirectusClient
from conformance.evidence import expect, expect_status
from conformance.plugin import Members
from conformance.registry import check
from conformance.seeding import Cast

BEHAVIOUR = "Session mode"
MIDDLEWARE = "api/src/middleware/authenticate.ts"
SESSION_DOCS = "/guides/auth/email-login"


@check(
    "SESSION-COOKIE-AUTHENTICATES",
    level="MUST",
    requires="session_mode",
    refs=(MIDDLEWARE, SESSION_DOCS),
    title="The session cookie alone authenticates: /users/me is the user, and the list holds only their posts",
)
def test_session_cookie_authenticates(directus: DirectusClient, cast: Cast, members: Members) -> None:
    beth = members["beth"]
    session = login(directus, beth, "session")
    assert session.cookie is not None
    headers = directus.session_headers(session.cookie.value)
    expect_user(whoami(directus, headers), beth, "the session cookie")
    if cast.ownership_skip_reason:
        return  # the ownership half needs filter rules the target cannot hold; OWNERSHIP-LIST says so
    listed = list_posts(directus, cast, headers)
    expect_status(listed, 200)
    ids = sorted(post["id"] for post in listed.json()["data"])
    expect(ids == cast.posts["beth"], f"exactly Beth's posts {cast.posts['beth']}", listed)


@check(
    "SESSION-COOKIE-ATTRIBUTES",
    level="MUST",
    requires="session_mode",
    refs=("api/src/constants.ts", "v5.0.0-3.3.2", "v5.0.0-3.3.4"),
    title="The session cookie is HttpOnly and has SameSite and Path",
)
def test_session_cookie_attributes(directus: DirectusClient, members: Members) -> None:
    result = login(directus, members["beth"], "session")
    cookie = result.cookie
    expect(
        cookie is not None
        and cookie.has("httponly")
        and bool(cookie.attributes.get("samesite"))
        and bool(cookie.attributes.get("path")),
        "HttpOnly, SameSite and Path on the session cookie",
        result.response,
    )


@check(
    "SESSION-REFRESH",
    level="MUST",
    requires="session_mode",
    refs=("api/src/controllers/auth.ts", SESSION_DOCS),
    title="A session refresh answers only expires and sets a new session cookie that authenticates",
)
def test_session_refresh_sets_new_cookie(directus: DirectusClient, members: Members) -> None:
    beth = members["beth"]
    first = login(directus, beth, "session")
    assert first.cookie is not None
    refreshed = refresh_with(directus, "session", first.cookie.value)
    expect_status(refreshed.response, 200)
    expect(set(refreshed.response.json()["data"]) == {"expires"}, "a body holding only expires", refreshed.response)
    expect(
        refreshed.cookie is not None and refreshed.cookie.value not in ("", first.cookie.value),
        "a new session cookie",
        refreshed.response,
    )
    assert refreshed.cookie is not None
    expect_user(whoami(directus, directus.session_headers(refreshed.cookie.value)), beth, "the new session cookie")
