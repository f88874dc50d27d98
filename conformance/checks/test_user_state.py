"""User state: suspending a user or changing their password ends what they were logged in with."""

from __future__ import annotations

import secrets
from collections.abc import Callable

import pytest

from conformance.checks.api import (
    MODES,
    SESSION_MODE,
    SESSIONS_CLEARED_ON_USER_CHANGE,
    DirectusClient,
    Loader,
    Mode,
    Persona,
    bearer,
    check,
    expect_status,
    expect_user,
    login,
    refresh_credential,
    refresh_secret,
    refresh_with,
    register_secret,
    whoami,
)

BEHAVIOUR = "User state"
SERVICE = "api/src/services/authentication.ts"
USERS = "api/src/services/users.ts"
MIDDLEWARE = "api/src/utils/verify-session-jwt.ts"


def update_user(loader: Loader, user: Persona, change: dict[str, str]) -> None:
    loader.admin.call("PATCH", f"/users/{user.id}", action="update a throwaway user", json=change)


@check(
    "USERSTATE-SUSPENDED-REFRESH-401",
    level="MUST",
    refs=(SERVICE, USERS, "v5.0.0-7.4.2"),
    title="After an admin suspends a user, refreshing their session is refused with 401",
)
@pytest.mark.parametrize("mode", MODES)
def test_suspension_ends_refresh(
    directus: DirectusClient, throwaway: Callable[[], Persona], loader: Loader, mode: Mode
) -> None:
    user = throwaway()
    secret = refresh_secret(login(directus, user, mode), mode)
    update_user(loader, user, {"status": "suspended"})
    expect_status(
        refresh_with(directus, mode, secret).response,
        401,
        ("INVALID_CREDENTIALS", "USER_SUSPENDED"),
        why="a refresh by a suspended user",
    )


@check(
    "USERSTATE-SUSPENDED-SESSION-401",
    level="MUST",
    needs=(SESSION_MODE,),
    refs=(MIDDLEWARE, "GHSA-56p6-qw3c-fq2g", "CVE-2025-30351", "v5.0.0-7.4.2"),
    title="After an admin suspends a user, their session cookie is refused at once with 401",
)
def test_suspension_ends_session_cookie(
    directus: DirectusClient, throwaway: Callable[[], Persona], loader: Loader
) -> None:
    user = throwaway()
    session = refresh_credential(directus, user, "session")
    expect_user(whoami(directus, directus.session_headers(session)), user, "the session cookie before suspension")
    update_user(loader, user, {"status": "suspended"})
    expect_status(
        whoami(directus, directus.session_headers(session)),
        401,
        "INVALID_CREDENTIALS",
        why="the session cookie of a suspended user",
    )


@check(
    "USERSTATE-SUSPENDED-LOGIN-401",
    level="MUST",
    refs=(SERVICE, "v5.0.0-7.4.2"),
    title="A suspended user cannot log in, and their static token is refused (401 INVALID_CREDENTIALS)",
)
def test_suspended_user_cannot_authenticate(
    directus: DirectusClient, throwaway: Callable[[], Persona], loader: Loader
) -> None:
    user = throwaway()
    expect_user(whoami(directus, bearer(user.static_token)), user, "the static token before suspension")
    update_user(loader, user, {"status": "suspended"})
    expect_status(
        directus.login(user.email, user.password).response,
        401,
        "INVALID_CREDENTIALS",
        why="a login with the right password by a suspended user",
    )
    expect_status(
        whoami(directus, bearer(user.static_token)),
        401,
        "INVALID_CREDENTIALS",
        why="the static token of a suspended user",
    )


@check(
    "USERSTATE-PASSWORD-CHANGE-401",
    level="MUST",
    needs=(SESSIONS_CLEARED_ON_USER_CHANGE,),
    refs=(USERS, "v5.0.0-7.4.3"),
    title="After an admin changes a user's password, that user's refresh tokens and sessions are refused with 401",
)
@pytest.mark.parametrize("mode", MODES)
def test_password_change_ends_sessions(
    directus: DirectusClient, throwaway: Callable[[], Persona], loader: Loader, mode: Mode
) -> None:
    user = throwaway()
    secret = refresh_secret(login(directus, user, mode), mode)
    new_password = secrets.token_urlsafe(18)
    register_secret(new_password)
    update_user(loader, user, {"password": new_password})
    expect_status(
        refresh_with(directus, mode, secret).response,
        401,
        "INVALID_CREDENTIALS",
        why="a refresh after the password was changed",
    )
