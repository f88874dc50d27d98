"""The real clients' mutants: gateways that a browser or the JavaScript SDK trips over while every answer still looks
sound to a client that parses it by hand — cookies rewritten so a browser does with them what it should not, JSON
served under another content type. Each names the checks that must catch it, and no others."""

from __future__ import annotations

import re

import httpx

from conformance.client import REFRESH_COOKIE, SESSION_COOKIE
from tests.mutants.proxy import CookieRewrite, Described, ProxyRequest, Upstream, with_headers

__all__ = ["CLIENT_MUTANTS"]

BROWSER = "In a browser"


class CookiesSentCrossSite(CookieRewrite):
    name = "cookies-samesite-none"
    behaviour = BROWSER
    description = (
        "a gateway rewrites the refresh and session cookies to SameSite=None; Secure (for an app embedded in another "
        "site), so a browser sends them with every request a foreign page makes"
    )
    expected = frozenset({"BROWSER-COOKIE-WITHHELD-CROSS-SITE"})
    cookies = (REFRESH_COOKIE, SESSION_COOKIE)

    def rewrite(self, set_cookie: str) -> str:
        rewritten = re.sub(r"; SameSite=\w+", "; SameSite=None", set_cookie)
        return rewritten if "; Secure" in rewritten else rewritten + "; Secure"


class CookiesPathNarrowed(CookieRewrite):
    name = "cookies-path-narrowed"
    behaviour = BROWSER
    description = (
        "a gateway maps the cookies' Path=/ to /admin (nginx's proxy_cookie_path / /admin/), so a browser sends them "
        "to the app's pages only, never to the API"
    )
    # the logout from the page then carries no cookie either: refused, it is the check's failed precondition
    expected = frozenset({"BROWSER-COOKIE-AUTHENTICATES", "BROWSER-LOGOUT-EMPTIES-JAR"})
    cookies = (REFRESH_COOKIE, SESSION_COOKIE)

    def rewrite(self, set_cookie: str) -> str:
        return set_cookie.replace("; Path=/", "; Path=/admin/")


class TokensServedAsText(Described):
    name = "tokens-served-as-text"
    behaviour = "JavaScript SDK"
    description = (
        "a gateway serves the token answers of /auth/login and /auth/refresh as text/plain (nginx's default_type, the "
        "upstream's Content-Type hidden): the SDK reads JSON only under a JSON content type, so it holds no token"
    )
    # logging in is the others' precondition: each is an error of its check
    expected = frozenset({"SDK-LOGIN", "SDK-REFRESH", "SDK-LOGOUT"})

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        if request.path not in ("/auth/login", "/auth/refresh"):
            return response
        headers = [(k, v) for k, v in response.headers.multi_items() if k != "content-type"]
        return with_headers(response, [*headers, ("content-type", "text/plain; charset=utf-8")])


CLIENT_MUTANTS: list[type[Described]] = [CookiesSentCrossSite, CookiesPathNarrowed, TokensServedAsText]
