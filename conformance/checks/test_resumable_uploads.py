"""Resumable uploads replace only what the uploader may update: a resumable (TUS) upload that names another user's
file, by its `id` or as the file to replace (`replace_id`), leaves that file as it was, as the admin's fresh download
shows.

The uploader is a throwaway user who may upload files and read and update their own (`uploaded_by` = themselves); the
file named is one the admin uploaded for the check. The user's own upload, through the same door, is the control.
"""

from __future__ import annotations

import base64
import contextlib
import secrets
from collections.abc import Iterator

import httpx

from conformance.checks.api import (
    Cast,
    DirectusClient,
    Loader,
    Need,
    admin_file,
    bearer,
    check,
    expect_file_kept,
    require,
    uploader,
)

BEHAVIOUR = "Resumable uploads"
REFS = ("api/src/services/tus/server.ts", "/reference/files#upload-a-file", "https://tus.io/protocols/resumable-upload")
TUS_VERSION = {"Tus-Resumable": "1.0.0"}


def metadata(**values: str) -> str:
    """An Upload-Metadata header: each key with its value in base64, comma-separated."""
    return ",".join(f"{key} {base64.b64encode(value.encode()).decode()}" for key, value in values.items())


def tus_upload(
    directus: DirectusClient, headers: dict[str, str], name: str, content: bytes, **meta: str
) -> httpx.Response:
    """A resumable upload of `content`, called `name`, in one piece: its creation (POST /files/tus) and, once created,
    its bytes (PATCH of the upload). Gives the last answer: the refused creation, or the transfer's."""
    created = directus.request(
        "POST",
        "/files/tus",
        headers={
            **headers,
            **TUS_VERSION,
            "Upload-Length": str(len(content)),
            "Upload-Metadata": metadata(filename_download=name, type="text/plain", **meta),
        },
    )
    if created.status_code != 201 or "location" not in created.headers:
        return created
    upload = created.headers["location"].rstrip("/").rsplit("/", 1)[1]
    return directus.request(
        "PATCH",
        f"/files/tus/{upload}",
        headers={**headers, **TUS_VERSION, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"},
        content=content,
    )


@contextlib.contextmanager
def uploads_called(loader: Loader, name: str) -> Iterator[None]:
    """Whatever files the check's uploads called `name` made are deleted after."""
    try:
        yield
    finally:
        for made in loader.admin.get("/files", fields="id", **{"filter[filename_download][_eq]": name}) or []:
            loader.admin.call("DELETE", f"/files/{made['id']}", action="delete a file the check uploaded")


def expect_no_overwrite(directus: DirectusClient, cast: Cast, loader: Loader, key: str) -> None:
    """A user who may update only their own files uploads, through TUS, over the admin's file named by `key`."""
    original, marker = f"canary {secrets.token_hex(8)}".encode(), f"overwritten {secrets.token_hex(8)}".encode()
    name = f"conformance-{cast.run_tag}-{secrets.token_hex(4)}.txt"
    with uploader(loader) as user, admin_file(loader, original) as file, uploads_called(loader, name):
        headers = bearer(user.static_token)
        own = tus_upload(directus, headers, name, b"the uploader's own file")
        require(own.status_code == 204, "the user uploads a file of their own through TUS", own)
        response = tus_upload(directus, headers, name, marker, **{key: file})
        after = f"after the user's upload naming it as its {key}"
        expect_file_kept(directus, loader, file, (original, marker), response, after=after)


@check(
    "TUS-ID-OVERWRITES-NOTHING",
    level="MUST",
    needs=(Need.RESUMABLE_UPLOADS, Need.CUSTOM_RULES),
    refs=("GHSA-qqmv-5p3g-px89", "CVE-2026-35412", *REFS),
    title="A resumable (TUS) upload whose metadata names another user's file as its `id` does not overwrite it: "
    "the file keeps its bytes",
)
def test_tus_upload_by_id_overwrites_nothing(directus: DirectusClient, cast: Cast, loader: Loader) -> None:
    expect_no_overwrite(directus, cast, loader, "id")


@check(
    "TUS-REPLACE-ID-OVERWRITES-NOTHING",
    level="MUST",
    needs=(Need.RESUMABLE_UPLOADS, Need.CUSTOM_RULES),
    refs=("GHSA-xjxq-pj7h-g676", *REFS),
    title="A resumable (TUS) upload whose metadata names another user's file as the one to replace (`replace_id`) "
    "does not overwrite it: the file keeps its bytes",
)
def test_tus_upload_replacing_overwrites_nothing(directus: DirectusClient, cast: Cast, loader: Loader) -> None:
    expect_no_overwrite(directus, cast, loader, "replace_id")
