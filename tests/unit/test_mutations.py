"""The credential mutations: each recipe really changes what a token encodes, and never shows the token."""

from __future__ import annotations

import jwt
from hypothesis import given

from conformance.mutations import (
    ACCESS_TOKEN_MUTATIONS,
    AUTHORIZATION_SHAPES,
    REFRESH_TOKEN_MUTATIONS,
    Affix,
    ChangeAlg,
    FlipBit,
    HeaderShape,
    Mutation,
    Truncate,
    b64encode,
    differs,
    is_valid_bearer,
)
from conformance.profiles import examples

TOKEN = jwt.encode({"id": "u1", "role": "r1", "app_access": False, "admin_access": False, "iss": "directus"}, "k" * 32)
REFRESH = "Abc-_0123456789" * 4


def test_a_flipped_bit_changes_the_encoded_bytes() -> None:
    flipped = FlipBit("claims", byte=3, bit=0).apply(TOKEN)
    assert flipped != TOKEN and differs(flipped, TOKEN)
    assert flipped.split(".")[0] == TOKEN.split(".")[0] and flipped.split(".")[2] == TOKEN.split(".")[2]


def test_another_spelling_of_the_same_bytes_is_no_mutation() -> None:
    header, claims, signature = TOKEN.split(".")
    assert not differs(f"{header}.{claims}.{signature}", TOKEN)
    assert not differs(f"{header}.{b64encode(jwt.utils.base64url_decode(claims))}.{signature}", TOKEN)


def test_alg_none_keeps_the_claims() -> None:
    forged = ChangeAlg("none", drop_signature=True).apply(TOKEN)
    assert forged.endswith(".") and jwt.get_unverified_header(forged)["alg"] == "none"
    assert jwt.decode(forged, options={"verify_signature": False})["id"] == "u1"


def test_the_recipes_repr_never_contains_the_token() -> None:
    for recipe in (
        FlipBit("signature", 1, 2),
        Truncate(5),
        ChangeAlg("HS512", False),
        HeaderShape("Token", " ", "{token}"),
    ):
        assert TOKEN not in repr(recipe)


@given(mutation=ACCESS_TOKEN_MUTATIONS)
@examples(200)
def test_access_token_mutations_apply_to_any_token(mutation: Mutation) -> None:
    assert isinstance(mutation.apply(TOKEN), str)


@given(mutation=REFRESH_TOKEN_MUTATIONS)
@examples(200)
def test_refresh_token_mutations_always_change_the_token(mutation: Mutation) -> None:
    mutated = mutation.apply(REFRESH)
    assert mutated != REFRESH or not isinstance(mutation, (Affix, Truncate))


@given(shape=AUTHORIZATION_SHAPES)
@examples(200)
def test_header_shapes_are_sendable(shape: Mutation) -> None:
    value = shape.apply(TOKEN)
    assert value == value.strip() and "\n" not in value and value.isascii()


def test_only_bearer_and_one_space_is_the_valid_shape() -> None:
    assert is_valid_bearer(f"Bearer {TOKEN}", TOKEN) and is_valid_bearer(f"bearer {TOKEN}", TOKEN)
    assert not is_valid_bearer(f"Bearer  {TOKEN}", TOKEN)
    assert not is_valid_bearer(f"Token {TOKEN}", TOKEN)
    assert not is_valid_bearer(TOKEN, TOKEN)
