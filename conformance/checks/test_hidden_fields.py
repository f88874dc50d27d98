"""Hidden fields: a field the member's read permission leaves out is not read by any query shape, and no query
tests its value: not `search`, not a filter, not an aggregate or a grouping, not the order of a sort. The same holds
through a relation: the fields of a related collection the member may not read at all (a post's author, a user:
members may not read users) are as hidden as the post's own.

The member is the cast's owner, reading their own post (a row they may read), whose `canary` (the cast's hidden
field) holds a value made up per post and run, and whose author is the owner (whose email the checks know).
"""

from __future__ import annotations

import httpx
import pytest

from conformance.checks.api import (
    Cast,
    DirectusClient,
    Need,
    bearer,
    check,
    expect,
    expect_status,
)

BEHAVIOUR = "Hidden fields"
NEEDS = (Need.CUSTOM_RULES, Need.HIDDEN_FIELD)  # a read permission that lists fields is a custom rule on 12.x
FIELD_PERMISSIONS = "/guides/auth/access-control#field-permissions"
VALIDATE_PATHS = "api/src/permissions/modules/process-ast/lib/validate-path-permissions.ts"


class OwnPost:
    """The owner's post, its hidden field and that field's value, and the owner's credential (their static token)."""

    def __init__(self, directus: DirectusClient, cast: Cast) -> None:
        owner = cast.playing("owner")
        self.directus, self.cast, self.headers = directus, cast, bearer(owner.static_token)
        self.id = cast.posts_of(owner)[0]
        self.field = str(cast.hidden_field)
        self.canary = cast.canaries.get(self.id, "")  # none without a hidden field (its checks SKIP)

    def get(self, path: str = "", **params: str) -> httpx.Response:
        """A GET of the collection (or of `path` under it) as the owner."""
        return self.directus.request("GET", f"/items/{self.cast.collection}{path}", headers=self.headers, params=params)

    def listed(self, response: httpx.Response) -> bool:
        """The answer lists the post (a refused query lists nothing)."""
        rows = response.json().get("data") if response.status_code == 200 else None
        return isinstance(rows, list) and any(row.get("id") == self.id for row in rows if isinstance(row, dict))


@pytest.fixture
def own_post(directus: DirectusClient, cast: Cast) -> OwnPost:
    return OwnPost(directus, cast)


def expect_not_revealed(post: OwnPost, response: httpx.Response, how: str) -> None:
    expect(post.canary not in response.text, f"the hidden {post.field} is not revealed {how}", response)


def authors_email(cast: Cast) -> str:
    """What the related, unreadable user row holds: the owner's email (the owner authored the post)."""
    return cast.playing("owner").email


@check(
    "HIDDEN-FIELD-NOT-READ",
    level="MUST",
    needs=NEEDS,
    refs=(FIELD_PERMISSIONS, VALIDATE_PATHS),
    title="A member reading their own item gets the fields their permission lists: not the hidden one, asked for "
    "or not (403 or left out)",
)
def test_hidden_field_is_not_read(own_post: OwnPost) -> None:
    every = own_post.get(f"/{own_post.id}")
    expect_status(every, 200, why="the owner reads their own post")
    expect_not_revealed(own_post, every, "in the post's fields")
    asked = own_post.get(f"/{own_post.id}", fields=f"id,{own_post.field}")
    expect_status(asked, (200, 403))
    expect_not_revealed(own_post, asked, f"when fields={own_post.field} asks for it")


@check(
    "HIDDEN-SEARCH-NEVER-MATCHES",
    level="MUST",
    refs=("GHSA-7wq3-jr35-275c", "CVE-2025-30352", "api/src/database/run-ast/lib/apply-query/search.ts"),
    needs=NEEDS,
    title="`search` matches only fields the member may read: the hidden field's value finds nothing, while a word "
    "of the title finds the post",
)
def test_search_does_not_match_a_hidden_field(own_post: OwnPost) -> None:
    word = own_post.cast.titles[own_post.id].split()[-1]
    by_title = own_post.get(search=word)
    expect_status(by_title, 200, why="a search by a word of the post's title (a readable field)")
    expect(own_post.listed(by_title), f"a search for {word!r} (in the title) finds the post", by_title)
    by_canary = own_post.get(search=own_post.canary)
    expect_status(by_canary, 200)
    expect(not own_post.listed(by_canary), f"a search for the hidden {own_post.field}'s value finds nothing", by_canary)


