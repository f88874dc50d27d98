"""The write mutants: ways a server lets a member write as someone else, as a gateway or an extension that drops a
permission's preset or skips its validation might. Each names the checks that must catch it, and no others."""

from __future__ import annotations

from typing import Any

import httpx

from tests.mutants.exchange import (
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


WRITE_MUTANTS: list[type[Described]] = [PresetDropped, CreateValidationSkipped, UpdateValidationSkipped]
