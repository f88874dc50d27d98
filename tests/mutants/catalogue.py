"""The mutants: realistic ways a server, a proxy in front of it or a misconfiguration breaks Directus auth.

Each names the behaviour it breaks and the exact check IDs that must fail because of it (and no others).
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from dataclasses import replace
from typing import Any, ClassVar
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import httpx
import jwt

from conformance.embedded import DEFAULT_VERSION
from conformance.embedded.known_advisories import known_advisory_waivers
from conformance.totp import DirectusTOTP
from tests.mutants.account_mutants import ACCOUNT_MUTANTS
from tests.mutants.client_mutants import CLIENT_MUTANTS
from tests.mutants.exchange import FILE_ITEM, POSTS_ITEM, POSTS_LIST, as_admin, bearer_token
from tests.mutants.field_mutants import FIELD_MUTANTS
from tests.mutants.proxy import (
    CookieRewrite,
    Described,
    ProxyRequest,
    Upstream,
    error,
    respond,
    set_cookie_headers,
    with_headers,
)
from tests.mutants.share_mutants import SHARE_MUTANTS
from tests.mutants.socket_mutants import SOCKET_MUTANTS
from tests.mutants.write_mutants import WRITE_MUTANTS

USER_ITEM = re.compile(r"^/users/[0-9a-f-]{36}$")


REFRESH_COOKIE, SESSION_COOKIE = "directus_refresh_token", "directus_session_token"
REFRESH_COOKIES = (REFRESH_COOKIE, SESSION_COOKIE)  # the cookies that carry a refresh credential, by mode


def sent_credential(request: ProxyRequest, cookies: tuple[str, ...] = REFRESH_COOKIES) -> str | None:
    """The refresh credential a request carries: `refresh_token` in a JSON body, else one of `cookies`."""
    body = request.json() if request.body else None
    token = body.get("refresh_token") if isinstance(body, dict) else None
    if isinstance(token, str) and token:
        return token
    cookie = request.header("cookie") or ""
    for name in cookies:
        match = re.search(rf"{name}=([^;]+)", cookie)
        if match:
            return match.group(1)
    return None


def issued_credential(response: httpx.Response, cookies: tuple[str, ...] = REFRESH_COOKIES) -> str | None:
    """The refresh credential a login or refresh answer hands out: the body's refresh_token, else one of `cookies`."""
    if response.status_code != 200:
        return None
    try:
        body = response.json()
    except ValueError:
        body = None
    data = body.get("data") if isinstance(body, dict) else None
    token = data.get("refresh_token") if isinstance(data, dict) else None
    return token or next(filter(None, (response.cookies.get(name) for name in cookies)), None)


class PublicRead(Described):
    """Anonymous GETs of `path` are served as if the public policy could read them (a permission given to Public)."""

    path: ClassVar[re.Pattern[str]]

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        if request.method == "GET" and request.is_anonymous and self.path.match(request.path):
            return as_admin(request, upstream)
        return request


class PublicPostsList(PublicRead):
    name = "public-posts-list"
    behaviour = "Unauthenticated requests are refused"
    description = "the public policy can list posts (a read permission given to Public by mistake)"
    expected = frozenset(
        {"ANON-LIST-403", "ANON-UNKNOWN-COLLECTION-403", "OAS-AUTH-ENFORCED", "TRANSPORT-MALFORMED-HEADER-ANONYMOUS"}
    )
    path = POSTS_LIST


