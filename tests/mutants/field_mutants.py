"""The field mutants: ways a server lets out values it should keep, as Directus releases before their advisories'
fixes did. The concealed-field ones remember the values they saw go in (a static token an admin set, a TOTP secret a
user enabled); the hidden-field ones read the cast's hidden field as the admin. Each lets the values out through one
query shape, and names the checks that must catch it, and no others."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
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

__all__ = ["FIELD_MUTANTS"]

USER_ITEM = re.compile(r"^/users/([0-9a-f-]{36})$")
ROLE_ITEM = re.compile(r"^/roles/([0-9a-f-]{36})$")
CONCEALED = ("token", "tfa_secret", "password")
DEEP_ALIAS = re.compile(r"^deep\[users\]\[_alias\]\[(\w+)\]$")
GRAPHQL_ALIAS = re.compile(r"(\w+): (token|tfa_secret|password)\b")
MASK = "**********"
CONCEALED_FILTER = re.compile(r"^filter\[(token|tfa_secret|password)\]\[(_eq|_starts_with|_contains)\]$")
STRING_TESTS: dict[str, Callable[[str, str], bool]] = {
    "_eq": str.__eq__,
    "_starts_with": str.startswith,
    "_contains": str.__contains__,
}
STORED_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
"""What a leaked password looks like: the mutant never learns the real hash, any argon2 hash is the leak."""


class RemembersConcealed(Described):
    """Remembers each user's concealed values in clear, as they go in."""

    def __init__(self) -> None:
        self.clear: dict[str, dict[str, str]] = {}  # user id → field → value
        self.lock = threading.Lock()

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        body = request.json() if request.body else None
        item = USER_ITEM.match(request.path)
        if request.method == "PATCH" and item and isinstance(body, dict) and body.get("token"):
            self._remember(item.group(1), "token", str(body["token"]))
        if request.path == "/users/me/tfa/enable" and isinstance(body, dict) and body.get("secret"):
            self._remember(caller_of(request), "tfa_secret", str(body["secret"]))
        return self.leak(request, upstream)

    def leak(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        """The mutant's fault on the way in (none by default)."""
        return request

    def value(self, user: str | None, field: str) -> str | None:
        """What the user's field holds in clear (a password: some hash), if the mutant saw it."""
        if field == "password":
            return STORED_HASH
        with self.lock:
            return self.clear.get(user or "", {}).get(field)

    def _remember(self, user: str, field: str, value: str) -> None:
        with self.lock:
            self.clear.setdefault(user, {})[field] = value


def caller_of(request: ProxyRequest) -> str:
    """The user id of a request's Bearer JWT, read without verifying it."""
    return str(unverified_claims(bearer_token(request)).get("id") or "")


def filtered_user(request: ProxyRequest) -> str | None:
    """The user a /users query is narrowed to (`filter[id][_eq]`), the item of /users/:id, or the user whose
    revisions a /revisions query asks for (`filter[item][_eq]`)."""
    item = USER_ITEM.match(request.path)
    return item.group(1) if item else request.param("filter[id][_eq]") or request.param("filter[item][_eq]")


def revisions_of(request: ProxyRequest, collection: str) -> bool:
    """Whether the request reads the revisions of `collection`."""
    return request.path == "/revisions" and request.param("filter[collection][_eq]") == collection


Reveal = Callable[[dict[str, Any]], dict[str, str]]
"""For one object of an answer, its keys to unmask, each with the clear value."""


def unmasked(data: Any, reveal: Reveal) -> Any:
    """`data` with each masked value under a key `reveal` gives for its object replaced by the clear value, at any
    depth."""
    if isinstance(data, list):
        return [unmasked(item, reveal) for item in data]
    if isinstance(data, dict):
        clear = reveal(data)
        return {k: clear[k] if v == MASK and k in clear else unmasked(v, reveal) for k, v in data.items()}
    return data


def with_json(response: httpx.Response, body: Any) -> httpx.Response:
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() != "content-length"]
    return httpx.Response(response.status_code, content=json.dumps(body).encode(), headers=headers)


