"""Public registration: whoever registers gets the role the settings name, never one of their choosing; where the
target verifies registrations by email, nobody logs in before following the mailed link, which works once; and
registering an email somebody has changes nothing of theirs."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import httpx
import pytest

from conformance.checks.accounts import (
    USERS_SERVICE,
    awaited,
    expect_no_user,
    expect_user_status,
    expired,
    from_an_address_of_its_own,
    lookalike,
    mailed,
    new_password,
    register,
    verify_registration,
)
from conformance.checks.api import (
    PUBLIC_REGISTRATION,
    Cast,
    DirectusClient,
    Loader,
    Need,
    Persona,
    Target,
    check,
    expect,
    expect_status,
    received,
    require_status,
)
from conformance.mail import Mailbox

BEHAVIOUR = "Registration"
DOCS = "/reference/system/users#register-a-new-user"
LIMIT_PROBE = 150
"""Registrations in a row from one address, by which the limiter must have refused one: above Directus's default (5
a minute) and the embedded target's (100, RATE_LIMITER_REGISTRATION_POINTS)."""


@check(
    "REGISTER-CANNOT-CHOOSE-ROLE",
    level="MUST",
    needs=(PUBLIC_REGISTRATION,),
    refs=(DOCS, USERS_SERVICE, "api/src/controllers/users.ts"),
    title="A registration that names a role (the administrators') is refused with 400 INVALID_PAYLOAD, and "
    "nobody is registered",
)
def test_registration_cannot_choose_a_role(directus: DirectusClient, cast: Cast, loader: Loader) -> None:
    email = f"registrant{secrets.token_hex(4)}+{cast.run_tag}@example.com"
    administrators = loader.admin.get("/users/me", fields="role")["role"]
    body = {"email": email, "password": new_password(), "role": administrators}
    refused = directus.request("POST", "/users/register", json=body)
    expect_status(refused, 400, "INVALID_PAYLOAD", why="a registration naming the administrators' role")
    expect_no_user(loader, email, refused)


def signed_up(directus: DirectusClient, email: str, password: str) -> httpx.Response:
    """A registration the target accepted (204): the precondition of the checks that follow it."""
    registered = register(directus, email, password)
    require_status(registered, 204, f"registering {email}")
    return registered


@check(
    "REGISTER-UNVERIFIED-CANNOT-LOG-IN",
    level="MUST",
    needs=(Need.VERIFIED_REGISTRATION, Need.PASSWORD_LOGIN),
    refs=(DOCS, USERS_SERVICE, "api/src/services/authentication.ts"),
    title="A registration the target verifies by email creates an unverified user, who cannot log in (401) before "
    "following the mailed link",
)
def test_unverified_registrant_cannot_log_in(directus: DirectusClient, loader: Loader, newcomer: str) -> None:
    password = new_password()
    expect_user_status(loader, newcomer, "unverified", signed_up(directus, newcomer, password), "once registered")
    unverified = directus.login(newcomer, password).response
    expect_status(unverified, 401, "INVALID_CREDENTIALS", why="the unverified registrant's login")


@check(
    "REGISTER-VERIFICATION-LINK-ONCE",
    level="MUST",
    needs=(Need.VERIFIED_REGISTRATION, Need.PASSWORD_LOGIN),
    refs=(DOCS, USERS_SERVICE, "api/src/controllers/users.ts"),
    title="The mailed verification link activates the registrant once (they log in); followed again it is refused "
    "with 400",
)
def test_verification_link_works_once(
    directus: DirectusClient, loader: Loader, mailbox: Mailbox, newcomer: str
) -> None:
    password = new_password()
    signed_up(directus, newcomer, password)
    [(_, token)] = mailed(mailbox, newcomer)
    require_status(verify_registration(directus, token), 302, "following the mailed verification link")
    expect_status(directus.login(newcomer, password).response, 200, why="the verified registrant logs in")
    expect_status(verify_registration(directus, token), 400, "INVALID_PAYLOAD", why="the link followed again")


