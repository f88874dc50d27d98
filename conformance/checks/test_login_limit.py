"""Brute force: the target's login-attempt limit (the `auth_login_attempts` setting, 25 by default) suspends a user
whose password was tried wrong that many times, and the attempt that trips it gets no tokens.

Only throwaway users are tried, and never with more wrong passwords than the limit: the limit is read from the
target's settings, never changed."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from conformance.checks.accounts import expect_user_status
from conformance.checks.api import (
    DirectusClient,
    Loader,
    Persona,
    check,
    expect_status,
    require_status,
)

BEHAVIOUR = "Login-attempt limit"
REFS = ("/reference/system/settings", "api/src/services/authentication.ts")
MOST_ATTEMPTS = 50
"""The most wrong passwords a check tries on one user: a higher limit is not checked."""


def login_limit(loader: Loader) -> int:
    """The target's limit, or a skip when it has none (null) or one beyond MOST_ATTEMPTS."""
    settings = loader.admin.call("GET", "/settings", action="read the login-attempt limit")
    limit = settings.get("auth_login_attempts")
    if not limit:
        pytest.skip("the target sets no login-attempt limit (settings auth_login_attempts is null)")
    if int(limit) > MOST_ATTEMPTS:
        pytest.skip(f"the target allows {limit} login attempts; a check tries at most {MOST_ATTEMPTS}")
    return int(limit)


def trip_the_limit(directus: DirectusClient, loader: Loader, user: Persona) -> httpx.Response:
    """As many wrong passwords as the limit allows, then the attempt past it, with the right password: its answer."""
    for attempt in range(login_limit(loader)):
        wrong = directus.login(user.email, f"wrong-password-{attempt}").response
        require_status(wrong, 401, "a login with a wrong password, within the limit")
    return directus.login(user.email, user.password).response


@check(
    "LOGIN-LIMIT-SUSPENDS",
    level="MUST",
    refs=REFS,
    title="Once a user's password was tried wrong as often as auth_login_attempts allows, the next attempt "
    "suspends the user, and later logins with the right password are refused with 401",
)
def test_login_limit_suspends_the_user(
    directus: DirectusClient, throwaway: Callable[[], Persona], loader: Loader
) -> None:
    user = throwaway()
    tripping = trip_the_limit(directus, loader, user)
    expect_user_status(loader, user.email, "suspended", tripping, "once the limit was reached")
    expect_status(
        directus.login(user.email, user.password).response,
        401,  # INVALID_CREDENTIALS; 10.0.0 says USER_SUSPENDED, which USERSTATE-SUSPENDED-LOGIN-401 judges
        why="a login with the right password once the limit was reached",
    )


@check(
    "LOGIN-LIMIT-TRIP-ISSUES-NO-TOKENS",
    level="SHOULD",
    refs=REFS,
    title="The login attempt that trips auth_login_attempts is refused with 401 even with the right password",
)
def test_tripping_attempt_gets_no_tokens(
    directus: DirectusClient, throwaway: Callable[[], Persona], loader: Loader
) -> None:
    expect_status(
        trip_the_limit(directus, loader, throwaway()),
        401,
        why="the right password, on the attempt that reaches the limit (it suspends the user)",
    )
