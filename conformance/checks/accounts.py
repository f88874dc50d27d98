"""The steps the account checks share: asking for a password reset or an invitation, reading the link Directus
mailed, and using its token, as ../shared/spec/directus-auth-surfaces.md §3 describes them."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import Any

import httpx
import jwt

from conformance.client import DirectusClient, error_code, tls_context
from conformance.config import Target
from conformance.evidence import expect, received, require
from conformance.mail import Mail, Mailbox, NoMail, wait_for_any
from conformance.redaction import register_secret
from conformance.seeding import Loader

__all__ = [
    "AUTH_CONTROLLER",
    "UNLISTED_URL",
    "USERS_SERVICE",
    "accept_invite",
    "awaited",
    "expect_alike",
    "expect_no_user",
    "expect_user_status",
    "expired",
    "from_an_address_of_its_own",
    "invite",
    "lookalike",
    "mailed",
    "new_password",
    "nobody",
    "register",
    "request_reset",
    "reset_password",
    "signed_expired",
    "verify_registration",
]

AUTH_CONTROLLER = "api/src/controllers/auth.ts"
USERS_SERVICE = "api/src/services/users.ts"
UNLISTED_URL = "https://reset.invalid/conformance"
"""A reset or invitation URL no allow list holds (PASSWORD_RESET_URL_ALLOW_LIST, USER_INVITE_URL_ALLOW_LIST)."""


def nobody() -> str:
    """An address no user has (example.com: Directus validates invitation and registration emails by their TLD)."""
    return f"nobody+{secrets.token_hex(4)}@example.com"


ACCENTED = {"o": "ö", "e": "é", "a": "à", "u": "ü", "i": "ï"}


def lookalike(email: str) -> str:
    """The address with an accent on the first vowel of its local part (`thröwaway1@…`): another address, unless
    the database compares emails accent-insensitively (MySQL and MariaDB's `*_ci` collations)."""
    local, _, domain = email.partition("@")
    at = next(i for i, letter in enumerate(local) if letter in ACCENTED)
    return f"{local[:at]}{ACCENTED[local[at]]}{local[at + 1 :]}@{domain}"


def new_password() -> str:
    password = secrets.token_urlsafe(18)
    register_secret(password)
    return password


def from_an_address_of_its_own(target: Target) -> httpx.Client:
    """A client sending from a loopback address nobody else uses (127.x.y.z; applicability: Need.OWN_ADDRESS), so
    that what a per-address limiter counts against it is counted against no other check."""
    address = ".".join(["127", *(str(secrets.randbelow(254) + 1) for _ in range(3))])
    transport = httpx.HTTPTransport(local_address=address, verify=tls_context(target.verify))
    return httpx.Client(base_url=target.base_url, transport=transport, timeout=15)


def request_reset(directus: DirectusClient, email: str, reset_url: str | None = None) -> httpx.Response:
    """`POST /auth/password/request`, anonymously, as a forgotten-password form does."""
    body = {"email": email} | ({"reset_url": reset_url} if reset_url else {})
    return directus.request("POST", "/auth/password/request", json=body)


def reset_password(directus: DirectusClient, token: str, password: str) -> httpx.Response:
    return directus.request("POST", "/auth/password/reset", json={"token": token, "password": password})


def register(directus: DirectusClient, email: str, password: str) -> httpx.Response:
    """`POST /users/register`, anonymously, as a sign-up form does."""
    return directus.request("POST", "/users/register", json={"email": email, "password": password})


def verify_registration(directus: DirectusClient, token: str) -> httpx.Response:
    """Following the mailed verification link (`GET /users/register/verify-email?token=…`), its redirect not
    followed."""
    return directus.request("GET", "/users/register/verify-email", params={"token": token})


def invite(directus: DirectusClient, email: str, role: str, headers: dict[str, str], **extra: str) -> httpx.Response:
    return directus.request("POST", "/users/invite", headers=headers, json={"email": email, "role": role, **extra})


def accept_invite(directus: DirectusClient, token: str, password: str) -> httpx.Response:
    return directus.request("POST", "/users/invite/accept", json={"token": token, "password": password})


def mailed(mailbox: Mailbox, address: str, count: int = 1) -> list[tuple[Mail, str]]:
    """The first `count` mails to `address` and the token of each one's link; a precondition of the check (a
    mail that never comes is the setup's fault: the target's mail transport, or --mail-api)."""
    mails = awaited(mailbox, {address: count})[address][:count]
    return [(mail, received(mail.token, "the mail carries a link with a token", mail)) for mail in mails]


def awaited(mailbox: Mailbox, wanted: Mapping[str, int]) -> dict[str, list[Mail]]:
    """The mails to each address of `wanted` once one of them has had its count (`mail.wait_for_any`); a
    precondition of the check, like `mailed`."""
    try:
        mails = wait_for_any(mailbox, wanted)
    except NoMail as missing:
        require(False, f"the target mails {' or '.join(wanted)} ({missing})")
    return mails


def expired(token: str, target: Target) -> str:
    """The target's own mailed token, re-signed with its SECRET as it would be an hour after it expired: a link
    from the day before yesterday, without waiting for it."""
    assert target.signing_secret is not None  # applicability: Need.SIGNING_SECRET
    try:
        claims = jwt.decode(token, target.signing_secret, algorithms=["HS256"], issuer="directus")
    except jwt.InvalidTokenError as wrong:
        require(False, f"the mailed token verifies with the given --signing-secret ({wrong})")
    return signed_expired(claims, target)


def signed_expired(claims: dict[str, Any], target: Target) -> str:
    """`claims` signed with the target's SECRET, issued two days ago and expired an hour ago."""
    assert target.signing_secret is not None  # applicability: Need.SIGNING_SECRET
    now = int(time.time())
    stale = {**claims, "iss": "directus", "iat": now - 2 * 86400, "exp": now - 3600}
    token = jwt.encode(stale, target.signing_secret, algorithm="HS256")
    register_secret(token)
    return token


def expect_alike(registered: httpx.Response, unknown: httpx.Response) -> None:
    """A registered email got the answer (status and error code) an unknown one got: nothing tells them apart."""
    status, code = unknown.status_code, error_code(unknown)
    expect(
        (registered.status_code, error_code(registered)) == (status, code),
        f"the answer an unknown email gets, HTTP {status}{f' {code}' if code else ''}, for a registered one",
        registered,
    )


def expect_user_status(loader: Loader, email: str, status: str, response: httpx.Response, when: str) -> None:
    """The user with `email` is `status` (the admin re-reads /users) `when`."""
    seen = (loader.find_user(email) or {}).get("status")
    expect(seen == status, f"{email} {status} {when} (the admin reads: {seen})", response)


def expect_no_user(loader: Loader, email: str, response: httpx.Response) -> None:
    """Nobody with `email` exists after `response` (the admin re-reads /users)."""
    expect(loader.find_user(email) is None, f"no user {email} (the admin re-reads /users)", response)
