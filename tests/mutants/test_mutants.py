"""Every check can fail: each mutant, injected by a proxy in front of the real embedded Directus, is caught by
exactly the checks it names, and a proxy that injects nothing raises no false alarm."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.embedded import EmbeddedDirectus
from conformance.registry import load_all_checks
from tests.mutants.catalogue import MUTANTS, STOCK_FINDINGS, Described
from tests.mutants.proxy import FaultProxy, Mutant, Upstream
from tests.mutants.suite import run_suite
from tests.mutants.table import render


def upstream_of(server: EmbeddedDirectus) -> Upstream:
    return Upstream(server.settings.base_url, server.settings.admin_token, server.settings.secret)


def test_without_a_mutant_everything_passes_through_the_proxy(embedded: EmbeddedDirectus, tmp_path: Path) -> None:
    with FaultProxy(upstream_of(embedded), Mutant()) as proxy:
        result = run_suite(proxy.base_url, embedded, tmp_path)
    assert result.failed == frozenset(), result.output
    assert result.findings == frozenset(STOCK_FINDINGS), result.output
    assert result.passed > 100


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_is_caught_by_exactly_its_checks(
    embedded: EmbeddedDirectus, tmp_path: Path, mutant: type[Described]
) -> None:
    with FaultProxy(upstream_of(embedded), mutant()) as proxy:
        result = run_suite(proxy.base_url, embedded, tmp_path)
    caught = result.failed | (result.findings - set(STOCK_FINDINGS))  # a SHOULD check is caught as a finding
    missed = mutant.expected - caught
    unrelated = caught - mutant.expected
    assert not missed and not unrelated, f"missed {sorted(missed)}, unrelated {sorted(unrelated)}\n{result.output}"


def test_every_behaviour_has_a_mutant() -> None:
    behaviours = {info.behaviour for info in load_all_checks().values()}
    assert behaviours <= {m.behaviour for m in MUTANTS}


def test_every_check_is_caught_by_a_mutant_or_fails_on_stock_directus() -> None:
    caught = set().union(*(m.expected for m in MUTANTS)) | set(STOCK_FINDINGS)
    assert set(load_all_checks()) <= caught


def test_the_kill_table_is_up_to_date() -> None:
    assert (Path(__file__).parents[2] / "docs" / "mutants.md").read_text() == render()
