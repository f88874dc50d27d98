"""How a token travels: a Bearer header or `?access_token=`, never both; a malformed header is not a credential."""

from __future__ import annotations

import base64

import pytest

from conformance.checks.api import (
    SINGLE_TOKEN_TRANSPORT,
    Cast,
    DirectusClient,
    Members,
    access_token,
    bearer,
    check,
    expect,
    expect_status,
    expect_user,
    whoami,
)

BEHAVIOUR = "Token transport"
EXTRACT = "api/src/middleware/extract-token.ts"
TOKENS_DOCS = "/guides/auth/tokens-cookies"


@check(
    "TRANSPORT-BEARER",
    level="MUST",
    refs=(TOKENS_DOCS, EXTRACT),
    title="An access token in an `Authorization: Bearer` header authenticates its user",
)
def test_bearer_header_authenticates(directus: DirectusClient, members: Members) -> None:
    owner = members.owner
    expect_user(whoami(directus, bearer(access_token(directus, owner))), owner, "a Bearer header")


@check(
    "TRANSPORT-QUERY",
    level="MUST",
    refs=(TOKENS_DOCS, EXTRACT),
    title="An access token in the `access_token` query parameter authenticates its user",
)
def test_query_parameter_authenticates(directus: DirectusClient, members: Members) -> None:
    owner = members.owner
    response = directus.request(
        "GET", "/users/me", params={"fields": "id", "access_token": access_token(directus, owner)}
    )
    expect_user(response, owner, "the access_token query parameter")


@check(
    "TRANSPORT-NO-TOKEN-IN-URL",
    level="SHOULD",
    refs=("v5.0.0-14.2.1", TOKENS_DOCS),
    title="Tokens are not accepted in the URL, where logs and referrers keep them",
)
def test_query_parameter_is_discouraged(directus: DirectusClient, members: Members) -> None:
    token = access_token(directus, members.owner)
    response = directus.request("GET", "/users/me", params={"fields": "id", "access_token": token})
    expect(response.status_code != 200, "a token in the query string is not accepted (it ends up in logs)", response)


@check(
    "TRANSPORT-HEADER-AND-QUERY-400",
    level="MUST",
    needs=(SINGLE_TOKEN_TRANSPORT,),
    refs=(EXTRACT, "https://www.rfc-editor.org/rfc/rfc6750#section-2"),
    title="A request carrying a token in both the header and the query is refused with 400 INVALID_PAYLOAD",
)
def test_header_and_query_together_are_refused(directus: DirectusClient, members: Members) -> None:
    token = access_token(directus, members.owner)
    response = directus.request("GET", "/users/me", headers=bearer(token), params={"access_token": token})
    expect_status(response, 400, "INVALID_PAYLOAD")


def malformed_headers(token: str) -> dict[str, str]:
    basic = base64.b64encode(f"{token}:".encode()).decode()
    return {
        "Token scheme": f"Token {token}",
        "Bearer without token": "Bearer",
        "Basic scheme": f"Basic {basic}",
        "three parts": f"Bearer {token} extra",
        "no scheme": token,
    }


@check(
    "TRANSPORT-MALFORMED-HEADER-ANONYMOUS",
    level="MUST",
    refs=(EXTRACT, "https://www.rfc-editor.org/rfc/rfc6750"),
    title="A malformed Authorization header is not a credential: the request is treated as anonymous",
)
@pytest.mark.parametrize("shape", ["Token scheme", "Bearer without token", "Basic scheme", "three parts", "no scheme"])
def test_malformed_header_is_anonymous(directus: DirectusClient, cast: Cast, members: Members, shape: str) -> None:
    token = access_token(directus, members.owner)
    header = {"Authorization": malformed_headers(token)[shape]}
    response = directus.request("GET", f"/items/{cast.collection}", headers=header)
    expect_status(response, 403, "FORBIDDEN", why=f"anonymous: a header of shape '{shape}' carries no credential")
