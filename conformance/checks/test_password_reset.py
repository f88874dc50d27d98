"""Password reset: asking for one tells nobody who is registered, and the mailed token resets the password once,
dies with the password it was issued for, and ends the sessions the old password opened."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import pytest

from conformance.checks.accounts import (
    AUTH_CONTROLLER,
    UNLISTED_URL,
    USERS_SERVICE,
    awaited,
    expect_alike,
    expired,
    lookalike,
    mailed,
    new_password,
    nobody,
    request_reset,
    reset_password,
    signed_expired,
)
from conformance.checks.api import (
    MODES,
    SESSIONS_CLEARED_ON_USER_CHANGE,
    DirectusClient,
    Mode,
    Need,
    Persona,
    RecordProperty,
    Target,
    access_token,
    check,
    expect,
    expect_status,
    forge,
    login,
    needs,
    refresh_secret,
    refresh_with,
    require,
    require_status,
)
from conformance.mail import Mailbox

BEHAVIOUR = "Password reset"
DOCS = "/reference/authentication#request-password-reset"
ADVISORY = ("GHSA-jr94-gj3h-c8rf", "CVE-2026-26185")
RESET_URLS = pytest.mark.parametrize("reset_url", [None, UNLISTED_URL], ids=["default reset URL", "unlisted reset URL"])
ISSUED_APART_S = 1.0
TIMING_PAIRS = 4
TIMING_GAP_S = 0.25
"""How far apart the median answers for a registered and an unknown email may be: Directus pads both to 500 ms."""


@check(
    "RESET-REQUEST-NO-ENUMERATION",
    level="MUST",
    refs=(DOCS, AUTH_CONTROLLER, USERS_SERVICE, *ADVISORY),
    title="A password-reset request is answered alike (status and error code) for a registered and an unknown email",
)
@RESET_URLS
def test_reset_request_does_not_tell_who_is_registered(
    directus: DirectusClient, throwaway: Callable[[], Persona], reset_url: str | None
) -> None:
    expect_alike(request_reset(directus, throwaway().email, reset_url), request_reset(directus, nobody(), reset_url))


@check(
    "RESET-REQUEST-TIMING-ALIKE",
    level="SHOULD",
    refs=(USERS_SERVICE, *ADVISORY),
    title=f"A password-reset request takes as long for a registered as for an unknown email (medians of "
    f"{TIMING_PAIRS} paired requests within {TIMING_GAP_S * 1000:.0f} ms)",
)
@RESET_URLS
def test_reset_request_takes_as_long_for_anyone(
    directus: DirectusClient, throwaway: Callable[[], Persona], reset_url: str | None, record_property: RecordProperty
) -> None:
    registered = throwaway().email
    timings: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(TIMING_PAIRS):  # interleaved, so that a slow moment of the target weighs on both alike
        for known in (True, False):
            started = time.monotonic()
            last = request_reset(directus, registered if known else nobody(), reset_url)
            timings[known].append(time.monotonic() - started)
    known_s, unknown_s = statistics.median(timings[True]), statistics.median(timings[False])
    medians = {"registered": round(known_s * 1000), "unknown": round(unknown_s * 1000)}
    record_property("reset_request_median_ms", medians)
    expect(
        abs(known_s - unknown_s) < TIMING_GAP_S,
        f"medians within {TIMING_GAP_S * 1000:.0f} ms; seen {known_s * 1000:.0f} ms for a registered email and "
        f"{unknown_s * 1000:.0f} ms for an unknown one",
        last,
    )


def mailed_reset(directus: DirectusClient, mailbox: Mailbox, user: Persona, count: int = 1) -> list[str]:
    """Ask for `count` resets of the user's password, and the tokens of the links mailed for them: a second apart,
    since two reset tokens issued within the same second (`iat`) for the same password are the same token."""
    for asked in range(count):
        if asked:
            time.sleep(ISSUED_APART_S)
        require_status(request_reset(directus, user.email), 204, "asking for a password reset")
    return [token for _, token in mailed(mailbox, user.email, count)]


@check(
    "RESET-TOKEN-SINGLE-USE",
    level="MUST",
    refs=(DOCS, USERS_SERVICE),
    title="The mailed reset token sets a new password once (204: the new one logs in, the old one no more); "
    "used again it is refused with 403",
)
def test_reset_token_works_once(directus: DirectusClient, throwaway: Callable[[], Persona], mailbox: Mailbox) -> None:
    user = throwaway()
    [token] = mailed_reset(directus, mailbox, user)
    password = new_password()
    expect_status(reset_password(directus, token, password), 204, why="the mailed reset token, used once")
    expect_status(directus.login(user.email, password).response, 200, why="a login with the new password")
    expect_status(
        directus.login(user.email, user.password).response, 401, "INVALID_CREDENTIALS", why="the old password"
    )
    expect_status(reset_password(directus, token, new_password()), 403, why="the same reset token, used again")


@check(
    "RESET-EXPIRED-TOKEN-REFUSED",
    level="MUST",
    needs=(Need.SIGNING_SECRET,),
    refs=(DOCS, USERS_SERVICE, "api/src/utils/jwt.ts"),
    title="The mailed reset token past its expiry resets nothing: it is refused, and the password stays as it was "
    "(its 401 TOKEN_EXPIRED is RESET-BAD-TOKEN-4XX's)",
)
def test_expired_reset_token_is_refused(
    directus: DirectusClient, target: Target, throwaway: Callable[[], Persona], mailbox: Mailbox
) -> None:
    user = throwaway()
    [token] = mailed_reset(directus, mailbox, user)
    refused = reset_password(directus, expired(token, target), new_password())
    expect(refused.status_code >= 400, "the mailed reset token, an hour past its expiry, refused", refused)
    expect_status(directus.login(user.email, user.password).response, 200, why="a login with the unchanged password")


@check(
    "RESET-SUPERSEDED-TOKEN-REFUSED",
    level="MUST",
    refs=(USERS_SERVICE,),
    title="Once the password changed, a reset token issued for the old one is refused with 403",
)
def test_reset_token_dies_with_its_password(
    directus: DirectusClient, throwaway: Callable[[], Persona], mailbox: Mailbox
) -> None:
    user = throwaway()
    earlier, later = mailed_reset(directus, mailbox, user, count=2)
    require(earlier != later, "two different reset tokens, issued a second apart")
    require_status(reset_password(directus, later, new_password()), 204, "resetting with the later token")
    expect_status(
        reset_password(directus, earlier, new_password()), 403, why="a reset token issued before the password changed"
    )


@check(
    "RESET-ENDS-SESSIONS",
    level="MUST",
    needs=(SESSIONS_CLEARED_ON_USER_CHANGE,),
    refs=(USERS_SERVICE,),
    title="After a password reset, the refresh tokens and sessions opened with the old password are refused with 401",
)
@pytest.mark.parametrize("mode", MODES)
def test_reset_ends_sessions(
    directus: DirectusClient, throwaway: Callable[[], Persona], mailbox: Mailbox, mode: Mode
) -> None:
    user = throwaway()
    secret = refresh_secret(login(directus, user, mode), mode)
    [token] = mailed_reset(directus, mailbox, user)
    require_status(reset_password(directus, token, new_password()), 204, "resetting the password")
    expect_status(
        refresh_with(directus, mode, secret).response, 401, why=f"a refresh ({mode} mode) from before the reset"
    )


@check(
    "RESET-TOKEN-OF-ANOTHER-KIND-REFUSED",
    level="MUST",
    refs=(USERS_SERVICE,),
    title="A token that is not a reset token (the user's own access token) cannot reset a password: 403",
)
def test_access_token_cannot_reset(directus: DirectusClient, throwaway: Callable[[], Persona]) -> None:
    user = throwaway()
    expect_status(
        reset_password(directus, access_token(directus, user), new_password()),
        403,
        why="the user's access token as a reset token",
    )


@check(
    "RESET-LOOKALIKE-ADDRESS-GETS-NO-LINK",
    level="MUST",
    refs=(USERS_SERVICE, "GHSA-qw9g-7549-7wg5", "CVE-2024-27295"),
    title="A reset asked for a look-alike of a registered address (an accent on one letter) mails no reset link to "
    "that look-alike: only the account's own address may get one",
)
def test_reset_for_a_lookalike_address_mails_it_nothing(
    directus: DirectusClient, throwaway: Callable[[], Persona], mailbox: Mailbox
) -> None:
    user = throwaway()
    variant = lookalike(user.email)
    asked = request_reset(directus, variant)
    require_status(request_reset(directus, user.email), 204, "asking for a reset of the user's own address")
    # the user's own mail was sent after the look-alike's: by the time it arrives, the other would have come
    to_variant = awaited(mailbox, {user.email: 1, variant: 1})[variant]
    seen = to_variant[0] if to_variant else asked
    expect(not to_variant, f"no mail to {variant} (a lookup that matched it to {user.email} mails it a link)", seen)


@check(
    "RESET-BAD-TOKEN-4XX",
    level="SHOULD",
    refs=(USERS_SERVICE,),
    title="A malformed or foreign-signed reset token is refused with a 4xx, never a server error; an expired one "
    "with 401 TOKEN_EXPIRED",
)
@pytest.mark.parametrize(
    "kind",
    ["malformed", "re-signed with another key", pytest.param("expired", marks=needs(Need.SIGNING_SECRET))],
)
def test_bad_reset_token_is_a_client_error(
    directus: DirectusClient, target: Target, throwaway: Callable[[], Persona], kind: str
) -> None:
    refused = reset_password(directus, bad_reset_token(kind, directus, target, throwaway), new_password())
    if kind == "expired":
        expect_status(refused, 401, "TOKEN_EXPIRED", why="a reset token past its expiry")
    else:
        expect(400 <= refused.status_code < 500, f"a 4xx for a {kind} reset token", refused)


def bad_reset_token(kind: str, directus: DirectusClient, target: Target, throwaway: Callable[[], Persona]) -> str:
    if kind == "malformed":
        return "not-a-token"
    if kind == "expired":  # for nobody's password: whatever the target makes of its expiry, no password changes
        return signed_expired({"email": nobody(), "scope": "password-reset", "hash": "0"}, target)
    return forge(access_token(directus, throwaway()), kind)
