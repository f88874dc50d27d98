"""The one applicability rule: what a check needs, met or not by the run and the target, with one reason."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from conformance.admin import Facts
from conformance.applicability import (
    GRAPHQL_OFF,
    NO_BROWSER,
    NO_HIDDEN_FIELD,
    NO_MAILBOX,
    NO_OPEN_REGISTRATION,
    NO_OWN_ADDRESS,
    NO_OWN_WRITES,
    NO_PERSONA,
    NO_RESUMABLE_UPLOADS,
    NO_SAME_SITE_PAGE,
    NO_SIGNING_SECRET,
    NO_SSO_REDIRECT,
    NO_VERIFIED_REGISTRATION,
    NOT_EMBEDDED,
    PASSWORD_LOGIN_OFF,
    READONLY,
    why_not,
)
from conformance.cast import Cast
from conformance.config import Target
from conformance.facts import (
    REGISTRATION_CLOSED,
    REGISTRATION_UNVERIFIED,
    REGISTRATION_VERIFIED,
    CookieNames,
    SocketDoor,
    TargetFacts,
)
from conformance.needs import Need
from conformance.run import OwnAccount, Run
from conformance.versions import POLICIES, SESSION_MODE

FULL = Run(target=Target("https://cms.example.com"), run_tag="unit1")
READ_ONLY = replace(FULL, access="readonly")


def seeded(version: str = "11.17.4", rules: str | None = None) -> Cast:
    facts = Facts(version, has_policies=True, custom_rules_enabled=rules is None, custom_rules_note=rules)
    return Cast("unit1", "posts_unit1", "Member", "r1", None, {}, {}, facts, {}, custom_rules_unavailable=rules)


def login_on() -> TargetFacts:
    return TargetFacts(password_login=True, cookies=CookieNames())


def never() -> Cast:
    raise AssertionError("the cast was asked for where the answer does not depend on it")


def test_the_read_only_profile_skips_what_needs_the_cast_before_any_seed() -> None:
    assert why_not([], ["directus", "cast"], READ_ONLY, never, login_on) == READONLY
    assert why_not([], ["throwaway"], READ_ONLY, never, login_on) == READONLY
    assert why_not([Need.CUSTOM_RULES], ["directus"], READ_ONLY, never, login_on) == READONLY


def test_a_member_login_in_the_read_only_profile_needs_a_persona() -> None:
    assert why_not([SESSION_MODE], ["members"], READ_ONLY, never, login_on) == NO_PERSONA
    assert (
        why_not([SESSION_MODE], ["members"], replace(READ_ONLY, persona=OwnAccount("me@x.io", "pw")), never, login_on)
        is None
    )


def test_features_are_judged_by_the_version_the_seed_learnt() -> None:
    assert why_not([POLICIES], [], FULL, lambda: seeded("11.17.4"), login_on) is None
    reason = why_not([POLICIES], [], FULL, lambda: seeded("10.13.4"), login_on)
    assert reason == "Directus 10.13.4 predates access policies (/policies, /access) (first in 11.0.0)"


def test_filter_rules_the_target_refused_skip_with_its_reason() -> None:
    note = "Directus 12.4.0 runs without the custom_permission_rules_enabled licence entitlement"
    assert why_not([Need.CUSTOM_RULES], ["cast"], FULL, lambda: seeded("12.4.0", note), login_on) == note
    assert why_not([Need.CUSTOM_RULES], ["cast"], FULL, lambda: seeded(), login_on) is None


def test_a_hidden_field_check_needs_a_cast_that_names_one() -> None:
    hidden = (Need.CUSTOM_RULES, Need.HIDDEN_FIELD)
    assert why_not(hidden, [], FULL, lambda: seeded(), login_on) == NO_HIDDEN_FIELD
    assert why_not(hidden, [], FULL, lambda: replace(seeded(), hidden_field="canary"), login_on) is None
    assert why_not(hidden, [], READ_ONLY, never, login_on) == READONLY


def test_a_write_check_needs_a_cast_that_holds_writes_to_the_callers_name() -> None:
    writes = (Need.CUSTOM_RULES, Need.OWN_WRITES)
    assert why_not(writes, [], FULL, lambda: seeded(), login_on) == NO_OWN_WRITES
    assert why_not(writes, [], FULL, lambda: replace(seeded(), own_writes=True), login_on) is None


def test_a_check_with_no_target_dependent_needs_never_waits_for_the_seed() -> None:
    assert why_not([], ["directus", "members"], FULL, never, login_on) is None


def test_a_check_that_logs_in_is_skipped_where_password_login_is_off() -> None:
    def sso_only() -> TargetFacts:
        return TargetFacts(password_login=False, cookies=CookieNames())

    assert why_not([], ["directus", "members"], FULL, never, sso_only) == PASSWORD_LOGIN_OFF
    assert why_not([], ["directus", "throwaway"], FULL, never, sso_only) == PASSWORD_LOGIN_OFF
    assert why_not([Need.PASSWORD_LOGIN], ["directus"], FULL, never, sso_only) == PASSWORD_LOGIN_OFF
    assert why_not([], ["directus", "cast"], FULL, never, sso_only) is None  # static tokens still work


def test_a_graphql_check_skips_where_the_target_serves_no_graphql() -> None:
    def no_graphql() -> TargetFacts:
        return TargetFacts(password_login=True, cookies=CookieNames(), graphql=False)

    assert why_not([Need.GRAPHQL], ["directus"], FULL, never, no_graphql) == GRAPHQL_OFF
    assert why_not([Need.GRAPHQL], ["directus"], FULL, never, login_on) is None  # unknown: tried


def test_a_probe_with_effects_beyond_the_target_runs_only_on_an_embedded_one() -> None:
    assert why_not([Need.EMBEDDED], ["directus"], FULL, never, login_on) == NOT_EMBEDDED
    embedded = replace(FULL, target=Target("http://127.0.0.1:8055", embedded=True))
    assert why_not([Need.EMBEDDED], ["directus"], embedded, never, login_on) is None


def test_a_check_that_reads_the_targets_mail_needs_a_mailbox() -> None:
    assert why_not([], ["directus", "mailbox"], FULL, never, login_on) == NO_MAILBOX
    with_mail = replace(FULL, target=Target("https://cms.example.com", mail_api="http://127.0.0.1:8025"))
    assert why_not([], ["directus", "mailbox"], with_mail, never, login_on) is None


def test_a_check_in_the_browser_needs_a_chromium() -> None:
    assert why_not([], ["directus", "visit", "browser"], FULL, never, login_on) == NO_BROWSER
    with_browser = replace(FULL, browser=Path("/usr/lib/chromium/chromium"))
    assert why_not([], ["directus", "visit", "browser"], with_browser, never, login_on) is None


def test_a_page_of_the_targets_site_is_served_for_a_target_on_loopback_only() -> None:
    assert why_not([Need.SAME_SITE_PAGE], ["directus"], FULL, never, login_on) == NO_SAME_SITE_PAGE
    local = replace(FULL, target=Target("http://127.0.0.1:8055"))
    assert why_not([Need.SAME_SITE_PAGE], ["directus"], local, never, login_on) is None


def test_a_check_that_mints_an_expired_token_needs_the_targets_secret() -> None:
    assert why_not([Need.SIGNING_SECRET], ["directus"], FULL, never, login_on) == NO_SIGNING_SECRET
    with_secret = replace(FULL, target=Target("https://cms.example.com", signing_secret="s3cret"))
    assert why_not([Need.SIGNING_SECRET], ["directus"], with_secret, never, login_on) is None


def test_a_check_that_spends_a_per_address_limiter_needs_an_address_of_its_own_on_loopback() -> None:
    assert why_not([Need.OWN_ADDRESS], ["directus"], FULL, never, login_on) == NO_OWN_ADDRESS
    for url in ("http://127.0.0.1:8055", "https://127.0.0.1:4443/directus", "http://localhost:8055", "http://[::1]:80"):
        loopback = replace(FULL, target=Target(url))
        assert why_not([Need.OWN_ADDRESS], ["directus"], loopback, never, login_on) is None, url


def test_a_registration_check_needs_the_target_to_open_registration_as_it_checks() -> None:
    def registration(state: str | None) -> Callable[[], TargetFacts]:
        return lambda: TargetFacts(password_login=True, cookies=CookieNames(), registration=state)

    closed = NO_OPEN_REGISTRATION.format(state=REGISTRATION_CLOSED)
    assert why_not([Need.OPEN_REGISTRATION], [], FULL, never, registration(REGISTRATION_CLOSED)) == closed
    assert why_not([Need.OPEN_REGISTRATION], [], FULL, never, registration(None)) == NO_OPEN_REGISTRATION.format(
        state="unknown"
    )
    assert why_not([Need.OPEN_REGISTRATION], [], FULL, never, registration(REGISTRATION_UNVERIFIED)) is None
    unverified = NO_VERIFIED_REGISTRATION.format(state=REGISTRATION_UNVERIFIED)
    assert why_not([Need.VERIFIED_REGISTRATION], [], FULL, never, registration(REGISTRATION_UNVERIFIED)) == unverified
    assert why_not([Need.VERIFIED_REGISTRATION], [], FULL, never, registration(REGISTRATION_VERIFIED)) is None


def test_an_sso_check_needs_an_oauth2_or_openid_provider() -> None:
    def with_providers(**providers: str) -> Callable[[], TargetFacts]:
        return lambda: TargetFacts(password_login=True, cookies=CookieNames(), sso_providers=providers)

    assert why_not([Need.SSO_REDIRECT], ["directus"], FULL, never, login_on) == NO_SSO_REDIRECT
    assert why_not([Need.SSO_REDIRECT], ["directus"], FULL, never, with_providers(corp="saml")) == NO_SSO_REDIRECT
    assert why_not([Need.SSO_REDIRECT], ["directus"], FULL, never, with_providers(corp="openid")) is None


def test_a_realtime_check_needs_the_door_it_uses_and_its_mode() -> None:
    def doors(rest: str | None, graphql: str | None = None) -> Callable[[], TargetFacts]:
        rest_door = SocketDoor("/websocket", rest) if rest else None
        graphql_door = SocketDoor("/graphql", graphql) if graphql else None
        return lambda: TargetFacts(
            True, CookieNames(), websockets=bool(rest or graphql), socket_rest=rest_door, socket_graphql=graphql_door
        )

    assert str(why_not([Need.SOCKET], ["directus"], FULL, never, login_on)).startswith("whether the target has WebS")
    closed = "the target has no REST WebSocket (GET /server/info lists none; WEBSOCKETS_ENABLED, "
    assert str(why_not([Need.SOCKET], ["directus"], FULL, never, doors(None))).startswith(closed)
    assert why_not([Need.SOCKET], ["directus"], FULL, never, doors("strict")) is None
    strict = why_not([Need.SOCKET_HANDSHAKE], ["directus"], FULL, never, doors("strict"))
    assert strict == "the target's REST WebSocket authenticates in strict mode, not by a first auth message (handshake)"
    assert why_not([Need.SOCKET_HANDSHAKE], ["directus"], FULL, never, doors("handshake")) is None
    assert "GraphQL WebSocket" in str(why_not([Need.GRAPHQL_SOCKET], ["directus"], FULL, never, doors("handshake")))
    assert why_not([Need.GRAPHQL_SOCKET], ["directus"], FULL, never, doors(None, "handshake")) is None


def test_an_upload_check_needs_resumable_uploads_on() -> None:
    def uploads(state: bool | None) -> Callable[[], TargetFacts]:
        return lambda: TargetFacts(password_login=True, cookies=CookieNames(), resumable_uploads=state)

    for state, said in ((None, "unknown"), (False, "off")):
        assert why_not([Need.RESUMABLE_UPLOADS], [], FULL, never, uploads(state)) == NO_RESUMABLE_UPLOADS.format(
            state=said
        )
    assert why_not([Need.RESUMABLE_UPLOADS], [], FULL, never, uploads(True)) is None
