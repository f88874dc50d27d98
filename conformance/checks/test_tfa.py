"""Two-factor authentication: with TOTP enabled, a login needs a valid one-time password."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import pytest

from conformance.checks.api import (
    Cast,
    DirectusClient,
    DirectusTOTP,
    Loader,
    Need,
    Persona,
    check,
    expect,
    expect_status,
    require_status,
    turn_on_tfa,
)

BEHAVIOUR = "Two-factor authentication"
REFS = ("/guides/auth/2fa", "api/src/services/tfa.ts")
NEEDS = (Need.CUSTOM_RULES,)  # TFA self-service: a rule that lets users update their own tfa_secret
RFC4226 = "https://www.rfc-editor.org/rfc/rfc4226#section-4"


@dataclass(frozen=True)
class TfaUser:
    persona: Persona
    secret: str
    totp: DirectusTOTP


@pytest.fixture
def tfa_user(directus: DirectusClient, cast: Cast, throwaway: Callable[[], Persona], loader: Loader) -> TfaUser:
    """A throwaway user who turned TOTP on themselves."""
    user = throwaway()
    totp = turn_on_tfa(directus, cast, loader, user)
    return TfaUser(user, totp.secret, totp)


@check(
    "TFA-OTP-REQUIRED",
    level="MUST",
    needs=NEEDS,
    refs=REFS,
    title="With TFA enabled, a login without an OTP is refused with 401 INVALID_OTP",
)
def test_login_without_otp_is_refused(directus: DirectusClient, tfa_user: TfaUser) -> None:
    user = tfa_user.persona
    expect_status(directus.login(user.email, user.password).response, 401, "INVALID_OTP")


@check(
    "TFA-WRONG-OTP",
    level="MUST",
    needs=NEEDS,
    refs=REFS,
    title="With TFA enabled, a login with a wrong OTP is refused with 401 INVALID_OTP",
)
def test_login_with_wrong_otp_is_refused(directus: DirectusClient, tfa_user: TfaUser) -> None:
    user, totp = tfa_user.persona, tfa_user.totp
    wrong = f"{(int(totp.now()) + 500000) % 1000000:06d}"
    expect_status(directus.login(user.email, user.password, otp=wrong).response, 401, "INVALID_OTP")


@check(
    "TFA-VALID-OTP",
    level="MUST",
    needs=NEEDS,
    refs=REFS,
    title="With TFA enabled, a login with a valid OTP succeeds",
)
def test_login_with_valid_otp_succeeds(directus: DirectusClient, tfa_user: TfaUser) -> None:
    user, totp = tfa_user.persona, tfa_user.totp
    answer = totp.sent_with_code(lambda code: directus.login(user.email, user.password, otp=code).response)
    expect_status(answer, 200)


@check(
    "TFA-SECRET-LENGTH",
    level="SHOULD",
    needs=NEEDS,
    refs=(RFC4226, "api/src/services/tfa.ts"),
    title="The TOTP shared secret is at least 128 bits long (RFC 4226 §4 R6; 160 bits recommended)",
)
def test_totp_secret_is_long_enough(tfa_user: TfaUser) -> None:
    bits = len(tfa_user.totp.byte_secret()) * 8
    expect(bits >= 128, f"a secret of at least 128 bits (this one has {bits})")


def replayed_login(
    directus: DirectusClient, user: Persona, totp: DirectusTOTP
) -> tuple[httpx.Response, httpx.Response]:
    """A login with the current code, and the same code again at once, both within the code's 30 s window (tried
    again in the next window when the first pair straddled two)."""
    for _ in range(2):
        taken = time.time()
        code = totp.at(taken)
        first = directus.login(user.email, user.password, otp=code).response
        again = directus.login(user.email, user.password, otp=code).response
        if totp.window(time.time()) == totp.window(taken):
            break
    return first, again


@check(
    "TFA-OTP-SINGLE-USE",
    level="SHOULD",
    needs=NEEDS,
    refs=(*REFS, "https://github.com/OWASP/ASVS/blob/v4.0.3/4.0/en/0x11-V2-Authentication.md#v28"),
    title="A one-time password that logged in once is refused when replayed in the same window (ASVS 2.8.4)",
)
def test_one_time_password_is_used_once(directus: DirectusClient, tfa_user: TfaUser) -> None:
    first, again = replayed_login(directus, tfa_user.persona, tfa_user.totp)
    require_status(first, 200, "a login with a valid OTP")
    expect_status(again, 401, "INVALID_OTP", why="the same OTP, replayed within its window")
