"""GraphQL auth keeps REST's rules: `auth_login`, `auth_refresh` and `auth_logout` on /graphql/system hand out,
rotate and revoke the same credentials per mode, refuse alike without telling who exists, a bad token is refused
before any resolver runs, and the schema the public sees names nothing it cannot read."""

from __future__ import annotations

import secrets

import httpx
import pytest

from conformance.checks.api import (
    GRAPHQL_LOGOUT_MODE,
    MODES,
    REFRESH_TOKEN_MODES,
    SESSION_MODE,
    Cast,
    DirectusClient,
    Login,
    Members,
    Mode,
    Need,
    access_token,
    bearer,
    check,
    error_code,
    expect,
    expect_status,
    expect_user,
    forge,
    graphql_data,
    json_body,
    needs,
    received,
    refresh_secret,
    whoami,
)

BEHAVIOUR = "GraphQL auth"
NEEDS = (Need.GRAPHQL,)
RESOLVERS = "api/src/services/graphql/resolvers/system-global.ts"
GRAPHQL_DOCS = "/guides/connect/graphql"
REFS = (RESOLVERS, GRAPHQL_DOCS)
LOGOUT_MODES = [
    "json",
    pytest.param("cookie", marks=needs(GRAPHQL_LOGOUT_MODE)),
    pytest.param("session", marks=needs(SESSION_MODE)),
]
"""auth_logout's modes: a cookie-mode logout names its mode, an argument auth_logout has from 10.10.0."""


def graphql_login(directus: DirectusClient, members: Members, mode: Mode) -> Login:
    """The member's `auth_login` in `mode`: a precondition here, answered with the mode's credential."""
    member = members.member
    result = directus.graphql_login(member.email, member.password, mode)
    expect_status(result.response, 200, why=f"auth_login in {mode} mode")
    expect(error_code(result.response) is None, f"auth_login in {mode} mode without GraphQL errors", result.response)
    return result


def refused_with(response: httpx.Response, code: str, field: str, why: str) -> None:
    """A resolver's refusal, as GraphQL says it: HTTP 200, `data.<field>` null, `errors[0].extensions.code`."""
    expect_status(response, 200, code, why=why)
    expect(graphql_data(response).get(field) is None, f"no data for {field} ({why})", response)


@check(
    "GQL-LOGIN",
    level="MUST",
    needs=NEEDS,
    refs=(*REFS, "/reference/authentication"),
    title="auth_login hands out each mode's credentials as POST /auth/login does: tokens in the body (json), the "
    "HttpOnly refresh cookie (cookie), the HttpOnly session cookie only (session); each authenticates the member",
)
@pytest.mark.parametrize("mode", MODES)
def test_graphql_login_hands_out_the_mode_s_credentials(directus: DirectusClient, members: Members, mode: Mode) -> None:
    result = graphql_login(directus, members, mode)
    response = result.response
    expect(result.expires_ms is not None and result.expires_ms > 0, "expires, in milliseconds", response)
    if mode == "json":
        expect(bool(result.access_token and result.refresh_token), "access_token and refresh_token", response)
        headers = bearer(received(result.access_token, "an access token", response))
    else:
        cookie = received(result.cookie, f"auth_login in {mode} mode sets its cookie", response)
        expect(cookie.has("httponly"), f"the HttpOnly attribute on {cookie.name}", response)
        expect(result.refresh_token is None, "no refresh_token in the body (it is in the cookie)", response)
        if mode == "session":
            expect(result.access_token is None, "no access_token in the body (the cookie is the credential)", response)
            headers = directus.session_headers(cookie.value)
        else:
            headers = bearer(received(result.access_token, "an access token", response))
    expect_user(whoami(directus, headers), members.member, f"the {mode} credential from auth_login")


