"""The browser mutants: gateways that rewrite the Directus cookies so that a browser does with them what it should
not, while every attribute a client parses still looks sound. Each names the checks that must catch it, and no
others."""

from __future__ import annotations

import re

from conformance.client import REFRESH_COOKIE, SESSION_COOKIE
from tests.mutants.proxy import CookieRewrite, Described

__all__ = ["BROWSER_MUTANTS"]

BEHAVIOUR = "In a browser"


class CookiesSentCrossSite(CookieRewrite):
    name = "cookies-samesite-none"
    behaviour = BEHAVIOUR
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
    behaviour = BEHAVIOUR
    description = (
        "a gateway maps the cookies' Path=/ to /admin (nginx's proxy_cookie_path / /admin/), so a browser sends them "
        "to the app's pages only, never to the API"
    )
    # the logout from the page then carries no cookie either: refused, it is the check's failed precondition
    expected = frozenset({"BROWSER-COOKIE-AUTHENTICATES", "BROWSER-LOGOUT-EMPTIES-JAR"})
    cookies = (REFRESH_COOKIE, SESSION_COOKIE)

    def rewrite(self, set_cookie: str) -> str:
        return set_cookie.replace("; Path=/", "; Path=/admin/")


BROWSER_MUTANTS: list[type[Described]] = [CookiesSentCrossSite, CookiesPathNarrowed]
