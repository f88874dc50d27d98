"""Ownership filtering (author = $CURRENT_USER): members see and change only their own posts, by any credential
and through any query shape, REST or GraphQL; an admin sees all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conformance.checks.api import (
    CREDENTIAL_KINDS,
    Cast,
    CredentialKind,
    DirectusClient,
    Loader,
    Need,
    as_admin,
    check,
    credentials,
    expect,
    expect_status,
    list_posts,
)

BEHAVIOUR = "Ownership filtering"
REFS = ("/guides/auth/access-control", "api/src/permissions/utils/fetch-dynamic-variable-data.ts", "v5.0.0-8.2.2")
NEEDS = (Need.CUSTOM_RULES,)  # every check here: members may read only their own posts


def others_posts(cast: Cast, key: str) -> list[int]:
    return [post for post in cast.all_posts if post not in cast.posts[key]]


@check(
    "OWNERSHIP-LIST",
    level="MUST",
    needs=NEEDS,
    refs=REFS,
    title="The list of posts holds exactly the caller's own posts (all of them for an admin)",
)
@pytest.mark.parametrize("kind", CREDENTIAL_KINDS)
def test_list_holds_own_posts(directus: DirectusClient, cast: Cast, persona_key: str, kind: CredentialKind) -> None:
    persona = cast.personas[persona_key]
    response = list_posts(directus, cast, credentials(directus, persona, kind))
    expect_status(response, 200)
    ids = sorted(post["id"] for post in response.json()["data"])
    if persona.is_admin:  # every post: the seeded ones, and any a concurrent check has just created (realtime events)
        expect(set(cast.all_posts) <= set(ids), f"{persona.name} sees every post {cast.all_posts}", response)
        return
    wanted = cast.posts[persona_key]
    expect(ids == wanted, f"exactly {persona.name}'s own posts {wanted}", response)


@check(
    "OWNERSHIP-OTHERS-403",
    level="MUST",
    needs=NEEDS,
    refs=(*REFS, "v5.0.0-8.2.1"),
    title="Reading, updating or deleting someone else's post is refused with 403 FORBIDDEN, and the post is unchanged",
)
@pytest.mark.parametrize("kind", CREDENTIAL_KINDS)
@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_others_posts_are_forbidden(
    directus: DirectusClient, cast: Cast, loader: Loader, member_key: str, kind: CredentialKind, method: str
) -> None:
    for post in others_posts(cast, member_key):
        # fresh for each post (each also read back as admin): the embedded target's access tokens live 5 s
        headers = credentials(directus, cast.personas[member_key], kind)
        body = {"title": "taken over"} if method == "PATCH" else None
        response = directus.request(method, f"/items/{cast.collection}/{post}", headers=headers, json=body)
        expect_status(response, 403, "FORBIDDEN", why=f"{method} of post {post}, which is someone else's")
        after = as_admin(directus, loader, f"/items/{cast.collection}/{post}")
        expect(
            after.status_code == 200 and after.json()["data"]["title"] == cast.titles[post],
            f"post {post} still exists with its title unchanged (read as admin)",
            after,
        )


@check("OWNERSHIP-UPDATE-OWN", level="MUST", needs=NEEDS, refs=REFS, title="Updating one's own post is allowed (200)")
@pytest.mark.parametrize("kind", CREDENTIAL_KINDS)
def test_own_post_can_be_updated(directus: DirectusClient, cast: Cast, author_key: str, kind: CredentialKind) -> None:
    author = cast.personas[author_key]
    headers = credentials(directus, author, kind)
    post = cast.posts[author_key][0]
    response = directus.request(
        "PATCH", f"/items/{cast.collection}/{post}", headers=headers, json={"title": cast.titles[post]}
    )
    expect_status(response, 200, why=f"an update of post {post}, which is {author.name}'s own")


def a_title_not_owned_by(cast: Cast, key: str) -> str:
    return cast.titles[others_posts(cast, key)[0]]


REST_PROBES: dict[str, Callable[[Cast, str], dict[str, str]]] = {
    "filter on another's title": lambda cast, key: {"filter[title][_eq]": a_title_not_owned_by(cast, key)},
    "search": lambda cast, key: {"search": a_title_not_owned_by(cast, key).split()[-1]},
    "sort": lambda cast, key: {"sort": "-id"},
    "fields=author.*": lambda cast, key: {"fields": "*,author.*"},
    "deep": lambda cast, key: {"deep[author][_filter][id][_nnull]": "true"},
    "filter through the relation": lambda cast, key: {"filter[author][id][_nnull]": "true"},
    "aggregate[count]": lambda cast, key: {"aggregate[count]": "*"},
    "groupBy author": lambda cast, key: {"groupBy[]": "author", "aggregate[count]": "*"},
}


def leaked_rows(data: list[dict[str, Any]], own: list[int]) -> list[Any]:
    return [row.get("id") for row in data if "id" in row and int(row["id"]) not in own]


@check(
    "OWNERSHIP-NO-LEAK-REST",
    level="MUST",
    needs=NEEDS,
    refs=(*REFS, "v5.0.0-8.2.3"),
    title="No query shape (filter, search, sort, fields, deep, aggregate, groupBy) reveals other users' posts "
    "or their count",
)
@pytest.mark.parametrize("probe", list(REST_PROBES))
def test_rest_queries_do_not_leak(directus: DirectusClient, cast: Cast, member_key: str, probe: str) -> None:
    persona = cast.personas[member_key]
    own = cast.posts[member_key]
    headers = credentials(directus, persona, "static_token")
    response = list_posts(directus, cast, headers, **REST_PROBES[probe](cast, member_key))
    if response.status_code == 403:
        return  # refusing the question (from a caller shown to be authenticated) reveals nothing
    expect_status(response, (200, 403))
    data = response.json()["data"]
    if "aggregate" in probe or "groupBy" in probe:
        counted = sum(int(row["count"]) for row in data)
        authors = {row.get("author") for row in data} - {None, persona.id}
        expect(
            counted == len(own) and not authors, f"a count of {len(own)}, over {persona.name}'s posts only", response
        )
    else:
        expect(not leaked_rows(data, own), f"only {persona.name}'s posts {own}", response)


@check(
    "OWNERSHIP-NO-LEAK-GRAPHQL",
    level="MUST",
    needs=NEEDS,
    refs=(*REFS, "/guides/connect/graphql"),
    title="GraphQL lists, aggregates and by-id queries reveal no other user's posts",
)
@pytest.mark.parametrize("query", ["list", "aggregated count", "by id of another's post"])
def test_graphql_does_not_leak(directus: DirectusClient, cast: Cast, member_key: str, query: str) -> None:
    persona = cast.personas[member_key]
    own = cast.posts[member_key]
    collection = cast.collection
    other = others_posts(cast, member_key)[0]
    text = {
        "list": f"{{ {collection} {{ id }} }}",
        "aggregated count": f"{{ {collection}_aggregated {{ count {{ id }} }} }}",
        "by id of another's post": f"{{ {collection}_by_id(id: {other}) {{ id title }} }}",
    }[query]
    headers = credentials(directus, persona, "static_token")
    response = directus.request("POST", "/graphql", headers=headers, json={"query": text})
    if response.status_code in (401, 403):
        return
    data = response.json().get("data") or {}
    if query == "list":
        expect(not leaked_rows(data.get(collection) or [], own), f"only {persona.name}'s posts {own}", response)
    elif query == "aggregated count":
        rows = data.get(f"{collection}_aggregated") or [{"count": {"id": 0}}]
        expect(int(rows[0]["count"]["id"]) == len(own), f"a count of {len(own)}", response)
    else:
        expect(data.get(f"{collection}_by_id") is None, f"no data for post {other}", response)