class Unmasks(RemembersConcealed):
    """Answers to the queries `unmasks` picks have their masked concealed values replaced by the clear ones."""

    def unmasks(self, request: ProxyRequest) -> dict[str, str]:
        """The answer keys to unmask, each with the concealed field it holds."""
        raise NotImplementedError

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        keys = self.unmasks(request) if request.method == "GET" and response.status_code == 200 else {}
        user = filtered_user(request)
        reveal = {key: value for key, field in keys.items() if (value := self.value(user, field))}
        return with_json(response, unmasked(response.json(), lambda _: reveal)) if reveal else response


class AggregateUnconcealed(Unmasks):
    name = "aggregate-unconcealed"
    behaviour = "Concealed fields"
    description = "min/max of a concealed field, grouped, and a grouping by it return the stored value (masking "
    "skips aggregates)"
    expected = frozenset({"CONCEALED-AGGREGATE-MASKED"})

    def unmasks(self, request: ProxyRequest) -> dict[str, str]:
        if request.path != "/users":
            return {}
        return {v: v for k, v in request.query if k.startswith("aggregate[") or k == "groupBy[]"}


class AliasUnconcealed(Unmasks):
    name = "alias-unconcealed"
    behaviour = "Concealed fields"
    description = "a concealed field read under an alias comes back in clear (masking looks at the field's own name)"
    expected = frozenset({"CONCEALED-ALIAS-MASKED"})

    def unmasks(self, request: ProxyRequest) -> dict[str, str]:
        if not USER_ITEM.match(request.path):
            return {}
        return {k[len("alias[") : -1]: v for k, v in request.query if k.startswith("alias[")}


class ExportUnconcealed(Unmasks):
    name = "export-unconcealed"
    behaviour = "Concealed fields"
    description = "an export as JSON writes the stored values of concealed fields (the export skips the masking)"
    expected = frozenset({"CONCEALED-EXPORT-MASKED"})

    def unmasks(self, request: ProxyRequest) -> dict[str, str]:
        exported = request.path == "/users" and request.param("export") == "json"
        return {field: field for field in ("token", "tfa_secret", "password")} if exported else {}


class RevisionsUnconcealed(Unmasks):
    name = "revisions-unconcealed"
    behaviour = "Concealed fields"
    description = "the revisions of a user's update keep the static token and TOTP secret written, in clear"
    expected = frozenset({"CONCEALED-REVISIONS-MASKED"})

    def unmasks(self, request: ProxyRequest) -> dict[str, str]:
        return {"token": "token", "tfa_secret": "tfa_secret"} if revisions_of(request, "directus_users") else {}


class NestedUnconcealed(RemembersConcealed):
    name = "nested-unconcealed"
    behaviour = "Concealed fields"
    description = "a concealed field read through a relation (a role's users: nested, a deep alias, GraphQL) comes "
    "back in clear (masking looks at the top level only)"
    expected = frozenset({"CONCEALED-NESTED-MASKED"})

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        body = request.json() if request.path == "/graphql/system" else None
        query = str(body.get("query")) if isinstance(body, dict) else ""
        if response.status_code != 200 or not (ROLE_ITEM.match(request.path) or "roles_by_id" in query):
            return response
        keys = {field: field for field in CONCEALED}  # each field under its name, and under its aliases
        keys.update((alias.group(1), value) for key, value in request.query if (alias := DEEP_ALIAS.match(key)))
        keys.update(GRAPHQL_ALIAS.findall(query))
        return with_json(response, unmasked(response.json(), lambda row: self._clear_of(row, keys)))

    def _clear_of(self, row: dict[str, Any], keys: dict[str, str]) -> dict[str, str]:
        """The clear values the mutant knows of a user row, under each key that holds a concealed field."""
        user = str(row.get("id"))
        return {key: value for key, field in keys.items() if (value := self.value(user, field))}