@check(
    "HIDDEN-FILTER-NO-ORACLE",
    level="MUST",
    needs=NEEDS,
    refs=(FIELD_PERMISSIONS, VALIDATE_PATHS),
    title="A filter on the hidden field answers the right value and a wrong one alike (Directus refuses both, 403): "
    "it cannot test a guess",
)
def test_filter_on_a_hidden_field_is_no_oracle(own_post: OwnPost) -> None:
    key = f"filter[{own_post.field}][_eq]"
    right, wrong = own_post.get(**{key: own_post.canary}), own_post.get(**{key: "canary-wrong-guess"})
    expect_status(right, (200, 403), why="a filter on a field the member may not read")
    expect(
        (right.status_code, own_post.listed(right)) == (wrong.status_code, own_post.listed(wrong)),
        f"the right value of {own_post.field} is answered as a wrong guess is "
        f"(HTTP {wrong.status_code}, post listed: {own_post.listed(wrong)})",
        right,
    )


@check(
    "HIDDEN-AGGREGATE-NOT-REVEALED",
    level="MUST",
    needs=NEEDS,
    refs=(FIELD_PERMISSIONS, VALIDATE_PATHS),
    title="An aggregate (max) or a grouping on the hidden field reveals none of its values (Directus refuses it, 403)",
)
@pytest.mark.parametrize("shape", ["aggregate", "groupBy"])
def test_aggregate_of_a_hidden_field_reveals_nothing(own_post: OwnPost, shape: str) -> None:
    params = (
        {"aggregate[max]": own_post.field}
        if shape == "aggregate"
        else {"groupBy[]": own_post.field, "aggregate[count]": "id"}
    )
    response = own_post.get(**params)
    expect_status(response, (200, 403), why=f"{shape} of a field the member may not read")
    expect_not_revealed(own_post, response, f"by {shape}")


@check(
    "HIDDEN-SORT-REFUSED",
    level="SHOULD",
    needs=NEEDS,
    refs=(FIELD_PERMISSIONS, VALIDATE_PATHS),
    title="A sort by the hidden field is refused (403) as a filter is: the order of a sort would tell the field's "
    "values apart",
)
def test_sort_by_a_hidden_field_is_refused(own_post: OwnPost) -> None:
    expect_status(own_post.get(sort=own_post.field), 403, why="a sort by a field the member may not read")


RELATION_READS = {
    "fields=author.email": {"fields": "id,author.email"},
    "fields=author.*": {"fields": "id,author.*"},
    "fields=*.*": {"fields": "*.*"},
    "aggregate[max]=author.email": {"aggregate[max]": "author.email"},
}


@check(
    "HIDDEN-RELATION-NOT-READ",
    level="MUST",
    needs=(Need.CUSTOM_RULES,),
    refs=(FIELD_PERMISSIONS, VALIDATE_PATHS, "/reference/query#fields"),
    title="A member reading their own post through its author (a user: members may not read users) gets none of the "
    "author's fields, asked for or aggregated (left out, or 403)",
)
@pytest.mark.parametrize("query", list(RELATION_READS))
def test_related_fields_are_not_read(own_post: OwnPost, cast: Cast, query: str) -> None:
    response = own_post.get(**RELATION_READS[query])
    expect_status(response, (200, 403), why=f"{query}, through a relation to a collection the member may not read")
    expect(authors_email(cast) not in response.text, f"the author's email is not revealed by {query}", response)


@check(
    "HIDDEN-RELATION-FILTER-NO-ORACLE",
    level="MUST",
    needs=(Need.CUSTOM_RULES,),
    refs=(FIELD_PERMISSIONS, VALIDATE_PATHS, "/reference/filter-rules#relational"),
    title="A filter on the author's email answers the right email and a wrong one alike (Directus refuses both, "
    "403): a member cannot test a guess of a field of a collection they may not read",
)
def test_filter_through_a_relation_is_no_oracle(own_post: OwnPost, cast: Cast) -> None:
    key = "filter[author][email][_eq]"
    right, wrong = own_post.get(**{key: authors_email(cast)}), own_post.get(**{key: f"wrong-{authors_email(cast)}"})
    expect_status(right, (200, 403), why="a filter through a relation to a collection the member may not read")
    expect(
        (right.status_code, own_post.listed(right)) == (wrong.status_code, own_post.listed(wrong)),
        f"the author's right email is answered as a wrong guess is (HTTP {wrong.status_code}, post listed: "
        f"{own_post.listed(wrong)})",
        right,
    )


@check(
    "HIDDEN-RELATION-SORT-REFUSED",
    level="SHOULD",
    needs=(Need.CUSTOM_RULES,),
    refs=(FIELD_PERMISSIONS, VALIDATE_PATHS),
    title="A sort by the author's email is refused (403) as a filter on it is: a sort's order would tell the emails "
    "of users the member may not read apart",
)
def test_sort_through_a_relation_is_refused(own_post: OwnPost) -> None:
    expect_status(own_post.get(sort="author.email"), 403, why="a sort through a relation the member may not read")