@check(
    "GQL-LOGIN-NO-ENUMERATION",
    level="MUST",
    needs=NEEDS,
    refs=(*REFS, "api/src/auth/drivers/local.ts", "v5.0.0-6.3.8"),
    title="auth_login refuses a wrong password and an unknown email alike: data.auth_login null, INVALID_CREDENTIALS",
)
@pytest.mark.parametrize("who", ["wrong password", "unknown email"])
def test_graphql_login_does_not_tell_who_exists(directus: DirectusClient, members: Members, who: str) -> None:
    email = members.reader.email if who == "wrong password" else f"nobody+{secrets.token_hex(4)}@example.com"
    result = directus.graphql_login(email, secrets.token_urlsafe(12))
    refused_with(result.response, "INVALID_CREDENTIALS", "auth_login", f"a login with {who}")


@check(
    "GQL-REFRESH-SINGLE-USE",
    level="MUST",
    needs=NEEDS,
    refs=(*REFS, "api/src/services/authentication.ts", "v5.0.0-7.2.4"),
    title="auth_refresh rotates the refresh token: the new one works, the old one is refused (INVALID_CREDENTIALS)",
)
@pytest.mark.parametrize("mode", REFRESH_TOKEN_MODES)
def test_graphql_refresh_token_is_single_use(directus: DirectusClient, members: Members, mode: Mode) -> None:
    old = received(refresh_secret(graphql_login(directus, members, mode), mode), "a refresh token")
    rotated = graphql_refresh(directus, mode, old)
    expect_status(rotated.response, 200, why="the first auth_refresh")
    new = refresh_secret(rotated, mode)
    expect(new is not None and new != old, "a new refresh token from auth_refresh", rotated.response)
    replayed = graphql_refresh(directus, mode, old)
    refused_with(replayed.response, "INVALID_CREDENTIALS", "auth_refresh", "auth_refresh with the rotated-out token")
    expect_status(graphql_refresh(directus, mode, new).response, 200, why="auth_refresh with the new token")


def graphql_refresh(directus: DirectusClient, mode: Mode, secret: str | None) -> Login:
    return directus.graphql_refresh(mode, refresh_token=secret if mode == "json" else None, cookie=secret)


@check(
    "GQL-LOGOUT-REVOKES",
    level="MUST",
    needs=NEEDS,
    refs=(*REFS, "api/src/controllers/auth.ts", "v5.0.0-7.4.1"),
    title="After auth_logout (true), the refresh token is refused by auth_refresh, and a session cookie by every "
    "request (401)",
)
@pytest.mark.parametrize(
    "mode",
    [
        "json",
        pytest.param("cookie", marks=needs(GRAPHQL_LOGOUT_MODE)),
        pytest.param("session", marks=needs(SESSION_MODE)),
    ],
)
def test_graphql_logout_revokes(directus: DirectusClient, members: Members, mode: Mode) -> None:
    secret = received(refresh_secret(graphql_login(directus, members, mode), mode), f"a {mode} refresh credential")
    logout = directus.graphql_logout(mode, refresh_token=secret if mode == "json" else None, cookie=secret)
    expect(graphql_data(logout).get("auth_logout") is True, "auth_logout answers true", logout)
    if mode == "session":
        expect_status(
            whoami(directus, directus.session_headers(secret)),
            401,
            "INVALID_CREDENTIALS",
            why="the session cookie after auth_logout",
        )
    else:
        replayed = graphql_refresh(directus, mode, secret)
        refused_with(replayed.response, "INVALID_CREDENTIALS", "auth_refresh", "auth_refresh after auth_logout")


ALIASED_PASSWORD_REQUESTS = """mutation {
  first: auth_password_request(email: "nobody+first@example.invalid")
  second: auth_password_request(email: "nobody+second@example.invalid")
}"""


@check(
    "GQL-AUTH-MUTATION-ONCE",
    level="MUST",
    needs=NEEDS,
    refs=(*REFS, "GHSA-g293-vf99-xv36", "v5.0.0-6.3.1"),
    title="A GraphQL request carrying an auth mutation twice (aliases) is refused, so one request cannot make many "
    "attempts past the rate limiter",
)
def test_graphql_auth_mutation_runs_once_per_request(directus: DirectusClient) -> None:
    """Two aliased auth_password_request for addresses no account has: nobody gets mail or a strike."""
    response = directus.graphql(ALIASED_PASSWORD_REQUESTS)
    data = json_body(response).get("data") or {}
    executed = [alias for alias in ("first", "second") if data.get(alias) is not None]
    expect(
        not executed and error_code(response) is not None,
        f"a GraphQL error and neither alias executed (executed: {executed or 'none'})",
        response,
    )


