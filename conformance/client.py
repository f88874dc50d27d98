"""A thin httpx wrapper for talking to Directus: login / refresh / logout per mode, and typed errors.

It never keeps state between calls (no cookie jar, no default Authorization), because Directus authenticates every
request, /auth/* included, with whatever token it carries: a stale cookie would turn a login into a 401.
"""

from __future__ import annotations

import functools
import ssl
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from http.cookies import SimpleCookie
from typing import Any, Literal

import httpx

from conformance.errors import TargetError

Mode = Literal["json", "cookie", "session"]
MODES: tuple[Mode, ...] = ("json", "cookie", "session")
REFRESH_TOKEN_MODES: tuple[Mode, ...] = ("json", "cookie")  # a refresh token; session mode's is the session cookie

REFRESH_COOKIE = "directus_refresh_token"
SESSION_COOKIE = "directus_session_token"

TRANSIENT_ERRORS = (httpx.ConnectError, httpx.ReadTimeout, httpx.RemoteProtocolError, httpx.ConnectTimeout)
RATE_LIMIT_BUDGET_S = 6.0  # longest total wait on a limiter's refusals (429, 503 Under pressure) for one request
UNDER_PRESSURE = "Under pressure"  # the reason of the pressure limiter's 503 (api/src/app.ts)
PRESSURE_RETRY_S = 1.0


class DirectusError(TargetError):
    """A Directus answer that is not what an administrative call needed (seeding, probing)."""

    def __init__(self, response: httpx.Response, action: str) -> None:
        self.response = response
        self.status = response.status_code
        self.code = error_code(response)
        super().__init__(f"{action}: HTTP {self.status} {self.code or ''}".rstrip())


def error_code(response: httpx.Response) -> str | None:
    """`errors[0].extensions.code` of a Directus error body, or None."""
    try:
        body = response.json()
        return str(body["errors"][0]["extensions"]["code"])
    except (ValueError, KeyError, IndexError, TypeError):
        return None


GRAPHQL_TOKENS = "{ access_token refresh_token expires }"
GRAPHQL_LOGIN = (
    "mutation Login($email: String!, $password: String!, $mode: auth_mode) "
    f"{{ auth_login(email: $email, password: $password, mode: $mode) {GRAPHQL_TOKENS} }}"
)
GRAPHQL_REFRESH = (
    "mutation Refresh($refresh_token: String, $mode: auth_mode) "
    f"{{ auth_refresh(refresh_token: $refresh_token, mode: $mode) {GRAPHQL_TOKENS} }}"
)
GRAPHQL_LOGOUT = "mutation Logout($refresh_token: String) { auth_logout(refresh_token: $refresh_token) }"
GRAPHQL_LOGOUT_IN_MODE = (  # auth_logout has `mode` from 10.10.0; json, its default, is sent without it
    "mutation Logout($refresh_token: String, $mode: auth_mode) "
    "{ auth_logout(refresh_token: $refresh_token, mode: $mode) }"
)


def retry_after_s(response: httpx.Response) -> float | None:
    """The seconds a 429 answer asks us to wait (`Retry-After` in seconds or as a date), or None."""
    value = response.headers.get("retry-after", "").strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(timezone.utc)).total_seconds())
    except (TypeError, ValueError):
        return None


