"""Hypothesis strategies of mutations of credentials the target issued: access JWTs, refresh tokens, header shapes.

A strategy draws a *recipe* (which bit to flip, where to cut, which claim to edit…), applied to a live token only
inside the check: the token is renewed while a property runs, and a falsifying example then names the recipe, never
the token. Only tokens are mutated, never passwords: nothing here guesses a credential.
"""

from __future__ import annotations

import base64
import binascii
import json
import string
from dataclasses import dataclass
from typing import Any, Protocol

import jwt
from hypothesis import strategies as st

TOKEN_ALPHABET = string.ascii_letters + string.digits + "-_"
HEADER_TEXT = st.text(alphabet=string.ascii_letters + string.digits + string.punctuation + " ", max_size=60)
EDITABLE_CLAIMS = ("id", "role", "admin_access", "app_access", "exp", "session")
SEGMENTS = ("header", "claims", "signature")


class Mutation(Protocol):
    def apply(self, token: str) -> str: ...


def b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def decoded(token: str) -> tuple[bytes, ...] | str:
    """What a JWT encodes, segment by segment; the text itself when it is not three base64url segments."""
    try:
        return tuple(b64decode(part) for part in token.split(".")) if token.count(".") == 2 else token
    except (binascii.Error, ValueError):
        return token


def differs(mutated: str, token: str) -> bool:
    """A real mutation: another spelling of the same bytes (non-canonical base64) does not count."""
    return decoded(mutated) != decoded(token)


# --- access tokens (JWTs) -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlipBit:
    segment: str
    byte: int
    bit: int

    def apply(self, token: str) -> str:
        parts = token.split(".")
        index = SEGMENTS.index(self.segment)
        data = bytearray(b64decode(parts[index]))
        data[self.byte % len(data)] ^= 1 << self.bit
        parts[index] = b64encode(bytes(data))
        return ".".join(parts)


@dataclass(frozen=True)
class Truncate:
    drop: int  # characters cut from the end (at least one, at most all but one)

    def apply(self, token: str) -> str:
        return token[: max(1, len(token) - self.drop)]


@dataclass(frozen=True)
class ResignWithEditedClaim:
    """A claim set to another value (or left as it was) and the token signed with a key the target does not have."""

    claim: str
    value: Any
    alg: str
    key: bytes

    def apply(self, token: str) -> str:
        claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
        return jwt.encode({**claims, self.claim: self.value}, self.key, algorithm=self.alg)


@dataclass(frozen=True)
class ChangeAlg:
    """The header's `alg` replaced; claims and signature kept, or the signature dropped."""

    alg: str
    drop_signature: bool

    def apply(self, token: str) -> str:
        header_segment, claims_segment, signature = token.split(".")
        header = {**json.loads(b64decode(header_segment)), "alg": self.alg}
        return ".".join(
            [b64encode(json.dumps(header).encode()), claims_segment, "" if self.drop_signature else signature]
        )


ACCESS_TOKEN_MUTATIONS: st.SearchStrategy[Mutation] = st.one_of(
    st.builds(FlipBit, st.sampled_from(SEGMENTS), st.integers(0, 511), st.integers(0, 7)),
    st.builds(Truncate, st.integers(1, 400)),
    st.builds(
        ResignWithEditedClaim,
        st.sampled_from(EDITABLE_CLAIMS),
        st.one_of(st.just(True), st.integers(0, 2**33), st.text(TOKEN_ALPHABET, max_size=36), st.none()),
        st.sampled_from(["HS256", "HS384", "HS512"]),
        st.binary(min_size=64, max_size=64),
    ),
    st.builds(ChangeAlg, st.sampled_from(["none", "None", "HS384", "HS512", "RS256", "ES256", ""]), st.booleans()),
)


# --- refresh tokens ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Substitute:
    index: int
    char: str

    def apply(self, token: str) -> str:
        index = self.index % len(token)
        return token[:index] + self.char + token[index + 1 :]


@dataclass(frozen=True)
class SwapCase:
    index: int

    def apply(self, token: str) -> str:
        index = self.index % len(token)
        return token[:index] + token[index].swapcase() + token[index + 1 :]


@dataclass(frozen=True)
class Affix:
    prefix: str
    suffix: str

    def apply(self, token: str) -> str:
        return f"{self.prefix}{token}{self.suffix}"


REFRESH_TOKEN_MUTATIONS: st.SearchStrategy[Mutation] = st.one_of(
    st.builds(Substitute, st.integers(0, 255), st.sampled_from(TOKEN_ALPHABET)),
    st.builds(SwapCase, st.integers(0, 255)),
    st.builds(Truncate, st.integers(1, 255)),
    st.builds(Affix, st.text(TOKEN_ALPHABET, max_size=8), st.text(TOKEN_ALPHABET, min_size=1, max_size=8))
    | st.builds(Affix, st.text(TOKEN_ALPHABET, min_size=1, max_size=8), st.just("")),
)


# --- Authorization header shapes --------------------------------------------------------------------------------


CREDENTIAL_FORMS = ("{token}", "{token} x", "x {token}", "{token}{token}", '"{token}"', "{token},{token}")


@dataclass(frozen=True)
class HeaderShape:
    """`<scheme><separator><credential>`: the credential is the live token in some form, or arbitrary text."""

    scheme: str
    separator: str
    credential: str  # a CREDENTIAL_FORMS template, or literal text

    def apply(self, token: str) -> str:
        return f"{self.scheme}{self.separator}{self.credential.replace('{token}', token)}".strip()


def is_valid_bearer(header: str, token: str) -> bool:
    """The one shape that must work: `Bearer <token>` (scheme in any case, RFC 6750), one space."""
    parts = header.split(" ")
    return len(parts) == 2 and parts[0].lower() == "bearer" and parts[1] == token


AUTHORIZATION_SHAPES: st.SearchStrategy[Mutation] = st.builds(
    HeaderShape,
    st.sampled_from(["Bearer", "bearer", "BEARER", "Basic", "Token", "JWT", ""]) | HEADER_TEXT,
    st.sampled_from([" ", "  ", "\t", ":", "", "="]),
    st.sampled_from(CREDENTIAL_FORMS) | HEADER_TEXT,
)
