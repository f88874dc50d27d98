"""Shares: a share link (`POST /shares`, opened anonymously with `POST /shares/auth`) reads its one item and nothing
else, only within its window, its uses and with its password; and a member shares no more than they may read, nor
turns a share of theirs into someone else's or into a share of another item.

The shared item is the owner's post. The cast's members may share their own posts and update the shares they made
(the cast file's member permissions); the admin makes the shares the link-side checks open.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from conformance.checks.api import (
    Cast,
    DirectusClient,
    Loader,
    Need,
    Persona,
    as_admin,
    bearer,
    check,
    expect,
    expect_status,
    received,
    register_secret,
    require_status,
    run_label,
)

BEHAVIOUR = "Shares"
SHARES_SERVICE = "api/src/services/shares.ts"
SHARE_PERMISSIONS = "api/src/permissions/utils/get-permissions-for-share.ts"
SHARES_DOCS = "/reference/system/shares"
MASK = "**********"

MakeShare = Callable[..., str]


def share_of(cast: Cast, post: int, **fields: Any) -> dict[str, Any]:
    """A new share of `post`, named with the run's label (what `clean` finds a share a check left by)."""
    return {"name": run_label(cast.run_tag), "collection": cast.collection, "item": str(post), **fields}


@pytest.fixture
def admin_share(loader: Loader, cast: Cast) -> Iterator[MakeShare]:
    """A factory of shares of the owner's post made by the admin (deleted after the check): `admin_share(role=…,
    password=…, max_uses=…, date_start=…, date_end=…)` gives the share's id."""
    made: list[str] = []

    def make(**fields: Any) -> str:
        body = share_of(cast, cast.posts_of(cast.playing("owner"))[0], **fields)
        share = loader.admin.call("POST", "/shares", action="share the owner's post", json=body)
        made.append(share["id"])
        return str(share["id"])

    yield make
    for share in made:
        loader.admin.call("DELETE", f"/shares/{share}", action="delete a share")


def share_password() -> str:
    """A password for a protected share, registered as a secret."""
    password = f"share-{secrets.token_hex(8)}"
    register_secret(password)
    return password


def open_share(directus: DirectusClient, share: str, password: str | None = None) -> httpx.Response:
    """Open a share anonymously, as whoever holds its link (and its password, if given)."""
    body = {"share": share} | ({"password": password} if password is not None else {})
    return directus.request("POST", "/shares/auth", json=body)


def share_headers(opened: httpx.Response) -> dict[str, str]:
    """The share session's credential, from a successful opening (a precondition)."""
    require_status(opened, 200, why="the share opens")
    token = opened.json()["data"]["access_token"]
    register_secret(token)
    return bearer(token)


def share_reader(cast: Cast) -> str:
    """The seed's share reader role: nobody has it, and it reads every field of the posts (the hidden one too)."""
    return received(cast.share_reader_role, "the seed's share reader role")


def opened_nothing(response: httpx.Response) -> bool:
    """The opening was refused and handed out no token (whatever its status)."""
    return response.status_code != 200 and "access_token" not in response.text


def expect_refused_opening(response: httpx.Response, why: str) -> None:
    expect_status(response, 401, "INVALID_CREDENTIALS", why=why)


@check(
    "SHARE-READS-ITS-ITEM-ONLY",
    level="MUST",
    refs=("GHSA-pqp8-63c5-fm34", SHARE_PERMISSIONS, SHARES_DOCS),
    title="A share's session reads its one item (even with a role that reads them all): other items are refused, "
    "a list holds only it, and it changes nothing",
)
def test_share_reads_its_item_only(
    directus: DirectusClient, cast: Cast, loader: Loader, admin_share: MakeShare
) -> None:
    post = cast.posts_of(cast.playing("owner"))[0]
    headers = share_headers(open_share(directus, admin_share(role=share_reader(cast))))
    items = f"/items/{cast.collection}"
    shared = directus.request("GET", f"{items}/{post}", headers=headers)
    expect_status(shared, 200, why="the share's session reads the shared post")
    for other in (p for p in cast.all_posts if p != post):
        response = directus.request("GET", f"{items}/{other}", headers=headers)
        expect_status(response, 403, "FORBIDDEN", why=f"post {other}, which is not the shared one")
    listed = directus.request("GET", items, headers=headers, params={"fields": "id", "limit": "-1"})
    expect_status(listed, 200)
    rows = [row["id"] if isinstance(row, dict) else row for row in listed.json()["data"]]  # or bare keys
    expect(rows == [post], f"the list holds the shared post {post} only", listed)
    changed = directus.request("PATCH", f"{items}/{post}", headers=headers, json={"title": "changed by a share"})
    expect_status(changed, (401, 403), why="a share's session updating the shared post")
    after = as_admin(directus, loader, f"{items}/{post}", fields="title")
    expect(after.json()["data"]["title"] == cast.titles[post], "the shared post's title is unchanged", after)


