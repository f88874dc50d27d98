"""Policies and rules: what several policies grant together is, item by item, what each of them grants there, never
the union of their fields on every item they reach; a rule that a value be `_in` a list the caller has nothing in
grants nothing, for reads and for a create's validation alike; and a rule's dynamic variables are the caller's own.

The user is a throwaway whose grants are all it has (attached to it, or held by a role of the check's own). The
posts it writes or reads are posts by the cast's admin, made for the check, or found by their title and deleted after.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from conformance.checks.api import (
    POLICIES,
    ROLE_AND_POLICY_VARIABLES,
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
    list_posts,
    needs,
    new_title,
    post_by,
    posts_titled,
    received,
    user_holding,
    user_in_a_role_holding,
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


EMPTY_LISTS: dict[str, list[str] | None] = {"none": None, "an empty list": []}
IN_MY_TAGS = {"_in": "$CURRENT_USER.tags"}  # a list of each user's own, which a throwaway user has nothing in
RULES_DOCS = "/reference/filter-rules"
IN_VALIDATION = "packages/utils/shared/generate-joi.ts"  # `_in` is Joi's valid(...list): valid() of nothing is no rule


@contextlib.contextmanager
def tagged_user(cast: Cast, loader: Loader, rule: dict[str, Any], tags: str) -> Iterator[Persona]:
    """A user holding one grant, `rule` on the posts, whose tags are `tags` (an EMPTY_LISTS key)."""
    grant = loader.access.grant(f"in-{cast.run_tag}-{secrets.token_hex(3)}", [{"collection": cast.collection, **rule}])
    with user_holding(loader, grant) as user:
        loader.admin.call("PATCH", f"/users/{user.id}", action="set a user's tags", json={"tags": EMPTY_LISTS[tags]})
        yield user


def expect_create_refused(directus: DirectusClient, cast: Cast, loader: Loader, tags: str) -> None:
    """A user may create a post only with a title in their tags: with `tags`, no create is valid."""
    rule = {"action": "create", "fields": ["title"], "validation": {"title": IN_MY_TAGS}}
    title = new_title(cast)
    with tagged_user(cast, loader, rule, tags) as user, posts_titled(directus, cast, loader, title) as found:
        headers = bearer(user.static_token)
        response = directus.request("POST", f"/items/{cast.collection}", headers=headers, json={"title": title})
        expect_status(response, 400, "FAILED_VALIDATION", why=f"a title in the tags of {user.name}, who has {tags}")
        made = found()
        expect(not made, f"no post titled so (the admin reads {made})", response)


@check(
    "RULES-EMPTY-IN-ACCEPTS-NOTHING",
    level="MUST",
    needs=(Need.CUSTOM_RULES,),
    refs=("GHSA-hxgm-ghmv-xjjm", "CVE-2024-39701", RULES_DOCS, *REFS),
    title="A validation that a value be `_in` the caller's own list (`$CURRENT_USER.tags`) accepts nothing when "
    "the caller has none: the create is 400 FAILED_VALIDATION and makes nothing",
)
def test_in_no_list_accepts_nothing(directus: DirectusClient, cast: Cast, loader: Loader) -> None:
    expect_create_refused(directus, cast, loader, "none")


@check(
    "RULES-EMPTY-LIST-IN-ACCEPTS-NOTHING",
    level="SHOULD",
    needs=(Need.CUSTOM_RULES,),
    refs=(RULES_DOCS, IN_VALIDATION, *REFS),
    title="A validation that a value be `_in` the caller's own list accepts nothing when that list is empty ([]): "
    "the create is 400 FAILED_VALIDATION and makes nothing",
)
def test_in_an_empty_list_accepts_nothing(directus: DirectusClient, cast: Cast, loader: Loader) -> None:
    expect_create_refused(directus, cast, loader, "an empty list")


@check(
    "RULES-EMPTY-IN-READS-NOTHING",
    level="MUST",
    needs=(Need.CUSTOM_RULES,),
    refs=("GHSA-hxgm-ghmv-xjjm", "CVE-2024-39701", RULES_DOCS, *REFS),
    title="A read rule that a post's title be `_in` the caller's own list (`$CURRENT_USER.tags`) reads nothing when "
    "the caller has none, or an empty one",
)
@pytest.mark.parametrize("tags", list(EMPTY_LISTS))
def test_empty_in_reads_nothing(directus: DirectusClient, cast: Cast, loader: Loader, tags: str) -> None:
    rule = {"action": "read", "permissions": {"title": IN_MY_TAGS}}
    with tagged_user(cast, loader, rule, tags) as user:
        response = list_posts(directus, cast, bearer(user.static_token), fields="id")
        expect_status(response, 200, why="a list of the posts")
        rows = response.json()["data"]
        expect(rows == [], f"no post ({user.name} has {tags} for tags; read {len(rows)})", response)


VARIABLES_DOCS = "/reference/filter-rules#dynamic-variables"
VARIABLES_SOURCE = "api/src/permissions/utils/fetch-dynamic-variable-data.ts"
OPERATOR = {"$CURRENT_ROLE": "_eq", "$CURRENT_ROLES": "_in", "$CURRENT_POLICIES": "_in"}
"""How a rule compares a post's title with each variable: a role's id, or a list of ids."""
VARIABLES_SINCE_11 = [pytest.param(v, marks=needs(ROLE_AND_POLICY_VARIABLES)) for v in OPERATOR if v.endswith("S")]


def values_of(cast: Cast, loader: Loader, variable: str, role: str, grant: str) -> tuple[str, str]:
    """What `variable` holds for the check's user (its role, or the policy it holds), and for the cast's members."""
    if variable != "$CURRENT_POLICIES":
        return role, cast.member_role_id
    members = loader.admin.get("/policies", limit=1, fields="id", **{"filter[name][_eq]": cast.member_policy})
    return grant, str(received(members, "the members' policy")[0]["id"])


@check(
    "RULES-VARIABLES-RESOLVE-TO-CALLER",
    level="MUST",
    needs=(Need.CUSTOM_RULES,),
    refs=(VARIABLES_DOCS, VARIABLES_SOURCE, *REFS),
    title="A read rule on a dynamic variable ($CURRENT_ROLE, $CURRENT_ROLES, $CURRENT_POLICIES) compares with the "
    "caller's own: the caller reads the post titled with its role (or policy) id, not the one titled with the "
    "members'",
)
@pytest.mark.parametrize(
    "variable",
    [
        "$CURRENT_ROLE",
        *(pytest.param(v, marks=needs(ROLE_AND_POLICY_VARIABLES)) for v in ("$CURRENT_ROLES", "$CURRENT_POLICIES")),
    ],
)
def test_rule_variables_resolve_to_the_caller(
    directus: DirectusClient, cast: Cast, loader: Loader, variable: str
) -> None:
    rule = {"title": {OPERATOR[variable]: variable}}
    read = {"collection": cast.collection, "action": "read", "fields": ["id", "title"], "permissions": rule}
    name = f"variables-{cast.run_tag}-{secrets.token_hex(3)}"
    grant = loader.access.grant(name, [read])
    with user_in_a_role_holding(loader, grant, name) as (user, role):
        own, members = values_of(cast, loader, variable, role, grant)
        admin = an_admin(cast)
        with post_by(loader, cast, admin, title=own) as mine, post_by(loader, cast, admin, title=members) as theirs:
            response = list_posts(directus, cast, bearer(user.static_token), fields="id")
            expect_status(response, 200, why="a list of the posts")
            read_ids = {row["id"] for row in response.json()["data"]}
            expect(
                read_ids == {mine},
                f"{variable} is {user.name}'s own: post {mine} alone is read (not post {theirs}, titled with the "
                f"members' id; read {sorted(read_ids)})",
                response,
            )