@check(
    "GQL-ANON-NO-ME",
    level="MUST",
    needs=NEEDS,
    refs=(*REFS, "api/src/services/graphql/schema/index.ts"),
    title="An anonymous users_me on /graphql/system gives no user: the field does not exist for the public "
    "(GRAPHQL_VALIDATION) or is null",
)
def test_anonymous_users_me_gives_no_user(directus: DirectusClient) -> None:
    response = directus.graphql("{ users_me { id email } }")
    expect(not graphql_data(response).get("users_me"), "no users_me for an anonymous request", response)
    expect(error_code(response) is not None or response.status_code >= 400, "a refusal, not an empty answer", response)


@check(
    "GQL-BAD-TOKEN",
    level="MUST",
    needs=NEEDS,
    refs=(GRAPHQL_DOCS, "api/src/middleware/authenticate.ts", "/guides/connect/errors"),
    title="A bad token on a GraphQL request is refused before any resolver runs, as on REST: an unknown token "
    "401 INVALID_CREDENTIALS, a re-signed one 403 INVALID_TOKEN",
)
@pytest.mark.parametrize("token", ["unknown static token", "re-signed with another key"])
def test_bad_token_is_refused_before_graphql(directus: DirectusClient, members: Members, token: str) -> None:
    if token == "unknown static token":
        value, status, code = secrets.token_urlsafe(32), 401, "INVALID_CREDENTIALS"
    else:
        value, status, code = forge(access_token(directus, members.reader), token), 403, "INVALID_TOKEN"
    response = directus.graphql("{ users_me { id } }", headers=bearer(value))
    expect_status(response, status, code, why=f"a GraphQL request with an {token}")
    expect(not graphql_data(response), "no data", response)


@check(
    "GQL-SCHEMA-NO-PRIVATE",
    level="MUST",
    needs=(*NEEDS, Need.CAST),
    refs=(GRAPHQL_DOCS, "api/src/services/graphql/schema/index.ts", "/reference/system/server"),
    title="The schema the public sees (introspection on /graphql, the SDL of GET /server/specs/graphql/items) names "
    "no collection the public cannot read",
)
@pytest.mark.parametrize("door", ["introspection", "SDL"])
def test_public_schema_names_no_private_collection(directus: DirectusClient, cast: Cast, door: str) -> None:
    if door == "introspection":
        response = directus.graphql("{ __schema { queryType { fields { name } } } }", system=False)
    else:
        response = directus.request("GET", "/server/specs/graphql/items")
    expect(cast.collection not in response.text, f"no mention of {cast.collection} in the public's schema", response)


INTROSPECTION = "{ __schema { queryType { name } } }"


@check(
    "GQL-INTROSPECTION-OFF-NO-SDL",
    level="SHOULD",
    needs=NEEDS,
    refs=(GRAPHQL_DOCS, "api/src/controllers/server.ts", "GHSA-wxwm-3fxv-mrvx", "CVE-2026-35413"),
    title="With introspection off (GRAPHQL_INTROSPECTION=false) the schema is not served as SDL either: GET "
    "/server/specs/graphql/{items,system} gives none, to the public or a member",
)
@pytest.mark.parametrize("scope", ["items", "system"])
@pytest.mark.parametrize("caller", ["anonymous", "member"])
def test_introspection_off_serves_no_sdl(directus: DirectusClient, members: Members, scope: str, caller: str) -> None:
    probe = directus.graphql(INTROSPECTION, system=False)
    if graphql_data(probe).get("__schema"):
        pytest.skip("introspection is on (GRAPHQL_INTROSPECTION, true by default): the schema is served by design")
    headers = bearer(access_token(directus, members.reader)) if caller == "member" else None
    response = directus.request("GET", f"/server/specs/graphql/{scope}", headers=headers)
    expect(
        response.status_code != 200 or "type Query" not in response.text,
        f"no SDL for {'a member' if caller == 'member' else 'the public'} while introspection is off",
        response,
    )
