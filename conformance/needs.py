"""What a check can need of a run and its target, beyond what every check has (a base URL, a client).

A check declares its needs with `@check(..., needs=(...))` or, for one parameter, `pytest.param(..., marks=
needs(...))`; needing the seeded cast or a member to log in as follows from the fixtures it asks for (`cast`,
`loader`, `throwaway`, `members`; the last two also need password login), and a mailbox from `mailbox`, a browser from
`browser`.
`applicability.why_not` decides, in one place, whether they are met.
"""

from __future__ import annotations

import enum
from typing import Any

import pytest

from conformance.versions import Feature

__all__ = ["Need", "Requirement", "needs"]


class Need(enum.Enum):
    CAST = "the seeded cast (users and a collection the run creates)"
    MEMBER = "a user to log in as"
    CUSTOM_RULES = "filter rules such as author = $CURRENT_USER"
    PASSWORD_LOGIN = "local password login (POST /auth/login with an email and a password)"
    GRAPHQL = "the GraphQL endpoints (/graphql, /graphql/system)"
    SOCKET = "Directus's REST-style WebSocket (WEBSOCKETS_ENABLED; GET /server/info lists websocket.rest)"
    SOCKET_HANDSHAKE = "a WebSocket that authenticates by its first message (WEBSOCKETS_REST_AUTH=handshake)"
    GRAPHQL_SOCKET = "GraphQL over WebSocket (WEBSOCKETS_GRAPHQL_ENABLED; GET /server/info lists websocket.graphql)"
    SSO_REDIRECT = "an OAuth2 or OpenID login provider (GET /auth lists one)"
    SAML_LOGIN = "a SAML login provider (GET /auth lists one)"
    OPEN_REGISTRATION = "public registration (settings public_registration; GET /server/info says so)"
    VERIFIED_REGISTRATION = (
        "public registration verified by email (settings public_registration, public_registration_verify_email)"
    )
    MAIL = "a mailbox the target's mail reaches (the embedded target's sink, or --mail-api)"
    OWN_ADDRESS = (
        "a client address of the check's own (a target on loopback: any 127.x.y.z), so that spending a per-address "
        "limiter refuses no other check"
    )
    SIGNING_SECRET = "the target's SECRET (--signing-secret), to mint a token that has expired"
    HIDDEN_FIELD = "a field of the cast's posts that members may not read (hidden_field in the cast file)"
    OWN_WRITES = (
        "member permissions that hold writes to the caller's name (the cast file's create with the preset and the "
        "validation author = $CURRENT_USER, and an update with that validation)"
    )
    BROWSER = "a Chromium to drive (Debian's chromium, or --browser PATH)"
    SAME_SITE_PAGE = (
        "a page of the target's site at another origin (the harness serves one on loopback: a target on loopback)"
    )
    RESUMABLE_UPLOADS = "resumable (TUS) uploads (TUS_ENABLED; GET /server/info lists uploads.tus)"
    EMBEDDED = "a throwaway embedded target (the probe has effects beyond the target, or breaks it)"


Requirement = Need | Feature


def needs(*requirements: Requirement) -> Any:
    """A mark for one parameter of a check: `pytest.param("/policies", marks=needs(POLICIES))`."""
    return pytest.mark.needs(*requirements)
