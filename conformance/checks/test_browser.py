"""In a real browser: the cookie and session modes do what they are for. A page of the target's own origin logs in
with fetch(); the browser then keeps the cookie from scripts, sends it on its own to the target, withholds it from
requests a foreign site's page makes (as Chromium reports what it sent), drops its value at logout, and no page of
another origin opens a WebSocket as the user with it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from conformance.browser import PAGE_OF_THE_TARGET, ForeignSite, Visit
from conformance.checks.api import (
    COOKIE_MODES,
    SESSION_MODE,
    Cast,
    DirectusClient,
    Members,
    Mode,
    Need,
    Persona,
    check,
    expect,
    received,
    require,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

BEHAVIOUR = "In a browser"
CONTROLLER = "api/src/controllers/auth.ts"
TOKENS_DOCS = "/guides/auth/tokens-cookies"
SECURITY_DOCS = "/configuration/security-limits"


def log_in_from_the_target(visit: Visit, directus: DirectusClient, persona: Persona, mode: Mode) -> tuple[Page, str]:
    """`persona` logs in from a page of the target's own origin, as an app served there would: the page, and the
    cookie's value the browser then keeps (a precondition)."""
    page = visit.open(visit.target_url + PAGE_OF_THE_TARGET, "the target's own origin")
    login = visit.fetch(
        page, "/auth/login", method="POST", body={"email": persona.email, "password": persona.password, "mode": mode}
    )
    require(login.status == 200, f"a {mode}-mode login from the target's own page answers 200", visit)
    name = directus.cookie_of(mode)
    jar = visit.jar()
    require(jar.holds(name), f"the browser keeps the {name} cookie the login set", visit)
    return page, str(jar.cookies[name]["value"])


@check(
    "BROWSER-COOKIE-HIDDEN-FROM-SCRIPT",
    level="MUST",
    refs=("api/src/constants.ts", SECURITY_DOCS, "v5.0.0-3.3.4"),
    title="The browser keeps the refresh or session cookie from the page's scripts (document.cookie shows none)",
)
@pytest.mark.parametrize("mode", COOKIE_MODES)
def test_cookie_is_hidden_from_scripts(visit: Visit, directus: DirectusClient, members: Members, mode: Mode) -> None:
    page, value = log_in_from_the_target(visit, directus, members.member, mode)
    seen = visit.script_cookies(page)
    name = directus.cookie_of(mode)
    expect(name not in seen and value not in seen, f"document.cookie without {name} (an HttpOnly cookie)", visit)


@check(
    "BROWSER-COOKIE-AUTHENTICATES",
    level="MUST",
    refs=(CONTROLLER, TOKENS_DOCS),
    title="A page of the target's origin is authenticated by the cookie the browser sends on its own (session: "
    "/users/me answers as the user; cookie: /auth/refresh answers 200)",
)
@pytest.mark.parametrize("mode", COOKIE_MODES)
def test_cookie_authenticates_the_page(visit: Visit, directus: DirectusClient, members: Members, mode: Mode) -> None:
    member = members.member
    page, _ = log_in_from_the_target(visit, directus, member, mode)
    if mode == "session":
        me = visit.fetch(page, "/users/me?fields=id")
        expect(me.status == 200 and member.id in me.body, f"200 with {member.name}'s user id", visit)
    else:
        refreshed = visit.fetch(page, "/auth/refresh", method="POST", body={"mode": "cookie"})
        expect(refreshed.status == 200, "200: the browser sent the refresh cookie", visit)


@check(
    "BROWSER-COOKIE-WITHHELD-CROSS-SITE",
    level="MUST",
    refs=(SECURITY_DOCS, "v5.0.0-3.3.2", "v5.0.0-3.5.3"),
    title="A request a foreign site's page sends to the target carries no refresh or session cookie (SameSite), as "
    "the browser itself reports what it sent",
)
@pytest.mark.parametrize("mode", COOKIE_MODES)
def test_cookie_is_withheld_cross_site(
    visit: Visit, foreign_site: ForeignSite, directus: DirectusClient, members: Members, mode: Mode
) -> None:
    log_in_from_the_target(visit, directus, members.member, mode)
    foreign = visit.open(foreign_site.url, "another site")
    sent = received(visit.sent(foreign, "/users/me?fields=id"), "the browser's account of what it sent", visit)
    name = directus.cookie_of(mode)
    expect(not sent.carries(name), f"no {name} with the foreign page's request", visit)


@check(
    "BROWSER-LOGOUT-EMPTIES-JAR",
    level="MUST",
    refs=(CONTROLLER, TOKENS_DOCS, "v5.0.0-7.4.1"),
    title="After a logout from the page, the browser keeps no value of the refresh or session cookie",
)
@pytest.mark.parametrize("mode", COOKIE_MODES)
def test_logout_empties_the_jar(visit: Visit, directus: DirectusClient, members: Members, mode: Mode) -> None:
    page, _ = log_in_from_the_target(visit, directus, members.member, mode)
    logout = visit.fetch(page, "/auth/logout", method="POST", body={"mode": mode})
    require(logout.status in (200, 204), "the logout from the page succeeds", visit)
    name = directus.cookie_of(mode)
    expect(not visit.jar().holds(name), f"no value of {name} in the browser's jar (removed or emptied)", visit)


@check(
    "BROWSER-SOCKET-OTHER-ORIGIN-REFUSED",
    level="MUST",
    refs=("api/src/websocket/utils/is-origin-allowed.ts", "GHSA-mww8-4gwh-rjfw", "v5.0.0-3.5.2"),
    title="A WebSocket that a page of another origin on the target's site opens, the browser sending the user's "
    "session cookie, is refused (cross-site WebSocket hijacking)",
    needs=(Need.SOCKET, Need.SAME_SITE_PAGE, SESSION_MODE),
)
def test_socket_from_another_origin_is_refused(
    visit: Visit, foreign_site: ForeignSite, directus: DirectusClient, members: Members, cast: Cast
) -> None:
    log_in_from_the_target(visit, directus, members.owner, "session")
    sibling = visit.open(received(foreign_site.same_site_url, "a page of the target's site", visit), "same site")
    read = {"type": "items", "collection": cast.collection, "action": "read", "query": {"fields": ["id", "author"]}}
    seen = visit.socket(sibling, "/websocket", read)
    expect("open" not in seen, "the upgrade refused (403): the page's origin is not the target's", visit)
