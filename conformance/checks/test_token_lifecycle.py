"""A state machine over the token lifecycle, per mode: any order of login, refresh, replay, logout and use.

Invariants checked at every step: a login chain has at most one live refresh credential (every rotated one is
refused), no refresh works after logout, a replayed credential never works, and a session is dead after logout.
The machine keeps its own model of each chain (which credential is current, which are rotated, whether it was
logged out) and asserts the target agrees.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule, run_state_machine_as_test

from conformance.checks.api import (
    MODES,
    DirectusClient,
    Login,
    Members,
    Mode,
    Persona,
    Profile,
    RecordProperty,
    Target,
    bearer,
    check,
    claims_of,
    examples,
    expect_status,
    expect_user,
    fail,
    login,
    logout_with,
    received,
    refresh_secret,
    refresh_with,
    whoami,
)

BEHAVIOUR = "Token lifecycle (state machine)"
SERVICE = "api/src/services/authentication.ts"
EXPIRY_MARGIN_S = 1.0
MAX_CHAINS = 2  # logins per run: each costs the target a password hash
PICK = st.integers(0, 7)  # which chain (or rotated credential) a step acts on, modulo how many there are


@dataclass(eq=False)
class Chain:
    """One login and everything that came of it. Its repr (in a falsifying example) never shows a credential."""

    number: int
    current: str = field(repr=False)
    access: str | None = field(repr=False)
    rotated: list[tuple[str, float]] = field(default_factory=list, repr=False)  # (credential, when it was rotated)
    logged_out: bool = False

    def rotate(self, answer: Login, mode: Mode) -> None:
        successor = refresh_secret(answer, mode)
        if successor is None or successor == self.current:
            fail("a new refresh credential", answer.response)
        self.rotated.append((self.current, time.monotonic()))
        self.current, self.access = successor, answer.access_token


def access_is_fresh(token: str | None) -> bool:
    if token is None:
        return False
    expires = float(claims_of(token)["exp"])
    return expires - time.time() > EXPIRY_MARGIN_S


def lifecycle(
    directus: DirectusClient, persona: Persona, mode: Mode, grace_s: float, asserted: Counter[str]
) -> type[RuleBasedStateMachine]:
    """The machine for one persona and mode (a class per check: hypothesis instantiates it once per run).
    `asserted` counts, per rule, the steps that asserted something of the target."""

    class TokenLifecycle(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.chains: list[Chain] = []

        def live(self) -> list[Chain]:
            return [chain for chain in self.chains if not chain.logged_out]

        def replayable(self) -> list[tuple[Chain, str]]:
            """Rotated credentials that must be refused now. Session mode accepts a rotated session for its grace
            period (SESSION_REFRESH_GRACE_PERIOD), so there only those rotated longer ago count."""
            cutoff = time.monotonic() - (grace_s + EXPIRY_MARGIN_S if mode == "session" else 0.0)
            return [(chain, old) for chain in self.chains for old, when in chain.rotated if when < cutoff]

        @initialize()
        def first_login(self) -> None:
            self.log_in()

        @precondition(lambda self: len(self.chains) < MAX_CHAINS)
        @rule()
        def log_in(self) -> None:
            answer = login(directus, persona, mode)
            current = received(
                refresh_secret(answer, mode), f"a refresh credential from the {mode} login", answer.response
            )
            asserted["log in"] += 1
            self.chains.append(Chain(asserted["log in"], current, answer.access_token))

        def ended(self) -> list[Chain]:
            return [chain for chain in self.chains if chain.logged_out]

        @precondition(lambda self: bool(self.live()))
        @rule(pick=PICK)
        def refresh(self, pick: int) -> None:
            live = self.live()
            chain = live[pick % len(live)]
            asserted["refresh"] += 1
            answer = refresh_with(directus, mode, chain.current)
            expect_status(answer.response, 200, why="a refresh with the chain's current credential")
            chain.rotate(answer, mode)

        @precondition(lambda self: bool(self.ended()))
        @rule(pick=PICK)
        def refresh_after_logout(self, pick: int) -> None:
            ended = self.ended()
            chain = ended[pick % len(ended)]
            asserted["refresh after logout"] += 1
            answer = refresh_with(directus, mode, chain.current)
            expect_status(answer.response, 401, why="a refresh of a chain that was logged out")

        @precondition(lambda self: bool(self.replayable()))
        @rule(pick=PICK)
        def replay(self, pick: int) -> None:
            candidates = self.replayable()
            _, old = candidates[pick % len(candidates)]
            asserted["replay"] += 1
            answer = refresh_with(directus, mode, old)
            expect_status(answer.response, 401, why="a replayed (already rotated) refresh credential")

        @precondition(lambda self: bool(self.live()))
        @rule(pick=PICK)
        def log_out(self, pick: int) -> None:
            live = self.live()
            chain = live[pick % len(live)]
            asserted["log out"] += 1
            expect_status(logout_with(directus, mode, chain.current), 204, why="logout of a live chain")
            chain.logged_out = True

        @rule(pick=PICK)
        def use(self, pick: int) -> None:
            chain = self.chains[pick % len(self.chains)]
            if mode == "session":  # the session cookie is the access credential: dead after logout
                response = whoami(directus, directus.session_headers(chain.current))
                asserted["use after logout" if chain.logged_out else "use"] += 1
                if chain.logged_out:
                    expect_status(response, 401, why="the session cookie of a chain that was logged out")
                else:
                    expect_user(response, persona, "the chain's current session cookie")
            elif not chain.logged_out and access_is_fresh(chain.access):
                # json / cookie access tokens are stateless JWTs, valid until exp even after logout (documented;
                # LOGOUT-ENDS-ACCESS-TOKEN reports it): only the live chain's token is asserted.
                asserted["use"] += 1
                expect_user(whoami(directus, bearer(str(chain.access))), persona, "the chain's latest access token")

    return TokenLifecycle


@check(
    "LIFECYCLE-STATE-MACHINE",
    level="MUST",
    refs=(SERVICE, "/guides/auth/tokens-cookies", "v5.0.0-7.2.4", "v5.0.0-7.4.1"),
    title="In any order of login, refresh, replay, logout and use: one live refresh credential per login, none "
    "after logout, no replay accepted, no session alive after logout",
)
@pytest.mark.parametrize("mode", MODES)
def test_token_lifecycle_holds_in_any_order(
    directus: DirectusClient,
    members: Members,
    target: Target,
    budget: Profile,
    record_property: RecordProperty,
    mode: Mode,
) -> None:
    asserted: Counter[str] = Counter()
    machine = lifecycle(directus, members.owner, mode, target.session_grace_period_s, asserted)
    run_state_machine_as_test(
        machine,
        settings=examples(budget.lifecycle_runs, shrink=False, stateful_step_count=budget.lifecycle_steps),
    )
    record_property("examples", f"{budget.lifecycle_runs} runs of up to {budget.lifecycle_steps} steps")
    record_property("steps", ", ".join(f"{rule} {n}" for rule, n in sorted(asserted.items())))
