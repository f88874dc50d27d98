"""The official JavaScript SDK (`@directus/sdk`, the release the target's own app is built with), the client most
apps use, works against the target in each mode: login, refresh and logout, each step as the app sees it."""

from __future__ import annotations

import pytest

from conformance.checks.api import MODES, Members, Mode, check, expect, require
from conformance.sdk import Flow, Flows

BEHAVIOUR = "JavaScript SDK"
SDK_DOCS = "/guides/connect/sdk"
AUTH_DOCS = "/guides/auth/tokens-cookies"


def went_well(flow: Flow, name: str, gives: str | None = None) -> bool:
    """Whether the flow's step `name` succeeded (and gave `gives`, where given)."""
    step = flow.step(name)
    return step is not None and step.ok and (gives is None or step.detail == gives)


@check(
    "SDK-LOGIN",
    level="MUST",
    refs=(SDK_DOCS, AUTH_DOCS),
    title="The SDK logs a user in, and its next request (readMe) is that user's",
)
@pytest.mark.parametrize("mode", MODES)
def test_sdk_logs_in(sdk: Flows, members: Members, mode: Mode) -> None:
    member = members.member
    flow = sdk.of(member.email, member.password, mode)
    expect(went_well(flow, "login"), f"the SDK's {mode}-mode login succeeds", flow)
    expect(went_well(flow, "read-me", member.id), f"readMe() answers {member.name}'s id", flow)


@check(
    "SDK-REFRESH",
    level="MUST",
    refs=(SDK_DOCS, AUTH_DOCS),
    title="The SDK's refresh succeeds, and its next request is still the user's",
)
@pytest.mark.parametrize("mode", MODES)
def test_sdk_refreshes(sdk: Flows, members: Members, mode: Mode) -> None:
    member = members.member
    flow = sdk.of(member.email, member.password, mode)
    require(went_well(flow, "read-me", member.id), "the SDK logged in (SDK-LOGIN)", flow)
    expect(went_well(flow, "refresh"), f"the SDK's {mode}-mode refresh succeeds", flow)
    expect(went_well(flow, "read-me-after-refresh", member.id), f"readMe() still answers {member.name}'s id", flow)


@check(
    "SDK-LOGOUT",
    level="MUST",
    refs=(SDK_DOCS, AUTH_DOCS, "v5.0.0-7.4.1"),
    title="The SDK's logout succeeds, and what it held before can refresh no more",
)
@pytest.mark.parametrize("mode", MODES)
def test_sdk_logs_out(sdk: Flows, members: Members, mode: Mode) -> None:
    member = members.member
    flow = sdk.of(member.email, member.password, mode)
    require(went_well(flow, "read-me-after-refresh", member.id), "the SDK logged in and refreshed", flow)
    expect(went_well(flow, "logout"), f"the SDK's {mode}-mode logout succeeds", flow)
    after = flow.step("refresh-after-logout")
    expect(after is not None and not after.ok, "a refresh with what the SDK held before its logout is refused", flow)
