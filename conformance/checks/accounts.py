"""The steps the account checks share: asking for a password reset or an invitation, reading the link Directus
mailed, and using its token, as ../shared/spec/directus-auth-surfaces.md §3 describes them."""

from __future__ import annotations

import secrets

import httpx

from conformance.client import DirectusClient, error_code
from conformance.evidence import expect, received, require
from conformance.mail import Mail, Mailbox, NoMail, wait_for_mail
from conformance.redaction import register_secret
from conformance.seeding import Loader

__all__ = [
    "AUTH_CONTROLLER",
    "UNLISTED_URL",
    "USERS_SERVICE",
    "accept_invite",
    "expect_alike",
    "expect_no_user",
    "invite",
    "mailed",
    "new_password",
    "nobody",
    "request_reset",
    "reset_password",
    "user_by_email",
]

AUTH_CONTROLLER = "api/src/controllers/auth.ts"
USERS_SERVICE = "api/src/services/users.ts"
UNLISTED_URL = "https://reset.invalid/conformance"
"""A reset or invitation URL no allow list holds (PASSWORD_RESET_URL_ALLOW_LIST, USER_INVITE_URL_ALLOW_LIST)."""


def nobody() -> str:
    """An address no user has (example.com: Directus validates invitation and registration emails by their TLD)."""
    return f"nobody+{secrets.token_hex(4)}@example.com"


def new_password() -> str:
    password = secrets.token_urlsafe(18)
    register_secret(password)
    return password


def request_reset(directus: DirectusClient, email: str, reset_url: str | None = None) -> httpx.Response:
    """`POST /auth/password/request`, anonymously, as a forgotten-password form does."""
    body = {"email": email} | ({"reset_url": reset_url} if reset_url else {})
    return directus.request("POST", "/auth/password/request", json=body)


def reset_password(directus: DirectusClient, token: str, password: str) -> httpx.Response:
    return directus.request("POST", "/auth/password/reset", json={"token": token, "password": password})


def invite(directus: DirectusClient, email: str, role: str, headers: dict[str, str], **extra: str) -> httpx.Response:
    return directus.request("POST", "/users/invite", headers=headers, json={"email": email, "role": role, **extra})


def accept_invite(directus: DirectusClient, token: str, password: str) -> httpx.Response:
    return directus.request("POST", "/users/invite/accept", json={"token": token, "password": password})


def mailed(mailbox: Mailbox, address: str, count: int = 1) -> list[tuple[Mail, str]]:
    """The first `count` mails to `address` and the token of each one's link; a precondition of the check (a
    mail that never comes is the setup's fault: the target's mail transport, or --mail-api)."""
    try:
        mails = wait_for_mail(mailbox, address, count)
    except NoMail as missing:
        require(False, f"the target mails {address} ({missing})")
    return [(mail, received(mail.token, "the mail carries a link with a token", mail)) for mail in mails]


def expect_alike(registered: httpx.Response, unknown: httpx.Response) -> None:
    """A registered email got the answer (status and error code) an unknown one got: nothing tells them apart."""
    status, code = unknown.status_code, error_code(unknown)
    expect(
        (registered.status_code, error_code(registered)) == (status, code),
        f"the answer an unknown email gets, HTTP {status}{f' {code}' if code else ''}, for a registered one",
        registered,
    )


def expect_no_user(loader: Loader, email: str, response: httpx.Response) -> None:
    """Nobody with `email` exists after `response` (the admin re-reads /users)."""
    expect(user_by_email(loader, email) is None, f"no user {email} (the admin re-reads /users)", response)


def user_by_email(loader: Loader, email: str) -> dict[str, str] | None:
    """The user with this email as the admin sees it (id, status), or None."""
    found = loader.admin.get("/users", limit=1, fields="id,status", **{"filter[email][_eq]": email})
    return dict(found[0]) if found else None
