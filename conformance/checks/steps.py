"""Steps the checks share: logging a persona in, and the credentials each kind of client sends."""

from __future__ import annotations

import base64
import contextlib
import json
import secrets
from collections.abc import Callable, Iterator
from typing import Any, Literal

import httpx
import jwt
import pytest

from conformance.cast import Cast, Persona
from conformance.client import MODES as ALL_MODES
from conformance.client import DirectusClient, DirectusError, Login, Mode, bearer
from conformance.evidence import expect, expect_status, received, require_status
from conformance.needs import Need, needs
from conformance.redaction import register_secret
from conformance.seeding import Loader, run_label
from conformance.totp import DirectusTOTP
from conformance.versions import SESSION_MODE

CredentialKind = Literal["access_token", "session_cookie", "static_token"]
CREDENTIAL_KINDS = [
    pytest.param("access_token", marks=needs(Need.PASSWORD_LOGIN)),
    pytest.param("session_cookie", marks=needs(Need.PASSWORD_LOGIN, SESSION_MODE)),
    "static_token",
]
"""The kinds of credential a member's request can carry, to parametrize over (a static token needs no login)."""


def _modes(*modes: Mode) -> list[Any]:
    return [pytest.param(mode, marks=needs(SESSION_MODE)) if mode == "session" else mode for mode in modes]


MODES = _modes(*ALL_MODES)
"""The login modes, to parametrize over: session mode's instances need a Directus that has it (10.10.0+)."""
COOKIE_MODES = _modes("cookie", "session")
"""The modes whose login sets a cookie (the refresh cookie, the session cookie)."""


def login(directus: DirectusClient, persona: Persona, mode: Mode = "json") -> Login:
    """Log a persona in, as a precondition: a refused login is an error of the check, with the evidence (the checks
    of login itself judge the answer instead, see test_login)."""
    result = directus.login(persona.email, persona.password, mode)
    require_status(result.response, 200, why=f"{persona.name} logs in with the right password ({mode} mode)")
    return result


def access_token(directus: DirectusClient, persona: Persona) -> str:
    """A fresh access token of `persona`, from a json login (a precondition)."""
    answer = login(directus, persona, "json")
    return received(answer.access_token, "a json login returns an access token", answer.response)


def refresh_credential(directus: DirectusClient, persona: Persona, mode: Mode) -> str:
    """The refresh credential a fresh login of `persona` hands out in `mode` (a precondition)."""
    answer = login(directus, persona, mode)
    return received(refresh_secret(answer, mode), f"a refresh credential from the {mode} login", answer.response)


def credentials(directus: DirectusClient, persona: Persona, kind: CredentialKind) -> dict[str, str]:
    """Fresh request headers authenticating `persona` with one kind of credential, proven to work first: a refusal
    that follows is then the target's decision, not a credential that never worked (which would pass vacuously)."""
    if kind == "static_token":
        headers = bearer(persona.static_token)
    elif kind == "session_cookie":
        session = login(directus, persona, "session")
        cookie = received(
            session.cookie, f"a session login sets the {directus.session_cookie} cookie", session.response
        )
        headers = directus.session_headers(cookie.value)
    else:
        access = login(directus, persona, "json")
        headers = bearer(received(access.access_token, "a json login returns an access token", access.response))
    expect_user(whoami(directus, headers), persona, f"{persona.name}'s {kind.replace('_', ' ')}")
    return headers


def claims_of(token: str) -> dict[str, Any]:
    """A JWT's claims, read without verifying it (to learn `exp`, or to forge from)."""
    return dict(jwt.decode(token, options={"verify_signature": False}))


def forge(token: str, how: str) -> str:
    """A token the target issued, altered: re-signed with another key, `alg: none`, or claims edited in place."""
    claims = claims_of(token)
    if how == "re-signed with another key":
        return jwt.encode(claims, secrets.token_hex(32), algorithm="HS256")
    if how == "alg none":
        return jwt.encode(claims, "", algorithm="none")
    header, _, signature = token.split(".")
    edited = base64.urlsafe_b64encode(json.dumps({**claims, "admin_access": True}).encode()).rstrip(b"=").decode()
    return f"{header}.{edited}.{signature}"


