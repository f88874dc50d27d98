"""Writes keep ownership (author = $CURRENT_USER, for writes too): a member's new post is theirs, and no create or
update of theirs names another author.

The cast's member permissions say so twice over: a preset fills a new post's author with the caller, and a
validation rule refuses a create or an update that names anyone else. A preset alone would not: it is a default,
and the payload wins (`payloadWithPresets`), so what holds a member to their own name is the validation, answered
with 400 FAILED_VALIDATION. The writer is a throwaway member: what it writes changes no list another check compares.

Directus's own permissions hold an app user to their own presets (a collection's saved layout, `/presets`) the same
way: an update may not move a preset into someone else's view; and a user who may update their own files only may not
point one of them at another file's place on disk (`filename_disk`), where its upload would land.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import httpx
import pytest

from conformance.checks.api import (
    Cast,
    DirectusClient,
    Loader,
    Need,
    Persona,
    access_token,
    admin_file,
    an_admin,
    as_admin,
    bearer,
    check,
    expect,
    expect_file_kept,
    expect_status,
    new_title,
    post_by,
    posts_titled,
    require_status,
    uploader,
    user_holding,
)

BEHAVIOUR = "Writes keep ownership"
NEEDS = (Need.CUSTOM_RULES, Need.OWN_WRITES)  # the preset and the validation, custom rules of the cast file
REFS = (
    "/guides/auth/access-control",
    "/reference/system/permissions",
    "api/src/permissions/modules/process-payload/process-payload.ts",
)
PRESET_PERMISSIONS = "api/src/permissions/lib/with-app-minimal-permissions.ts"
NOT_ANOTHERS = "FAILED_VALIDATION"  # the validation author = $CURRENT_USER, refusing another author


@pytest.fixture
def writer(throwaway: Callable[[], Persona]) -> Persona:
    return throwaway()


def create_post(directus: DirectusClient, writer: Persona, cast: Cast, **fields: str) -> httpx.Response:
    headers = bearer(access_token(directus, writer))
    return directus.request("POST", f"/items/{cast.collection}", headers=headers, json=fields)


@check(
    "WRITE-NEW-POST-IS-THE-CALLERS",
    level="MUST",
    needs=NEEDS,
    refs=REFS,
    title="A member's new post that names no author is theirs (the preset author = $CURRENT_USER)",
)
def test_new_post_is_the_callers(directus: DirectusClient, cast: Cast, loader: Loader, writer: Persona) -> None:
    title = new_title(cast)
    with posts_titled(directus, cast, loader, title) as found:
        response = create_post(directus, writer, cast, title=title)
        expect_status(response, (200, 204), why="a member creating a post of their own")
        authors = [post["author"] for post in found()]
        expect(authors == [writer.id], f"one post titled so, by {writer.name} (the admin reads {authors})", response)


@check(
    "WRITE-CREATE-AS-ANOTHER-REFUSED",
    level="MUST",
    needs=NEEDS,
    refs=REFS,
    title="A member's create naming another author is refused with 400 FAILED_VALIDATION, and no post is made",
)
def test_create_as_another_is_refused(directus: DirectusClient, cast: Cast, loader: Loader, writer: Persona) -> None:
    other, title = an_admin(cast), new_title(cast)
    with posts_titled(directus, cast, loader, title) as found:
        response = create_post(directus, writer, cast, title=title, author=other.id)
        expect_status(response, 400, NOT_ANOTHERS, why=f"{writer.name} creating a post as {other.name}")
        made = found()
        expect(not made, f"no post titled so (the admin reads {made})", response)


@check(
    "WRITE-UPDATE-CANNOT-HAND-AWAY",
    level="MUST",
    needs=NEEDS,
    refs=REFS,
    title="A member's update of their own post that names another author is refused with 400 FAILED_VALIDATION, "
    "and the post stays theirs",
)
def test_update_cannot_hand_a_post_away(directus: DirectusClient, cast: Cast, loader: Loader, writer: Persona) -> None:
    other = an_admin(cast)
    with post_by(loader, cast, writer) as post:
        path = f"/items/{cast.collection}/{post}"
        response = directus.request(
            "PATCH", path, headers=bearer(access_token(directus, writer)), json={"author": other.id}
        )
        expect_status(response, 400, NOT_ANOTHERS, why=f"{writer.name} handing their post {post} to {other.name}")
        after = as_admin(directus, loader, path, fields="author")
        author = after.json()["data"]["author"]
        expect(author == writer.id, f"post {post} is still {writer.name}'s (the admin reads author {author})", after)


@pytest.fixture
def app_user(cast: Cast, loader: Loader) -> Iterator[Persona]:
    """A throwaway user whose one grant is app access: Directus's minimal permissions of an app user, their own
    presets among them."""
    grant = loader.access.grant(f"app-{cast.run_tag}-{secrets.token_hex(3)}", [], app_access=True)
    with user_holding(loader, grant) as user:
        yield user


@check(
    "WRITE-PRESET-STAYS-THE-USERS",
    level="MUST",
    refs=("GHSA-3fff-gqw3-vj86", "CVE-2024-6534", "/reference/system/presets", PRESET_PERMISSIONS),
    title="An app user's update of their own preset that names another user is refused (403, or 400 "
    "FAILED_VALIDATION), and the preset stays theirs",
)
def test_preset_cannot_be_handed_away(directus: DirectusClient, cast: Cast, loader: Loader, app_user: Persona) -> None:
    other, headers = an_admin(cast), bearer(app_user.static_token)
    preset = {"collection": cast.collection, "layout": "tabular", "user": app_user.id}
    made = directus.request("POST", "/presets", headers=headers, json=preset)
    require_status(made, 200, why=f"{app_user.name} saving a preset of their own")
    path = f"/presets/{made.json()['data']['id']}"
    try:
        response = directus.request("PATCH", path, headers=headers, json={"user": other.id})
        expect_status(
            response, (400, 403), ("FAILED_VALIDATION", "FORBIDDEN"), why=f"moving the preset into {other.name}'s view"
        )
        user = as_admin(directus, loader, path, fields="user").json()["data"]["user"]
        expect(user == app_user.id, f"the preset is still {app_user.name}'s (the admin reads user {user})", response)
    finally:
        loader.admin.call("DELETE", path, action="delete the preset")


@check(
    "WRITE-FILE-KEEPS-ITS-OWN-DISK",
    level="MUST",
    needs=(Need.CUSTOM_RULES,),
    refs=("GHSA-393c-p46r-7c95", "CVE-2026-39942", "/reference/files#update-a-file", "api/src/services/files.ts"),
    title="A user's multipart update of their own file that names another file's `filename_disk` overwrites nothing: "
    "the other file keeps its bytes, the user's file its own place on disk",
)
def test_file_update_keeps_its_own_disk(directus: DirectusClient, cast: Cast, loader: Loader) -> None:
    original, marker = f"canary {secrets.token_hex(8)}".encode(), f"overwritten {secrets.token_hex(8)}".encode()
    name = f"conformance-{cast.run_tag}-{secrets.token_hex(4)}.txt"
    with uploader(loader) as user, admin_file(loader, original) as file:
        headers = bearer(user.static_token)
        own = directus.request("POST", "/files", headers=headers, files={"file": (name, b"own", "text/plain")})
        require_status(own, 200, why=f"{user.name} uploading a file of their own")
        path = f"/files/{own.json()['data']['id']}"
        try:
            disk = loader.admin.get(f"/files/{file}", fields="filename_disk")["filename_disk"]
            upload = {"file": (name, marker, "text/plain")}
            response = directus.request("PATCH", path, headers=headers, data={"filename_disk": disk}, files=upload)
            after = f"after {user.name}'s update of their own file naming its filename_disk"
            expect_file_kept(directus, loader, file, (original, marker), response, after=after)
            pointer = loader.admin.get(path, fields="filename_disk")["filename_disk"]
            expect(pointer != disk, f"{user.name}'s file keeps a place on disk of its own {after}", response)
        finally:
            loader.admin.call("DELETE", path, action="delete the user's file")
