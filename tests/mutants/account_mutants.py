"""The account mutants: realistic ways password reset, invitations, registration, the login-attempt limit and
address-limited policies break (many as older Directus releases had them). Each names the checks that must catch
it, and no others."""

from __future__ import annotations

import secrets
import threading
import time
import unicodedata
from typing import Any

import httpx
import jwt

from tests.mutants.exchange import ProxyRequest, Upstream, unverified_claims
from tests.mutants.proxy import Described, error, respond

__all__ = ["ACCOUNT_MUTANTS"]

RESET_REQUEST, RESET = "/auth/password/request", "/auth/password/reset"
INVITE, ACCEPT = "/users/invite", "/users/invite/accept"
REGISTER, VERIFY = "/users/register", "/users/register/verify-email"


def body_of(request: ProxyRequest) -> dict[str, Any]:
    body = request.json()
    return body if isinstance(body, dict) else {}


def registered(upstream: Upstream, email: Any) -> dict[str, Any] | None:
    """The user with this email (id, status), as the admin sees it."""
    params = {"filter[email][_eq]": str(email), "fields": "id,status", "limit": "1"}
    found = upstream.admin("GET", "/users", params=params).json().get("data") or []
    return dict(found[0]) if found else None


def scope_of(token: Any) -> str | None:
    """A JWT's `scope` claim, read without verifying it (None: no JWT, or no scope)."""
    scope = unverified_claims(token).get("scope")
    return str(scope) if scope is not None else None


class RemembersAcceptedTokens(Described):
    """Remembers the tokens `path` accepted (204)."""

    path: str

    def __init__(self) -> None:
        self.used: set[str] = set()
        self.lock = threading.Lock()

    def accepted_before(self, request: ProxyRequest) -> bool:
        with self.lock:
            return request.path == self.path and body_of(request).get("token") in self.used

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        if request.path == self.path and response.status_code == 204:
            with self.lock:
                self.used.add(str(body_of(request).get("token")))
        return response


class UsedOnce(RemembersAcceptedTokens):
    """A token `path` accepted before is accepted again, unforwarded."""

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        return respond(204) if self.accepted_before(request) else request


class ResetTokenReusable(UsedOnce):
    name = "reset-token-reusable"
    behaviour = "Password reset"
    description = "a reset token works again after it was used (single use not enforced)"
    expected = frozenset({"RESET-TOKEN-SINGLE-USE"})
    path = RESET


class InvitationReusable(UsedOnce):
    name = "invitation-reusable"
    behaviour = "Invitations"
    description = "an invitation token is accepted again after it was accepted"
    expected = frozenset({"INVITE-ACCEPT-ONCE"})
    path = ACCEPT


