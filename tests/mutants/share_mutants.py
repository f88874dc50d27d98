"""The share mutants: ways a server lets a share link do more than its share says, as Directus releases before
their advisories' fixes did (a share that carries its role's rights) or as a broken gateway or extension might. Each
names the checks that must catch it, and no others."""

from __future__ import annotations

import json
import re
import threading
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
from tests.mutants.proxy import Described, respond

__all__ = ["SHARE_MUTANTS"]

SHARE_INFO = re.compile(r"^/shares/info/([0-9a-f-]{36})$")


def share_of(request: ProxyRequest) -> str | None:
    """The share a request's Bearer JWT is a session of (read without verifying it), if any."""
    share = unverified_claims(bearer_token(request)).get("share")
    return str(share) if share else None


def item_of(request: ProxyRequest) -> str:
    """The item a request for /items/<collection>/<id> names."""
    return request.path.rsplit("/", 1)[1]


def shared(upstream: Upstream, share: str) -> dict[str, Any]:
    """The share as the admin reads it (its item and role)."""
    return dict(upstream.admin("GET", f"/shares/{share}", params={"fields": "item,role"}).json()["data"])


class ShareReadsTheCollection(Described):
    name = "share-reads-the-collection"
    behaviour = "Shares"
    description = "a share's session reads every item of the shared collection, not only the shared one"
    expected = frozenset({"SHARE-READS-ITS-ITEM-ONLY", "SHARE-ANSWER-NOT-SERVED-TO-OTHERS"})  # another share's post

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        share = share_of(request) if request.method == "GET" else None
        if share is None:
            return request
        another = POSTS_ITEM.match(request.path) and item_of(request) != shared(upstream, share)["item"]
        return as_admin(request, upstream) if POSTS_LIST.match(request.path) or another else request


class ShareRoleHonoured(Described):
    name = "share-carries-its-role"
    behaviour = "Shares"
    description = "a share's session reads its item with all the rights of the share's role (GHSA-pmf4: < 11.2.0)"
    expected = frozenset({"SHARE-NO-MORE-THAN-THE-SHARER"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        share = share_of(request) if request.method == "GET" and POSTS_ITEM.match(request.path) else None
        if share is None:
            return request
        record = shared(upstream, share)
        if record["role"] and item_of(request) == record["item"]:
            return as_admin(request, upstream)  # the cast's admin role is the only one a check shares with
        return request


class RemembersSharePasswords(Described):
    """Remembers each share's password in clear, as the admin's `POST /shares` sends it."""

    def __init__(self) -> None:
        self.passwords: dict[str, str] = {}  # share id → password
        self.lock = threading.Lock()

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        body = request.json() if request.method == "POST" and request.path == "/shares" else None
        if isinstance(body, dict) and body.get("password") and response.status_code == 200:
            with self.lock:
                self.passwords[response.json()["data"]["id"]] = str(body["password"])
        return response

    def password(self, share: str) -> str | None:
        with self.lock:
            return self.passwords.get(share)


class SharePasswordIgnored(RemembersSharePasswords):
    name = "share-wrong-password-accepted"
    behaviour = "Shares"
    description = "a share opened with a wrong password opens all the same (the password is not compared)"
    expected = frozenset({"SHARE-PASSWORD-REQUIRED"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        body = request.json() if request.path == "/shares/auth" else None
        if isinstance(body, dict) and body.get("password") and (right := self.password(str(body.get("share")))):
            request.body = json.dumps({**body, "password": right}).encode()
        return request


class ShareInfoUnmasked(RemembersSharePasswords):
    name = "share-info-shows-password"
    behaviour = "Shares"
    description = "a share's public info gives its password instead of the mask"
    expected = frozenset({"SHARE-INFO-MASKS-PASSWORD"})

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        response = super().response(request, response, upstream)
        info = SHARE_INFO.match(request.path)
        if info and response.status_code == 200 and (password := self.password(info.group(1))):
            data = response.json()["data"]
            return respond(200, {"data": {**data, "password": password}})
        return response


class ShareWindowDropped(Described):
    name = "share-window-dropped"
    behaviour = "Shares"
    description = "a share's date window is not stored: a share that has ended, or not started, opens"
    expected = frozenset({"SHARE-WINDOW-ENFORCED"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        body = request.json() if request.method == "POST" and request.path == "/shares" else None
        if isinstance(body, dict):
            request.body = json.dumps({k: v for k, v in body.items() if k not in ("date_start", "date_end")}).encode()
        return request


class ShareAnswerCached(Described):
    name = "share-answer-cached"
    behaviour = "Shares"
    description = (
        "a response cache keys what it keeps by user only: what a share's session (no user) read is served to "
        "anonymous requests and other shares' sessions for the same URL (Directus before 12.0 with CACHE_ENABLED)"
    )
    expected = frozenset({"SHARE-ANSWER-NOT-SERVED-TO-OTHERS"})
    # only reads that choose their fields are kept: the suite's anonymous checks choose none, so they never meet a
    # kept answer whatever order the checks run in

    def __init__(self) -> None:
        self.kept: dict[str, Any] = {}  # path and query → the body a share's session was answered
        self.lock = threading.Lock()

    @staticmethod
    def key(request: ProxyRequest) -> str | None:
        cacheable = request.method == "GET" and request.param("fields") is not None
        return f"{request.path}?{sorted(request.query)}" if cacheable else None

    @staticmethod
    def userless(request: ProxyRequest) -> bool:
        """No user asks: an anonymous request or a share's session."""
        credentials = request.header("authorization") or request.header("cookie") or request.param("access_token")
        return share_of(request) is not None or not credentials

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        key = self.key(request)
        with self.lock:
            kept = self.kept.get(key) if key and self.userless(request) else None
        return respond(200, kept) if kept is not None else request

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        key = self.key(request)
        if key and response.status_code == 200 and share_of(request) is not None:
            with self.lock:
                self.kept[key] = response.json()
        return response


SHARE_MUTANTS: list[type[Described]] = [
    ShareReadsTheCollection,
    ShareRoleHonoured,
    SharePasswordIgnored,
    ShareInfoUnmasked,
    ShareWindowDropped,
    ShareAnswerCached,
]