@check(
    "REGISTER-EXPIRED-LINK-REFUSED",
    level="MUST",
    needs=(Need.VERIFIED_REGISTRATION, Need.SIGNING_SECRET),
    refs=(DOCS, USERS_SERVICE, "api/src/utils/jwt.ts"),
    title="A verification link past its expiry (EMAIL_VERIFICATION_TOKEN_TTL) is refused with 401 TOKEN_EXPIRED, "
    "and the registrant stays unverified",
)
def test_expired_verification_link_is_refused(
    directus: DirectusClient, target: Target, loader: Loader, mailbox: Mailbox, newcomer: str
) -> None:
    signed_up(directus, newcomer, new_password())
    [(_, token)] = mailed(mailbox, newcomer)
    refused = verify_registration(directus, expired(token, target))
    expect_status(refused, 401, "TOKEN_EXPIRED", why="the mailed verification link, an hour past its expiry")
    expect_user_status(loader, newcomer, "unverified", refused, "after the expired link")


@pytest.fixture
def newcomer_lookalike(loader: Loader, newcomer: str) -> Iterator[str]:
    """The newcomer's address with an accent on one letter; whoever registered with it is deleted after."""
    variant = lookalike(newcomer)
    yield variant
    loader.delete_user_with(variant)  # under an accent-insensitive collation, the newcomer (also deleted after)


@check(
    "REGISTER-LOOKALIKE-ADDRESS-VERIFIES-NOBODY-ELSE",
    level="MUST",
    needs=(Need.VERIFIED_REGISTRATION,),
    refs=(DOCS, USERS_SERVICE, "GHSA-8xp8-xrh2-88vr"),
    title="A registration for a look-alike of a pending registrant's address (an accent on one letter) mails no "
    "link that verifies the pending registrant",
)
def test_lookalike_registration_verifies_nobody_else(
    directus: DirectusClient, loader: Loader, mailbox: Mailbox, newcomer: str, newcomer_lookalike: str
) -> None:
    signed_up(directus, newcomer, new_password())
    mailed(mailbox, newcomer)
    signed_up(directus, newcomer_lookalike, new_password())
    # a second mail to the registrant (re-sent where the look-alike matched it), or one to the look-alike
    to_variant = awaited(mailbox, {newcomer: 2, newcomer_lookalike: 1})[newcomer_lookalike]
    for mail in to_variant:
        followed = verify_registration(directus, received(mail.token, "the mail carries a link with a token", mail))
        expect_user_status(loader, newcomer, "unverified", followed, f"after the link to {newcomer_lookalike}")


@check(
    "REGISTER-EXISTING-EMAIL-CHANGES-NOTHING",
    level="MUST",
    needs=(Need.OPEN_REGISTRATION, Need.PASSWORD_LOGIN),
    refs=(DOCS, USERS_SERVICE),
    title="Registering a registered email with another password is answered as for a new one (204) and changes "
    "nothing: the user's own password still logs in, the registrant's does not",
)
def test_registering_an_existing_email_changes_nothing(
    directus: DirectusClient, throwaway: Callable[[], Persona]
) -> None:
    user = throwaway()
    taken_over = new_password()
    answered = register(directus, user.email, taken_over)
    expect_status(answered, 204, why="a registration of a registered email (as for a new one)")
    expect_status(directus.login(user.email, user.password).response, 200, why="the user's own password")
    refused = directus.login(user.email, taken_over).response
    expect_status(refused, 401, "INVALID_CREDENTIALS", why="a login with the registrant's password")


@check(
    "REGISTER-LIMITER-HOLDS",
    level="SHOULD",  # RATE_LIMITER_REGISTRATION_ENABLED=false is a documented setting
    needs=(PUBLIC_REGISTRATION, Need.OWN_ADDRESS),
    refs=(DOCS, "api/src/middleware/rate-limiter-registration.ts"),
    title=f"Registrations from one address are limited: within {LIMIT_PROBE} in a row, one is refused with 429 and "
    "a Retry-After",
)
def test_registration_limiter_holds(target: Target) -> None:
    with from_an_address_of_its_own(target) as own:
        for _ in range(LIMIT_PROBE):  # each without an email: nobody registers, and the limiter counts it all the same
            answered = own.post("/users/register", json={})
            if answered.status_code == 429:
                break
    expect(
        answered.status_code == 429 and "retry-after" in answered.headers,
        f"429 with a Retry-After within {LIMIT_PROBE} registrations from one address (the registration limiter: "
        "RATE_LIMITER_REGISTRATION_ENABLED, on by default; _POINTS and _DURATION set how many a while)",
        answered,
    )