class SettingsRevisionsUnmasked(Described):
    name = "settings-revisions-unmasked"
    behaviour = "Concealed fields"
    description = "the revisions of the settings keep an AI provider's API key written, in clear (as 11.16 did)"
    expected = frozenset({"SETTINGS-REVISIONS-NO-API-KEY"})

    def __init__(self) -> None:
        self.keys: dict[str, str] = {}  # settings field → the value last written

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        body = request.json() if request.method == "PATCH" and request.path == "/settings" else None
        if isinstance(body, dict) and body.get("ai_openai_api_key"):
            self.keys["ai_openai_api_key"] = str(body["ai_openai_api_key"])
        return request

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        if request.method != "GET" or response.status_code != 200 or not revisions_of(request, "directus_settings"):
            return response
        keys = dict(self.keys)
        return with_json(response, unmasked(response.json(), lambda _: keys))


class ConcealedFilterMatches(RemembersConcealed):
    name = "concealed-filter-matches"
    behaviour = "Concealed fields"
    description = "a string filter on a concealed field tests the stored value (_starts_with extracts it)"
    expected = frozenset({"CONCEALED-FILTER-NEVER-MATCHES"})

    def leak(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        user = filtered_user(request)
        for key, guess in request.query if request.path == "/users" else []:
            concealed = CONCEALED_FILTER.match(key)
            value = self.value(user, concealed.group(1)) if concealed else None
            if concealed and value is not None and STRING_TESTS[concealed.group(2)](value, guess):
                return respond(200, {"data": [{"id": user}]})
        return request


class SearchSeesConcealed(RemembersConcealed):
    name = "search-sees-concealed"
    behaviour = "Concealed fields"
    description = "`search` looks into concealed fields too: a part of a static token or TOTP secret finds its user"
    expected = frozenset({"CONCEALED-SEARCH-NEVER-MATCHES"})

    def leak(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        search = (request.param("search") or "").lower()
        if request.path != "/users" or not search:
            return request
        with self.lock:
            found = [user for user, values in self.clear.items() if any(search in v.lower() for v in values.values())]
        return respond(200, {"data": [{"id": user} for user in found]}) if found else request


HIDDEN = "canary"  # the hidden field of the packaged cast


class MemberQueryOnHidden(Described):
    """A member's GET of the posts that names the hidden field in `parameter` is answered as the admin's would be."""

    parameter: str

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        posts = POSTS_LIST.match(request.path) or POSTS_ITEM.match(request.path)
        if request.method != "GET" or not posts or bearer_token(request) == upstream.admin_token:
            return request
        if any(key.startswith(self.parameter) and self.names(key, value) for key, value in request.query):
            return self.answer(request, upstream)
        return request

    def names(self, key: str, value: str) -> bool:
        """Whether a query parameter names what the member may not read."""
        return HIDDEN in key + value

    def answer(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        return as_admin(request, upstream)


class HiddenFieldRead(MemberQueryOnHidden):
    name = "hidden-field-read"
    behaviour = "Hidden fields"
    description = "a member who asks for a field their permission leaves out (fields=…) gets it"
    expected = frozenset({"HIDDEN-FIELD-NOT-READ"})
    parameter = "fields"


class HiddenFilterOracle(MemberQueryOnHidden):
    name = "hidden-filter-oracle"
    behaviour = "Hidden fields"
    description = "a filter on a field the member may not read is applied (the filter's paths are not checked)"
    expected = frozenset({"HIDDEN-FILTER-NO-ORACLE"})
    parameter = "filter["


class HiddenAggregated(MemberQueryOnHidden):
    name = "hidden-aggregated"
    behaviour = "Hidden fields"
    description = "aggregates and groupings of a field the member may not read are computed (their paths unchecked)"
    expected = frozenset({"HIDDEN-AGGREGATE-NOT-REVEALED"})
    parameter = "aggregate["

    SHAPE = frozenset({("groupBy[]", HIDDEN), ("aggregate[max]", HIDDEN)})
    """Either, completed to both: the maximum of each group is every post's value, the member's own among them."""

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        if self.SHAPE & set(request.query):
            request.query += sorted(self.SHAPE - set(request.query))
        return super().request(request, upstream)


class HiddenSortAllowed(MemberQueryOnHidden):
    name = "hidden-sort-allowed"
    behaviour = "Hidden fields"
    description = "a sort by a field the member may not read is carried out (as Directus 10.x does)"
    expected = frozenset({"HIDDEN-SORT-REFUSED"})
    parameter = "sort"

    def answer(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        request.query = [(k, v) for k, v in request.query if k != "sort"]  # the member's own rows, in some order
        return request


class SearchSeesHidden(Described):
    name = "search-sees-hidden"
    behaviour = "Hidden fields"
    description = "`search` looks into fields the member may not read: a hidden value finds its post"
    expected = frozenset({"HIDDEN-SEARCH-NEVER-MATCHES"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        search = request.param("search")
        if not POSTS_LIST.match(request.path) or not search:
            return request
        params = {f"filter[{HIDDEN}][_eq]": search, "fields": "id,title,author"}
        found = upstream.admin("GET", request.path, params=params).json().get("data") or []
        return respond(200, {"data": found}) if found else request


class MemberQueryThroughRelation(MemberQueryOnHidden):
    """A member's GET that reaches into the author (a user the member may not read) is answered as the admin's
    would be, over the member's own posts only: the related collection's permissions go unchecked, the item rule
    holds."""

    def names(self, key: str, value: str) -> bool:
        return key.startswith("filter[author][") or "author." in value or value == "*.*"

    def answer(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        mine = ProxyRequest("GET", request.path, [("fields", "id"), ("limit", "-1")], dict(request.headers), b"")
        data = upstream.send(mine).json().get("data") or []
        rows = data if isinstance(data, list) else [data]  # a list, or one item
        own = ",".join(str(row["id"]) for row in rows if isinstance(row, dict)) or "0"
        request.query = [*request.query, ("filter[id][_in]", own)]
        return as_admin(request, upstream)


class RelationFieldsRead(MemberQueryThroughRelation):
    name = "relation-fields-read"
    behaviour = "Hidden fields"
    description = "the fields of a related collection the member may not read are read (fields=author.…, aggregates)"
    expected = frozenset({"HIDDEN-RELATION-NOT-READ"})
    parameter = ""  # fields= or aggregate[…]=

    def names(self, key: str, value: str) -> bool:
        return (key == "fields" or key.startswith("aggregate[")) and super().names(key, value)


class RelationFilterOracle(MemberQueryThroughRelation):
    name = "relation-filter-oracle"
    behaviour = "Hidden fields"
    description = "a filter through a relation to a collection the member may not read is applied"
    expected = frozenset({"HIDDEN-RELATION-FILTER-NO-ORACLE"})
    parameter = "filter["


class RelationSortAllowed(HiddenSortAllowed):
    name = "relation-sort-allowed"
    behaviour = "Hidden fields"
    description = "a sort through a relation to a collection the member may not read is carried out (as 10.x does)"
    expected = frozenset({"HIDDEN-RELATION-SORT-REFUSED"})

    def names(self, key: str, value: str) -> bool:
        return value.startswith(("author.", "-author."))


FIELD_MUTANTS: list[type[Described]] = [
    AggregateUnconcealed,
    AliasUnconcealed,
    ExportUnconcealed,
    RevisionsUnconcealed,
    NestedUnconcealed,
    SettingsRevisionsUnmasked,
    ConcealedFilterMatches,
    SearchSeesConcealed,
    HiddenFieldRead,
    HiddenFilterOracle,
    HiddenAggregated,
    HiddenSortAllowed,
    SearchSeesHidden,
    RelationFieldsRead,
    RelationFilterOracle,
    RelationSortAllowed,
]
