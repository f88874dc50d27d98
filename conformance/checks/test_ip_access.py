"""Address-limited policies (`ip_access`; a role's on 10.x): a policy grants nothing from an address it does not
list, and the address is the client's own, not one it claims in an `X-Forwarded-For` header."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from conformance.checks.api import (
    IP_RANGES,
    Cast,
    DirectusClient,
    Loader,
    Persona,
    bearer,
    check,
    expect,
    expect_status,
    list_posts,
    user_holding,
)

BEHAVIOUR = "IP access"
REFS = (
    "/reference/system/policies",
    "api/src/permissions/utils/filter-policies-by-ip.ts",
    "api/src/middleware/check-ip.ts",  # 10.x
)
NOBODYS_ADDRESS = "203.0.113.7"  # TEST-NET-3 (RFC 5737): no client has it
EVERYWHERE = ["0.0.0.0/0", "::/0"]


@dataclass(frozen=True)
class AddressLimited:
    """A user whose only access is one grant (a policy on 11+, a role on 10.x): reading the cast's posts, from
    NOBODYS_ADDRESS only."""

    user: Persona
    grant: str
    loader: Loader

    def allow(self, addresses: list[str]) -> None:
        self.loader.access.limit_grant(self.grant, addresses)


@pytest.fixture
def address_limited(cast: Cast, loader: Loader) -> Iterator[AddressLimited]:
    name = f"ip-{cast.run_tag}-{secrets.token_hex(3)}"
    grant = loader.access.address_limited_grant(name, cast.collection, [NOBODYS_ADDRESS])
    with user_holding(loader, grant) as user:
        yield AddressLimited(user, grant, loader)


def refused_elsewhere(cast: Cast) -> tuple[int, str]:
    """How a request from an unlisted address is refused: 403 on 11+ (the policy does not apply), 401 INVALID_IP on
    10.x (a role's addresses are checked on every request)."""
    return (403, "FORBIDDEN") if cast.facts.has_policies else (401, "INVALID_IP")


def posts_as(directus: DirectusClient, cast: Cast, token: str, **headers: str) -> httpx.Response:
    return list_posts(directus, cast, bearer(token) | headers)


@check(
    "IP-ACCESS-REFUSES-OTHER-ADDRESSES",
    level="MUST",
    needs=(IP_RANGES,),  # "every address" is a CIDR block
    refs=REFS,
    title="A policy (a role on 10.x) limited to addresses grants nothing from another one (403; 401 INVALID_IP on "
    "10.x), and grants from those it lists",
)
def test_policy_grants_only_from_its_addresses(
    directus: DirectusClient, cast: Cast, address_limited: AddressLimited
) -> None:
    token = address_limited.user.static_token
    status, code = refused_elsewhere(cast)
    expect_status(posts_as(directus, cast, token), status, code, why="from an address the grant does not list")
    address_limited.allow(EVERYWHERE)
    expect_status(posts_as(directus, cast, token), 200, why="once the policy lists every address")


@check(
    "IP-FORWARDED-FOR-NOT-TRUSTED",
    level="SHOULD",
    refs=(*REFS, "/configuration/security-limits", "api/src/utils/get-ip-from-req.ts"),
    title="A client's own X-Forwarded-For header does not make it the address a policy lists (IP_TRUST_PROXY: "
    "trust only your proxies)",
)
def test_forwarded_for_from_a_client_is_not_its_address(
    directus: DirectusClient, cast: Cast, address_limited: AddressLimited
) -> None:
    token = address_limited.user.static_token
    status, _ = refused_elsewhere(cast)
    expect_status(posts_as(directus, cast, token), status, why="from an address the grant does not list")
    claimed = posts_as(directus, cast, token, **{"X-Forwarded-For": NOBODYS_ADDRESS})
    expect(
        claimed.status_code == status,
        f"{status}: the client claimed the grant's address {NOBODYS_ADDRESS} in X-Forwarded-For, and the target took "
        "it for the client's own (IP_TRUST_PROXY=true, the default before Directus 12: set it to your proxies' "
        "addresses, or false)",
        claimed,
    )