def refused_before_handling_s(response: httpx.Response) -> float | None:
    """How long to wait before sending again a request a limiter refused before Directus handled it: a 429 of the
    rate limiter (its Retry-After), or a 503 "Under pressure" of the pressure limiter (on by default; its
    Retry-After only if PRESSURE_LIMITER_RETRY_AFTER is set, else a second); None for any other answer."""
    if response.status_code == 429:
        return retry_after_s(response)
    if response.status_code == 503 and UNDER_PRESSURE in response.text:
        return retry_after_s(response) or PRESSURE_RETRY_S
    return None


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def cookie_header(**cookies: str) -> dict[str, str]:
    return {"Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items())}


@dataclass(frozen=True)
class SetCookie:
    """One `Set-Cookie` header, parsed (stdlib SimpleCookie) with the attributes the cookie checks look at."""

    name: str
    value: str
    attributes: dict[str, str]
    raw: str

    @property
    def max_age(self) -> int | None:
        value = self.attributes.get("max-age")
        return int(value) if value not in (None, "") else None

    def has(self, flag: str) -> bool:
        return flag.lower() in self.attributes

    @property
    def is_cleared(self) -> bool:
        """Emptied or expired: what a logout must leave (Express keeps Max-Age on clearCookie, see the spec §4.3).
        Max-Age, where given, decides over Expires, as a browser decides (RFC 6265 §5.3, step 3)."""
        if self.value == "":
            return True
        if self.max_age is not None:
            return self.max_age <= 0
        try:
            expires = parsedate_to_datetime(self.attributes.get("expires", ""))
        except (TypeError, ValueError):
            return False
        return expires <= datetime.now(timezone.utc)


def set_cookies(response: httpx.Response) -> dict[str, SetCookie]:
    """All cookies a response sets, by name."""
    found = {}
    for raw in response.headers.get_list("set-cookie"):
        parsed: SimpleCookie = SimpleCookie()
        parsed.load(raw)
        for name, morsel in parsed.items():
            lowered = raw.lower()
            attributes = {key: str(morsel[key]) for key in morsel if morsel[key] != ""}
            for flag in ("httponly", "secure"):
                if flag in lowered:
                    attributes[flag] = "true"
            found[name] = SetCookie(name, morsel.value, attributes, raw)
    return found


@dataclass(frozen=True)
class Login:
    """What a login or refresh answered, per mode: tokens from the body, cookies from the headers."""

    mode: Mode
    response: httpx.Response
    access_token: str | None
    refresh_token: str | None
    expires_ms: int | None
    cookie: SetCookie | None

    @property
    def ok(self) -> bool:
        return self.response.status_code == 200


@functools.cache
def tls_context(verify: bool | str) -> ssl.SSLContext:
    """One TLS context per verification setting (True, False or a CA bundle file), shared by every client of the
    process: building one loads the CA bundle, and a run makes clients per worker, fixture and thread."""
    if isinstance(verify, str):
        return ssl.create_default_context(cafile=verify)
    return httpx.create_ssl_context(verify=verify)


class DirectusClient:
    """Stateless requests against one Directus base URL."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 15.0,
        verify: bool | str = True,
        refresh_cookie: str = REFRESH_COOKIE,
        session_cookie: str = SESSION_COOKIE,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.refresh_cookie = refresh_cookie
        self.session_cookie = session_cookie
        self._options: dict[str, Any] = {"timeout": timeout, "verify": verify}
        self.http = httpx.Client(
            base_url=self.base_url, follow_redirects=False, timeout=timeout, verify=tls_context(verify)
        )

    @property
    def verify(self) -> bool | str:
        """How the client checks the target's TLS certificate (True, False or a CA bundle), for its WebSockets too."""
        verify: bool | str = self._options["verify"]
        return verify

    def clone(self) -> DirectusClient:
        """Another client with the same settings, for a thread of its own (the cookie jar is per client)."""
        return DirectusClient(
            self.base_url, refresh_cookie=self.refresh_cookie, session_cookie=self.session_cookie, **self._options
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> DirectusClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        """Send one request with exactly the credentials given; nothing is carried over from earlier calls.

        A 429 answer, and a 503 of Directus's pressure limiter, are sent again after their Retry-After (the limiter's
        without one: a second), within RATE_LIMIT_BUDGET_S in all: both refuse before any handler runs, so the resent
        request was never processed; then the last such answer is returned."""
        waited = 0.0
        while True:
            self.http.cookies.clear()
            response = self.http.request(method, path, headers=headers, **kwargs)
            delay = refused_before_handling_s(response)
            if delay is None or waited + delay > RATE_LIMIT_BUDGET_S:
                return response
            time.sleep(delay)
            waited += delay

    def call(self, method: str, path: str, *, token: str, action: str, retries: int = 2, **kwargs: Any) -> Any:
        """An administrative call that must succeed: returns `data`, raises DirectusError otherwise.

        Transport errors are retried a bounded number of times; an HTTP answer is never retried.
        """
        for attempt in range(retries + 1):
            try:
                response = self.request(method, path, headers=bearer(token), **kwargs)
                break
            except TRANSIENT_ERRORS:
                if attempt == retries:
                    raise
                time.sleep(0.5 * (attempt + 1))
        if response.status_code >= 300:
            raise DirectusError(response, action)
        return response.json().get("data") if response.content else None

    # --- /auth ---------------------------------------------------------------------------------------------------

    def login(self, email: str, password: str, mode: Mode = "json", **extra: Any) -> Login:
        response = self.request(
            "POST", "/auth/login", json={"email": email, "password": password, "mode": mode, **extra}
        )
        return self._login_result(mode, response)

    def refresh(self, mode: Mode, *, refresh_token: str | None = None, cookie: str | None = None) -> Login:
        """Refresh in a mode: json sends the token in the body; cookie / session send the given cookie value."""
        body: dict[str, Any] = {"mode": mode}
        if refresh_token is not None:
            body["refresh_token"] = refresh_token
        response = self.request("POST", "/auth/refresh", json=body, headers=self._mode_cookie(mode, cookie))
        return self._login_result(mode, response)

    def logout(self, mode: Mode, *, refresh_token: str | None = None, cookie: str | None = None) -> httpx.Response:
        body: dict[str, Any] = {"mode": mode}
        if refresh_token is not None:
            body["refresh_token"] = refresh_token
        return self.request("POST", "/auth/logout", json=body, headers=self._mode_cookie(mode, cookie))

    # --- /graphql/system: the same authentication as mutations (auth_login, auth_refresh, auth_logout) -------------

    def graphql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        headers: dict[str, str] | None = None,
        system: bool = True,
    ) -> httpx.Response:
        """One GraphQL request; secrets always go in `variables`, where the redaction finds them by name."""
        path = "/graphql/system" if system else "/graphql"
        return self.request("POST", path, json={"query": query, "variables": variables or {}}, headers=headers)

    def graphql_login(self, email: str, password: str, mode: Mode = "json") -> Login:
        variables = {"email": email, "password": password, "mode": mode}
        return self._graphql_result(mode, "auth_login", self.graphql(GRAPHQL_LOGIN, variables))

    def graphql_refresh(self, mode: Mode, *, refresh_token: str | None = None, cookie: str | None = None) -> Login:
        """`auth_refresh` with the mode given explicitly: GraphQL's default is json, even when only a cookie is sent."""
        variables = {"refresh_token": refresh_token, "mode": mode}
        response = self.graphql(GRAPHQL_REFRESH, variables, headers=self._mode_cookie(mode, cookie))
        return self._graphql_result(mode, "auth_refresh", response)

    def graphql_logout(
        self, mode: Mode, *, refresh_token: str | None = None, cookie: str | None = None
    ) -> httpx.Response:
        if mode == "json":
            return self.graphql(GRAPHQL_LOGOUT, {"refresh_token": refresh_token})
        variables = {"refresh_token": refresh_token, "mode": mode}
        return self.graphql(GRAPHQL_LOGOUT_IN_MODE, variables, headers=self._mode_cookie(mode, cookie))

    def session_headers(self, session_value: str) -> dict[str, str]:
        return cookie_header(**{self.session_cookie: session_value})

    def cookie_of(self, mode: Mode) -> str:
        """The cookie a cookie- or session-mode login sets: the refresh cookie, or the session cookie."""
        return self.refresh_cookie if mode == "cookie" else self.session_cookie

    def _mode_cookie(self, mode: Mode, value: str | None) -> dict[str, str]:
        if value is None or mode == "json":
            return {}
        return cookie_header(**{self.cookie_of(mode): value})

    def _login_result(self, mode: Mode, response: httpx.Response) -> Login:
        return self._tokens(
            mode, response, (json_body(response).get("data") or {}) if response.status_code == 200 else {}
        )

    def _graphql_result(self, mode: Mode, field: str, response: httpx.Response) -> Login:
        return self._tokens(mode, response, graphql_data(response).get(field) or {})

    def _tokens(self, mode: Mode, response: httpx.Response, data: dict[str, Any]) -> Login:
        cookie_name = {"json": None, "cookie": self.refresh_cookie, "session": self.session_cookie}[mode]
        cookie = set_cookies(response).get(cookie_name) if cookie_name else None
        expires = data.get("expires")  # GraphQL's is a string of milliseconds (GraphQLBigInt)
        return Login(
            mode,
            response,
            data.get("access_token"),
            data.get("refresh_token"),
            int(expires)
            if isinstance(expires, (int, float)) or (isinstance(expires, str) and expires.isdigit())
            else None,
            cookie,
        )


def json_body(response: httpx.Response) -> dict[str, Any]:
    """A response's JSON object, or {} when it has none (not JSON, or not an object)."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def graphql_data(response: httpx.Response) -> dict[str, Any]:
    """A GraphQL answer's `data` (empty when there is none: refused, invalid, or not JSON)."""
    data = json_body(response).get("data")
    return data if isinstance(data, dict) else {}
