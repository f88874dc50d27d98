"""Logging in: what each mode hands back, and refusals that do not tell a wrong password from an unknown user."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import jwt
import pytest

from conformance.checks.api import (
    MODES,
    SESSION_MODE,
    Cast,
    DirectusClient,
    Loader,
    Login,
    Members,
    Mode,
    Need,
    Persona,
    TargetFacts,
    check,
    expect,
    expect_status,
    refresh_secret,
)

BEHAVIOUR = "Login"
LOGIN_DOCS = "/reference/authentication"
LOCAL_DRIVER = "api/src/auth/drivers/local.ts"


def login_answer(directus: DirectusClient, persona: Persona, mode: Mode) -> Login:
    """The login under test: here a refused login fails the check (elsewhere it is a precondition, steps.login)."""
    result = directus.login(persona.email, persona.password, mode)
    expect_status(result.response, 200, why=f"{persona.name} logs in with the right password ({mode} mode)")
    return result


@check(
    "LOGIN-JSON",
    level="MUST",
    refs=(LOGIN_DOCS, LOCAL_DRIVER),
    title="A json login returns access_token, refresh_token and expires in milliseconds matching the token's exp",
)
def test_json_login_returns_tokens(directus: DirectusClient, members: Members) -> None:
    result = login_answer(directus, members.member, "json")
    data = result.response.json()["data"]
    expect(
        {"access_token", "refresh_token", "expires"} <= set(data),
        "access_token, refresh_token and expires",
        result.response,
    )
    claims = jwt.decode(data["access_token"], options={"verify_signature": False})
    lifetime_ms = (claims["exp"] - claims["iat"]) * 1000
    expect(
        abs(data["expires"] - lifetime_ms) <= 1000,
        f"expires ({data['expires']}) in ms equal to the token's exp - iat ({lifetime_ms} ms)",
        result.response,
    )


@check(
    "LOGIN-COOKIE",
    level="MUST",
    refs=(LOGIN_DOCS, LOCAL_DRIVER, "v5.0.0-3.3.4"),
    title="A cookie login returns the access token but no refresh token in the body, and sets an HttpOnly "
    "refresh cookie",
)
def test_cookie_login_sets_refresh_cookie(directus: DirectusClient, members: Members) -> None:
    result = login_answer(directus, members.member, "cookie")
    data = result.response.json()["data"]
    expect(
        "refresh_token" not in data and "access_token" in data and "expires" in data,
        "access_token and expires in the body, no refresh_token",
        result.response,
    )
    expect(
        result.cookie is not None and result.cookie.value != "" and result.cookie.has("httponly"),
        f"an HttpOnly {directus.refresh_cookie} cookie",
        result.response,
    )


@check(
    "LOGIN-SESSION",
    level="MUST",
    needs=(SESSION_MODE,),
    refs=(LOGIN_DOCS, LOCAL_DRIVER, "v5.0.0-3.3.4"),
    title="A session login returns only expires in the body and sets an HttpOnly session cookie",
)
def test_session_login_sets_session_cookie(directus: DirectusClient, members: Members) -> None:
    result = login_answer(directus, members.member, "session")
    expect(set(result.response.json()["data"]) == {"expires"}, "a body holding only expires", result.response)
    expect(
        result.cookie is not None and result.cookie.value != "" and result.cookie.has("httponly"),
        f"an HttpOnly {directus.session_cookie} cookie",
        result.response,
    )


@check(
    "LOGIN-FRESH-TOKENS",
    level="MUST",
    refs=("v5.0.0-7.2.4", LOCAL_DRIVER),
    title="Each login issues new tokens: two logins never share a refresh token or a session",
)
@pytest.mark.parametrize("mode", MODES)
def test_each_login_issues_new_tokens(directus: DirectusClient, throwaway: Callable[[], Persona], mode: Mode) -> None:
    user = throwaway()  # nobody else logs in as this user meanwhile, so the two logins are the only ones
    first, second = (login_answer(directus, user, mode) for _ in range(2))
    old = refresh_secret(first, mode)
    expect(
        old is not None and old != refresh_secret(second, mode), "a different token from each login", second.response
    )


@check(
    "LOGIN-NO-ENUMERATION",
    level="MUST",
    refs=(LOCAL_DRIVER, "v5.0.0-6.3.8", "/guides/connect/errors"),
    title="A wrong password and an unknown email are refused alike, with 401 INVALID_CREDENTIALS",
)
def test_wrong_password_and_unknown_email_look_alike(directus: DirectusClient, cast: Cast, members: Members) -> None:
    reader = members.reader  # one wrong password per run for them, far below the suspension threshold
    wrong_password = directus.login(reader.email, secrets.token_urlsafe(12)).response
    unknown_email = directus.login(f"nobody+{cast.run_tag}@example.com", secrets.token_urlsafe(12)).response
    expect_status(wrong_password, 401, "INVALID_CREDENTIALS", why="a wrong password")
    expect_status(unknown_email, 401, "INVALID_CREDENTIALS", why="an unknown email, answered like a wrong password")


@check(
    "LOGIN-SSO-USER-NO-ENUMERATION",
    level="MUST",
    needs=(Need.SSO_REDIRECT,),
    refs=(LOCAL_DRIVER, "GHSA-jgf4-vwc3-r46v", "CVE-2024-39896", "v5.0.0-6.3.8"),
    title="A password login for a user of an SSO provider is refused like one for an unknown email (401 "
    "INVALID_CREDENTIALS): it does not tell that the account exists elsewhere",
)
def test_sso_user_looks_like_an_unknown_email(
    directus: DirectusClient, throwaway: Callable[[], Persona], loader: Loader, target_facts: TargetFacts
) -> None:
    user = throwaway()
    loader.admin.call(
        "PATCH",
        f"/users/{user.id}",
        action="move a throwaway user to the SSO provider",
        json={"provider": target_facts.redirecting_provider, "external_identifier": user.email},
    )
    response = directus.login(user.email, secrets.token_urlsafe(12)).response
    expect_status(response, 401, "INVALID_CREDENTIALS", why="a password login for an SSO user")


INVALID_PAYLOADS: dict[str, dict[str, Any]] = {
    "no password": {"email": "someone@example.com"},
    "no email": {"password": "x"},
    "not an email": {"email": "not-an-email", "password": "x"},
    "unknown mode": {"email": "someone@example.com", "password": "x", "mode": "telepathy"},
    "otp not a string": {"email": "someone@example.com", "password": "x", "otp": 123456},
    "empty body": {},
}


@check(
    "LOGIN-INVALID-PAYLOAD-400",
    level="MUST",
    needs=(Need.PASSWORD_LOGIN,),
    refs=(LOCAL_DRIVER, "/guides/connect/errors"),
    title="A login with an invalid payload is refused with 400 INVALID_PAYLOAD",
)
@pytest.mark.parametrize("payload", list(INVALID_PAYLOADS))
def test_invalid_login_payload_is_refused(directus: DirectusClient, payload: str) -> None:
    response = directus.request("POST", "/auth/login", json=INVALID_PAYLOADS[payload])
    expect_status(response, 400, "INVALID_PAYLOAD", why=payload)
