"""What the run learns of a target: carried between processes intact, printed one line each; and the settings a
user may give the embedded server."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from conformance.embedded.settings import EmbeddedSettings, parse_directus_env
from conformance.errors import ConfigError
from conformance.facts import (
    REGISTRATION_CLOSED,
    REGISTRATION_UNVERIFIED,
    REGISTRATION_VERIFIED,
    CookieNames,
    SocketDoor,
    TargetFacts,
    describe_licence,
    registration_of,
)

FACTS = TargetFacts(
    password_login=True,
    cookies=CookieNames("acme_refresh", "acme_session", "learnt from the logins' Set-Cookie"),
    access_ttl_s=900.0,
    refresh_ttl_s=604800.0,
    graphql=True,
    websockets=True,
    socket_rest=SocketDoor("/websocket", "strict"),
    database="pg",
    licence="Core (active), custom permission rules: off",
    sso_providers={"corp": "openid", "okta": "saml"},
    registration=REGISTRATION_VERIFIED,
    resumable_uploads=True,
)


def test_facts_cross_between_processes_intact() -> None:
    assert TargetFacts.from_json(FACTS.to_json()) == FACTS


def test_facts_are_printed_one_line_each_and_reported() -> None:
    assert FACTS.lines() == [
        "password login: enabled",
        "cookies: refresh acme_refresh, session acme_session (learnt from the logins' Set-Cookie)",
        "access-token TTL: 900 s; refresh-token TTL: 604800 s",
        "GraphQL: yes; WebSockets: yes, REST /websocket (strict)",
        "database: pg",
        "licence: Core (active), custom permission rules: off",
        "SSO providers: corp (openid), okta (saml)",
        "public registration: open, verified by email",
        "resumable (TUS) uploads: yes",
    ]
    assert FACTS.properties()["session_cookie"] == "acme_session"
    assert FACTS.properties()["sso_providers"] == "corp:openid,okta:saml"
    assert FACTS.properties()["websocket_rest"] == "/websocket (strict)"
    assert FACTS.properties()["websocket_graphql"] == "none"
    assert FACTS.properties()["resumable_uploads"] == "true"
    assert FACTS.redirecting_provider == "corp"


def test_settings_of_the_users_reach_the_embedded_servers_environment(tmp_path: Path) -> None:
    extra = parse_directus_env(["AUTH_DISABLE_DEFAULT=true", "REFRESH_TOKEN_COOKIE_NAME=acme_refresh"])
    environment = EmbeddedSettings("11.17.4", extra_env=extra).environment(tmp_path / "data.db", tmp_path)
    assert environment["AUTH_DISABLE_DEFAULT"] == "true" and environment["REFRESH_TOKEN_COOKIE_NAME"] == "acme_refresh"


@pytest.mark.parametrize(
    ("assignment", "problem"),
    [("AUTH_DISABLE_DEFAULT", "KEY=VALUE"), ("HOST=0.0.0.0", "set by the harness"), ("ACCESS_TOKEN_TTL=1h", "harness")],
)
def test_a_setting_that_is_malformed_or_the_harnesss_own_is_refused_in_one_line(assignment: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        parse_directus_env([assignment])


def test_the_licence_is_told_by_its_tier_and_whether_it_entitles_filter_rules() -> None:
    core = {"name": "Core", "status": "active", "entitlements": {"custom_permission_rules_enabled": {"default": False}}}
    licensed = {**core, "entitlements": {"custom_permission_rules_enabled": {"default": False, "override": True}}}
    request = httpx.Request("GET", "http://d.example/license")
    assert describe_licence(httpx.Response(200, json={"data": core}, request=request)) == (
        "Core (active), custom permission rules: off"
    )
    assert describe_licence(httpx.Response(200, json={"data": licensed}, request=request)).endswith("rules: on")
    assert describe_licence(httpx.Response(404, request=request)).startswith("none (GET /license: HTTP 404")


def test_the_websocket_doors_are_read_from_server_info() -> None:
    assert SocketDoor.from_info({"authentication": "handshake", "path": "/websocket"}) == SocketDoor(
        "/websocket", "handshake"
    )
    assert SocketDoor.from_info(False) is None
    assert SocketDoor.from_info({"authentication": "public"}) is None  # no path: no door to open


def test_public_registration_is_read_from_the_projects_settings_in_server_info() -> None:
    assert registration_of({"project_name": "Directus"}) is None  # before 10.11: not said
    assert registration_of({"public_registration": False, "public_registration_verify_email": True}) == (
        REGISTRATION_CLOSED
    )
    assert registration_of({"public_registration": True, "public_registration_verify_email": True}) == (
        REGISTRATION_VERIFIED
    )
    assert registration_of({"public_registration": True, "public_registration_verify_email": False}) == (
        REGISTRATION_UNVERIFIED
    )
