"""Concealed fields: a user's static token, TOTP secret and password hash never come back in clear, to anyone (the
admin included, and the user themselves), whatever the query asks: not aggregated, not as an alias, not exported,
not from the revisions of an update, and no filter or search tests them; nor does an AI provider's API key the
settings keep encrypted.

"The user themselves" is an app user, who may read their own password and TOTP secret fields (Directus's minimal app
permissions; not their static token): an API-only member may read none of their own fields.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from conformance.checks.api import (
    AI_PROVIDER_KEYS,
    TFA_RULE,
    Cast,
    DirectusClient,
    Loader,
    Need,
    Persona,
    as_admin,
    bearer,
    check,
    enable_totp,
    expect,
    expect_status,
    needs,
    register_secret,
    require,
    require_status,
    set_static_token,
    turn_on_tfa,
    user_holding,
)

BEHAVIOUR = "Concealed fields"
PAYLOAD = "api/src/services/payload.ts"  # where `conceal` masks a value on its way out
CONCEALED_DOCS = "/reference/system/users"
HASH_PREFIX = "$argon2"  # how every password hash Directus stores begins
ADMIN, OWN = "admin", "own"
"""Who reads: the admin, or the user their own fields."""


def readings(*fields: str, own: bool = False) -> list[Any]:
    """(field, reader) parameters: each of `fields` read by the admin and, with `own`, by the user themselves those
    an app user may read of their own (not the static token). A TOTP secret needs the TFA self-service grant."""
    return [
        pytest.param(
            field,
            reader,
            id=field if reader == ADMIN else f"{field}-{OWN}",
            marks=needs(Need.CUSTOM_RULES) if field == "tfa_secret" else (),
        )
        for field in fields
        for reader in ((ADMIN, OWN) if own else (ADMIN,))
        if reader == ADMIN or field != "token"
    ]


ALL = ("token", "password", "tfa_secret")
"""The concealed fields of directus_users."""
KNOWN = ("token", "tfa_secret")
"""Those whose clear value the check knows (a password's hash it never sees)."""


@dataclass(frozen=True)
class ConcealedUser:
    """A throwaway user with a static token the admin set (lower-case hex: `search` lower-cases what it looks for),
    and, when the check is about `tfa_secret`, TOTP turned on; and the headers of whoever reads their fields."""

    persona: Persona
    clear: dict[str, str]  # field → what it holds in clear
    reader: str  # ADMIN or OWN
    headers: dict[str, str]  # the reader's credentials

    def read(self, directus: DirectusClient, path: str, **params: str) -> httpx.Response:
        return directus.request("GET", path, headers=self.headers, params=params)

    @property
    def by(self) -> str:
        return "by the admin" if self.reader == ADMIN else "by the user themselves"

    def leaked(self, field: str, response: httpx.Response) -> bool:
        """The answer holds the field's value in clear (for a password, any password hash)."""
        return (HASH_PREFIX if field == "password" else self.clear[field]) in response.text

    def guess(self, field: str) -> str:
        """What an attacker who knows part of the value searches or filters with: eight of its middle characters."""
        if field == "password":
            return HASH_PREFIX
        value = self.clear[field]
        return value[len(value) // 2 - 4 :][:8].lower()


@contextlib.contextmanager
def user_to_read(
    cast: Cast, loader: Loader, throwaway: Callable[[], Persona], field: str, reader: str
) -> Iterator[Persona]:
    """For the admin to read, a throwaway member; for the user themselves, a throwaway app user, who for a TOTP
    secret may also store their own (one grant: a 10.x user has one role)."""
    if reader == ADMIN:
        yield throwaway()
        return
    rules = [TFA_RULE] if field == "tfa_secret" else []
    grant = loader.access.grant(f"own-{cast.run_tag}-{secrets.token_hex(3)}", rules, app_access=True)
    with user_holding(loader, grant) as user:
        yield user


@pytest.fixture
def concealed(
    directus: DirectusClient,
    cast: Cast,
    loader: Loader,
    throwaway: Callable[[], Persona],
    field: str,
    reader: str,
) -> Iterator[ConcealedUser]:
    """The user whose concealed fields a check asks about, as `reader` (parametrized with the field: `readings`)."""
    with user_to_read(cast, loader, throwaway, field, reader) as user:
        token = f"dc-static-{secrets.token_hex(16)}"
        register_secret(token)
        set_static_token(loader, user, token)
        clear = {"token": token}
        if field == "tfa_secret":
            totp = turn_on_tfa(directus, cast, loader, user) if reader == ADMIN else enable_totp(directus, user)
            clear["tfa_secret"] = totp.secret
        yield ConcealedUser(user, clear, reader, bearer(loader.admin.token() if reader == ADMIN else token))


def expect_concealed(user: ConcealedUser, field: str, response: httpx.Response, how: str) -> None:
    expect(not user.leaked(field, response), f"{field} stays concealed {how}, read {user.by}", response)


def users_matched(response: httpx.Response) -> list[str]:
    """The users a successful list answered with (none when the query was refused)."""
    return [row["id"] for row in response.json()["data"]] if response.status_code == 200 else []


@check(
    "CONCEALED-AGGREGATE-MASKED",
    level="MUST",
    refs=("GHSA-38hg-ww64-rrwc", "CVE-2026-35442", PAYLOAD, CONCEALED_DOCS),
    title="An aggregate of a concealed field (min, max, grouped by user), and a grouping by it, is masked or refused, "
    "to the admin and to the user themselves",
)
@pytest.mark.parametrize(("field", "reader"), readings(*ALL, own=True))
def test_aggregate_of_a_concealed_field_is_masked(
    directus: DirectusClient, concealed: ConcealedUser, field: str
) -> None:
    user = {"filter[id][_eq]": concealed.persona.id}
    shapes = {
        "in min/max grouped by id": {"aggregate[min]": field, "aggregate[max]": field, "groupBy[]": "id"},
        f"as the group of groupBy[]={field}": {"groupBy[]": field, "aggregate[count]": "id"},
    }
    for how, query in shapes.items():
        response = concealed.read(directus, "/users", **query, **user)
        expect_status(response, (200, 400, 403))
        expect_concealed(concealed, field, response, how)


@check(
    "CONCEALED-ALIAS-MASKED",
    level="MUST",
    refs=("GHSA-p8v3-m643-4xqx", "CVE-2024-34708", PAYLOAD, "/reference/query#alias"),
    title="A concealed field read under an alias (REST `alias[x]=…`, a GraphQL alias) is masked like the field, to the "
    "admin and to the user themselves",
)
@pytest.mark.parametrize(("field", "reader"), readings(*ALL, own=True))
def test_concealed_field_under_an_alias_is_masked(
    directus: DirectusClient, concealed: ConcealedUser, field: str
) -> None:
    user = concealed.persona
    rest = concealed.read(directus, f"/users/{user.id}", **{"alias[hidden]": field, "fields": "id,hidden"})
    expect_status(rest, (200, 400, 403))
    expect_concealed(concealed, field, rest, "read as alias[hidden]")
    query = f'query {{ users_by_id(id: "{user.id}") {{ id hidden: {field} }} }}'
    graphql = directus.request("POST", "/graphql/system", headers=concealed.headers, json={"query": query})
    expect_concealed(concealed, field, graphql, "read as the GraphQL alias `hidden`")


@check(
    "CONCEALED-EXPORT-MASKED",
    level="MUST",
    refs=("GHSA-m5q3-8wgf-x8xf", "CVE-2023-27481", "api/src/services/import-export.ts", "/reference/query#export"),
    title="An export of a concealed field (export=json, export=csv) masks it as a read does, to the admin and to the "
    "user themselves",
)
@pytest.mark.parametrize(("field", "reader"), readings(*ALL, own=True))
def test_export_of_a_concealed_field_is_masked(directus: DirectusClient, concealed: ConcealedUser, field: str) -> None:
    for format_ in ("json", "csv"):
        params = {"export": format_, "fields": f"id,{field}", "filter[id][_eq]": concealed.persona.id}
        response = concealed.read(directus, "/users", **params)
        expect_status(response, (200, 400, 403))
        if response.status_code == 200:
            require(concealed.persona.id in response.text, f"the {format_} export holds the user", response)
        expect_concealed(concealed, field, response, f"in an export as {format_}")


@check(
    "CONCEALED-FILTER-NEVER-MATCHES",
    level="MUST",
    refs=("GHSA-m5q3-8wgf-x8xf", "CVE-2023-27481", "api/src/utils/validate-query.ts", CONCEALED_DOCS),
    title="A filter that tests a concealed field's value (_eq, _starts_with, _contains) is refused (400) or matches "
    "nobody: it cannot tell a guess from the value, for the admin or the user themselves",
)
@pytest.mark.parametrize(("field", "reader"), readings(*ALL, own=True))
def test_filter_on_a_concealed_field_matches_nobody(
    directus: DirectusClient, concealed: ConcealedUser, field: str
) -> None:
    user = concealed.persona
    value = concealed.clear.get(field, HASH_PREFIX)
    guesses = {"_eq": value, "_starts_with": value[:12], "_contains": concealed.guess(field)}
    for operator, guess in guesses.items():
        filter_ = {f"filter[{field}][{operator}]": guess, "filter[id][_eq]": user.id}
        response = concealed.read(directus, "/users", fields="id", **filter_)
        expect_status(response, (200, 400))
        expect(
            user.id not in users_matched(response),
            f"filter[{field}][{operator}] with a part of the value matches nobody, asked {concealed.by}",
            response,
        )


@check(
    "CONCEALED-SEARCH-NEVER-MATCHES",
    level="MUST",
    refs=("GHSA-8jpw-gpr4-8cmh", "CVE-2025-64748", "api/src/database/run-ast/lib/apply-query/search.ts"),
    title="`search` does not look into concealed fields: eight characters of a user's static token or TOTP secret "
    "find nobody (while a part of their email finds them), searched by the admin or the user themselves",
)
@pytest.mark.parametrize(("field", "reader"), readings(*KNOWN, own=True))
def test_search_does_not_match_a_concealed_field(
    directus: DirectusClient, concealed: ConcealedUser, field: str
) -> None:
    user = concealed.persona
    by_email = concealed.read(directus, "/users", search=user.email.split("@")[0], fields="id")
    expect_status(by_email, 200, why="a search by a part of the user's email (a readable field)")
    expect(user.id in users_matched(by_email), "a search by a part of the email finds the user", by_email)
    response = concealed.read(directus, "/users", search=concealed.guess(field), fields="id")
    expect_status(response, 200)
    expect(
        user.id not in users_matched(response),
        f"a search {concealed.by} for a part of the {field} finds nobody",
        response,
    )


@check(
    "CONCEALED-NESTED-MASKED",
    level="MUST",
    refs=("GHSA-p8v3-m643-4xqx", PAYLOAD, "/reference/query#deep", CONCEALED_DOCS),
    title="A concealed field read through a relation (a role's users: nested, under a `deep` alias, nested in "
    "GraphQL) is masked like the field",
)
@pytest.mark.parametrize(("field", "reader"), readings(*ALL))
def test_concealed_field_read_through_a_relation_is_masked(
    directus: DirectusClient, loader: Loader, concealed: ConcealedUser, field: str
) -> None:
    user = concealed.persona.id
    role = as_admin(directus, loader, f"/users/{user}", fields="role").json()["data"]["role"]
    params = {"fields": f"id,users.id,users.{field},users.hidden", "deep[users][_filter][id][_eq]": user}
    rest = concealed.read(directus, f"/roles/{role}", **params, **{"deep[users][_alias][hidden]": field})
    expect_status(rest, 200, why="the admin reading the role of the user, with its users")
    require(user in rest.text, "the role's users hold the user", rest)
    expect_concealed(concealed, field, rest, f"read as users.{field} of their role, and under a deep alias")
    users = f'users(filter: {{id: {{_eq: "{user}"}}}}) {{ id {field} hidden: {field} }}'
    query = f'query {{ roles_by_id(id: "{role}") {{ {users} }} }}'
    graphql = directus.request("POST", "/graphql/system", headers=concealed.headers, json={"query": query})
    expect_concealed(concealed, field, graphql, "read as the users of their role in GraphQL, and under an alias")


@check(
    "CONCEALED-SORT-NO-ORACLE",
    level="SHOULD",
    refs=("api/src/database/run-ast/lib/apply-query/sort.ts", "/reference/query#sort", CONCEALED_DOCS),
    title="Sorting by a concealed field does not order users by its stored value: of two users whose static tokens "
    "begin 0… and f…, sort=token and sort=-token do not put them in the order of their tokens (refused, or any "
    "order that does not follow the values)",
)
def test_sort_by_a_concealed_field_is_no_oracle(
    directus: DirectusClient, loader: Loader, throwaway: Callable[[], Persona]
) -> None:
    low, high = throwaway(), throwaway()
    for user, first in ((low, "0"), (high, "f")):
        token = f"dc-static-{first}{secrets.token_hex(16)}"
        register_secret(token)
        set_static_token(loader, user, token)
    among = {"filter[id][_in]": f"{low.id},{high.id}", "fields": "id"}
    orders: dict[str, list[str]] = {}
    for sort in ("token", "-token"):
        response = as_admin(directus, loader, "/users", sort=sort, **among)
        expect_status(response, (200, 400, 403))
        orders[sort] = users_matched(response)
    by_value = orders["token"] == [low.id, high.id] and orders["-token"] == [high.id, low.id]
    expect(
        not by_value,
        "sort=token and sort=-token do not order the two users by their tokens (read: the 0… token's user first, "
        "then last)",
        response,
    )


def revisions_of(directus: DirectusClient, loader: Loader, collection: str, **params: str) -> httpx.Response:
    """The data and delta of the revisions of `collection` that `params` select, as the admin reads them."""
    return as_admin(
        directus, loader, "/revisions", fields="id,data,delta", **{"filter[collection][_eq]": collection}, **params
    )


@check(
    "CONCEALED-REVISIONS-MASKED",
    level="MUST",
    refs=("GHSA-mvv8-v4jj-g47j", "CVE-2026-39943", "api/src/services/revisions.ts", "/reference/system/revisions"),
    title="The revisions of a user's update keep a concealed field masked: the static token the admin set and the "
    "TOTP secret the user turned on are not in their data or delta",
)
@pytest.mark.parametrize(("field", "reader"), readings(*KNOWN))
def test_revisions_keep_a_concealed_field_masked(
    directus: DirectusClient, loader: Loader, concealed: ConcealedUser, field: str
) -> None:
    revisions = revisions_of(
        directus, loader, "directus_users", limit="-1", **{"filter[item][_eq]": concealed.persona.id}
    )
    require_status(revisions, 200, why="the admin reading the revisions of the user")
    require(bool(revisions.json()["data"]), "the user's updates are kept as revisions", revisions)
    expect_concealed(concealed, field, revisions, "in the revisions of the user's updates")


@contextlib.contextmanager
def an_ai_api_key(directus: DirectusClient, loader: Loader) -> Iterator[str]:
    """The admin sets a made-up OpenAI API key in the settings for the check's duration, then removes it; SKIP on a
    target that has a key of its own (the check never overwrites it)."""
    held = as_admin(directus, loader, "/settings", fields="ai_openai_api_key")
    require_status(held, 200, why="the admin reading the settings")
    if held.json()["data"].get("ai_openai_api_key"):
        pytest.skip("the target keeps an OpenAI API key of its own in its settings: the check would overwrite it")
    key = f"sk-conformance-{secrets.token_hex(16)}"
    register_secret(key)
    loader.admin.call("PATCH", "/settings", action="set an AI provider's API key", json={"ai_openai_api_key": key})
    try:
        yield key
    finally:
        loader.admin.call("PATCH", "/settings", action="remove the made-up API key", json={"ai_openai_api_key": None})


@check(
    "SETTINGS-REVISIONS-NO-API-KEY",
    level="MUST",
    refs=("GHSA-mvv8-v4jj-g47j", "CVE-2026-39943", "api/src/services/items.ts", "/reference/system/revisions"),
    title="An AI provider's API key the admin sets in the settings (a field kept encrypted) is masked in the revision "
    "of that update, as it is when the settings are read",
    needs=(AI_PROVIDER_KEYS,),
)
def test_settings_revision_keeps_no_api_key(directus: DirectusClient, loader: Loader) -> None:
    with an_ai_api_key(directus, loader) as key:
        # the latest ten: other checks may update the settings meanwhile (the login-attempt limit)
        revisions = revisions_of(directus, loader, "directus_settings", sort="-id", limit="10")
    require_status(revisions, 200, why="the admin reading the settings' revisions")
    require("ai_openai_api_key" in revisions.text, "the update of the key is kept as a revision", revisions)
    expect(key not in revisions.text, "the API key is not in the revision in clear (masked or left out)", revisions)
