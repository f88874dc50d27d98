"""The write mutants: ways a server lets a user write what is not theirs to write, as a gateway or an extension that
drops a permission's preset or skips its validation might, or as Directus releases before their advisories' fixes
did (a preset handed to another user, two policies granting the union of their fields). Each names the checks that
must catch it, and no others."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from tests.mutants.exchange import (
    FILE_ITEM,
    POSTS_ITEM,
    POSTS_LIST,
    ProxyRequest,
    Upstream,
    as_admin,
    bearer_token,
    unverified_claims,
)
from tests.mutants.proxy import Described

__all__ = ["WRITE_MUTANTS"]

PRESET = re.compile(r"^/presets/\d+$")
ROLE_VARIABLES = ("$CURRENT_ROLE", "$CURRENT_POLICIES")  # the first is in $CURRENT_ROLES too


def members_post(request: ProxyRequest, method: str, path: Any) -> dict[str, Any] | None:
    """The body of a member's write of one post (a JSON object sent with a member's access token), else None."""
    if request.method != method or not path.match(request.path) or "role" not in caller(request):
        return None
    body = request.json()
    return body if isinstance(body, dict) else None


def caller(request: ProxyRequest) -> dict[str, Any]:
    """Who sends the request, by its access token's claims (read without verifying it); empty for other credentials
    and for the admin."""
    claims = unverified_claims(bearer_token(request))
    return {} if claims.get("admin_access") else claims


class PresetDropped(Described):
    name = "create-preset-dropped"
    behaviour = "Writes keep ownership"
    description = "a permission's presets are not applied: a member's new post that names no author is made with none"
    expected = frozenset({"WRITE-NEW-POST-IS-THE-CALLERS"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        body = members_post(request, "POST", POSTS_LIST)
        if body is not None and "author" not in body:
            request.set_json({**body, "author": None})
        return request


class CreateValidationSkipped(Described):
    name = "create-validation-skipped"
    behaviour = "Writes keep ownership"
    description = "creates skip the permission's validation: a member may create a post as someone else"
    expected = frozenset({"WRITE-CREATE-AS-ANOTHER-REFUSED"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        body = members_post(request, "POST", POSTS_LIST)
        if body is not None and body.get("author") not in (None, caller(request).get("id")):
            return as_admin(request, upstream)
        return request


class UpdateValidationSkipped(Described):
    name = "update-validation-skipped"
    behaviour = "Writes keep ownership"
    description = "updates skip the permission's validation (its item filter holds): a member may hand their own post "
    "to someone else"
    expected = frozenset({"WRITE-UPDATE-CANNOT-HAND-AWAY"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        body = members_post(request, "PATCH", POSTS_ITEM)
        if body is None or "author" not in body:
            return request
        post = upstream.admin("GET", request.path, params={"fields": "author"}).json().get("data") or {}
        return as_admin(request, upstream) if post.get("author") == caller(request).get("id") else request


def user_of(request: ProxyRequest, upstream: Upstream) -> str | None:
    """Who sends the request, whatever their credential (asked of the real server with it), if not the admin."""
    token = bearer_token(request)
    if token is None or token == upstream.admin_token:
        return None
    me = upstream.request_as(token, "GET", "/users/me", params={"fields": "id"}).json().get("data") or {}
    return me.get("id")


class PresetUserReassignable(Described):
    name = "preset-user-reassignable"
    behaviour = "Writes keep ownership"
    description = "a preset's update is checked against its owner only, not validated: a user may move their own "
    "preset into someone else's view (GHSA-3fff's shape, before 10.13.2)"
    expected = frozenset({"WRITE-PRESET-STAYS-THE-USERS"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        body = request.json() if request.method == "PATCH" and PRESET.match(request.path) else None
        if not isinstance(body, dict) or "user" not in body:
            return request
        preset = upstream.admin("GET", request.path, params={"fields": "user"}).json().get("data") or {}
        return as_admin(request, upstream) if preset.get("user") == user_of(request, upstream) else request


class PoliciesGrantTheUnion(Described):
    name = "policies-grant-the-union"
    behaviour = "Policies and rules"
    description = "the update permissions of a user's policies are merged: every field any of them grants, on every "
    "item any of them reaches (GHSA-99vm's shape, 11.0.0 to 11.1.1)"
    expected = frozenset({"POLICIES-GRANT-PER-ITEM"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        body = request.json() if request.method == "PATCH" and POSTS_ITEM.match(request.path) else None
        user = user_of(request, upstream) if isinstance(body, dict) else None
        rules = own_rules(upstream, user, request.path.split("/")[2], "update") if user else []
        fields = {field for rule in rules for field in rule["fields"] or []}
        item = request.path.rsplit("/", 1)[1]
        if rules and set(body or {}) <= fields and any(reaches(upstream, rule, request, item) for rule in rules):
            return as_admin(request, upstream)
        return request


def own_rules(upstream: Upstream, user: str, collection: str, action: str) -> list[dict[str, Any]]:
    """The `action` permissions on `collection` of the policies attached to `user` directly (not through a role)."""
    access = upstream.admin("GET", "/access", params={"filter[user][_eq]": user, "fields": "policy"})
    policies = ",".join(str(row["policy"]) for row in access.json().get("data") or [])
    if not policies:
        return []
    wanted = {"filter[policy][_in]": policies, "filter[action][_eq]": action, "filter[collection][_eq]": collection}
    found = upstream.admin("GET", "/permissions", params={**wanted, "fields": "fields,permissions"})
    return list(found.json()["data"])


def reaches(upstream: Upstream, rule: dict[str, Any], request: ProxyRequest, item: str) -> bool:
    """Whether the rule's item filter holds for the item (asked of the real server as the admin)."""
    found = upstream.admin(
        "GET",
        request.path.rsplit("/", 1)[0],
        params={"filter": json.dumps({"_and": [rule["permissions"] or {}, {"id": {"_eq": item}}]}), "fields": "id"},
    )
    return bool(found.json().get("data"))


