"""Properties: no mutation of a live credential, and no shape of Authorization header but the valid one, is accepted.

Hypothesis draws mutation recipes (`conformance.mutations`) and applies them to tokens proven live just before: a
refusal then comes from the mutation, not from a token that had already expired. Never a 2xx, never a 5xx.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest
from hypothesis import assume, example, given
from hypothesis.strategies import SearchStrategy

from conformance.checks.api import (
    REFRESH_TOKEN_MODES,
    DirectusClient,
    Members,
    Mode,
    Persona,
    Profile,
    RecordProperty,
    access_token,
    bearer,
    check,
    claims_of,
    examples,
    expect,
    expect_status,
    expect_user,
    refresh_credential,
    refresh_with,
    whoami,
)
from conformance.mutations import (
    ACCESS_TOKEN_MUTATIONS,
    AUTHORIZATION_SHAPES,
    REFRESH_TOKEN_MUTATIONS,
    Affix,
    ChangeAlg,
    HeaderShape,
    Mutation,
    Truncate,
    differs,
    is_valid_bearer,
)

BEHAVIOUR = "Mutated credentials are refused"
ACCOUNTABILITY = "api/src/utils/get-accountability-for-token.ts"
EXTRACT = "api/src/middleware/extract-token.ts"
SERVICE = "api/src/services/authentication.ts"

# Always tried, before the drawn ones: the classic forgeries, the header shapes lenient gateways are known to
# rewrite into a valid one, and the nearest misses of a refresh token.
CLASSIC_FORGERIES: list[Mutation] = [ChangeAlg("none", drop_signature=True), Truncate(drop=1)]
REWRITTEN_SHAPES: list[Mutation] = [
    HeaderShape("Token", " ", "{token}"),
    HeaderShape("Bearer", "  ", "{token}"),
    HeaderShape("", "", "{token}"),
]
NEAR_MISSES: list[Mutation] = [Truncate(drop=1), Affix(prefix="", suffix="x")]


class LiveAccessToken:
    """A genuine access token of `persona`, proven to work, renewed by a login shortly before it expires."""

    def __init__(self, directus: DirectusClient, persona: Persona, margin_s: float = 2.0) -> None:
        self.directus, self.persona, self.margin_s = directus, persona, margin_s
        self.token, self.expires_at, self.logins = "", 0.0, 0

    def get(self) -> str:
        if self.expires_at - time.time() < self.margin_s:
            issued = access_token(self.directus, self.persona)
            expect_user(
                whoami(self.directus, bearer(issued)),
                self.persona,
                "the genuine access token",
            )
            self.token, self.logins = issued, self.logins + 1
            self.expires_at = float(claims_of(issued)["exp"])
        return self.token


def expect_refused(response: httpx.Response, what: str) -> None:
    """Neither accepted (2xx) nor a crash (5xx): any 4xx is a refusal."""
    expect(
        400 <= response.status_code < 500,
        f"a 4xx refusal of {what}, never a 2xx or a 5xx",
        response,
    )


def holds_for_every(
    mutations: SearchStrategy[Mutation],
    always: list[Mutation],
    budget: int,
    attempt: Callable[[Mutation], None],
) -> int:
    """Run `attempt` on the `always` mutations and `budget` drawn ones (derandomized, shrunk on failure); returns
    how many were really tried (an attempt may `assume` its mutation away, e.g. one that changed nothing)."""
    tried = 0

    def holds(mutation: Mutation) -> None:
        nonlocal tried
        attempt(mutation)
        tried += 1

    test = given(mutation=mutations)(holds)
    for mutation in always:
        test = example(mutation=mutation)(test)
    examples(budget)(test)()
    return tried


@check(
    "PROP-ACCESS-TOKEN-MUTATED",
    level="MUST",
    refs=(ACCOUNTABILITY, "v5.0.0-9.1.1", "v5.0.0-9.1.2"),
    title="Any mutation of a live access token (a flipped bit, a truncation, claims edited and re-signed with "
    "another key, a changed alg) is refused: never a 2xx or a 5xx",
)
def test_mutated_access_token_is_refused(
    directus: DirectusClient, members: Members, budget: Profile, record_property: RecordProperty
) -> None:
    live = LiveAccessToken(directus, members.reader)

    def attempt(mutation: Mutation) -> None:
        token = live.get()
        mutated = mutation.apply(token)
        assume(differs(mutated, token))
        expect_refused(directus.request("GET", "/users/me", headers=bearer(mutated)), f"a token mutated by {mutation}")

    tried = holds_for_every(ACCESS_TOKEN_MUTATIONS, CLASSIC_FORGERIES, budget.property_examples, attempt)
    record_property("examples", f"{tried} mutated tokens, {live.logins} genuine logins")


@check(
    "PROP-AUTH-HEADER-SHAPE",
    level="MUST",
    refs=(EXTRACT, "/guides/auth/tokens-cookies", "v5.0.0-9.1.1"),
    title="Any Authorization header but `Bearer <token>` (the live token in other shapes, other schemes, arbitrary "
    "text) authenticates nobody: never a 2xx or a 5xx",
)
def test_authorization_header_of_any_other_shape_is_refused(
    directus: DirectusClient, members: Members, budget: Profile, record_property: RecordProperty
) -> None:
    live = LiveAccessToken(directus, members.reader)

    def attempt(shape: Mutation) -> None:
        token = live.get()
        header = shape.apply(token)
        assume(not is_valid_bearer(header, token))
        expect_refused(directus.request("GET", "/users/me", headers={"Authorization": header}), f"header {shape}")

    tried = holds_for_every(AUTHORIZATION_SHAPES, REWRITTEN_SHAPES, budget.property_examples, attempt)
    record_property("examples", f"{tried} header shapes, {live.logins} genuine logins")


@check(
    "PROP-REFRESH-TOKEN-MUTATED",
    level="MUST",
    refs=(SERVICE, "v5.0.0-7.2.4"),
    title="Any mutation of a live refresh token (characters substituted, re-cased, cut or added) is refused: never a "
    "2xx or a 5xx, and the genuine token still works afterwards",
)
@pytest.mark.parametrize("mode", REFRESH_TOKEN_MODES)
def test_mutated_refresh_token_is_refused(
    directus: DirectusClient, members: Members, budget: Profile, record_property: RecordProperty, mode: Mode
) -> None:
    genuine = refresh_credential(directus, members.reader, mode)

    def attempt(mutation: Mutation) -> None:
        mutated = mutation.apply(genuine)
        assume(mutated != genuine)
        expect_refused(
            refresh_with(directus, mode, mutated).response,
            f"a refresh token mutated by {mutation}",
        )

    tried = holds_for_every(REFRESH_TOKEN_MUTATIONS, NEAR_MISSES, budget.property_examples, attempt)
    record_property("examples", f"{tried} mutated refresh tokens")
    expect_status(
        refresh_with(directus, mode, genuine).response,
        200,
        why="the genuine refresh token, after the mutations",
    )