def whoami(directus: DirectusClient, headers: dict[str, str]) -> httpx.Response:
    return directus.request("GET", "/users/me", headers=headers, params={"fields": "id"})


def expect_user(response: httpx.Response, persona: Persona, how: str) -> None:
    """The request authenticated as exactly `persona`."""
    expect_status(response, 200, why=f"{how} authenticates")
    expect(response.json()["data"]["id"] == persona.id, f"{how} authenticates as {persona.name}", response)


def as_admin(directus: DirectusClient, loader: Loader, path: str, **params: str) -> httpx.Response:
    """What the admin reads at `path` (the state a check compares with, or asks about as the most privileged)."""
    return directus.request("GET", path, headers=bearer(loader.admin.token()), params=params)


def set_static_token(loader: Loader, persona: Persona, token: str | None) -> None:
    """The admin sets (or, with None, removes) `persona`'s static token."""
    loader.admin.call("PATCH", f"/users/{persona.id}", action="set a static token", json={"token": token})


def an_admin(cast: Cast) -> Persona:
    """The cast's admin: an author whose posts no check lists exactly."""
    return received(next((p for p in cast.personas.values() if p.is_admin), None), "an admin in the cast")


@contextlib.contextmanager
def post_by(loader: Loader, cast: Cast, author: Persona, title: str | None = None) -> Iterator[int]:
    """A post by `author` (titled `title`, or as a draft of theirs), made by the admin for the check's duration (and
    deleted after, unless a faulty server let a member delete it already): a post no seeded list holds."""
    post = loader.admin.call(
        "POST",
        f"/items/{cast.collection}",
        action=f"create a post by {author.name}",
        json={"title": title or f"{author.name}'s draft {cast.run_tag}", "author": author.id},
    )
    try:
        yield int(post["id"])
    finally:
        with contextlib.suppress(DirectusError):
            loader.admin.call("DELETE", f"/items/{cast.collection}/{post['id']}", action="delete the draft")


NO_SEAT_LEFT = (
    "the target's licence has no seat left for another app user (LIMIT_EXCEEDED: 12.x's Core tier has 3, the admins "
    "and the run's other app users included)"
)


@contextlib.contextmanager
def user_holding(loader: Loader, *grants: str) -> Iterator[Persona]:
    """A throwaway user with no role, whose access is `grants` alone (a policy each on 11+; on 10.x one role); the
    user, then the grants, are deleted after. SKIP where the target's licence has no seat left for the user."""
    user = loader.create_throwaway(None)
    try:
        for grant in grants:
            try:
                loader.give_grant(user.id, grant)
            except DirectusError as error:
                if error.code == "LIMIT_EXCEEDED":
                    pytest.skip(NO_SEAT_LEFT)
                raise
        yield user
    finally:
        loader.delete_user(user.id)
        for grant in grants:
            loader.access.delete_grant(grant)


OWN_FILES = {"uploaded_by": {"_eq": "$CURRENT_USER"}}
OWN_FILES_ONLY: list[dict[str, Any]] = [
    {"collection": "directus_files", "action": "create"},
    {"collection": "directus_files", "action": "read", "permissions": OWN_FILES},
    {"collection": "directus_files", "action": "update", "permissions": OWN_FILES},
]


@contextlib.contextmanager
def uploader(loader: Loader) -> Iterator[Persona]:
    """A throwaway user who may upload files, and read and update their own (`uploaded_by` = themselves) only."""
    grant = loader.access.grant(f"uploader-{loader.tag}-{secrets.token_hex(3)}", OWN_FILES_ONLY)
    with user_holding(loader, grant) as user:
        yield user


@contextlib.contextmanager
def user_in_a_role_holding(loader: Loader, grant: str, name: str) -> Iterator[tuple[Persona, str]]:
    """A throwaway user whose role, called `name`, holds `grant` alone (on 10.x the grant is that role); gives the
    user and the role. The user, the role, then the grant are deleted after."""
    role = loader.access.role_holding(grant, name)
    try:
        user = loader.create_throwaway(role)
        try:
            yield user, role
        finally:
            loader.delete_user(user.id)
    finally:
        loader.access.delete_role_holding(role)
        loader.access.delete_grant(grant)