@check(
    "SHARE-PASSWORD-REQUIRED",
    level="MUST",
    refs=(SHARES_SERVICE, SHARES_DOCS),
    title="A share with a password opens only with it: a wrong password is 401 INVALID_CREDENTIALS, none opens nothing",
)
def test_share_opens_only_with_its_password(directus: DirectusClient, admin_share: MakeShare) -> None:
    password = share_password()
    share = admin_share(password=password)
    expect_refused_opening(open_share(directus, share, "not-the-password"), "a wrong share password")
    missing = open_share(directus, share)
    expect(opened_nothing(missing), "a protected share opened without its password gives no session", missing)
    expect_status(open_share(directus, share, password), 200, why="the right share password")


@check(
    "SHARE-MISSING-PASSWORD-4XX",
    level="SHOULD",
    refs=(SHARES_SERVICE,),
    title="Opening a protected share without a password is a client error (400 or 401), not a 500",
)
def test_share_without_its_password_is_a_client_error(directus: DirectusClient, admin_share: MakeShare) -> None:
    share = admin_share(password=share_password())
    expect_status(open_share(directus, share), (400, 401), why="a protected share opened without a password")


@check(
    "SHARE-WINDOW-ENFORCED",
    level="MUST",
    refs=(SHARES_SERVICE, SHARES_DOCS),
    title="A share outside its window (ended, or not yet started) does not open (401) and its info is refused (403)",
)
@pytest.mark.parametrize("window", ["ended", "not started"])
def test_share_outside_its_window_is_refused(directus: DirectusClient, admin_share: MakeShare, window: str) -> None:
    now = datetime.now(timezone.utc)
    bound = {"ended": {"date_end": now - timedelta(days=1)}, "not started": {"date_start": now + timedelta(days=1)}}
    share = admin_share(**{key: when.isoformat() for key, when in bound[window].items()})
    expect_refused_opening(open_share(directus, share), f"a share that has {window}")
    info = directus.request("GET", f"/shares/info/{share}")
    expect_status(info, 403, "FORBIDDEN", why=f"the public info of a share that has {window}")


@check(
    "SHARE-MAX-USES",
    level="SHOULD",
    refs=(SHARES_SERVICE, SHARES_DOCS),
    title="A share with max_uses 1 opens once: the second opening is refused (401)",
)
def test_share_opens_no_more_than_its_uses(directus: DirectusClient, admin_share: MakeShare) -> None:
    share = admin_share(max_uses=1)
    expect_status(open_share(directus, share), 200, why="the share's one use")
    expect_refused_opening(open_share(directus, share), "a second opening of a share with max_uses 1")


@check(
    "SHARE-INFO-MASKS-PASSWORD",
    level="MUST",
    refs=("api/src/services/payload.ts", SHARES_DOCS),
    title="A share's public info (`GET /shares/info/:id`) says a password is set, masked: never the password or "
    "its hash",
)
def test_share_info_masks_its_password(directus: DirectusClient, admin_share: MakeShare) -> None:
    password = share_password()
    info = directus.request("GET", f"/shares/info/{admin_share(password=password)}")
    expect_status(info, 200, why="the public info of a share in its window")
    expect(info.json()["data"].get("password") == MASK, f"the password reads {MASK}", info)
    expect(password not in info.text and "$argon2" not in info.text, "neither the password nor a hash", info)


def sharer(cast: Cast) -> tuple[Persona, int, int]:
    """The owner, the post of theirs they share, and a post of someone else's."""
    owner = cast.playing("owner")
    return owner, cast.posts_of(owner)[0], next(p for p in cast.all_posts if p not in cast.posts_of(owner))


def member_shares(directus: DirectusClient, cast: Cast, member: Persona, post: int, **fields: Any) -> httpx.Response:
    """`member` shares `post` (with their static token)."""
    return directus.request("POST", "/shares", headers=bearer(member.static_token), json=share_of(cast, post, **fields))


