"""Two-factor authentication: with TOTP enabled, a login needs a valid one-time password."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pyotp
import pytest

from conformance.checks.steps import login
from conformance.client import DirectusClient, bearer
from conformance.evidence import expect, expect_status
from conformance.redaction import register_secret
from conformance.registry import check
from conformance.seeding import Cast, Loader, Persona

BEHAVIOUR = "Two-factor authentication"
REFS = ("/guides/auth/2fa", "api/src/services/tfa.ts")
RFC4226 = "https://www.rfc-editor.org/rfc/rfc4226#section-4"


class DirectusTOTP(pyotp.TOTP):
    """pyotp refuses secrets under 112 bits; Directus (otplib) issues 80-bit ones (see TFA-SECRET-LENGTH)."""

    min_secret_length_bits = 80

    def sent_with_code(self, send: Callable[[str], httpx.Response]) -> httpx.Response:
        """`send(code)` with the current code. Directus accepts no neighbouring window: a code refused after its
        window rolled over in flight is sent again as the new window's code (instead of waiting out a window's end)."""
        taken = time.time()
        response = send(self.at(taken))
        if response.is_error and self.window(time.time()) != self.window(taken):
            response = send(self.now())
        return response

    def window(self, at: float) -> int:
        return int(at // self.interval)


@dataclass(frozen=True)
class TfaUser:
    persona: Persona
    secret: str
    totp: DirectusTOTP


@pytest.fixture
def tfa_user(directus: DirectusClient, cast: Cast, throwaway: Callable[[], Persona], loader: Loader) -> TfaUser:
    """A throwaway user who turned TOTP on themselves: generate a secret with their password, enable it with a code.

    Members of the cast are API-only and may not update their own user, so the throwaway also gets the seed's
    "TFA self-service" grant (update of its own tfa_secret only: a policy on 11+, a role on 10.x).
    """
    if cast.tfa_grant is None:
        pytest.skip(f"TFA self-service needs a filter rule (id = $CURRENT_USER): {cast.ownership_skip_reason}")
    user = throwaway()
    loader.give_tfa_grant(user.id, cast.tfa_grant)
    access = login(directus, user).access_token
    assert access is not None
    generated = directus.request(
        "POST", "/users/me/tfa/generate", headers=bearer(access), json={"password": user.password}
    )
    expect_status(generated, 200, why="generating a TFA secret")
    secret = generated.json()["data"]["secret"]
    register_secret(secret)
    totp = DirectusTOTP(secret)
    enabled = totp.sent_with_code(
        lambda code: directus.request(
            "POST", "/users/me/tfa/enable", headers=bearer(access), json={"secret": secret, "otp": code}
        )
    )
    expect_status(enabled, (200, 204), why="enabling TFA with a valid code")
    return TfaUser(user, secret, totp)


@check(
    "TFA-OTP-REQUIRED",
    level="MUST",
    refs=REFS,
    title="With TFA enabled, a login without an OTP is refused with 401 INVALID_OTP",
)
def test_login_without_otp_is_refused(directus: DirectusClient, tfa_user: TfaUser) -> None:
    user = tfa_user.persona
    expect_status(directus.login(user.email, user.password).response, 401, "INVALID_OTP")


@check(
    "TFA-WRONG-OTP",
    level="MUST",
    refs=REFS,
    title="With TFA enabled, a login with a wrong OTP is refused with 401 INVALID_OTP",
)
def test_login_with_wrong_otp_is_refused(directus: DirectusClient, tfa_user: TfaUser) -> None:
    user, totp = tfa_user.persona, tfa_user.totp
    wrong = f"{(int(totp.now()) + 500000) % 1000000:06d}"
    expect_status(directus.login(user.email, user.password, otp=wrong).response, 401, "INVALID_OTP")


@check("TFA-VALID-OTP", level="MUST", refs=REFS, title="With TFA enabled, a login with a valid OTP succeeds")
def test_login_with_valid_otp_succeeds(directus: DirectusClient, tfa_user: TfaUser) -> None:
    user, totp = tfa_user.persona, tfa_user.totp
    answer = totp.sent_with_code(lambda code: directus.login(user.email, user.password, otp=code).response)
    expect_status(answer, 200)


@check(
    "TFA-SECRET-LENGTH",
    level="SHOULD",
    refs=(RFC4226, "api/src/services/tfa.ts"),
    title="The TOTP shared secret is at least 128 bits long (RFC 4226 §4 R6; 160 bits recommended)",
)
def test_totp_secret_is_long_enough(tfa_user: TfaUser) -> None:
    bits = len(tfa_user.totp.byte_secret()) * 8
    expect(bits >= 128, f"a secret of at least 128 bits (this one has {bits})")
