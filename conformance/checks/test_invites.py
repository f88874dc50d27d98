"""Invitations: only those who may create users invite, nobody learns who is registered by trying, and an
invitation's token is accepted once."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from conformance.checks.accounts import (
    UNLISTED_URL,
    USERS_SERVICE,
    accept_invite,
    expect_alike,
    expect_no_user,
    invite,
    mailed,
    new_password,
    nobody,
)
from conformance.checks.api import (
    Cast,
    DirectusClient,
    Loader,
    Need,
    Persona,
    bearer,
    check,
    expect_status,
    require_status,
)
from conformance.mail import Mailbox

BEHAVIOUR = "Invitations"
DOCS = "/reference/system/users#invite-a-new-user"
CONTROLLER = "api/src/controllers/users.ts"


@check(
    "INVITE-ANONYMOUS-CREATES-NOTHING",
    level="MUST",
    refs=(DOCS, USERS_SERVICE),
    title="An anonymous invitation creates no user (refused with 403, or 204 with nothing done)",
)
def test_anonymous_invite_creates_nobody(directus: DirectusClient, cast: Cast, loader: Loader, newcomer: str) -> None:
    answered = invite(directus, newcomer, cast.member_role_id, headers={})
    expect_status(answered, (204, 403), why="an invitation by nobody")
    expect_no_user(loader, newcomer, answered)


@check(
    "INVITE-ANONYMOUS-NO-ENUMERATION",
    level="SHOULD",
    refs=(CONTROLLER, USERS_SERVICE),
    title="An anonymous invitation is answered alike for a registered and an unknown email",
)
def test_anonymous_invite_does_not_tell_who_is_registered(
    directus: DirectusClient, throwaway: Callable[[], Persona]
) -> None:
    role = str(uuid.uuid4())  # any role: the answer must not depend on the email
    expect_alike(invite(directus, throwaway().email, role, headers={}), invite(directus, nobody(), role, headers={}))


@check(
    "INVITE-ACCEPT-ONCE",
    level="MUST",
    needs=(Need.PASSWORD_LOGIN,),  # the invitee logs in with the password they chose
    refs=(DOCS, USERS_SERVICE),
    title="The mailed invitation token is accepted once (204: the invitee logs in); accepted again it is refused "
    "with 400 (INVALID_INVITE; INVALID_PAYLOAD on 10.x)",
)
def test_invitation_is_accepted_once(
    directus: DirectusClient, cast: Cast, loader: Loader, mailbox: Mailbox, newcomer: str
) -> None:
    admin = bearer(loader.admin.token())
    require_status(invite(directus, newcomer, cast.member_role_id, admin), 204, "the admin invites a new address")
    [(_, token)] = mailed(mailbox, newcomer)
    password = new_password()
    expect_status(accept_invite(directus, token, password), 204, why="accepting the mailed invitation")
    expect_status(directus.login(newcomer, password).response, 200, why="the invitee logs in")
    accepted_again = accept_invite(directus, token, new_password())
    expect_status(accepted_again, 400, ("INVALID_INVITE", "INVALID_PAYLOAD"), why="the invitation accepted again")


@check(
    "INVITE-UNLISTED-URL-REFUSED",
    level="MUST",
    refs=(DOCS, USERS_SERVICE),
    title="An invitation link to a URL outside USER_INVITE_URL_ALLOW_LIST is refused with 400, and nobody is invited",
)
def test_invitation_to_an_unlisted_url_is_refused(
    directus: DirectusClient, cast: Cast, loader: Loader, newcomer: str
) -> None:
    admin = bearer(loader.admin.token())
    refused = invite(directus, newcomer, cast.member_role_id, admin, invite_url=UNLISTED_URL)
    expect_status(refused, 400, "INVALID_PAYLOAD", why="an invitation link to an unlisted URL")
    expect_no_user(loader, newcomer, refused)
