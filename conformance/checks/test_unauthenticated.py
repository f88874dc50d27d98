"""Unauthenticated requests are refused: 403 on data (existing or not, so nothing leaks), 401 on /users/me."""

from __future__ import annotations

import pytest

from conformance.checks.api import (
    POLICIES,
    Cast,
    DirectusClient,
    check,
    expect,
    expect_status,
    needs,
)

BEHAVIOUR = "Unauthenticated requests are refused"
REFS = ("/guides/auth/access-control", "/guides/connect/errors", "v5.0.0-8.2.1")
SYSTEM_COLLECTIONS = [
    "/users",
    "/roles",
    pytest.param("/policies", marks=needs(POLICIES)),
    "/permissions",
    pytest.param("/access", marks=needs(POLICIES)),
    "/activity",
    "/revisions",
    "/files",
    "/presets",
    "/flows",
]


@check(
    "ANON-LIST-403",
    level="MUST",
    refs=REFS,
    title="An anonymous request for the items of a non-public collection is refused with 403 FORBIDDEN",
)
def test_anonymous_list_is_forbidden(directus: DirectusClient, cast: Cast) -> None:
    expect_status(directus.request("GET", f"/items/{cast.collection}"), 403, "FORBIDDEN")


@check(
    "ANON-ITEM-403",
    level="MUST",
    refs=REFS,
    title="An anonymous request for one item of a non-public collection is refused with 403 FORBIDDEN",
)
def test_anonymous_item_is_forbidden(directus: DirectusClient, cast: Cast) -> None:
    for post in cast.all_posts:
        expect_status(directus.request("GET", f"/items/{cast.collection}/{post}"), 403, "FORBIDDEN")


@check(
    "ANON-WRITE-403",
    level="MUST",
    refs=REFS,
    title="An anonymous create, update or delete of a non-public collection is refused with 403 FORBIDDEN",
)
@pytest.mark.parametrize("method", ["POST", "PATCH", "DELETE"])
def test_anonymous_write_is_forbidden(directus: DirectusClient, cast: Cast, method: str) -> None:
    post = cast.all_posts[0]
    path = f"/items/{cast.collection}" if method == "POST" else f"/items/{cast.collection}/{post}"
    body = {"title": "written anonymously"} if method != "DELETE" else None
    expect_status(directus.request(method, path, json=body), 403, "FORBIDDEN")


@check(
    "ANON-SYSTEM-403",
    level="MUST",
    refs=REFS,
    title="An anonymous request for a system collection is refused with 403 FORBIDDEN",
)
@pytest.mark.parametrize("path", SYSTEM_COLLECTIONS)
def test_anonymous_system_collection_is_forbidden(directus: DirectusClient, path: str) -> None:
    expect_status(directus.request("GET", path), 403, "FORBIDDEN")


@check(
    "ANON-UNKNOWN-COLLECTION-403",
    level="MUST",
    refs=(*REFS, "GHSA-cph6-524f-3hgr", "CVE-2025-64749", "v5.0.0-8.2.2"),
    title="A collection that does not exist answers an anonymous request exactly like one that does (no "
    "existence leak)",
)
def test_unknown_collection_answers_like_a_known_one(directus: DirectusClient, cast: Cast) -> None:
    known = directus.request("GET", f"/items/{cast.collection}")
    unknown = directus.request("GET", f"/items/{cast.collection}_nonexistent")
    expect_status(unknown, 403, "FORBIDDEN")
    expect(
        unknown.status_code == known.status_code and unknown.text.replace("_nonexistent", "") == known.text,
        "the same answer as for the existing collection",
        unknown,
    )


@check(
    "ANON-ME-401",
    level="MUST",
    refs=("/reference/users", "api/src/controllers/users.ts"),
    title="An anonymous GET /users/me is refused with 401 INVALID_CREDENTIALS",
)
def test_anonymous_me_is_unauthorized(directus: DirectusClient) -> None:
    expect_status(directus.request("GET", "/users/me"), 401, "INVALID_CREDENTIALS")