@check(
    "SHARE-NO-MORE-THAN-THE-SHARER",
    level="MUST",
    needs=(Need.CUSTOM_RULES, Need.HIDDEN_FIELD),
    refs=("GHSA-pmf4-v838-29hg", "CVE-2025-24353", SHARE_PERMISSIONS, SHARES_DOCS),
    title="A member shares only what they may read: another's post is refused (403), and their own post shared "
    "with a role that reads more reads no field they may not (the hidden one)",
)
def test_member_shares_no_more_than_they_may_read(directus: DirectusClient, cast: Cast) -> None:
    owner, post, others = sharer(cast)
    plain = member_shares(directus, cast, owner, post)
    expect_status(plain, 200, why=f"{owner.name} sharing their own post (with no role)")
    refused = member_shares(directus, cast, owner, others)
    expect_status(refused, 403, "FORBIDDEN", why=f"{owner.name} sharing post {others}, which is someone else's")
    made = member_shares(directus, cast, owner, post, role=share_reader(cast))
    expect_status(made, (200, 403), why=f"{owner.name} sharing their own post with the share reader role")
    if made.status_code == 200:
        headers = share_headers(open_share(directus, made.json()["data"]["id"]))
        read = directus.request("GET", f"/items/{cast.collection}/{post}", headers=headers, params={"fields": "*"})
        expect_status(read, (200, 403))
        expect(cast.canaries[post] not in read.text, f"the share reads no {cast.hidden_field}", read)


@check(
    "SHARE-STAYS-THE-SHARERS",
    level="MUST",
    needs=(Need.CUSTOM_RULES,),
    refs=("GHSA-7h45-q5jx-7r87", SHARES_SERVICE, SHARES_DOCS),
    title="A member updating a share of theirs cannot make it another user's (user_created) nor a share of an item "
    "they may not share: refused (4xx), the share unchanged",
)
@pytest.mark.parametrize("change", ["user_created", "item"])
def test_share_cannot_be_reassigned(directus: DirectusClient, cast: Cast, loader: Loader, change: str) -> None:
    owner, post, others = sharer(cast)
    made = member_shares(directus, cast, owner, post)
    expect_status(made, 200, why=f"{owner.name} sharing their own post")
    share = made.json()["data"]["id"]
    before = as_admin(directus, loader, f"/shares/{share}", fields="user_created,item").json()["data"]
    target = {"user_created": cast.playing("member").id, "item": str(others)}[change]
    response = directus.request("PATCH", f"/shares/{share}", headers=bearer(owner.static_token), json={change: target})
    expect_status(response, (400, 403), why=f"{owner.name} changing their share's {change}")
    after = as_admin(directus, loader, f"/shares/{share}", fields="user_created,item")
    expect(after.json()["data"] == before, f"the share's {change} is unchanged (read as admin)", after)


@check(
    "SHARE-ANSWER-NOT-SERVED-TO-OTHERS",
    level="MUST",
    refs=("GHSA-c6w9-5g5j-jh2p", "CVE-2026-61836", "api/src/utils/get-cache-key.ts", "/configuration/cache"),
    title="What a share's session has just read is not served to an anonymous request for the same URL (403), nor "
    "to the session of a share of another post: a response cache (CACHE_ENABLED) keys what it keeps by who asks",
)
def test_share_answer_is_not_served_to_others(directus: DirectusClient, cast: Cast, admin_share: MakeShare) -> None:
    post = cast.posts_of(cast.playing("owner"))[0]
    other = next(p for p in cast.all_posts if p != post)
    url, query = f"/items/{cast.collection}/{post}", {"fields": "*,id"}  # a query of this check's own: its cache key
    shared = share_headers(open_share(directus, admin_share(role=share_reader(cast))))
    read = directus.request("GET", url, headers=shared, params=query)
    require_status(read, 200, why="the share's session reads the shared post (and a cache, if any, keeps it)")
    anonymous = directus.request("GET", url, params=query)
    expect_status(anonymous, 403, "FORBIDDEN", why="an anonymous request for the URL a share's session just read")
    elsewhere = share_headers(open_share(directus, admin_share(role=share_reader(cast), item=str(other))))
    expect_status(
        directus.request("GET", url, headers=elsewhere, params=query),
        403,
        "FORBIDDEN",
        why=f"the session of a share of post {other} asking for the URL the first share's session just read",
    )
