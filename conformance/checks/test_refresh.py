"""Refresh tokens are single-use: a rotated token is refused, its successor works."""

from __future__ import annotations

import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from conformance.checks.api import (
    MODES,
    REFRESH_TOKEN_MODES,
    SESSION_GRACE_PERIOD,
    DirectusClient,
    Login,
    Members,
    Mode,
    Profile,
    RecordProperty,
    Target,
    bearer,
    check,
    expect,
    expect_status,
    expect_user,
    fail,
    login,
    received,
    refresh_credential,
    refresh_secret,
    refresh_with,
    whoami,
)

BEHAVIOUR = "Refresh tokens are single-use"
SERVICE = "api/src/services/authentication.ts"
CONTROLLER = "api/src/controllers/auth.ts"
TOKENS_DOCS = "/guides/auth/tokens-cookies"


@check(
    "REFRESH-SINGLE-USE",
    level="MUST",
    refs=(SERVICE, TOKENS_DOCS, "v5.0.0-10.4.5", "v5.0.0-7.2.4"),
    title="After a refresh, the old refresh token is refused with 401 INVALID_CREDENTIALS and the successor, "
    "which differs from it, works",
)
@pytest.mark.parametrize("mode", REFRESH_TOKEN_MODES)
def test_rotated_refresh_token_is_refused(directus: DirectusClient, members: Members, mode: Mode) -> None:
    owner = members.owner
    old = refresh_credential(directus, owner, mode)
    rotated = refresh_with(directus, mode, old)
    expect_status(rotated.response, 200, why="the first refresh works")
    successor = refresh_secret(rotated, mode)
    expect(
        successor is not None and successor != old,
        "a new refresh credential, different from the old one",
        rotated.response,
    )
    access = received(rotated.access_token, "the refresh returns an access token", rotated.response)
    expect_user(whoami(directus, bearer(access)), owner, "the refreshed access token")
    replay = refresh_with(directus, mode, old)
    expect_status(replay.response, 401, "INVALID_CREDENTIALS", why="a refresh token that was already used")
    again = refresh_with(directus, mode, successor)
    expect_status(again.response, 200, why="the successor still works after the replay was refused")


@check(
    "REFRESH-SESSION-ROTATES",
    level="MUST",
    needs=(SESSION_GRACE_PERIOD,),
    refs=(SERVICE, "/configuration/security-limits", "v5.0.0-7.2.4"),
    title="After a session refresh, the old session cookie is refused with 401 once the grace period has "
    "passed, and the new one works",
    waits=True,
)
def test_rotated_session_cookie_is_refused_after_grace(
    directus: DirectusClient, members: Members, target: Target
) -> None:
    owner = members.owner
    old = refresh_credential(directus, owner, "session")
    rotated = directus.refresh("session", cookie=old)
    expect_status(rotated.response, 200, why="the session refresh works")
    new = refresh_secret(rotated, "session")
    if new is None or new == old:
        fail("a new session cookie, different from the old one", rotated.response)
    wait = target.session_grace_period_s + 1.0
    if wait > target.max_wait_s:
        pytest.skip(f"the grace period ({target.session_grace_period_s:.0f} s) exceeds --max-wait")
    time.sleep(wait)
    expect_status(
        whoami(directus, directus.session_headers(old)),
        401,
        "INVALID_CREDENTIALS",
        why=f"the old session cookie, {wait:.0f} s after the refresh (grace period "
        f"{target.session_grace_period_s:.0f} s)",
    )
    expect_user(whoami(directus, directus.session_headers(new)), owner, "the new session cookie")


@check(
    "REFRESH-NO-TOKEN-400",
    level="MUST",
    refs=(CONTROLLER,),
    title="A refresh without any refresh token is refused with 400 INVALID_PAYLOAD",
)
@pytest.mark.parametrize("mode", MODES)
def test_refresh_without_token_is_refused(directus: DirectusClient, mode: Mode) -> None:
    expect_status(directus.refresh(mode).response, 400, "INVALID_PAYLOAD")


@check(
    "REFRESH-UNKNOWN-401",
    level="MUST",
    refs=(SERVICE,),
    title="A refresh token the target never issued is refused with 401 INVALID_CREDENTIALS",
)
@pytest.mark.parametrize("mode", REFRESH_TOKEN_MODES)
def test_unknown_refresh_token_is_refused(directus: DirectusClient, mode: Mode) -> None:
    made_up = secrets.token_urlsafe(48)
    expect_status(refresh_with(directus, mode, made_up).response, 401, "INVALID_CREDENTIALS")


def refresh_at_once(directus: DirectusClient, mode: Mode, secret: str | None, count: int) -> list[Login]:
    """`count` refreshes with one credential, released together (a client per thread: no shared cookie jar)."""
    barrier = threading.Barrier(count)

    def one(_: int) -> Login:
        with directus.clone() as client:
            barrier.wait(timeout=30)
            return refresh_with(client, mode, secret)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


@check(
    "REFRESH-CONCURRENT-ONE-SUCCESSOR",
    level="SHOULD",
    refs=(SERVICE, "v5.0.0-10.4.5"),
    title="Of N refreshes of one refresh token sent at once, at most one leaves a successor that still works",
)
@pytest.mark.parametrize("mode", REFRESH_TOKEN_MODES)
def test_parallel_refreshes_leave_at_most_one_live_successor(
    directus: DirectusClient, members: Members, budget: Profile, record_property: RecordProperty, mode: Mode
) -> None:
    count = budget.concurrent_refreshes
    old = refresh_secret(login(directus, members.owner, mode), mode)
    expect(old is not None, f"a refresh credential from the {mode} login")
    answers = refresh_at_once(directus, mode, old, count)
    successors = [refresh_secret(answer, mode) for answer in answers if answer.ok]
    distinct = [secret for secret in dict.fromkeys(successors) if secret]  # each tried once: a retry is a replay
    live = [secret for secret in distinct if refresh_with(directus, mode, secret).ok]
    record_property(
        "concurrency",
        f"{count} at once: {len(successors)} answered 200, {len(distinct)} distinct successors, {len(live)} live",
    )
    expect(
        len(live) <= 1,
        f"at most one live successor of one refresh token: {count} refreshes at once got {len(successors)} "
        f"answers 200 with {len(distinct)} distinct successors, and {len(live)} of them still refresh",
        next((answer.response for answer in answers if answer.ok), None),
    )
