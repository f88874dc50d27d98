"""The one applicability rule: whether a check can run on this run and target, and if not, the one reason why.

A check's needs are what it declares (`@check(needs=...)`, a `needs(...)` mark on a parameter: Directus features by
version, filter rules) and what its fixtures ask for (the seeded cast, a member to log in as). What the target can
do is learnt from the seed (its facts), so it is asked for only when a declared need depends on it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Collection, Iterable
from urllib.parse import urlsplit

from conformance.browser import same_site_servable
from conformance.cast import Cast
from conformance.facts import REGISTRATION_CLOSED, REGISTRATION_VERIFIED, TargetFacts
from conformance.needs import Need, Requirement
from conformance.run import Run
from conformance.versions import Feature

__all__ = [
    "GRAPHQL_OFF",
    "NOT_EMBEDDED",
    "NO_BROWSER",
    "NO_HIDDEN_FIELD",
    "NO_MAILBOX",
    "NO_OPEN_REGISTRATION",
    "NO_OWN_ADDRESS",
    "NO_OWN_WRITES",
    "NO_PERSONA",
    "NO_RESUMABLE_UPLOADS",
    "NO_SAME_SITE_PAGE",
    "NO_SAML_LOGIN",
    "NO_SIGNING_SECRET",
    "NO_SOCKET",
    "NO_SSO_REDIRECT",
    "NO_VERIFIED_REGISTRATION",
    "PASSWORD_LOGIN_OFF",
    "READONLY",
    "needs_of",
    "why_not",
]

READONLY = "not applied in the read-only profile: needs the seeded cast (users and a collection the run creates)"
NO_PERSONA = (
    "not applied in the read-only profile without a persona: give --persona-email and --persona-password "
    "(env DIRECTUS_PERSONA_EMAIL / DIRECTUS_PERSONA_PASSWORD) of a user of your own"
)
PASSWORD_LOGIN_OFF = (
    "password login is disabled on the target (GET /auth answers disableDefault: true, AUTH_DISABLE_DEFAULT): "
    "this check logs in with an email and a password"
)
NO_SSO_REDIRECT = "the target has no OAuth2 or OpenID login provider (GET /auth lists none): an SSO check"
NO_SAML_LOGIN = "the target has no SAML login provider (GET /auth lists none): a SAML check"
NOT_EMBEDDED = (
    "runs only on a throwaway embedded target (--embedded-target): its probe has effects beyond the target, or "
    "breaks it"
)
GRAPHQL_OFF = "the target serves no GraphQL (POST /graphql { __typename } is not answered 200): a GraphQL check"
NO_SOCKET = (
    "the target has no {door} (GET /server/info lists none; WEBSOCKETS_ENABLED, WEBSOCKETS_{setting}_ENABLED): "
    "a realtime check"
)
SOCKETS_UNKNOWN = (
    "whether the target has WebSockets is unknown: GET /server/info says it to an authenticated caller only (give "
    "--admin-token, or --persona-email in the read-only profile): a realtime check"
)
NO_MAILBOX = (
    "no mailbox to read the target's mail from: give --mail-api (a Mailpit or MailHog API URL the target's mail "
    "reaches); a check that follows a mailed link"
)
NO_OPEN_REGISTRATION = (
    "the target's public registration is {state} (GET /server/info; settings public_registration): a check of "
    "public registration"
)
NO_VERIFIED_REGISTRATION = (
    "the target's public registration is {state} (GET /server/info; settings public_registration, "
    "public_registration_verify_email): a check of registration verified by email"
)
NO_RESUMABLE_UPLOADS = (
    "the target's resumable (TUS) uploads are {state} (GET /server/info: uploads.tus; TUS_ENABLED, from Directus "
    "10.13): a check of resumable uploads"
)
NO_OWN_ADDRESS = (
    "the target is not on loopback, so the check has no client address of its own: spending the target's per-address "
    "limiter would refuse the run's other requests of its kind for the limiter's duration"
)
NO_SIGNING_SECRET = (
    "the target's SECRET is not given (--signing-secret, env DIRECTUS_SECRET): a check of an expired emailed token, "
    "which lives a day or more"
)
NO_HIDDEN_FIELD = (
    "the cast file names no hidden_field (a field of the posts that the member read permission leaves out): a check "
    "of what a member may not read"
)
NOT_HANDSHAKE = "the target's REST WebSocket authenticates in {mode} mode, not by a first auth message (handshake)"
NO_OWN_WRITES = (
    "the cast file's member permissions do not hold writes to the caller's name (a create with the preset and the "
    "validation author = $CURRENT_USER, an update with that validation): a check of what they refuse"
)
NO_BROWSER = (
    "no Chromium to drive: install Debian's chromium (apt-get install chromium) or give --browser PATH (env "
    "DIRECTUS_CONFORMANCE_BROWSER); a check of what a real browser does with the target's cookies"
)
NO_SAME_SITE_PAGE = (
    "the target is not on loopback, so the harness has no page of the target's own site at another origin (a sibling "
    "subdomain's, for a remote target): a browser check of what such a page can do with the user's cookie"
)
CAST_NEEDS = frozenset({Need.CUSTOM_RULES, Need.HIDDEN_FIELD, Need.OWN_WRITES})  # needs only the seeded cast answers
CAST_FIXTURES = frozenset({"cast", "loader", "throwaway", "newcomer"})
LOGIN_FIXTURES = frozenset({"members", "throwaway"})


def needs_of(declared: Iterable[Requirement], fixtures: Collection[str]) -> set[Requirement]:
    """The declared needs, and those that follow from the fixtures a check asks for."""
    found: set[Requirement] = set(declared)
    if CAST_FIXTURES & set(fixtures) or CAST_NEEDS & found:
        found.add(Need.CAST)
    if "members" in fixtures:
        found.add(Need.MEMBER)
    if "mailbox" in fixtures:
        found.add(Need.MAIL)
    if "browser" in fixtures:
        found.add(Need.BROWSER)
    if LOGIN_FIXTURES & set(fixtures):
        found.add(Need.PASSWORD_LOGIN)
    return found


def why_not(
    declared: Iterable[Requirement],
    fixtures: Collection[str],
    run: Run,
    cast: Callable[[], Cast],
    facts: Callable[[], TargetFacts],
) -> str | None:
    """None when the check applies; else why not, in one line. `cast` and `facts` are asked for only when the
    answer depends on what the run learnt of the target (the cast never in the read-only profile, which seeds
    nothing)."""
    needs = needs_of(declared, fixtures)
    if Need.EMBEDDED in needs and not (run.target and run.target.embedded):
        return NOT_EMBEDDED
    if Need.MAIL in needs and not (run.target and run.target.mail_api):
        return NO_MAILBOX
    if Need.BROWSER in needs and run.browser is None:
        return NO_BROWSER
    if Need.OWN_ADDRESS in needs and not (run.target and on_loopback(run.target.base_url)):
        return NO_OWN_ADDRESS
    if Need.SAME_SITE_PAGE in needs and not (run.target and same_site_servable(run.target.base_url)):
        return NO_SAME_SITE_PAGE
    if Need.SIGNING_SECRET in needs and not (run.target and run.target.signing_secret):
        return NO_SIGNING_SECRET
    if run.readonly and Need.CAST in needs:
        return READONLY
    if run.readonly and Need.MEMBER in needs and run.persona is None:
        return NO_PERSONA
    if Need.PASSWORD_LOGIN in needs and not facts().password_login:
        return PASSWORD_LOGIN_OFF
    if Need.GRAPHQL in needs and facts().graphql is False:
        return GRAPHQL_OFF
    if Need.SSO_REDIRECT in needs and facts().redirecting_provider is None:
        return NO_SSO_REDIRECT
    if Need.SAML_LOGIN in needs and facts().saml_provider is None:
        return NO_SAML_LOGIN
    registration = _registration_problem(needs, facts)
    if registration:
        return registration
    socket_problem = _socket_problem(needs, facts)
    if socket_problem:
        return socket_problem
    if Need.RESUMABLE_UPLOADS in needs and not facts().resumable_uploads:
        return NO_RESUMABLE_UPLOADS.format(state={None: "unknown", False: "off"}[facts().resumable_uploads])
    if run.readonly:
        return None  # the version is unknown without the admin's facts: every feature is taken as present
    features = [need for need in needs if isinstance(need, Feature)]
    if not features and not CAST_NEEDS & needs:
        return None
    seeded = cast()
    for feature in sorted(features, key=lambda f: f.name):
        reason = feature.missing_in(seeded.facts.version)
        if reason:
            return reason
    if Need.CUSTOM_RULES in needs and seeded.custom_rules_unavailable:
        return seeded.custom_rules_unavailable
    if Need.HIDDEN_FIELD in needs and not seeded.hidden_field:
        return NO_HIDDEN_FIELD
    if Need.OWN_WRITES in needs and not seeded.own_writes:
        return NO_OWN_WRITES
    return None


def on_loopback(url: str) -> bool:
    """Whether the URL's host is this machine's loopback (127.0.0.0/8, ::1 or localhost)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _registration_problem(needs: set[Requirement], facts: Callable[[], TargetFacts]) -> str | None:
    """Why a registration check does not apply: the target's public registration is closed (or unknown), or is not
    verified by email."""
    if Need.OPEN_REGISTRATION in needs and facts().registration in (None, REGISTRATION_CLOSED):
        return NO_OPEN_REGISTRATION.format(state=facts().registration or "unknown")
    if Need.VERIFIED_REGISTRATION in needs and facts().registration != REGISTRATION_VERIFIED:
        return NO_VERIFIED_REGISTRATION.format(state=facts().registration or "unknown")
    return None


def _socket_problem(needs: set[Requirement], facts: Callable[[], TargetFacts]) -> str | None:
    """Why a realtime check does not apply: the door it needs is closed (or unknown), or authenticates otherwise."""
    if {Need.SOCKET, Need.SOCKET_HANDSHAKE, Need.GRAPHQL_SOCKET} & needs and facts().websockets is None:
        return SOCKETS_UNKNOWN
    if Need.SOCKET in needs or Need.SOCKET_HANDSHAKE in needs:
        rest = facts().socket_rest
        if rest is None:
            return NO_SOCKET.format(door="REST WebSocket", setting="REST")
        if Need.SOCKET_HANDSHAKE in needs and rest.authentication != "handshake":
            return NOT_HANDSHAKE.format(mode=rest.authentication)
    if Need.GRAPHQL_SOCKET in needs and facts().socket_graphql is None:
        return NO_SOCKET.format(door="GraphQL WebSocket", setting="GRAPHQL")
    return None
