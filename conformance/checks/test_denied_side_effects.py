"""A refused request changes nothing: whatever Directus answers 403 to has had no effect, as an admin's fresh read of
the state shows (the status code alone is the same on the vulnerable releases)."""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Iterator

import pytest

from conformance.checks.api import (
    OWNER_REGISTRATION,
    Cast,
    DirectusClient,
    Loader,
    Need,
    Persona,
    admin_file,
    bearer,
    check,
    expect,
    expect_file_kept,
    expect_status,
    user_holding,
)
from conformance.checks.flows import manual_flow

BEHAVIOUR = "A refused request changes nothing"
CALLERS = ("anonymous", "member")
PROBE_OWNER = "nobody@example.invalid"
SETTLE_S = 1.0
"""How long a side effect that Directus starts after its answer (the owner report's failure) is given to land."""


def headers_of(caller: str, cast: Cast) -> dict[str, str]:
    return bearer(cast.playing("member").static_token) if caller == "member" else {}


@check(
    "DENIED-FLOW-DELETE-CHANGES-NOTHING",
    level="MUST",
    refs=("GHSA-p623-wgx3-wxp8", "api/src/services/flows.ts", "v5.0.0-8.2.1"),
    title="A refused delete of a flow (403) leaves its operations as they were: the chain O1 → O2 is not unlinked",
)
@pytest.mark.parametrize("caller", CALLERS)
def test_refused_flow_delete_keeps_operations(
    directus: DirectusClient, cast: Cast, loader: Loader, caller: str
) -> None:
    with manual_flow(loader.admin, cast) as flow:
        response = directus.request("DELETE", f"/flows/{flow.id}", headers=headers_of(caller, cast))
        expect_status(response, (401, 403), why=f"a delete of a flow ({caller})")
        first = loader.admin.get(f"/operations/{flow.first}", fields="id,resolve")
        expect(
            first["resolve"] == flow.second,
            f"the flow's first operation still resolves to its second (admin read after the refusal: resolve = "
            f"{first['resolve']!r})",
            response,
        )


@contextlib.contextmanager
def notification_from(loader: Loader, sender: Persona) -> Iterator[int]:
    """A notification the admin files as sent by `sender` to `sender` (whose mail notifications are turned off
    first: nothing is mailed), deleted after: its id."""
    loader.admin.call(
        "PATCH", f"/users/{sender.id}", action="turn off mail notifications", json={"email_notifications": False}
    )
    payload = {"recipient": sender.id, "sender": sender.id, "subject": f"conformance {loader.tag}"}
    notification = loader.admin.call("POST", "/notifications", action="file a notification", json=payload)
    try:
        yield int(notification["id"])
    finally:
        loader.admin.call("DELETE", f"/notifications/{notification['id']}", action="delete the notification")


@check(
    "DENIED-USER-DELETE-CHANGES-NOTHING",
    level="MUST",
    refs=("GHSA-p623-wgx3-wxp8", "api/src/services/users.ts", "v5.0.0-8.2.1"),
    title="A refused delete of a user (403) leaves what they authored as it was: a notification they sent keeps its "
    "sender",
)
@pytest.mark.parametrize("caller", CALLERS)
def test_refused_user_delete_keeps_authorship(
    directus: DirectusClient, cast: Cast, loader: Loader, caller: str
) -> None:
    with user_holding(loader) as user, notification_from(loader, user) as notification:  # a user nobody logs in as
        response = directus.request("DELETE", f"/users/{user.id}", headers=headers_of(caller, cast))
        expect_status(response, (401, 403), why=f"a delete of a user ({caller})")
        sender = loader.admin.get(f"/notifications/{notification}", fields="sender")["sender"]
        expect(
            sender == user.id,
            f"the notification {user.name} sent still names them as its sender (admin read after the refusal: "
            f"sender = {sender!r})",
            response,
        )


@check(
    "DENIED-FILE-UPLOAD-CHANGES-NOTHING",
    level="MUST",
    refs=("GHSA-mv33-9f6j-pfmc", "CVE-2025-55746", "api/src/controllers/files.ts", "v5.0.0-8.2.1"),
    title="A refused multipart PATCH /files/:id (403) leaves the file's bytes as they were",
)
@pytest.mark.parametrize("caller", CALLERS)
def test_refused_file_upload_keeps_bytes(directus: DirectusClient, cast: Cast, loader: Loader, caller: str) -> None:
    original, marker = f"canary {secrets.token_hex(8)}".encode(), f"overwritten {secrets.token_hex(8)}".encode()
    with admin_file(loader, original) as file:
        disk = loader.admin.get(f"/files/{file}", fields="filename_disk")["filename_disk"]
        response = directus.request(
            "PATCH",
            f"/files/{file}",
            headers=headers_of(caller, cast),
            # the advisory's payload: before 11.9.3 the stream went to "temp_" + filename_disk before any permission
            # check, and "temp_../../<disk>" is the file itself
            data={"filename_disk": f"../../{disk}", "filename_download": disk},
            files={"file": (disk, marker, "text/plain")},
        )
        expect_status(response, (401, 403), why=f"a multipart upload over the admin's file ({caller})")
        expect_file_kept(directus, loader, file, (original, marker), response, after="after the refusal")


@check(
    "DENIED-SETTINGS-OWNER-CHANGES-NOTHING",
    level="MUST",
    needs=(Need.EMBEDDED, OWNER_REGISTRATION),
    refs=("GHSA-6hpw-rhhq-6xq3", "api/src/services/settings.ts", "v5.0.0-8.2.1"),
    title="A refused anonymous POST /settings/owner (403) writes no setting and sends no owner report",
)
def test_refused_owner_registration_changes_nothing(directus: DirectusClient, loader: Loader) -> None:
    """Directus 11.13 to 12.0 sends the project-owner report (to COMPLIANCE_URL) before the permission check and, when
    the report fails, marks project_status `pending` with a raw query. The embedded target points COMPLIANCE_URL at
    a closed loopback port, so a report that was sent shows as that write; never run on a real server (the report
    would reach Directus's own intake)."""
    before = loader.admin.get("/settings", fields="project_status")["project_status"]
    loader.admin.call("PATCH", "/settings", action="clear project_status", json={"project_status": None})
    try:
        response = directus.request(
            "POST",
            "/settings/owner",
            json={"project_owner": PROBE_OWNER, "project_usage": "personal", "org_name": "conformance"},
        )
        expect_status(response, (401, 403), why="an anonymous owner registration")
        time.sleep(SETTLE_S)
        after = loader.admin.get("/settings", fields="project_status,project_owner")
        expect(
            after["project_status"] is None and after["project_owner"] != PROBE_OWNER,
            f"settings unchanged after the refusal (admin read: project_status = {after['project_status']!r}: "
            "the owner report was sent before the permission check)",
            response,
        )
    finally:
        loader.admin.call("PATCH", "/settings", action="restore project_status", json={"project_status": before})
