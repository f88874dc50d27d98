"""What the run learns of a target before its checks, instead of assuming it: whether password login is on, the names
of its cookies, its token lifetimes, which doors are open (GraphQL, WebSockets) and its database.

Each fact is probed (black-box, as ../shared/spec/directus-auth-surfaces.md §8-§10 describe) or given by an option;
the run prints them first, and the reports carry them. What cannot be probed (the session grace period) stays an
option of the Target.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx
import jwt

from conformance.admin import custom_rules_entitled
from conformance.cast import Persona
from conformance.client import (
    REFRESH_COOKIE,
    SESSION_COOKIE,
    DirectusClient,
    bearer,
    cookie_header,
    json_body,
    set_cookies,
)

__all__ = [
    "REGISTRATION_CLOSED",
    "REGISTRATION_UNVERIFIED",
    "REGISTRATION_VERIFIED",
    "CookieNames",
    "SocketDoor",
    "TargetFacts",
    "learn",
    "registration_of",
]

REFRESH_TOKEN_VALUE = re.compile(r"^[A-Za-z0-9_-]{64}$")  # Directus's refresh tokens: nanoid(64)


@dataclass(frozen=True)
class CookieNames:
    refresh: str = REFRESH_COOKIE
    session: str = SESSION_COOKIE
    source: str = "Directus's defaults"


REDIRECTING_DRIVERS = ("oauth2", "openid")
REGISTRATION_VERIFIED = "open, verified by email"
REGISTRATION_UNVERIFIED = "open, without email verification"
REGISTRATION_CLOSED = "closed"


@dataclass(frozen=True)
class SocketDoor:
    """One WebSocket endpoint as GET /server/info describes it: its path and how a socket authenticates there
    (`handshake`: an auth message first; `strict`: a token at the upgrade; `public`: none, the public's rights)."""

    path: str
    authentication: str

    @classmethod
    def from_info(cls, entry: Any) -> SocketDoor | None:
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            return None
        return cls(entry["path"], str(entry.get("authentication")))

    def line(self) -> str:
        return f"{self.path} ({self.authentication})"


@dataclass(frozen=True)
class TargetFacts:
    password_login: bool
    cookies: CookieNames
    access_ttl_s: float | None = None
    refresh_ttl_s: float | None = None
    graphql: bool | None = None
    websockets: bool | None = None  # None: unknown (GET /server/info says it to an authenticated caller only)
    socket_rest: SocketDoor | None = None  # the REST-style WebSocket (/websocket), when enabled
    socket_graphql: SocketDoor | None = None  # GraphQL over WebSocket (graphql-transport-ws on /graphql)
    database: str | None = None
    licence: str | None = None  # 12.x: its tier and whether it entitles filter rules; "none" before 12
    sso_providers: dict[str, str] = field(default_factory=dict)  # GET /auth: name → driver (oauth2, openid, saml…)
    registration: str | None = None  # REGISTRATION_*, from GET /server/info (anyone); None: not said (before 10.11)
    resumable_uploads: bool | None = None  # TUS_ENABLED, from GET /server/info (authenticated); None: unknown

    @property
    def redirecting_provider(self) -> str | None:
        """An OAuth2 or OpenID provider, whose login starts with a redirect to the IdP (None when there is none)."""
        return next((name for name, driver in self.sso_providers.items() if driver in REDIRECTING_DRIVERS), None)

    @property
    def saml_provider(self) -> str | None:
        """A SAML provider, whose IdP posts its answer back to the provider's ACS (None when there is none)."""
        return next((name for name, driver in self.sso_providers.items() if driver == "saml"), None)

    def lines(self) -> list[str]:
        """One line per fact, as the run prints them first."""
        known = {True: "yes", False: "no", None: "unknown"}
        return [
            f"password login: {'enabled' if self.password_login else 'disabled (GET /auth: disableDefault)'}",
            f"cookies: refresh {self.cookies.refresh}, session {self.cookies.session} ({self.cookies.source})",
            f"access-token TTL: {_seconds(self.access_ttl_s)}; refresh-token TTL: {_seconds(self.refresh_ttl_s)}",
            f"GraphQL: {known[self.graphql]}; WebSockets: {known[self.websockets]}"
            + "".join(f", {kind} {door.line()}" for kind, door in self._doors() if door),
            f"database: {self.database or 'unknown (needs the admin)'}",
            f"licence: {self.licence or 'unknown (needs the admin)'}",
            "SSO providers: "
            + (", ".join(f"{name} ({driver})" for name, driver in self.sso_providers.items()) or "none"),
            f"public registration: {self.registration or 'unknown (GET /server/info does not say)'}",
            f"resumable (TUS) uploads: {known[self.resumable_uploads]}",
        ]

    def _doors(self) -> tuple[tuple[str, SocketDoor | None], ...]:
        return (("REST", self.socket_rest), ("GraphQL", self.socket_graphql))

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> TargetFacts:
        data = json.loads(text)
        doors = {key: SocketDoor(**data[key]) if data.get(key) else None for key in ("socket_rest", "socket_graphql")}
        return cls(**{**data, **doors, "cookies": CookieNames(**data["cookies"])})

    def properties(self) -> dict[str, str]:
        """For environment.properties and matrix.json's target row."""
        return {
            "password_login": str(self.password_login).lower(),
            "refresh_cookie": self.cookies.refresh,
            "session_cookie": self.cookies.session,
            "access_ttl_s": _seconds(self.access_ttl_s),
            "refresh_ttl_s": _seconds(self.refresh_ttl_s),
            "graphql": str(self.graphql).lower(),
            "websockets": str(self.websockets).lower(),
            **{f"websocket_{kind.lower()}": door.line() if door else "none" for kind, door in self._doors()},
            "database": self.database or "unknown",
            "licence": self.licence or "unknown",
            "sso_providers": ",".join(f"{name}:{driver}" for name, driver in self.sso_providers.items()) or "none",
            "registration": self.registration or "unknown",
            "resumable_uploads": str(self.resumable_uploads).lower(),
        }


def _seconds(value: float | None) -> str:
    return "unknown" if value is None else f"{value:g} s"


def learn(
    client: DirectusClient, member: Persona | None, admin_token: str | None, given: CookieNames | None = None
) -> TargetFacts:
    """The facts of the target `client` talks to: `member` logs in to show the cookies (their sessions are ended
    again) and, without an admin, the WebSocket doors; `admin_token` reads what only an admin may (database,
    licence); names `given` by the user win."""
    auth = json_body(client.request("GET", "/auth"))
    password_login = not bool(auth.get("disableDefault"))
    providers = {str(p.get("name")): str(p.get("driver")) for p in auth.get("data") or [] if isinstance(p, dict)}
    cookies, access_ttl, refresh_ttl = (
        CookieNames(source="Directus's defaults: no login to learn them from"),
        None,
        None,
    )
    if password_login and member is not None:
        cookies, access_ttl, refresh_ttl = _learn_cookies(client, member)
    cookies = given or cookies
    websockets = database = licence = socket_rest = socket_graphql = resumable_uploads = None
    reader = admin_token or (_access_token(client, member) if password_login and member is not None else None)
    if reader:  # GET /server/info tells an authenticated caller, anyone, which realtime doors are open
        info = json_body(client.request("GET", "/server/info", headers=bearer(reader))).get("data") or {}
        websockets = bool(info.get("websocket")) if "websocket" in info else None
        doors = info.get("websocket") or {}
        socket_rest, socket_graphql = (
            SocketDoor.from_info(doors.get("rest")),
            SocketDoor.from_info(doors.get("graphql")),
        )
        # listed only when TUS_ENABLED (10.13, the release that brought TUS: its chunk size; 11+: also tus: true)
        uploads = info.get("uploads")
        resumable_uploads = isinstance(uploads, dict) and uploads.get("tus", True) is True
    if admin_token:
        health = json_body(client.request("GET", "/server/health", headers=bearer(admin_token))).get("checks") or {}
        database = next((key.split(":", 1)[0] for key in health if key.endswith(":responseTime")), None)
        licence = describe_licence(client.request("GET", "/license", headers=bearer(admin_token)))
    graphql = client.request("POST", "/graphql", json={"query": "{ __typename }"}).status_code == 200
    project = (json_body(client.request("GET", "/server/info")).get("data") or {}).get("project") or {}
    return TargetFacts(
        password_login,
        cookies,
        access_ttl,
        refresh_ttl,
        graphql,
        websockets,
        socket_rest,
        socket_graphql,
        database,
        licence,
        providers,
        registration_of(project),
        resumable_uploads,
    )


def registration_of(project: dict[str, Any]) -> str | None:
    """Public registration as the anonymous GET /server/info tells it (its project settings, from 10.11)."""
    if "public_registration" not in project:
        return None
    if not project["public_registration"]:
        return REGISTRATION_CLOSED
    return REGISTRATION_VERIFIED if project.get("public_registration_verify_email") else REGISTRATION_UNVERIFIED


def describe_licence(response: httpx.Response) -> str:
    """`Core (active), custom permission rules: off` from 12.x's GET /license; before 12 there is none."""
    if response.status_code != 200:
        return f"none (GET /license: HTTP {response.status_code}; Directus before 12 has no licence)"
    data = json_body(response).get("data") or {}
    rules = "on" if custom_rules_entitled(data) else "off"
    return f"{data.get('name', '?')} ({data.get('status', '?')}), custom permission rules: {rules}"


def _learn_cookies(client: DirectusClient, member: Persona) -> tuple[CookieNames, float | None, float | None]:
    """The cookie names from the Set-Cookie of a cookie-mode and a session-mode login, picked by their values (an
    opaque 64-character refresh token; a Directus JWT), not by position: a proxy may add cookies of its own. Each
    is confirmed by a round trip with that name alone (a refresh; a /users/me)."""
    refresh_name = session_name = None
    access_ttl = refresh_ttl = None
    answer = client.request("POST", "/auth/login", json=_login(member, "cookie"))
    expires = (json_body(answer).get("data") or {}).get("expires")
    access_ttl = expires / 1000 if isinstance(expires, (int, float)) else None
    for name, cookie in set_cookies(answer).items():
        if REFRESH_TOKEN_VALUE.match(cookie.value) and cookie.value not in answer.text:
            refreshed = client.request("POST", "/auth/refresh", json={"mode": "cookie"}, headers=_cookie(name, cookie))
            if refreshed.status_code == 200:
                refresh_name, refresh_ttl = name, cookie.max_age
                rotated = set_cookies(refreshed).get(name)
                client.request("POST", "/auth/logout", json={"mode": "cookie"}, headers=_cookie(name, rotated))
    answer = client.request("POST", "/auth/login", json=_login(member, "session"))
    for name, cookie in set_cookies(answer).items():
        if _is_directus_jwt(cookie.value):
            me = client.request("GET", "/users/me", params={"fields": "id"}, headers=_cookie(name, cookie))
            if me.status_code == 200:
                session_name = name
                client.request("POST", "/auth/logout", json={"mode": "session"}, headers=_cookie(name, cookie))
    if refresh_name and session_name:
        return CookieNames(refresh_name, session_name, "learnt from the logins' Set-Cookie"), access_ttl, refresh_ttl
    missing = " and ".join(kind for kind, name in (("refresh", refresh_name), ("session", session_name)) if not name)
    fallback = CookieNames(
        refresh_name or REFRESH_COOKIE,
        session_name or SESSION_COOKIE,
        f"no {missing} cookie seen at login: Directus's default name assumed",
    )
    return fallback, access_ttl, refresh_ttl


def _access_token(client: DirectusClient, member: Persona) -> str | None:
    """A json login of the member's, its session ended again but for the access token (valid until it expires)."""
    answer = client.request("POST", "/auth/login", json=_login(member, "json"))
    data = json_body(answer).get("data") or {}
    if data.get("refresh_token"):
        client.request("POST", "/auth/logout", json={"mode": "json", "refresh_token": data["refresh_token"]})
    token = data.get("access_token")
    return token if isinstance(token, str) else None


def _login(member: Persona, mode: str) -> dict[str, str]:
    return {"email": member.email, "password": member.password, "mode": mode}


def _cookie(name: str, cookie: Any) -> dict[str, str]:
    return cookie_header(**{name: cookie.value}) if cookie is not None else {}


def _is_directus_jwt(value: str) -> bool:
    try:
        claims = jwt.decode(value, options={"verify_signature": False})
    except jwt.PyJWTError:
        return False
    return claims.get("iss") == "directus" and "session" in claims
