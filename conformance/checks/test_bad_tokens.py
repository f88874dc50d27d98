"""Tokens the target did not issue, or issued and then altered or let expire, are refused with the right code."""

from __future__ import annotations

import secrets
import time

import pytest

from conformance.checks.api import (
    DirectusClient,
    Members,
    Target,
    access_token,
    bearer,
    check,
    claims_of,
    expect_status,
    forge,
)

BEHAVIOUR = "Bad tokens are refused"
ACCOUNTABILITY = "api/src/utils/get-accountability-for-token.ts"
ERRORS = "/guides/connect/errors"


@check(
    "BADTOKEN-UNKNOWN-401",
    level="MUST",
    refs=(ACCOUNTABILITY, ERRORS),
    title="A token that matches no user (garbage, or an unknown static token) is refused with 401 INVALID_CREDENTIALS",
)
@pytest.mark.parametrize("token", ["garbage", "unknown static token"])
def test_unknown_token_is_refused(directus: DirectusClient, token: str) -> None:
    value = "not-a-token" if token == "garbage" else secrets.token_urlsafe(32)
    expect_status(directus.request("GET", "/users/me", headers=bearer(value)), 401, "INVALID_CREDENTIALS")


@check(
    "BADTOKEN-FORGED-403",
    level="MUST",
    refs=(ACCOUNTABILITY, ERRORS, "v5.0.0-9.1.1", "v5.0.0-9.1.2"),
    title="A token issued by the target but re-signed, unsigned (alg none) or with edited claims is refused "
    "with 403 INVALID_TOKEN",
)
@pytest.mark.parametrize("how", ["re-signed with another key", "alg none", "claims edited (admin_access)"])
def test_forged_token_is_refused(directus: DirectusClient, members: Members, how: str) -> None:
    token = access_token(directus, members.reader)
    response = directus.request("GET", "/users/me", headers=bearer(forge(token, how)))
    expect_status(response, 403, "INVALID_TOKEN", why=f"a token {how}")


@check(
    "BADTOKEN-EXPIRED-401",
    level="MUST",
    refs=(ACCOUNTABILITY, ERRORS, "v5.0.0-9.2.1"),
    title="An expired access token is refused with 401 TOKEN_EXPIRED",
    waits=True,
)
def test_expired_token_is_refused(directus: DirectusClient, members: Members, target: Target) -> None:
    token = access_token(directus, members.reader)
    wait = claims_of(token)["exp"] - time.time() + 1.0
    if wait > target.max_wait_s:
        pytest.skip(f"the access token expires in {wait:.0f} s, beyond --max-wait {target.max_wait_s:.0f} s")
    time.sleep(max(wait, 0))
    expect_status(directus.request("GET", "/users/me", headers=bearer(token)), 401, "TOKEN_EXPIRED")