def in_a_rule(rules: list[dict[str, Any]]) -> bool:
    return any('"_in"' in json.dumps(rule["permissions"]) for rule in rules)


class EmptyInValidationAccepts(Described):
    name = "empty-in-validation-accepts"
    behaviour = "Policies and rules"
    description = "a validation `_in` a list the caller has nothing in passes (GHSA-hxgm's shape, before 10.6.0)"
    expected = frozenset({"RULES-EMPTY-IN-ACCEPTS-NOTHING"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        if request.method != "POST" or not POSTS_LIST.match(request.path) or request.is_anonymous:
            return request
        answer = upstream.send(request)
        error = (answer.json().get("errors") or [{}])[0].get("extensions", {}) if answer.status_code == 400 else {}
        # Directus reads `_in` a list the caller has none of as `_in [null]`, and names the refusal "null"
        refused_by_in = error.get("code") == "FAILED_VALIDATION" and error.get("type") in ("in", "null")
        return as_admin(request, upstream) if refused_by_in else answer


class EmptyInReadMatchesAll(Described):
    name = "empty-in-read-matches-all"
    behaviour = "Policies and rules"
    description = "a read rule `_in` a list the caller has nothing in matches every item (GHSA-hxgm's read shape)"
    expected = frozenset({"RULES-EMPTY-IN-READS-NOTHING"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        if request.method != "GET" or not POSTS_LIST.match(request.path):
            return request
        user = user_of(request, upstream)
        read = own_rules(upstream, user, request.path.split("/")[2], "read") if user else []
        return as_admin(request, upstream) if in_a_rule(read) else request


class RoleVariablesMatchAll(Described):
    name = "role-variables-match-all"
    behaviour = "Policies and rules"
    description = "a rule comparing with $CURRENT_ROLE, $CURRENT_ROLES or $CURRENT_POLICIES matches every item (the "
    "variable is not resolved and its rule is dropped as the permission is stored)"
    expected = frozenset({"RULES-VARIABLES-RESOLVE-TO-CALLER"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        body = request.json() if request.method == "POST" and request.path == "/permissions" else None
        rule = json.dumps(body.get("permissions")) if isinstance(body, dict) else ""
        if isinstance(body, dict) and any(variable in rule for variable in ROLE_VARIABLES):
            request.set_json({**body, "permissions": {}})
        return request


class TusIdUnchecked(Described):
    name = "tus-id-unchecked"
    behaviour = "Resumable uploads"
    description = "a resumable upload naming a file as its `id` replaces that file, whoever uploads it (no item-level "
    "check: GHSA-qqmv's shape, before 11.16.1)"
    expected = frozenset({"TUS-ID-OVERWRITES-NOTHING"})

    def __init__(self) -> None:
        self.uploads: set[str] = set()  # the uploads the mutant created as the admin

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        named = any(pair.split(" ")[0] == "id" for pair in (request.header("upload-metadata") or "").split(","))
        if request.method == "POST" and request.path == "/files/tus" and named:
            created = upstream.send(as_admin(request, upstream))
            if "location" in created.headers:
                self.uploads.add(created.headers["location"].rstrip("/").rsplit("/", 1)[-1])
            return created
        if request.method == "PATCH" and request.path.rsplit("/", 1)[-1] in self.uploads:
            return as_admin(request, upstream)
        return request


class FileDiskNameHonoured(Described):
    name = "file-disk-name-honoured"
    behaviour = "Writes keep ownership"
    description = "a user's multipart update of their own file is written to the `filename_disk` it names, another "
    "file's included (GHSA-393c's shape, before 11.17.0, where the update was answered 200)"
    expected = frozenset({"WRITE-FILE-KEEPS-ITS-OWN-DISK"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        """11.17 refuses the update (403): the mutant writes the bytes to the file named as the admin, and says 200."""
        parts = request.form_parts() if request.method == "PATCH" and FILE_ITEM.match(request.path) else {}
        if "filename_disk" not in parts or "file" not in parts:
            return request
        own, disk = request.path.rsplit("/", 1)[-1], parts["filename_disk"].decode()
        named = upstream.admin("GET", "/files", params={"filter[filename_disk][_eq]": disk, "fields": "id"})
        others = [file["id"] for file in named.json()["data"] if file["id"] != own]
        if not others:
            return request
        for other in others:
            upstream.admin("PATCH", f"/files/{other}", files={"file": ("overwritten.txt", parts["file"], "text/plain")})
        return upstream.admin("GET", f"/files/{own}")


WRITE_MUTANTS: list[type[Described]] = [
    PresetDropped,
    CreateValidationSkipped,
    UpdateValidationSkipped,
    PresetUserReassignable,
    PoliciesGrantTheUnion,
    EmptyInValidationAccepts,
    EmptyInReadMatchesAll,
    RoleVariablesMatchAll,
    TusIdUnchecked,
    FileDiskNameHonoured,
]