@contextlib.contextmanager
def admin_file(loader: Loader, content: bytes) -> Iterator[str]:
    """A text file the admin uploads (and deletes after): its id."""
    name, title = f"conformance-{loader.tag}.txt", run_label(loader.tag)
    uploaded = loader.admin.call(
        "POST", "/files", action="upload a file", data={"title": title}, files={"file": (name, content, "text/plain")}
    )
    try:
        yield str(uploaded["id"])
    finally:
        loader.admin.call("DELETE", f"/files/{uploaded['id']}", action="delete the uploaded file")


def expect_file_kept(
    directus: DirectusClient,
    loader: Loader,
    file: str,
    contents: tuple[bytes, bytes],
    response: httpx.Response,
    after: str,
) -> None:
    """The admin's `file` still holds its original bytes, not the caller's (`contents`: the two), as the admin
    downloads it afresh `after` the caller's request (`response`, the evidence)."""
    original, marker = contents
    stored = directus.request(
        "GET", f"/assets/{file}", headers=bearer(loader.admin.token()), params={"download": secrets.token_hex(4)}
    )
    seen = "the caller's bytes" if stored.content == marker else f"HTTP {stored.status_code}, other bytes"
    expect(
        stored.status_code == 200 and stored.content == original,
        f"the admin's file still holds its original bytes {after} (read: {seen})",
        response,
    )


def new_title(cast: Cast) -> str:
    """A title no post has yet, with the run's label (what a check's create is found by)."""
    return f"{run_label(cast.run_tag)} {secrets.token_hex(4)}"


@contextlib.contextmanager
def posts_titled(
    directus: DirectusClient, cast: Cast, loader: Loader, title: str
) -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """What the admin finds titled `title` (the posts a create made, whoever they went to), deleted after."""

    def found() -> list[dict[str, Any]]:
        response = as_admin(
            directus, loader, f"/items/{cast.collection}", fields="id,author", **{"filter[title][_eq]": title}
        )
        return list(response.json()["data"])

    try:
        yield found
    finally:
        for post in found():
            loader.admin.call("DELETE", f"/items/{cast.collection}/{post['id']}", action="delete a written post")


def list_posts(directus: DirectusClient, cast: Cast, headers: dict[str, str], **params: str) -> httpx.Response:
    return directus.request("GET", f"/items/{cast.collection}", headers=headers, params={"limit": "-1", **params})


def refresh_secret(result: Login, mode: Mode) -> str | None:
    """The refresh credential a login or refresh handed out: the body token (json) or the cookie value."""
    if mode == "json":
        return result.refresh_token
    return result.cookie.value if result.cookie else None


def refresh_with(directus: DirectusClient, mode: Mode, secret: str | None) -> Login:
    """Refresh with a credential where its mode carries it: the body (json) or the cookie (cookie, session)."""
    return directus.refresh(mode, refresh_token=secret if mode == "json" else None, cookie=secret)


def logout_with(directus: DirectusClient, mode: Mode, secret: str) -> httpx.Response:
    return directus.logout(mode, refresh_token=secret if mode == "json" else None, cookie=secret)


def turn_on_tfa(directus: DirectusClient, cast: Cast, loader: Loader, user: Persona) -> DirectusTOTP:
    """`user` turns TOTP on themselves: generates a secret with their password, enables it with a code.

    Members of the cast are API-only and may not update their own user, so the user first gets the seed's
    "TFA self-service" grant (update of its own tfa_secret only: a policy on 11+, a role on 10.x; a custom rule,
    hence Need.CUSTOM_RULES for whoever calls this)."""
    loader.give_grant(user.id, received(cast.tfa_grant, "the seed's TFA self-service grant"))
    return enable_totp(directus, user)


def enable_totp(directus: DirectusClient, user: Persona) -> DirectusTOTP:
    """`user`, who may store their own TOTP secret, turns TOTP on: generates a secret with their password, enables
    it with a code."""
    access = access_token(directus, user)
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
    return totp
