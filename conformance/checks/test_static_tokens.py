"""Static tokens: set by an admin, masked on read, and dead the moment they are regenerated or removed."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from conformance.checks.api import (
    Cast,
    DirectusClient,
    Loader,
    Persona,
    access_token,
    bearer,
    check,
    expect,
    expect_status,
    expect_user,
    register_secret,
    set_static_token,
    whoami,
)

BEHAVIOUR = "Static tokens"
ACCOUNTABILITY = "api/src/utils/get-accountability-for-token.ts"
TOKENS_DOCS = "/guides/auth/tokens-cookies"
MASK = "**********"


def new_token() -> str:
    token = f"dc-static-{secrets.token_urlsafe(24)}"
    register_secret(token)
    return token


@check(
    "STATIC-AUTHENTICATES",
    level="MUST",
    refs=(ACCOUNTABILITY, TOKENS_DOCS),
    title="A static token set by an admin authenticates as its user",
)
def test_static_token_authenticates(directus: DirectusClient, throwaway: Callable[[], Persona], loader: Loader) -> None:
    user = throwaway()
    token = new_token()
    set_static_token(loader, user, token)
    expect_user(whoami(directus, bearer(token)), user, "the static token")


@check(
    "STATIC-MASKED",
    level="MUST",
    refs=("api/src/services/payload.ts", TOKENS_DOCS),
    title="A static token reads back masked, also to an admin",
)
def test_static_token_reads_back_masked(directus: DirectusClient, cast: Cast, loader: Loader) -> None:
    owner = cast.playing("owner")
    response = directus.request(
        "GET", f"/users/{owner.id}", headers=bearer(loader.admin.token()), params={"fields": "token"}
    )
    expect_status(response, 200)
    expect(response.json()["data"]["token"] == MASK, f"the token field reads {MASK!r}", response)


@check(
    "STATIC-REGENERATION",
    level="MUST",
    refs=(ACCOUNTABILITY, TOKENS_DOCS, "v5.0.0-7.4.1"),
    title="Regenerating a static token makes the old one fail at once with 401 INVALID_CREDENTIALS, and the new "
    "one works",
)
def test_regenerated_static_token_replaces_old(
    directus: DirectusClient, throwaway: Callable[[], Persona], loader: Loader
) -> None:
    user = throwaway()
    old, new = new_token(), new_token()
    set_static_token(loader, user, old)
    expect_user(whoami(directus, bearer(old)), user, "the first static token")
    set_static_token(loader, user, new)
    expect_status(whoami(directus, bearer(old)), 401, "INVALID_CREDENTIALS", why="the old token, right after")
    expect_user(whoami(directus, bearer(new)), user, "the regenerated static token")


@check(
    "STATIC-REVOKE",
    level="MUST",
    refs=(ACCOUNTABILITY, TOKENS_DOCS, "v5.0.0-10.4.9"),
    title="Setting a static token to null revokes it: it is refused with 401 INVALID_CREDENTIALS",
)
def test_null_revokes_static_token(directus: DirectusClient, throwaway: Callable[[], Persona], loader: Loader) -> None:
    user = throwaway()
    token = new_token()
    set_static_token(loader, user, token)
    expect_user(whoami(directus, bearer(token)), user, "the static token before it is revoked")
    set_static_token(loader, user, None)
    expect_status(whoami(directus, bearer(token)), 401, "INVALID_CREDENTIALS", why="a revoked static token")


@check(
    "STATIC-MEMBER-CANNOT-SET",
    level="MUST",
    refs=("packages/system-data/src/app-access-permissions", "v5.0.0-8.2.3"),
    title="A member cannot set their own static token: 403 FORBIDDEN, and no token is set",
)
def test_member_cannot_set_own_token(directus: DirectusClient, throwaway: Callable[[], Persona]) -> None:
    user = throwaway()
    access = access_token(directus, user)
    token = new_token()
    response = directus.request("PATCH", "/users/me", headers=bearer(access), json={"token": token})
    expect_status(response, 403, "FORBIDDEN")
    expect_status(whoami(directus, bearer(token)), 401, "INVALID_CREDENTIALS", why="the token the member tried to set")
