"""Every check can fail: each mutant, injected by a proxy in front of the real embedded Directus, is caught by
exactly the checks it names, and a proxy that injects nothing raises no false alarm."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import httpx
import pytest

from conformance.admin import Admin
from conformance.embedded import EmbeddedDirectus
from conformance.needs import Need
from conformance.registry import load_all_checks
from tests.mutants.catalogue import KNOWN_ADVISORIES, MUTANTS, STOCK_FINDINGS
from tests.mutants.proxy import Described, FaultProxy, Mutant, ProxyRequest, Upstream
from tests.mutants.selection import ci_cover, runs_everything
from tests.mutants.suite import run_suite
from tests.mutants.table import render
from tests.target_state import snapshot

MAX_WRONG_PASSWORDS = 5  # per user and run: far below Directus's suspension threshold (25 by default)


class WrongPasswordCounter(Mutant):
    """No fault: counts, per email, the logins the target refused, by REST (401) or GraphQL (INVALID_CREDENTIALS):
    what could lock a user out."""

    def __init__(self) -> None:
        self.refused: Counter[str] = Counter()
        self.lock = threading.Lock()

    def response(self, request: ProxyRequest, response: httpx.Response, upstream: Upstream) -> httpx.Response:
        body = request.json() if request.path in ("/auth/login", "/graphql/system") else None
        if request.path == "/graphql/system" and isinstance(body, dict):  # auth_login: a 200 with its error
            body = body.get("variables") if "INVALID_CREDENTIALS" in response.text else None
        email = body.get("email") if isinstance(body, dict) else None
        # nobody+… addresses belong to no user, and throwaway users are deleted after their check (the login-limit
        # checks suspend theirs on purpose): only the cast's refusals could lock somebody out
        refused = response.status_code == 401 or request.path == "/graphql/system"
        if refused and isinstance(email, str) and not email.startswith(("nobody+", "throwaway")):
            with self.lock:
                self.refused[email] += 1
        return response


IN_CI = ci_cover(MUTANTS)


def mutant_run(mutant: type[Described]) -> object:
    """A mutant as a test case: skipped outside CI's cover, unless `tox -e mutants` asks for every one."""
    skipped = not runs_everything() and mutant not in IN_CI
    why = "CI's cover: other mutants in it catch each of its checks (tox -e mutants runs every mutant)"
    return pytest.param(mutant, id=mutant.name, marks=[pytest.mark.skip(reason=why)] if skipped else [])


def upstream_of(server: EmbeddedDirectus) -> Upstream:
    settings = server.settings
    return Upstream(settings.base_url, settings.admin_token, settings.secret, settings.mail_port)


def test_without_a_mutant_everything_passes_through_the_proxy(
    embedded: EmbeddedDirectus, admin: Admin, tmp_path: Path
) -> None:
    """A passing run: nothing fails, the stock findings are found, nothing is left behind and nobody's password
    was tried wrong more than five times (no lockout risk)."""
    before = snapshot(admin)
    counter = WrongPasswordCounter()
    with FaultProxy(upstream_of(embedded), counter) as proxy:
        result = run_suite(proxy.base_url, embedded, tmp_path)
    assert not proxy.crashes, proxy.crashes
    assert result.failed == frozenset(), result.output
    assert result.findings == frozenset(STOCK_FINDINGS), result.output
    checks = load_all_checks()  # the known advisories' checks fail, waived, except those needing an embedded target
    assert result.waived == {c for c in KNOWN_ADVISORIES if Need.EMBEDDED not in checks[c].needs}, result.output
    assert result.passed > 100
    assert snapshot(admin) == before
    assert counter.refused and max(counter.refused.values()) <= MAX_WRONG_PASSWORDS, counter.refused


@pytest.mark.parametrize("mutant", [mutant_run(m) for m in MUTANTS])
def test_mutant_is_caught_by_exactly_its_checks(
    embedded: EmbeddedDirectus, admin: Admin, tmp_path: Path, mutant: type[Described]
) -> None:
    """A failing run: exactly the mutant's checks fail, and still nothing is left behind. The OpenAPI suite (a third
    of a run's time) runs for the mutants it is to catch; the no-mutation run above holds it to no false alarm.

    A mutant of a check that runs on a throwaway target only (its probe may break it) runs the suite as on one
    (--embedded-target), through the proxy to a fresh embedded Directus of its own, discarded after."""
    openapi = any(check.startswith("OAS-") for check in mutant.expected)
    checks = load_all_checks()
    if any(Need.EMBEDDED in checks[check].needs for check in mutant.expected):
        with EmbeddedDirectus() as throwaway, FaultProxy(upstream_of(throwaway), mutant()) as proxy:
            result = run_suite(proxy.base_url, throwaway, tmp_path, openapi=openapi, throwaway=True)
    else:
        before = snapshot(admin)
        with FaultProxy(upstream_of(embedded), mutant()) as proxy:
            result = run_suite(proxy.base_url, embedded, tmp_path, openapi=openapi)
        assert snapshot(admin) == before
    assert not proxy.crashes, proxy.crashes
    caught = result.failed | (result.findings - set(STOCK_FINDINGS))  # a SHOULD check is caught as a finding
    missed = mutant.expected - caught
    unrelated = caught - mutant.expected
    assert not missed and not unrelated, f"missed {sorted(missed)}, unrelated {sorted(unrelated)}\n{result.output}"


def test_every_behaviour_has_a_mutant_or_fails_on_stock_directus() -> None:
    """A behaviour whose checks all guard known advisories of the embedded release (the utility endpoints) is shown
    failing by that release itself, as the no-mutation run asserts."""
    checks = load_all_checks()
    covered = {m.behaviour for m in MUTANTS} | {checks[check].behaviour for check in KNOWN_ADVISORIES}
    assert {info.behaviour for info in checks.values()} <= covered


def test_every_check_is_caught_by_a_mutant_or_fails_on_stock_directus() -> None:
    caught = set().union(*(m.expected for m in MUTANTS)) | set(STOCK_FINDINGS) | set(KNOWN_ADVISORIES)
    assert set(load_all_checks()) <= caught


def test_ci_s_cover_catches_every_check_the_catalogue_does() -> None:
    assert set().union(*(m.expected for m in IN_CI)) == set().union(*(m.expected for m in MUTANTS))


def test_the_kill_table_is_up_to_date() -> None:
    assert (Path(__file__).parents[2] / "docs" / "mutants.md").read_text() == render()