class ResetRequestTellsRegistered(Described):
    name = "reset-request-tells-registered"
    behaviour = "Password reset"
    description = (
        "an unlisted reset URL is refused (400) for registered emails only, unknown ones get 204: the user lookup "
        "before the URL check (Directus < 11.14.1, GHSA-jr94)"
    )
    expected = frozenset({"RESET-REQUEST-NO-ENUMERATION"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        body = body_of(request)
        if request.path == RESET_REQUEST and body.get("reset_url") and registered(upstream, body.get("email")) is None:
            return respond(204)
        return request


class ResetRequestSlowForRegistered(Described):
    name = "reset-request-slow-for-registered"
    behaviour = "Password reset"
    description = "a reset request for a registered email takes 600 ms longer (the mail sent before answering)"
    expected = frozenset({"RESET-REQUEST-TIMING-ALIKE"})

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        if request.path == RESET_REQUEST and registered(upstream, body_of(request).get("email")) is not None:
            time.sleep(0.6)
        return response


class SupersededResetTokenAccepted(RemembersAcceptedTokens):
    name = "superseded-reset-token-accepted"
    behaviour = "Password reset"
    description = "a reset token issued before the password changed still resets it (the token not bound to it)"
    expected = frozenset({"RESET-SUPERSEDED-TOKEN-REFUSED"})
    path = RESET

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        never_used = not self.accepted_before(request)  # a token used once is RESET-TOKEN-SINGLE-USE's
        response = super().response(request, response, upstream)
        reset_token = scope_of(body_of(request).get("token")) == "password-reset"
        if request.path == RESET and response.status_code == 403 and reset_token and never_used:
            return respond(204)
        return response


class ResetAcceptsAnyToken(Described):
    name = "reset-accepts-any-token"
    behaviour = "Password reset"
    description = "any token the target signed resets a password (its scope not checked: an access token will do)"
    expected = frozenset({"RESET-TOKEN-OF-ANOTHER-KIND-REFUSED"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        token = str(body_of(request).get("token"))
        if request.path == RESET and token.startswith("eyJ"):
            try:
                claims = jwt.decode(token, upstream.secret, algorithms=["HS256"], issuer="directus")
            except jwt.InvalidTokenError:
                return request
            if claims.get("scope") != "password-reset":
                return respond(204)
        return request


class ExpiryNotChecked(Described):
    """A mailed token's expiry is not checked at `path`: an expired one is re-signed fresh on its way in."""

    path: str

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        token = request.param("token") if request.method == "GET" else body_of(request).get("token")
        if request.path != self.path or not str(token).startswith("eyJ"):
            return request
        try:
            claims = jwt.decode(
                str(token), upstream.secret, algorithms=["HS256"], options={"verify_exp": False}, issuer="directus"
            )
        except jwt.InvalidTokenError:
            return request
        if claims.get("exp", time.time()) >= time.time() or not self.overlooked(claims, upstream):
            return request
        fresh = jwt.encode({**claims, "exp": int(time.time()) + 3600}, upstream.secret, algorithm="HS256")
        if request.method == "GET":
            request.query = [(k, fresh if k == "token" else v) for k, v in request.query]
        else:
            request.set_json({**body_of(request), "token": fresh})
        return request

    def overlooked(self, claims: dict[str, Any], upstream: Upstream) -> bool:
        """Whether this expired token gets through (every one, unless a subclass says otherwise)."""
        return True


class ExpiredResetTokenAccepted(ExpiryNotChecked):
    name = "expired-reset-token-accepted"
    behaviour = "Password reset"
    description = (
        "a reset token past its expiry still resets a registered user's password (the expiry checked only on the "
        "way to refusing an unknown user, who still gets TOKEN_EXPIRED)"
    )
    expected = frozenset({"RESET-EXPIRED-TOKEN-REFUSED"})
    path = RESET

    def overlooked(self, claims: dict[str, Any], upstream: Upstream) -> bool:
        return registered(upstream, claims.get("email")) is not None


class ExpiredVerificationLinkAccepted(ExpiryNotChecked):
    name = "expired-verification-link-accepted"
    behaviour = "Registration"
    description = "a verification link past its expiry still activates the registrant (its exp not checked)"
    expected = frozenset({"REGISTER-EXPIRED-LINK-REFUSED"})
    path = VERIFY


class ResetBadTokenCrashes(Described):
    name = "reset-bad-token-500"
    behaviour = "Password reset"
    description = "a JWT reset token whose signature does not verify crashes the handler: 500 (10.x's raw jwt.verify)"
    expected = frozenset({"RESET-BAD-TOKEN-4XX"})

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        # JWTs only: the generative suites' random strings stay refused, so only this check sees the crash
        jwt_shaped = str(body_of(request).get("token")).startswith("eyJ")
        if request.path == RESET and jwt_shaped and b"INVALID_TOKEN" in response.content:
            return error(500, "INTERNAL_SERVER_ERROR")
        return response


class AnonymousInviteAsAdmin(Described):
    name = "anonymous-invite-as-admin"
    behaviour = "Invitations"
    description = "anonymous invitations are sent with the admin's token (an 'invite a friend' form behind a gateway)"
    expected = frozenset({"INVITE-ANONYMOUS-CREATES-NOTHING"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        # only the run's own newcomers: an invitation of anybody else would leave a user behind
        invitee = str(body_of(request).get("email")).startswith("newcomer")
        if request.path == INVITE and request.is_anonymous and invitee:
            request.set_header("Authorization", f"Bearer {upstream.admin_token}")
        return request


class InviteUrlUnchecked(Described):
    name = "invite-url-unchecked"
    behaviour = "Invitations"
    description = "an invitation's link URL is not checked against USER_INVITE_URL_ALLOW_LIST (dropped, not refused)"
    expected = frozenset({"INVITE-UNLISTED-URL-REFUSED"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        body = body_of(request)
        if request.path == INVITE and "invite_url" in body:
            request.set_json({k: v for k, v in body.items() if k != "invite_url"})
        return request


class RegistrationTakesRole(Described):
    name = "registration-accepts-role"
    behaviour = "Registration"
    description = "a registration naming a role is accepted (204), as if unknown keys were ignored"
    expected = frozenset({"REGISTER-CANNOT-CHOOSE-ROLE"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        return respond(204) if request.path == REGISTER and "role" in body_of(request) else request


class UnverifiedRegistrantLogsIn(Described):
    name = "unverified-registrant-logs-in"
    behaviour = "Registration"
    description = "an unverified registrant's right password logs them in (the login checks the password only)"
    expected = frozenset({"REGISTER-UNVERIFIED-CANNOT-LOG-IN"})

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        email = body_of(request).get("email")
        if request.path == "/auth/login" and response.status_code == 401 and str(email).startswith("newcomer"):
            user = registered(upstream, email)
            if user and user["status"] == "unverified":  # let in as if active, and left unverified
                upstream.admin("PATCH", f"/users/{user['id']}", json={"status": "active"})
                try:
                    return upstream.send(request)
                finally:
                    upstream.admin("PATCH", f"/users/{user['id']}", json={"status": "unverified"})
        return response


class VerificationLinkReusable(Described):
    name = "verification-link-reusable"
    behaviour = "Registration"
    description = "a verification link followed again redirects as it did the first time (its use not remembered)"
    expected = frozenset({"REGISTER-VERIFICATION-LINK-ONCE"})

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        if request.path == VERIFY and response.status_code == 400:
            return respond(302, headers=[("location", "/admin/login")])
        return response


class RegistrationOverwritesAccount(Described):
    name = "registration-overwrites-account"
    behaviour = "Registration"
    description = "registering a registered email sets that user's password to the registrant's (an upsert by email)"
    expected = frozenset({"REGISTER-EXISTING-EMAIL-CHANGES-NOTHING"})

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        body = body_of(request)
        # only the run's throwaway users: anybody else's password is never touched
        if request.path == REGISTER and response.status_code == 204 and str(body.get("email")).startswith("throwaway"):
            user = registered(upstream, body["email"])
            if user and user["status"] == "active":
                upstream.admin("PATCH", f"/users/{user['id']}", json={"password": body.get("password")})
        return response


def plain(address: str) -> str:
    """The address without its accents: what an accent-insensitive collation compares it as."""
    return "".join(c for c in unicodedata.normalize("NFKD", address) if not unicodedata.combining(c))


def lookalike_of(request: ProxyRequest, upstream: Upstream, path: str, status: str) -> str | None:
    """The run's user (a throwaway or a newcomer) with `status` whose address the request's email is an accented
    look-alike of, as MariaDB would match it; None for any other request."""
    email = str(body_of(request).get("email"))
    if request.path != path or plain(email) == email or not plain(email).startswith(("throwaway", "newcomer")):
        return None
    user = registered(upstream, plain(email))
    return plain(email) if user and user["status"] == status else None


class ResetMailedToLookalike(Described):
    name = "reset-mailed-to-lookalike"
    behaviour = "Password reset"
    description = (
        "a reset asked for an accented look-alike of a user's address mails a reset link to the look-alike (the "
        "lookup accent-insensitive, the mail to the submitted address: Directus < 10.8.3 on MySQL, GHSA-qw9g)"
    )
    expected = frozenset({"RESET-LOOKALIKE-ADDRESS-GETS-NO-LINK"})

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        if lookalike_of(request, upstream, RESET_REQUEST, "active"):
            email = str(body_of(request)["email"])
            token = jwt.encode({"email": email, "scope": "password-reset", "iss": "directus"}, upstream.secret)
            upstream.mail(email, "Password Reset Request", f"{upstream.base_url}/admin/reset-password?token={token}")
        return response


class RegistrationLookalikeVerifiesOther(Described):
    name = "registration-lookalike-verifies-other"
    behaviour = "Registration"
    description = (
        "a registration for an accented look-alike of a pending registrant's address mails the look-alike a link "
        "that verifies the pending registrant (Directus < 12.3.1 on MySQL, GHSA-8xp8)"
    )
    expected = frozenset({"REGISTER-LOOKALIKE-ADDRESS-VERIFIES-NOBODY-ELSE"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        pending = lookalike_of(request, upstream, REGISTER, "unverified")
        if pending is None:
            return request
        token = jwt.encode({"email": pending, "scope": "pending-registration", "iss": "directus"}, upstream.secret)
        upstream.mail(
            str(body_of(request)["email"]), "Verify your email address", f"{upstream.base_url}{VERIFY}?token={token}"
        )
        return respond(204)


class RegistrationLimiterDodged(Described):
    name = "registration-limiter-dodged"
    behaviour = "Registration"
    description = (
        "a gateway in front sets X-Forwarded-For to an address of its own choosing for each registration, and the "
        "target trusts it: every registration counts against another address, and the limiter never trips"
    )
    expected = frozenset({"REGISTER-LIMITER-HOLDS"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        if request.path == REGISTER:
            request.set_header("X-Forwarded-For", f"198.51.100.{secrets.randbelow(254) + 1}")
        return request


class LoginLimitNotEnforced(Described):
    name = "login-limit-not-enforced"
    behaviour = "Login-attempt limit"
    description = "a user who reached auth_login_attempts is not suspended (the limit not enforced)"
    expected = frozenset({"LOGIN-LIMIT-SUSPENDS"})

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        email = body_of(request).get("email")
        if request.path == "/auth/login" and response.status_code == 200 and str(email).startswith("throwaway"):
            user = registered(upstream, email)
            if user and user["status"] == "suspended":
                upstream.admin("PATCH", f"/users/{user['id']}", json={"status": "active"})
        return response


class IpAccessDropped(Described):
    name = "ip-access-dropped"
    behaviour = "IP access"
    description = "a policy's ip_access is dropped on its way in (an admin tool that does not know the field)"
    expected = frozenset({"IP-ACCESS-REFUSES-OTHER-ADDRESSES"})

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        body = body_of(request)
        if request.path.startswith("/policies") and "ip_access" in body:
            request.set_json({k: v for k, v in body.items() if k != "ip_access"})
        return request


ACCOUNT_MUTANTS: list[type[Described]] = [
    ResetTokenReusable,
    InvitationReusable,
    ResetRequestTellsRegistered,
    ResetRequestSlowForRegistered,
    SupersededResetTokenAccepted,
    ResetAcceptsAnyToken,
    ExpiredResetTokenAccepted,
    ResetBadTokenCrashes,
    AnonymousInviteAsAdmin,
    InviteUrlUnchecked,
    RegistrationTakesRole,
    UnverifiedRegistrantLogsIn,
    VerificationLinkReusable,
    RegistrationOverwritesAccount,
    ExpiredVerificationLinkAccepted,
    ResetMailedToLookalike,
    RegistrationLookalikeVerifiesOther,
    RegistrationLimiterDodged,
    LoginLimitNotEnforced,
    IpAccessDropped,
]
