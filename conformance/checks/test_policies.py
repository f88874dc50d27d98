"""Policies and rules: what several policies grant together is, item by item, what each of them grants there, never
the union of their fields on every item they reach.

The user is a throwaway with no role: the grants a check attaches are all the user has. The posts it writes are
drafts by the cast's admin, made for the check.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from conformance.checks.api import (
    POLICIES,
    Cast,
    DirectusClient,
    Loader,
    Need,
    Persona,
    an_admin,
    as_admin,
    bearer,
    check,
    expect,
    expect_status,
    post_by,
    received,
    user_holding,
)

BEHAVIOUR = "Policies and rules"
REFS = ("/reference/system/policies", "/guides/auth/access-control", "api/src/permissions/modules/process-payload")


def update_of(cast: Cast, post: int, field: str) -> dict[str, Any]:
    """A permission to update `field` of `post` alone."""
    return {"collection": cast.collection, "action": "update", "fields": [field], "permissions": {"id": {"_eq": post}}}


@pytest.fixture
def granted(cast: Cast, loader: Loader) -> Iterator[tuple[Persona, int, int]]:
    """A user holding two policies: one updates the title of one draft, the other the hidden field of another.
    Gives the user and the two drafts."""
    hidden = received(cast.hidden_field, "the cast's hidden field")
    name = f"policy-{cast.run_tag}-{secrets.token_hex(3)}"
    with post_by(loader, cast, an_admin(cast)) as first, post_by(loader, cast, an_admin(cast)) as second:
        title = loader.access.grant(f"{name} title", [update_of(cast, first, "title")])
        field = loader.access.grant(f"{name} {hidden}", [update_of(cast, second, hidden)])
        with user_holding(loader, title, field) as user:
            yield user, first, second


@check(
    "POLICIES-GRANT-PER-ITEM",
    level="MUST",
    needs=(POLICIES, Need.CUSTOM_RULES, Need.HIDDEN_FIELD),  # a field to write that the title's policy does not grant
    refs=("GHSA-99vm-5v2h-h6r6", "CVE-2025-27089", *REFS),
    title="Of two policies that update different fields of different posts, each grants its field on its own post "
    "only: updating the other policy's field there is 403 FORBIDDEN and changes nothing",
)
def test_policies_grant_per_item(
    directus: DirectusClient, cast: Cast, loader: Loader, granted: tuple[Persona, int, int]
) -> None:
    user, first, _ = granted
    path, hidden = f"/items/{cast.collection}/{first}", received(cast.hidden_field, "the cast's hidden field")
    headers = bearer(user.static_token)
    allowed = directus.request("PATCH", path, headers=headers, json={"title": "retitled by its policy"})
    expect_status(allowed, (200, 204), why=f"the title of post {first}, which the first policy grants")
    crossed = directus.request("PATCH", path, headers=headers, json={hidden: "written through the other policy"})
    expect_status(crossed, 403, "FORBIDDEN", why=f"the {hidden} of post {first}: the second policy grants it elsewhere")
    after = as_admin(directus, loader, path, fields=hidden)
    value = after.json()["data"][hidden]
    expect(value is None, f"post {first}'s {hidden} is unchanged (the admin reads {value!r})", after)