class UnknownCollection404(Described):
    name = "unknown-collection-404"
    behaviour = "Unauthenticated requests are refused"
    description = "a collection that does not exist answers 404 (an existence oracle), e.g. from a gateway route map"
    expected = frozenset({"ANON-UNKNOWN-COLLECTION-403"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        if request.path.startswith("/items/") and request.path.split("/")[2].endswith("_nonexistent"):
            return error(404, "ROUTE_NOT_FOUND")
        return request


class AnonymousMe403(Described):
    name = "anonymous-me-403"
    behaviour = "Unauthenticated requests are refused"
    description = "anonymous /users/me answers 403 FORBIDDEN instead of 401 (a WAF normalising auth errors)"
    expected = frozenset({"ANON-ME-401"})

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        if request.path == "/users/me" and request.is_anonymous and response.status_code == 401:
            return error(403, "FORBIDDEN")
        return response


class QueryTokenDroppedWhenHeader(Described):
    name = "header-wins-over-query"
    behaviour = "Token transport"
    description = "a proxy drops ?access_token= when an Authorization header is present (pre-10.10 behaviour)"
    expected = frozenset({"TRANSPORT-HEADER-AND-QUERY-400"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        if bearer_token(request) and request.param("access_token"):
            request.query = [(k, v) for k, v in request.query if k != "access_token"]
        return request


class LenientScheme(Described):
    name = "lenient-auth-scheme"
    behaviour = "Token transport"
    description = "a gateway rewrites any `Authorization: <scheme> <token>` to `Bearer <token>`"
    expected = frozenset({"PROP-AUTH-HEADER-SHAPE", "TRANSPORT-MALFORMED-HEADER-ANONYMOUS"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        parts = (request.header("authorization") or "").split(" ")
        if len(parts) == 2 and parts[0].lower() == "token":
            request.set_header("Authorization", f"Bearer {parts[1]}")
        return request


class UnverifiedSignature(Described):
    name = "jwt-signature-not-verified"
    behaviour = "Bad tokens are refused"
    description = "JWT claims are trusted without verifying the signature (decode instead of verify)"
    expected = frozenset({"BADTOKEN-FORGED-403", "GQL-BAD-TOKEN", "PROP-ACCESS-TOKEN-MUTATED"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        token = bearer_token(request)
        if token and token.startswith("eyJ"):
            try:
                jwt.decode(token, upstream.secret, algorithms=["HS256"], issuer="directus")
            except jwt.ExpiredSignatureError:
                return request
            except jwt.InvalidTokenError:
                try:
                    claims = jwt.decode(token, options={"verify_signature": False})
                except jwt.InvalidTokenError:  # not even decodable: nothing to re-sign
                    return request
                if claims.get("iss") == "directus":
                    resigned = jwt.encode(claims, upstream.secret, algorithm="HS256")
                    request.set_header("Authorization", f"Bearer {resigned}")
        return request


class ExpiredAsInvalid(Described):
    name = "expired-reported-as-invalid"
    behaviour = "Bad tokens are refused"
    description = "an expired token answers 403 INVALID_TOKEN, so clients never know to refresh"
    # every expired token: the access token, and the mailed reset and verification links past their expiry
    expected = frozenset({"BADTOKEN-EXPIRED-401", "REGISTER-EXPIRED-LINK-REFUSED", "RESET-BAD-TOKEN-4XX"})

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        if response.status_code == 401 and b"TOKEN_EXPIRED" in response.content:
            return error(403, "INVALID_TOKEN")
        return response


class ExpiresInSeconds(Described):
    name = "expires-in-seconds"
    behaviour = "Login"
    description = "login answers `expires` in seconds instead of milliseconds"
    expected = frozenset({"LOGIN-JSON"})

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        if request.path == "/auth/login" and response.status_code == 200:
            body = response.json()
            body["data"]["expires"] = body["data"]["expires"] // 1000
            return respond(200, body, set_cookie_headers(response))
        return response


class UserEnumeration(Described):
    name = "login-user-enumeration"
    behaviour = "Login"
    description = "a login for an email that has no account answers 404, revealing which emails exist"
    expected = frozenset({"LOGIN-NO-ENUMERATION"})

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        body = request.json()
        if request.path == "/auth/login" and response.status_code == 401 and isinstance(body, dict):
            found = upstream.admin(
                "GET", "/users", params={"filter[email][_eq]": str(body.get("email")), "fields": "id"}
            )
            if not found.json()["data"]:
                return error(404, "USER_NOT_FOUND")
        return response


class ReplayCache(Described):
    name = "refresh-replay-cache"
    behaviour = "Refresh tokens are single-use"
    description = "an idempotency cache answers a replayed refresh token with the successor it already got"
    expected = frozenset({"COOKIE-ROTATES", "LIFECYCLE-STATE-MACHINE", "REFRESH-SINGLE-USE"})

    def __init__(self) -> None:
        self.answers: dict[str, httpx.Response] = {}
        self.lock = threading.Lock()

    def key(self, request: ProxyRequest) -> str | None:
        """The refresh token a refresh request sends (None for any other request)."""
        return sent_credential(request, cookies=(REFRESH_COOKIE,)) if request.path == "/auth/refresh" else None

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        key = self.key(request)
        with self.lock:
            return self.answers.get(key, request) if key else request

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        key = self.key(request)
        if key and response.status_code == 200:
            with self.lock:
                self.answers[key] = response
        return response


class StickySession(Described):
    name = "sticky-session"
    behaviour = "Refresh tokens are single-use"
    description = "a proxy upgrades any superseded session cookie to the newest one it has seen for that session"
    expected = frozenset({"REFRESH-SESSION-ROTATES"})

    def __init__(self) -> None:
        self.newer: dict[str, str] = {}
        self.lock = threading.Lock()

    @staticmethod
    def session(request: ProxyRequest) -> str | None:
        match = re.search(r"directus_session_token=([^;]+)", request.header("cookie") or "")
        return match.group(1) if match else None

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        old = self.session(request)
        with self.lock:
            if old in self.newer and request.path != "/auth/refresh":
                request.set_header("Cookie", f"directus_session_token={self.newer[old]}")
        return request

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        old = self.session(request)
        new = response.cookies.get("directus_session_token")
        if request.path == "/auth/refresh" and old and new:
            with self.lock:
                self.newer[old] = new
        return response


class LogoutNoop(Described):
    name = "logout-revokes-nothing"
    behaviour = "Logout"
    description = "logout answers 204 and clears the cookie but never reaches the server (an edge function)"
    expected = frozenset({"LIFECYCLE-STATE-MACHINE", "LOGOUT-REVOKES", "SDK-LOGOUT"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        if request.path == "/auth/logout":
            cookies = []
            for name in ("directus_refresh_token", "directus_session_token"):
                if f"{name}=" in (request.header("cookie") or ""):
                    cookies.append(f"{name}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax")
            return respond(204, headers=[("set-cookie", cookie) for cookie in cookies])
        return request


class Logout200(Described):
    name = "logout-200-with-body"
    behaviour = "Logout"
    description = "logout answers 200 with a JSON body (as Directus's own OpenAPI document says) instead of 204"
    expected = frozenset({"LIFECYCLE-STATE-MACHINE", "LOGOUT-204"})

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        if request.path == "/auth/logout" and response.status_code == 204:
            return respond(200, {"data": None}, set_cookie_headers(response))
        return response


class LogoutKeepsCookie(Described):
    name = "logout-keeps-cookie"
    behaviour = "Logout"
    description = "a CDN strips Set-Cookie from logout responses, so the browser keeps the cookie"
    expected = frozenset({"BROWSER-LOGOUT-EMPTIES-JAR", "LOGOUT-CLEARS-COOKIE"})

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        if request.path == "/auth/logout":
            return with_headers(response, [(k, v) for k, v in response.headers.multi_items() if k != "set-cookie"])
        return response


class CookieNotHttpOnly(CookieRewrite):
    name = "refresh-cookie-not-httponly"
    behaviour = "Cookie mode"
    description = "the refresh cookie loses HttpOnly (a proxy rewriting cookies for a front-end that reads them)"
    expected = frozenset(
        {
            "BROWSER-COOKIE-HIDDEN-FROM-SCRIPT",  # [cookie]: the page's script reads the refresh token
            "COOKIE-ATTRIBUTES",
            "COOKIE-ROTATES",
            "GQL-LOGIN",
            "LOGIN-COOKIE",
        }
    )
    cookies = (REFRESH_COOKIE,)

    def rewrite(self, set_cookie: str) -> str:
        return set_cookie.replace("; HttpOnly", "")


class SessionCookieStripped(Described):
    name = "session-cookie-stripped"
    behaviour = "Session mode"
    description = "a cache in front strips the Cookie header from data requests, so session mode cannot work"
    expected = frozenset(
        {
            "BROWSER-COOKIE-AUTHENTICATES",  # [session]: the page's /users/me
            "GQL-LOGIN",
            "GQL-LOGOUT-REVOKES",
            "GQL-REFRESH-SINGLE-USE",
            "LIFECYCLE-STATE-MACHINE",
            "LOGOUT-204",
            "LOGOUT-CLEARS-COOKIE",
            "LOGOUT-REVOKES",
            "OWNERSHIP-LIST",
            "OWNERSHIP-OTHERS-403",
            "OWNERSHIP-UPDATE-OWN",
            "REFRESH-SESSION-ROTATES",
            "SDK-LOGIN",  # [session]: readMe with the session cookie, and the steps after it
            "SDK-LOGOUT",
            "SDK-REFRESH",
            "SESSION-COOKIE-AUTHENTICATES",
            "SESSION-COOKIE-OWNERSHIP",
            "SESSION-REFRESH",
            "USERSTATE-SUSPENDED-SESSION-401",
        }
    )

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        if not request.path.startswith("/auth/"):
            request.set_header("Cookie", None)
        return request


class AuthResponseCache(Described):
    name = "auth-response-cache"
    behaviour = "Static tokens"
    description = "a cache keyed on the URL and the Authorization header serves /users/me (a token→user cache)"
    expected = frozenset({"STATIC-REGENERATION", "STATIC-REVOKE", "USERSTATE-SUSPENDED-LOGIN-401"})

    def __init__(self) -> None:
        self.cache: dict[tuple[str, str], httpx.Response] = {}
        self.lock = threading.Lock()

    @staticmethod
    def key(request: ProxyRequest) -> tuple[str, str] | None:
        """Only for GET /users/me with a bearer token. The URL is part of the key as in any HTTP cache (Vary:
        Authorization): two logins of one user in the same second get the same JWT, so a token alone could serve
        one check's answer to another check's different request."""
        token = bearer_token(request)
        if request.path != "/users/me" or request.method != "GET" or not token:
            return None
        return urlencode(request.query), token

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        key = self.key(request)
        if key:
            with self.lock:
                return self.cache.get(key, request)
        return request

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        key = self.key(request)
        if key and response.status_code == 200:
            with self.lock:
                self.cache[key] = response
        return response


class TokenNotConcealed(Described):
    name = "static-token-not-concealed"
    behaviour = "Static tokens"
    description = "the token field reads back in clear (the `conceal` special removed from directus_users.token)"
    expected = frozenset({"STATIC-MASKED"})

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        if USER_ITEM.match(request.path) and b'"token":"**********"' in response.content:
            token = base64.b32encode(request.path.encode()).decode()[:32]
            return respond(response.status_code, json.loads(response.content.replace(b"**********", token.encode())))
        return response


class AggregateUnfiltered(Described):
    name = "aggregate-ignores-permissions"
    behaviour = "Ownership filtering"
    description = "aggregate queries skip the permission filter (counts over every row)"
    expected = frozenset(
        {
            "OWNERSHIP-NO-LEAK-REST",
            "HIDDEN-AGGREGATE-NOT-REVEALED",  # grouped by the hidden field
            "HIDDEN-RELATION-NOT-READ",  # the maximum of the authors' emails, as the admin reads them
        }
    )

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        if (
            POSTS_LIST.match(request.path)
            and any(k.startswith("aggregate") for k, _ in request.query)
            and not request.is_anonymous
        ):
            return as_admin(request, upstream)
        return request


class SessionListUnfiltered(Described):
    name = "session-list-ignores-ownership"
    behaviour = "Session mode"
    description = "a list authenticated by the session cookie alone skips the item filter (every post comes back)"
    expected = frozenset({"OWNERSHIP-LIST", "SESSION-COOKIE-OWNERSHIP"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        cookie = request.header("cookie") or ""
        if POSTS_LIST.match(request.path) and SESSION_COOKIE in cookie and not bearer_token(request):
            return as_admin(request, upstream)
        return request


class UpdateUnfiltered(Described):
    name = "update-ignores-ownership"
    behaviour = "Ownership filtering"
    description = "updates skip the item filter: a member may change anyone's post (read still filtered)"
    expected = frozenset(
        {
            "OAS-AUTH-ENFORCED",
            "OWNERSHIP-OTHERS-403",
            "SHARE-READS-ITS-ITEM-ONLY",  # a share's session updates too
            "WRITE-UPDATE-CANNOT-HAND-AWAY",  # as the admin, the validation author = $CURRENT_USER is skipped too
            "POLICIES-GRANT-PER-ITEM",  # as the admin, the other policy's field is written too
        }
    )

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        if request.method == "PATCH" and POSTS_ITEM.match(request.path) and not request.is_anonymous:
            body = request.json()
            flat = isinstance(body, dict) and not any(isinstance(v, (dict, list)) for v in body.values())
            # the item filter only: nested writes (a new author…) keep the member's rights, or they would create users
            return as_admin(request, upstream) if flat else request
        return request


class GraphqlUnfiltered(Described):
    name = "graphql-ignores-permissions"
    behaviour = "Ownership filtering"
    description = "the GraphQL endpoint resolves item queries without the caller's permissions"
    expected = frozenset({"OWNERSHIP-NO-LEAK-GRAPHQL"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        if request.path == "/graphql" and not request.is_anonymous:
            return as_admin(request, upstream)
        return request


class SuspensionIgnored(Described):
    name = "suspension-not-applied"
    behaviour = "User state"
    description = "a status change to suspended is not applied (a gateway's field allow-list drops `status`)"
    expected = frozenset(
        {"USERSTATE-SUSPENDED-LOGIN-401", "USERSTATE-SUSPENDED-REFRESH-401", "USERSTATE-SUSPENDED-SESSION-401"}
    )

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        body = request.json()
        if (
            request.method == "PATCH"
            and USER_ITEM.match(request.path)
            and isinstance(body, dict)
            and body.get("status") == "suspended"
        ):
            return respond(200, {"data": {"id": request.path.rsplit("/", 1)[1], "status": "suspended"}})
        return request


class OtpNotEnforced(Described):
    name = "otp-not-enforced"
    behaviour = "Two-factor authentication"
    description = "a login proxy completes the OTP itself (it learnt the secret at enrolment): TFA is not enforced"
    expected = frozenset({"TFA-OTP-REQUIRED", "TFA-WRONG-OTP"})

    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        body = request.json() if request.path == "/auth/login" else None
        email = body.get("email") if isinstance(body, dict) else None  # generated bodies carry any JSON there
        if isinstance(body, dict) and isinstance(email, str) and email in self.secrets:
            request.set_json({**body, "otp": DirectusTOTP(self.secrets[email]).now()})
        return request

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        if request.path == "/users/me/tfa/generate" and response.status_code == 200:
            url = urlsplit(response.json()["data"]["otpauth_url"])
            email = unquote(url.path.rsplit(":", 1)[-1])
            self.secrets[email] = parse_qs(url.query)["secret"][0]
        return response


MUTANTS: list[type[Described]] = [
    PublicPostsList,
    UnknownCollection404,
    AnonymousMe403,
    QueryTokenDroppedWhenHeader,
    LenientScheme,
    UnverifiedSignature,
    ExpiredAsInvalid,
    ExpiresInSeconds,
    UserEnumeration,
    ReplayCache,
    StickySession,
    LogoutNoop,
    Logout200,
    LogoutKeepsCookie,
    CookieNotHttpOnly,
    SessionCookieStripped,
    AuthResponseCache,
    TokenNotConcealed,
    AggregateUnfiltered,
    SessionListUnfiltered,
    UpdateUnfiltered,
    GraphqlUnfiltered,
    SuspensionIgnored,
    OtpNotEnforced,
]


def describe(mutant: type[Described]) -> dict[str, Any]:
    return {
        "name": mutant.name,
        "behaviour": mutant.behaviour,
        "description": mutant.description,
        "expected": sorted(mutant.expected),
    }


class PublicItemRead(PublicRead):
    name = "public-item-read"
    behaviour = "Unauthenticated requests are refused"
    description = "the public policy can read single posts by id (a permission on the item route only)"
    expected = frozenset({"ANON-ITEM-403", "SHARE-ANSWER-NOT-SERVED-TO-OTHERS"})  # its anonymous read of a post
    path = POSTS_ITEM


class PublicRoles(PublicRead):
    name = "public-roles-readable"
    behaviour = "Unauthenticated requests are refused"
    description = "the public policy can read directus_roles (a system permission granted to Public)"
    expected = frozenset({"ANON-SYSTEM-403"})
    path = re.compile(r"^/roles$")


class AnonymousWrite401(Described):
    name = "anonymous-write-401"
    behaviour = "Unauthenticated requests are refused"
    description = "an edge gateway answers anonymous writes with 401 before Directus decides (403 FORBIDDEN)"
    expected = frozenset({"ANON-WRITE-403"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        if (
            request.method in ("POST", "PATCH", "DELETE")
            and request.path.startswith("/items/")
            and request.is_anonymous
        ):
            return error(401, "INVALID_CREDENTIALS")
        return request


class UnknownToken403(Described):
    name = "unknown-token-403"
    behaviour = "Bad tokens are refused"
    description = "a gateway turns 401 for a non-JWT token into 403 FORBIDDEN (clients cannot tell expiry from denial)"
    expected = frozenset(
        {
            "BADTOKEN-UNKNOWN-401",
            "GQL-BAD-TOKEN",
            "STATIC-MEMBER-CANNOT-SET",
            "STATIC-REGENERATION",
            "STATIC-REVOKE",
            "USERSTATE-SUSPENDED-LOGIN-401",
        }
    )

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        token = bearer_token(request)
        if token and not token.startswith("eyJ") and response.status_code == 401:
            return error(403, "FORBIDDEN")
        return response


class LoginReplayCache(Described):
    name = "login-response-cache"
    behaviour = "Login"
    description = (
        "a cache answers an identical login body with the tokens it answered before (scoped to throwaway users, "
        "whom no two checks share; no expiry, so what it catches does not depend on timing)"
    )
    expected = frozenset({"LOGIN-FRESH-TOKENS", "LOGIN-LIMIT-SUSPENDS", "TFA-OTP-REQUIRED"})

    def __init__(self) -> None:
        self.cache: dict[bytes, httpx.Response] = {}
        self.lock = threading.Lock()

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        if request.path == "/auth/login" and b"throwaway" in request.body:
            with self.lock:
                hit = self.cache.get(request.body)
            if hit:
                return hit
        return request

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        if request.path == "/auth/login" and b"throwaway" in request.body and response.status_code == 200:
            with self.lock:
                self.cache[request.body] = response
        return response


class LoginPayloadNotValidated(Described):
    name = "login-payload-not-validated"
    behaviour = "Login"
    description = "a login without a password or with a malformed email answers 401 instead of 400 INVALID_PAYLOAD"
    expected = frozenset({"LOGIN-INVALID-PAYLOAD-400"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        body = request.json()
        if (
            request.path == "/auth/login"
            and isinstance(body, dict)
            and ("password" not in body or "@" not in str(body.get("email", "@")))
        ):
            return error(401, "INVALID_CREDENTIALS")
        return request


class SessionLoginLeaksToken(Described):
    name = "session-login-returns-token"
    behaviour = "Login"
    description = "a session-mode login also returns the access token in the body (an auth hook adds it)"
    expected = frozenset({"LOGIN-SESSION"})

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        body = request.json()
        if (
            request.path == "/auth/login"
            and isinstance(body, dict)
            and body.get("mode") == "session"
            and response.status_code == 200
        ):
            data = response.json()
            data["data"]["access_token"] = response.cookies.get("directus_session_token")
            return respond(200, data, set_cookie_headers(response))
        return response


class RefreshWithoutToken401(Described):
    name = "refresh-without-token-401"
    behaviour = "Refresh tokens are single-use"
    description = "a refresh carrying no token answers 401 instead of 400 INVALID_PAYLOAD"
    expected = frozenset({"REFRESH-NO-TOKEN-400"})

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        if request.path == "/auth/refresh" and response.status_code == 400:
            return error(401, "INVALID_CREDENTIALS")
        return response


class RefreshRefusal403(Described):
    name = "refresh-refusal-403"
    behaviour = "Refresh tokens are single-use"
    description = "a refused refresh answers 403 INVALID_TOKEN instead of 401 INVALID_CREDENTIALS"
    expected = frozenset(
        {
            "RESET-ENDS-SESSIONS",
            "COOKIE-ROTATES",
            "LIFECYCLE-STATE-MACHINE",
            "LOGOUT-REVOKES",
            "REFRESH-SINGLE-USE",
            "REFRESH-UNKNOWN-401",
            "SOCKET-AUTH-CREDENTIALS",  # the refresh token a socket's auth spent, replayed over REST
            "USERSTATE-PASSWORD-CHANGE-401",
            "USERSTATE-SUSPENDED-REFRESH-401",
        }
    )

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        if request.path == "/auth/refresh" and response.status_code == 401:
            return error(403, "INVALID_TOKEN")
        return response


class SessionCookieNoSameSite(CookieRewrite):
    name = "session-cookie-no-samesite"
    behaviour = "Session mode"
    description = "the session cookie loses its SameSite attribute (a proxy rewriting cookies for cross-site use)"
    # not BROWSER-COOKIE-WITHHELD-CROSS-SITE: a browser takes a cookie without SameSite as Lax
    expected = frozenset({"SESSION-COOKIE-ATTRIBUTES"})
    cookies = (SESSION_COOKIE,)

    def rewrite(self, set_cookie: str) -> str:
        return re.sub(r"; SameSite=\w+", "", set_cookie)


class StaticTokensDropped(Described):
    name = "static-tokens-dropped"
    behaviour = "Static tokens"
    description = "a gateway forwards only JWT bearer tokens, so static tokens arrive as anonymous requests"
    expected = frozenset(
        {
            "IP-ACCESS-REFUSES-OTHER-ADDRESSES",
            "GQL-BAD-TOKEN",
            "OAS-AUTH-ENFORCED",
            "OAS-NO-5XX",
            "OAS-RESPONSE-CONFORMS",
            "OWNERSHIP-LIST",
            "OWNERSHIP-NO-LEAK-GRAPHQL",
            "OWNERSHIP-NO-LEAK-REST",
            "OWNERSHIP-OTHERS-403",
            "OWNERSHIP-UPDATE-OWN",
            "SOCKET-SUBSCRIBE-OWN-ONLY",  # another member's write over REST, by her static token
            "GQL-SOCKET-SUBSCRIPTION-OWN-ONLY",
            "HIDDEN-FIELD-NOT-READ",  # the owner's own post, by her static token, is the positive control
            "HIDDEN-SEARCH-NEVER-MATCHES",
            "SHARE-NO-MORE-THAN-THE-SHARER",  # the owner shares her post by her static token
            "STATIC-AUTHENTICATES",
            "STATIC-REGENERATION",
            "STATIC-REVOKE",
            # the throwaway users of the policy, rule and preset checks authenticate by their static tokens
            "POLICIES-GRANT-PER-ITEM",
            "RULES-EMPTY-IN-ACCEPTS-NOTHING",
            "RULES-EMPTY-IN-READS-NOTHING",
            "RULES-VARIABLES-RESOLVE-TO-CALLER",
            "WRITE-PRESET-STAYS-THE-USERS",
            "USERSTATE-SUSPENDED-LOGIN-401",
            # the user asking about their own concealed fields, and the uploader, use their static tokens too
            "CONCEALED-FILTER-NEVER-MATCHES",
            "CONCEALED-SEARCH-NEVER-MATCHES",
            "TUS-ID-OVERWRITES-NOTHING",
            "TUS-REPLACE-ID-OVERWRITES-NOTHING",
            "WRITE-FILE-KEEPS-ITS-OWN-DISK",
        }
    )

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        token = bearer_token(request)
        if token and not token.startswith("eyJ") and token != upstream.admin_token:
            request.set_header("Authorization", None)
        return request


class MemberSetsOwnToken(Described):
    name = "member-can-set-own-token"
    behaviour = "Static tokens"
    description = "a custom endpoint lets any user store their own static token (PATCH /users/me {token})"
    expected = frozenset({"STATIC-MEMBER-CANNOT-SET"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        body = request.json()
        if request.method == "PATCH" and request.path == "/users/me" and isinstance(body, dict) and "token" in body:
            me = upstream.send(ProxyRequest("GET", "/users/me", [("fields", "id")], dict(request.headers), b""))
            if me.status_code == 200:
                request.path = f"/users/{me.json()['data']['id']}"
                return as_admin(request, upstream)
        return request


class ClockSkew(Described):
    name = "otp-clock-skew"
    behaviour = "Two-factor authentication"
    description = "the server's clock is 90 s off: a valid one-time password is refused (401 INVALID_OTP)"
    expected = frozenset({"TFA-OTP-SINGLE-USE", "TFA-VALID-OTP"})

    def __init__(self) -> None:
        self.secrets = OtpNotEnforced()

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        body = request.json()
        secret = self.secrets.secrets.get(str(body.get("email"))) if isinstance(body, dict) else None
        if request.path == "/auth/login" and secret and body.get("otp"):
            body["otp"] = DirectusTOTP(secret).at(time.time() - 90)
            request.set_json(body)
        return request

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        return self.secrets.response(request, response, upstream)


class BearerStripped(Described):
    name = "authorization-header-stripped"
    behaviour = "Token transport"
    description = (
        "a web server in front drops the Authorization header (Apache without CGIPassAuth); only the operator's "
        "admin token reaches Directus by another route. Gross: every check that sends a Bearer credential notices"
    )
    expected = frozenset(
        {
            "IP-ACCESS-REFUSES-OTHER-ADDRESSES",
            "TFA-OTP-SINGLE-USE",
            "BADTOKEN-EXPIRED-401",
            "BADTOKEN-FORGED-403",
            "CONCEALED-AGGREGATE-MASKED",  # turning TOTP on for the tfa_secret cases takes the member's own token
            "CONCEALED-ALIAS-MASKED",
            "CONCEALED-EXPORT-MASKED",
            "CONCEALED-FILTER-NEVER-MATCHES",
            "CONCEALED-NESTED-MASKED",
            "CONCEALED-REVISIONS-MASKED",
            "CONCEALED-SEARCH-NEVER-MATCHES",
            "GQL-BAD-TOKEN",
            "GQL-LOGIN",
            "GQL-SOCKET-SUBSCRIPTION-OWN-ONLY",  # another member's write, by her static token
            "HIDDEN-FIELD-NOT-READ",  # the owner's static token
            "HIDDEN-SEARCH-NEVER-MATCHES",
            "LIFECYCLE-STATE-MACHINE",
            "OAS-AUTH-ENFORCED",
            "OAS-NO-5XX",
            "OAS-RESPONSE-CONFORMS",
            "OWNERSHIP-LIST",
            "OWNERSHIP-NO-LEAK-GRAPHQL",
            "OWNERSHIP-NO-LEAK-REST",
            "OWNERSHIP-OTHERS-403",
            "OWNERSHIP-UPDATE-OWN",
            "PROP-ACCESS-TOKEN-MUTATED",
            "PROP-AUTH-HEADER-SHAPE",
            "REFRESH-SINGLE-USE",
            "SDK-LOGIN",  # [json, cookie]: the SDK's readMe sends the access token as a Bearer
            "SDK-LOGOUT",
            "SDK-REFRESH",
            "SHARE-ANSWER-NOT-SERVED-TO-OTHERS",
            "SHARE-NO-MORE-THAN-THE-SHARER",
            "SHARE-READS-ITS-ITEM-ONLY",  # a share's session is a Bearer JWT
            "SOCKET-SUBSCRIBE-OWN-ONLY",
            "STATIC-AUTHENTICATES",
            "STATIC-MEMBER-CANNOT-SET",
            "STATIC-REGENERATION",
            "STATIC-REVOKE",
            # the policy, rule and preset checks' users send static tokens, the writers access tokens, in the header
            "POLICIES-GRANT-PER-ITEM",
            "RULES-EMPTY-IN-ACCEPTS-NOTHING",
            "RULES-EMPTY-IN-READS-NOTHING",
            "RULES-VARIABLES-RESOLVE-TO-CALLER",
            "TUS-ID-OVERWRITES-NOTHING",  # the uploader's own upload, the control, is refused
            "TUS-REPLACE-ID-OVERWRITES-NOTHING",
            "WRITE-FILE-KEEPS-ITS-OWN-DISK",  # so is the uploader's own file
            "WRITE-PRESET-STAYS-THE-USERS",
            "WRITE-CREATE-AS-ANOTHER-REFUSED",
            "WRITE-NEW-POST-IS-THE-CALLERS",
            "WRITE-UPDATE-CANNOT-HAND-AWAY",
            "TFA-OTP-REQUIRED",
            "TFA-SECRET-LENGTH",
            "TFA-VALID-OTP",
            "TFA-WRONG-OTP",
            "TRANSPORT-BEARER",
            "TRANSPORT-HEADER-AND-QUERY-400",
            "USERSTATE-SUSPENDED-LOGIN-401",
        }
    )

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        if bearer_token(request) != upstream.admin_token:
            request.set_header("Authorization", None)
        return request


class QueryTokenStripped(Described):
    name = "query-token-stripped"
    behaviour = "Token transport"
    description = "a CDN strips the access_token query parameter while normalising cache keys"
    expected = frozenset({"TRANSPORT-QUERY", "TRANSPORT-HEADER-AND-QUERY-400"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        request.query = [(k, v) for k, v in request.query if k != "access_token"]
        return request


class PasswordChangeKeepsSessions(Described):
    name = "password-change-keeps-sessions"
    behaviour = "User state"
    description = "sessions survive an admin's password change (a login proxy re-authenticates with the new password)"
    expected = frozenset({"USERSTATE-PASSWORD-CHANGE-401"})

    def __init__(self) -> None:
        self.owner: dict[str, str] = {}  # refresh credential -> email
        self.passwords: dict[str, str] = {}  # email -> password set by an admin
        self.lock = threading.Lock()

    @staticmethod
    def credential(request: ProxyRequest, response: httpx.Response | None = None) -> str | None:
        if response is not None:
            data = response.json().get("data") or {} if response.content else {}
            return (
                data.get("refresh_token")
                or response.cookies.get("directus_refresh_token")
                or response.cookies.get("directus_session_token")
            )
        return sent_credential(request, cookies=(REFRESH_COOKIE,)) or StickySession.session(request)

    def password_set(self, request: ProxyRequest, upstream: Upstream) -> tuple[str, str] | None:
        """Whose password the request sets, and to what: an admin's PATCH /users/:id."""
        body = request.json()
        sets_password = isinstance(body, dict) and "password" in body
        if request.method == "PATCH" and USER_ITEM.match(request.path) and sets_password:
            user = upstream.admin("GET", request.path, params={"fields": "email"}).json()["data"]
            return str(user["email"]), str(body["password"])
        return None

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        body = request.json()
        changed = self.password_set(request, upstream)
        if changed:
            with self.lock:
                self.passwords[changed[0]] = changed[1]
        if request.path == "/auth/refresh":
            key = self.credential(request)
            with self.lock:
                email = self.owner.get(key or "")
                password = self.passwords.get(email or "")
            if email and password:
                mode = (body or {}).get("mode", "json") if isinstance(body, dict) else "json"
                return upstream.send(
                    ProxyRequest(
                        "POST",
                        "/auth/login",
                        [],
                        {"content-type": "application/json"},
                        json.dumps({"email": email, "password": password, "mode": mode}).encode(),
                    )
                )
        return request

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        body = request.json()
        if request.path == "/auth/login" and response.status_code == 200 and isinstance(body, dict):
            key = self.credential(request, response)
            if key:
                with self.lock:
                    self.owner[key] = str(body.get("email"))
        return response


class ResetKeepsSessions(PasswordChangeKeepsSessions):
    name = "reset-keeps-sessions"
    behaviour = "Password reset"
    description = "sessions survive a password reset (directus_sessions not cleared, as before Directus 11.9)"
    expected = frozenset({"RESET-ENDS-SESSIONS"})

    def password_set(self, request: ProxyRequest, upstream: Upstream) -> tuple[str, str] | None:
        """A reset by mailed token: the email is the token's claim (its signature is Directus's to check)."""
        body = request.json()
        token = str(body.get("token")) if isinstance(body, dict) else ""
        if request.path == "/auth/password/reset" and token.startswith("eyJ"):
            claims = jwt.decode(token, options={"verify_signature": False})
            return str(claims.get("email")), str(body.get("password"))
        return None


MUTANTS += [
    PublicItemRead,
    PublicRoles,
    AnonymousWrite401,
    UnknownToken403,
    LoginReplayCache,
    LoginPayloadNotValidated,
    SessionLoginLeaksToken,
    RefreshWithoutToken401,
    RefreshRefusal403,
    SessionCookieNoSameSite,
    StaticTokensDropped,
    MemberSetsOwnToken,
    ClockSkew,
    BearerStripped,
    QueryTokenStripped,
    PasswordChangeKeepsSessions,
    ResetKeepsSessions,
]


# --- faults only the generative suites are built to find -------------------------------------------------------


class LogoutSparesRefreshed(Described):
    name = "logout-spares-refreshed-tokens"
    behaviour = "Token lifecycle (state machine)"
    description = (
        "logout ends a login's own refresh credential, but one handed out by a refresh is answered 204 and left "
        "alive (an edge function that only knows the tokens of logins)"
    )
    # and the SDK's flow, which refreshes before it logs out and then refreshes with what it held
    expected = frozenset({"LIFECYCLE-STATE-MACHINE", "SDK-LOGOUT"})

    def __init__(self) -> None:
        self.refreshed: set[str] = set()
        self.lock = threading.Lock()

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        with self.lock:
            spared = request.path == "/auth/logout" and sent_credential(request) in self.refreshed
        if spared:
            cleared = [f"{name}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax" for name in REFRESH_COOKIES]
            return respond(204, headers=[("set-cookie", cookie) for cookie in cleared])
        return request

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        issued = issued_credential(response) if request.path == "/auth/refresh" else None
        if issued:
            with self.lock:
                self.refreshed.add(issued)
        return response


class RefreshTokenPrefixMatch(Described):
    name = "refresh-token-prefix-match"
    behaviour = "Mutated credentials are refused"
    description = "refresh tokens are looked up by their first 32 characters only (a truncated index column)"
    expected = frozenset({"PROP-REFRESH-TOKEN-MUTATED"})
    prefix = 32
    # json and cookie refresh tokens only: a session token is a JWT, whose first 32 characters are the same header
    credentials = (REFRESH_COOKIE,)

    def __init__(self) -> None:
        self.issued: dict[str, str] = {}  # prefix -> the latest token issued with it
        self.lock = threading.Lock()

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        token = sent_credential(request, self.credentials) if request.path == "/auth/refresh" else None
        with self.lock:
            genuine = self.issued.get(token[: self.prefix]) if token and len(token) >= self.prefix else None
        if token and genuine and genuine != token:
            body = request.json()
            if isinstance(body, dict) and body.get("refresh_token") == token:
                request.set_json({**body, "refresh_token": genuine})
            else:
                request.set_header("Cookie", (request.header("cookie") or "").replace(token, genuine))
        return request

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        issued = (
            issued_credential(response, self.credentials) if request.path in ("/auth/login", "/auth/refresh") else None
        )
        if issued:
            with self.lock:
                self.issued[issued[: self.prefix]] = issued
        return response


class ItemsMetaCrash(Described):
    name = "items-meta-crash"
    behaviour = "OpenAPI operations hold under generated input"
    description = (
        "a read of the collection carrying a token and an unexpected `meta` value answers 500 (a hook extension "
        "that parses `meta` before the token is checked)"
    )
    expected = frozenset({"OAS-NO-5XX", "OAS-RESPONSE-CONFORMS", "OAS-AUTH-ENFORCED"})  # a 500 is no refusal

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        meta = request.param("meta")
        if (
            request.method == "GET"
            and (POSTS_LIST.match(request.path) or POSTS_ITEM.match(request.path))
            and not request.is_anonymous
            and meta is not None
            and meta not in ("total_count", "filter_count", "*")
        ):
            return error(500, "INTERNAL_SERVER_ERROR")
        return request


class RefreshRaceMintsSessions(Described):
    name = "concurrent-refresh-mints-sessions"
    behaviour = "Refresh tokens are single-use"
    description = (
        "a refresh that arrives while another refresh of the same token is in flight gets a new session of its "
        "own (a 'retry-safe' gateway that logs the user in again with the credentials it saw)"
    )
    expected = frozenset({"REFRESH-CONCURRENT-ONE-SUCCESSOR"})

    def __init__(self) -> None:
        self.logins: dict[str, dict[str, Any]] = {}  # refresh credential -> the login body its chain began with
        self.in_flight: set[str] = set()
        self.lock = threading.Lock()

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        token = sent_credential(request) if request.path == "/auth/refresh" else None
        if not token:
            return request
        with self.lock:
            racing, login = token in self.in_flight, self.logins.get(token)
            self.in_flight.add(token)
        if racing and login:
            minted = ProxyRequest("POST", "/auth/login", [], {"Content-Type": "application/json"}, b"")
            minted.set_json(login)
            return self.response(minted, upstream.send(minted), upstream)
        return request

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        if request.path not in ("/auth/login", "/auth/refresh"):
            return response
        issued = issued_credential(response)
        with self.lock:
            if request.path == "/auth/login" and issued:
                self.logins[issued] = request.json()
            elif request.path == "/auth/refresh":
                token = sent_credential(request)
                self.in_flight.discard(token or "")
                if issued and token in self.logins:
                    self.logins[issued] = self.logins[token]
        return response


MUTANTS += [LogoutSparesRefreshed, RefreshTokenPrefixMatch, ItemsMetaCrash, RefreshRaceMintsSessions]


# --- GraphQL: the same auth through /graphql/system ---------------------------------------------------------------


def graphql_operation(request: ProxyRequest, field: str) -> dict[str, Any] | None:
    """The variables of a /graphql/system request that calls `field` (e.g. auth_refresh), or None."""
    body = request.json() if request.path == "/graphql/system" else None
    if not isinstance(body, dict) or field not in str(body.get("query", "")):
        return None
    variables = body.get("variables")
    return variables if isinstance(variables, dict) else {}


def graphql_answer(field: str, value: Any, code: str | None = None) -> httpx.Response:
    """A GraphQL answer made up by a mutant: `data.<field>`, and a resolver error with `code`."""
    body: dict[str, Any] = {"data": {field: value}}
    if code:
        body["errors"] = [{"message": code, "extensions": {"code": code}, "path": [field]}]
    return respond(200, body)


class GraphqlReplayCache(ReplayCache):
    name = "graphql-refresh-replay-cache"
    behaviour = "GraphQL auth"
    description = "an idempotency cache in front of /graphql/system answers a replayed auth_refresh with its successor"
    expected = frozenset({"GQL-REFRESH-SINGLE-USE"})

    def key(self, request: ProxyRequest) -> str | None:
        variables = graphql_operation(request, "auth_refresh")
        if variables is None:
            return None
        token = variables.get("refresh_token")
        return token if isinstance(token, str) else sent_credential(request, cookies=(REFRESH_COOKIE,))


class GraphqlLogoutNoop(Described):
    name = "graphql-logout-revokes-nothing"
    behaviour = "GraphQL auth"
    description = "a GraphQL gateway answers auth_logout with true itself and never passes it on"
    expected = frozenset({"GQL-LOGOUT-REVOKES"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        return graphql_answer("auth_logout", True) if graphql_operation(request, "auth_logout") is not None else request


class GraphqlUserEnumeration(Described):
    name = "graphql-login-user-enumeration"
    behaviour = "GraphQL auth"
    description = "auth_login for an email that has no account answers USER_NOT_FOUND, revealing which emails exist"
    expected = frozenset({"GQL-LOGIN-NO-ENUMERATION"})

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        variables = graphql_operation(request, "auth_login")
        if variables is None or "INVALID_CREDENTIALS" not in response.text:
            return response
        found = upstream.admin(
            "GET", "/users", params={"filter[email][_eq]": str(variables.get("email")), "fields": "id"}
        )
        return response if found.json()["data"] else graphql_answer("auth_login", None, "USER_NOT_FOUND")


class GraphqlAnonymousAsAdmin(Described):
    name = "graphql-anonymous-as-admin"
    behaviour = "GraphQL auth"
    description = "a GraphQL gateway runs anonymous /graphql/system queries with a service account (the admin)"
    expected = frozenset({"GQL-ANON-NO-ME"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        query = graphql_operation(request, "users_me")
        return as_admin(request, upstream) if query is not None and request.is_anonymous else request


class GraphqlSchemaAsAdmin(Described):
    name = "graphql-schema-as-admin"
    behaviour = "GraphQL auth"
    description = "a schema cache serves the admin's GraphQL schema (introspection and SDL) to anonymous callers"
    expected = frozenset({"GQL-SCHEMA-NO-PRIVATE"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        body = request.json() if request.path == "/graphql" else None
        introspection = isinstance(body, dict) and "__schema" in str(body.get("query", ""))
        if request.is_anonymous and (introspection or request.path.startswith("/server/specs/graphql")):
            return as_admin(request, upstream)
        return request


class GraphqlUnverifiedTokenDropped(Described):
    name = "graphql-bad-token-anonymous"
    behaviour = "GraphQL auth"
    description = "a GraphQL gateway drops a token Directus would refuse and lets the request run as the public"
    expected = frozenset({"GQL-BAD-TOKEN"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        token = bearer_token(request) if request.path.startswith("/graphql") else None
        if token and upstream.send(
            ProxyRequest("GET", "/users/me", [], {"Authorization": f"Bearer {token}"}, b"")
        ).status_code in (401, 403):
            request.set_header("Authorization", None)
        return request


class GraphqlCookieNotHttpOnly(Described):
    name = "graphql-cookie-not-httponly"
    behaviour = "GraphQL auth"
    description = "a GraphQL gateway rewrites the cookies auth_login sets without HttpOnly (for a front-end to read)"
    expected = frozenset({"GQL-LOGIN"})

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        if request.path != "/graphql/system":
            return response
        headers = response.headers.multi_items()
        return with_headers(
            response, [(k, v.replace("; HttpOnly", "") if k == "set-cookie" else v) for k, v in headers]
        )


MUTANTS += [
    GraphqlReplayCache,
    GraphqlLogoutNoop,
    GraphqlUserEnumeration,
    GraphqlAnonymousAsAdmin,
    GraphqlSchemaAsAdmin,
    GraphqlUnverifiedTokenDropped,
    GraphqlCookieNotHttpOnly,
]


class FileWrittenBeforeAuth(Described):
    name = "file-upload-before-auth"
    behaviour = "A refused request changes nothing"
    description = (
        "a storage hook writes a multipart PATCH /files/:id to disk before the permission check (as Directus "
        "10.8 to 11.9.2 did): the caller gets 403, the file's bytes are replaced"
    )
    expected = frozenset({"DENIED-FILE-UPLOAD-CHANGES-NOTHING"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        multipart = (request.header("content-type") or "").startswith("multipart/")
        by_other = bearer_token(request) != upstream.admin_token
        if request.method == "PATCH" and multipart and FILE_ITEM.match(request.path) and by_other:
            copy = replace(request, headers=dict(request.headers), query=list(request.query))
            upstream.send(as_admin(copy, upstream))  # the bytes land first; the caller's request still gets 403
        return request


class FlowTriggerAsService(Described):
    name = "flow-trigger-as-service"
    behaviour = "Flows keep callers' rights and secrets"
    description = "a gateway forwards anonymous /flows/trigger/ calls with a service account (the admin) for webhooks"
    expected = frozenset({"FLOW-TRIGGER-NEEDS-AUTH"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        if request.path.startswith("/flows/trigger/") and request.is_anonymous:
            return as_admin(request, upstream)
        return request


class OpenapiVersionExposed(Described):
    name = "openapi-release-exposed"
    behaviour = "Version disclosure"
    description = "the public OpenAPI document's info.version is the release number (as before Directus 11.9.0)"
    expected = frozenset({"VERSION-NOT-IN-OAS"})

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        if request.path != "/server/specs/oas" or response.status_code != 200:
            return response
        document = response.json()
        document["info"]["version"] = upstream.admin("GET", "/server/info").json()["data"]["version"]
        return respond(200, document)


class AppScriptNamesRelease(Described):
    name = "app-script-names-release"
    behaviour = "Version disclosure"
    description = "the app's scripts carry the release as a string (as its navigation did before Directus 10.8.3)"
    expected = frozenset({"VERSION-NOT-IN-APP-BUNDLE"})

    def __init__(self) -> None:
        self.release: str | None = None  # read from the admin's /server/info once, at the first script

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        if not (request.path.startswith("/admin/assets/") and request.path.endswith(".js")):
            return response
        if self.release is None:
            self.release = str(upstream.admin("GET", "/server/info").json()["data"]["version"])
        version = self.release
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in ("content-length", "etag")]
        script = response.content + f';const release="{version}";'.encode()
        return httpx.Response(response.status_code, content=script, headers=headers)


class ServerInfoCachedFromAdmin(Described):
    name = "server-info-cached-from-admin"
    behaviour = "Version disclosure"
    description = "a cache keyed on the URL alone serves the admin's /server/info (with the version) to everyone"
    expected = frozenset({"VERSION-NOT-IN-SERVER-INFO"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        return as_admin(request, upstream) if request.path == "/server/info" and request.is_anonymous else request


class WebhookErrorWithContext(Described):
    name = "webhook-error-with-context"
    behaviour = "Flows keep callers' rights and secrets"
    description = (
        "an error hook answers a failed webhook flow with the flow's context, the caller's headers included "
        "(as Directus 9.12 to 11.4 did)"
    )
    expected = frozenset({"FLOW-WEBHOOK-ERROR-HOLDS-NO-CONTEXT"})

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        if not request.path.startswith("/flows/trigger/") or "FAILED_VALIDATION" not in response.text:
            return response
        context = {"$trigger": {"headers": dict(request.headers)}, "$accountability": {}, "$env": {}}
        return respond(200, {**context, "$last": response.json()})


class ForwardedAuthorization(Described):
    name = "forwarded-authorization-header"
    behaviour = "Flows keep callers' rights and secrets"
    description = (
        "a gateway passes the caller's credential on as X-Forwarded-Authorization too (as Google's API Gateway "
        "does), which Directus's log redaction does not know"
    )
    expected = frozenset({"FLOW-LOG-REDACTS-CREDENTIALS"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        if request.header("authorization"):
            request.set_header("X-Forwarded-Authorization", request.header("authorization"))
        return request


class SsoRedirectTakenOff(Described):
    name = "sso-redirect-unchecked"
    behaviour = "SSO login redirects"
    description = (
        "an SSO front door takes ?redirect= off the login request, to send the user there itself after the "
        "callback, unchecked: Directus starts every login"
    )
    expected = frozenset({"SSO-FOREIGN-REDIRECT-REFUSED", "SSO-REDIRECT-SPELLINGS-REFUSED"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        if request.path.startswith("/auth/login/") and request.method == "GET":
            request.query = [(k, v) for k, v in request.query if k != "redirect"]
        return request


class SamlRelayStateUnchecked(Described):
    name = "saml-relay-state-unchecked"
    behaviour = "SSO login redirects"
    description = (
        "the SAML ACS sends a refused answer back to the posted RelayState, wherever it is (as Directus before 11.14 "
        "did, on the error path as on success)"
    )
    expected = frozenset({"SSO-SAML-RELAY-STATE-STAYS-HOME"})
    ACS = re.compile(r"^/auth/login/[^/]+/acs$")

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        if request.method != "POST" or not self.ACS.match(request.path):
            return request
        relay_state = parse_qs(request.body.decode()).get("RelayState", [""])[0]
        if not relay_state:
            return request
        location = f"{relay_state.split('?')[0]}?reason=INVALID_CREDENTIALS"
        return httpx.Response(302, headers=[("location", location)])


class OpenerPolicyStripped(Described):
    name = "coop-stripped"
    behaviour = "SSO login redirects"
    description = "a CDN's header policy strips Cross-Origin-Opener-Policy from every answer"
    expected = frozenset({"SSO-LOGIN-ISOLATES-OPENER"})

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() != "cross-origin-opener-policy"]
        return with_headers(response, headers)


class SsoUserEnumeration(Described):
    name = "sso-user-enumeration"
    behaviour = "Login"
    description = (
        "a password login for a user of an SSO provider answers 401 INVALID_PROVIDER (as Directus 9.11 to 10.12 "
        "did), telling which emails have an account"
    )
    expected = frozenset({"LOGIN-SSO-USER-NO-ENUMERATION"})

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        body = request.json()
        if request.path == "/auth/login" and response.status_code == 401 and isinstance(body, dict):
            found = upstream.admin(
                "GET", "/users", params={"filter[email][_eq]": str(body.get("email")), "fields": "provider"}
            ).json()["data"]
            if found and found[0]["provider"] != "default":
                return error(401, "INVALID_PROVIDER")
        return response


class CorsReflectsAnyOrigin(Described):
    name = "cors-reflects-any-origin"
    behaviour = "Cross-origin access"
    description = "CORS_ORIGIN=true with credentials (Directus's default before 9.7): any Origin is reflected"
    expected = frozenset({"CORS-NO-FOREIGN-CREDENTIALS"})

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        origin = request.header("origin")
        if not origin:
            return response
        granted = [("Access-Control-Allow-Origin", origin), ("Access-Control-Allow-Credentials", "true")]
        return with_headers(response, [*response.headers.multi_items(), *granted])


class IntrospectionBlockedSdlServed(Described):
    name = "introspection-blocked-sdl-served"
    behaviour = "GraphQL auth"
    description = (
        "introspection queries refused as if GRAPHQL_INTROSPECTION=false, the SDL still served (GHSA-wxwm's shape)"
    )
    expected = frozenset({"GQL-INTROSPECTION-OFF-NO-SDL"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        if request.path.startswith("/graphql") and b"__schema" in request.body:
            return error(400, "GRAPHQL_VALIDATION")
        return request


class RandomLengthUnchecked(Described):
    name = "random-length-unchecked"
    behaviour = "The random-string utility keeps the token generator whole"
    description = (
        "the random-string utility passes its length to the generator unchecked (as before Directus 10.11.2): 0 gives "
        "an empty string, a length that is no number empties every later one, and refresh tokens with them"
    )
    expected = frozenset({"UTILS-RANDOM-LENGTH-VALIDATED", "UTILS-RANDOM-BAD-LENGTH-LOCKS-NOTHING"})
    UTILITY = "/utils/random/string"

    def __init__(self) -> None:
        self.locked = False  # set by a length that is no number, for the rest of the run

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        if request.method != "GET" or request.path != self.UTILITY:
            return request
        length = request.param("length")
        if length is not None and not length.lstrip("-").isdigit():
            self.locked = True
        empty = self.locked or (length is not None and int(length) < 1)
        return respond(200, {"data": ""}) if empty else request

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        """Once locked, the login and refresh answers carry an empty refresh token, as 10.11.1's did."""
        if not self.locked or request.path not in ("/auth/login", "/auth/refresh") or response.status_code != 200:
            return response
        body = response.json()
        if not isinstance(body.get("data"), dict) or "refresh_token" not in body["data"]:
            return response
        body["data"]["refresh_token"] = ""
        return respond(200, body, set_cookie_headers(response))


MUTANTS += [
    IntrospectionBlockedSdlServed,
    *SOCKET_MUTANTS,
    *CLIENT_MUTANTS,
    *ACCOUNT_MUTANTS,
    *FIELD_MUTANTS,
    *SHARE_MUTANTS,
    *WRITE_MUTANTS,
]
MUTANTS += [
    FileWrittenBeforeAuth,
    FlowTriggerAsService,
    OpenapiVersionExposed,
    AppScriptNamesRelease,
    ServerInfoCachedFromAdmin,
    WebhookErrorWithContext,
    ForwardedAuthorization,
    SsoRedirectTakenOff,
    SamlRelayStateUnchecked,
    OpenerPolicyStripped,
    CorsReflectsAnyOrigin,
    SsoUserEnumeration,
    RandomLengthUnchecked,
]


STOCK_FINDINGS: dict[str, str] = {
    "TRANSPORT-NO-TOKEN-IN-URL": "Directus accepts ?access_token= by design",
    "LOGOUT-ENDS-ACCESS-TOKEN": "json access JWTs are stateless and stay valid until exp (documented)",
    "COOKIE-SECURE": "REFRESH_TOKEN_COOKIE_SECURE is false by default",
    "TFA-SECRET-LENGTH": "otplib's default secret is 80 bits",
    "SOCKET-SUBSCRIBE-DELETE-NO-FOREIGN-KEYS": "Directus sends every deleted key to every subscriber, unread",
    "SOCKET-REVOKED-USER-SERVED-NO-MORE": "a socket's rights are computed once, at auth; user changes reach no socket",
    "INVITE-ANONYMOUS-NO-ENUMERATION": "an anonymous invitation gets 204 for a registered email, 403 for others",
    "LOGIN-LIMIT-TRIP-ISSUES-NO-TOKENS": "the attempt that suspends the user still checks the password, and logs in",
    "TFA-OTP-SINGLE-USE": "Directus does not remember used one-time passwords",
    "IP-FORWARDED-FOR-NOT-TRUSTED": "IP_TRUST_PROXY is true by default before 12.0: a client's X-Forwarded-For counts",
    "SHARE-MISSING-PASSWORD-4XX": "a protected share opened without a password is a 500 (argon2 verifies nothing)",
    "SHARE-MAX-USES": "the uses are compared before they are counted: max_uses 1 opens twice",
    "RULES-EMPTY-LIST-IN-ACCEPTS-NOTHING": "a validation `_in` an empty list is Joi's valid() of nothing: no rule",
    "CONCEALED-SORT-NO-ORACLE": "a sort by a concealed field sorts by the stored value (only output is masked)",
}
"""SHOULD checks that already fail (as findings) on a stock Directus: the no-mutation run is their negative
control, so no mutant is needed to show they can fail."""

KNOWN_ADVISORIES: dict[str, str] = {w.check: w.advisory for w in known_advisory_waivers(DEFAULT_VERSION)}
"""Checks that fail on the stock embedded default for a published advisory of its release (waived there, see
conformance/embedded/known-advisories.yaml): the real release is their negative control, as the advisory proofs
show on the releases before and after the fix."""
