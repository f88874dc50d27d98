"""Address-limited policies (`ip_access`): a policy grants nothing from an address it does not list, and the
address is the client's own, not one it claims in an `X-Forwarded-For` header."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from conformance.checks.api import (
    POLICIES,
    Cast,
    DirectusClient,
    Loader,
    Persona,
    bearer,
    check,
    expect,
    expect_status,
    list_posts,
)

BEHAVIOUR = "IP access"
REFS = ("/reference/system/policies", "api/src/permissions/utils/filter-policies-by-ip.ts")
NOBODYS_ADDRESS = "203.0.113.7"  # TEST-NET-3 (RFC 5737): no client has it
EVERYWHERE = ["0.0.0.0/0", "::/0"]


@dataclass(frozen=True)
class AddressLimited:
    """A user whose only access is one policy: reading the cast's posts, from NOBODYS_ADDRESS only."""

    user: Persona
    policy: str
    loader: Loader

    def allow(self, addresses: list[str]) -> None:
        self.loader.admin.call(
            "PATCH", f"/policies/{self.policy}", action="widen the policy's addresses", json={"ip_access": addresses}
        )


@pytest.fixture
def address_limited(cast: Cast, loader: Loader) -> Iterator[AddressLimited]:
    admin = loader.admin
    user = loader.create_throwaway(None)  # no role: the policy below is all the user has
    policy = admin.call(
        "POST",
        "/policies",
        action="create an address-limited policy",
        json={
            "name": f"ip-{cast.run_tag}-{secrets.token_hex(3)}",
            "ip_access": [NOBODYS_ADDRESS],
            "admin_access": False,
            "app_access": False,
            "permissions": [{"collection": cast.collection, "action": "read", "fields": ["*"], "permissions": {}}],
        },
    )["id"]
    try:
        admin.call("POST", "/access", action="attach it to a throwaway user", json={"user": user.id, "policy": policy})
        yield AddressLimited(user, str(policy), loader)
    finally:
        loader.delete_user(user.id)
        admin.call("DELETE", f"/policies/{policy}", action="delete the address-limited policy")


def posts_as(directus: DirectusClient, cast: Cast, token: str, **headers: str) -> httpx.Response:
    return list_posts(directus, cast, bearer(token) | headers)


@check(
    "IP-ACCESS-REFUSES-OTHER-ADDRESSES",
    level="MUST",
    needs=(POLICIES,),
    refs=REFS,
    title="A policy limited to addresses grants nothing from another one (403), and grants from those it lists",
)
def test_policy_grants_only_from_its_addresses(
    directus: DirectusClient, cast: Cast, address_limited: AddressLimited
) -> None:
    token = address_limited.user.static_token
    expect_status(posts_as(directus, cast, token), 403, "FORBIDDEN", why="from an address the policy does not list")
    address_limited.allow(EVERYWHERE)
    expect_status(posts_as(directus, cast, token), 200, why="once the policy lists every address")


@check(
    "IP-FORWARDED-FOR-NOT-TRUSTED",
    level="SHOULD",
    needs=(POLICIES,),
    refs=(*REFS, "/configuration/security-limits", "api/src/utils/get-ip-from-req.ts"),
    title="A client's own X-Forwarded-For header does not make it the address a policy lists (IP_TRUST_PROXY: "
    "trust only your proxies)",
)
def test_forwarded_for_from_a_client_is_not_its_address(
    directus: DirectusClient, cast: Cast, address_limited: AddressLimited
) -> None:
    token = address_limited.user.static_token
    expect_status(posts_as(directus, cast, token), 403, why="from an address the policy does not list")
    claimed = posts_as(directus, cast, token, **{"X-Forwarded-For": NOBODYS_ADDRESS})
    expect(
        claimed.status_code == 403,
        f"403: the client claimed the policy's address {NOBODYS_ADDRESS} in X-Forwarded-For, and the target took "
        "it for the client's own (IP_TRUST_PROXY=true, the default before Directus 12: set it to your proxies' "
        "addresses, or false)",
        claimed,
    )
