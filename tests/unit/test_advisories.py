"""The advisory catalogue, what a run says of each advisory, the shipped known-advisory waivers and the proof table."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.advisories import Exposure, advisories, named_by, verdicts
from conformance.embedded import DEFAULT_VERSION
from conformance.embedded.known_advisories import KNOWN_ADVISORIES_FILE, known_advisory_waivers, waiver_reason
from conformance.registry import load_all_checks
from conformance.waivers import WaiverBook, load_waivers
from tests.advisories.proofs import Proof, by_deployment, cover, demo_pairs, load_recorded, outcome
from tests.advisories.table import render

DOCS = Path(__file__).parents[2] / "docs" / "advisories.md"
HASH, ALIASES = "GHSA-xw72-c69j-h2rj", "GHSA-g293-vf99-xv36"


def test_the_catalogue_holds_the_54_advisories_with_consistent_pairs() -> None:
    catalogue = advisories()
    assert len(catalogue) == 54
    for advisory in catalogue.values():
        if advisory.demo and advisory.affected:
            vulnerable, fixed = advisory.demo
            assert advisory.affects(vulnerable), advisory.id
            assert not advisory.affects(fixed), advisory.id


def test_ranges_are_read_as_releases() -> None:
    hashing = advisories()[HASH]  # <12.1.0
    assert hashing.affects("11.17.4") and hashing.affects("10.0.0")
    assert not hashing.affects("12.1.0") and not hashing.affects("not-a-version")
    callback = advisories()["GHSA-cff8-x7jv-4fm8"]  # <10.13.3, and >=11.0.0-rc.1 <11.1.0
    assert callback.affects("10.13.2") and callback.affects("11.0.1")
    assert not callback.affects("10.13.4") and not callback.affects("11.1.0")


def test_every_advisory_a_check_names_is_in_the_catalogue_and_sets_its_level() -> None:
    for check in load_all_checks().values():
        ghsa = [ref for ref in check.refs if ref.startswith("GHSA-")]
        named = named_by(check.refs)
        assert len(named) == len(ghsa), f"{check.id} names an advisory the catalogue lacks: {ghsa}"
        if any(a.severity in ("critical", "high") and not a.adjacent for a in named):
            assert check.level == "MUST", check.id
        if named and all(a.adjacent for a in named):
            assert check.level == "SHOULD", check.id


def results(**statuses: str) -> dict[str, dict[str, str]]:
    return {instance.replace("_", "-"): {"status": s, "reason": f"because {s}"} for instance, s in statuses.items()}


REFS = {"UTILS-HASH": (HASH,), "GQL-ONCE": (ALIASES,)}


def test_a_failed_or_waived_check_says_affected_and_a_passed_one_nothing() -> None:
    found = {v.advisory.id: v for v in verdicts("11.17.4", results(UTILS_HASH="failed", GQL_ONCE="waived"), REFS)}
    assert found[HASH].exposure is Exposure.AFFECTED
    assert found[HASH].line().startswith(f"affected by {HASH} (") and "fixed in 12.1.0" in found[HASH].line()
    assert found[ALIASES].exposure is Exposure.WAIVED
    quiet = {v.advisory.id for v in verdicts("11.17.4", results(UTILS_HASH="passed", GQL_ONCE="passed"), REFS)}
    assert not quiet & {HASH, ALIASES}


def test_an_advisory_in_range_says_why_nothing_checked_it() -> None:
    found = {v.advisory.id: v for v in verdicts("11.17.4", results(UTILS_HASH="skipped"), REFS)}
    assert found[HASH].exposure is Exposure.NOT_RUN and found[HASH].why == "because skipped"
    assert found[ALIASES].exposure is Exposure.NOT_RUN and found[ALIASES].why == "not selected in this run"
    websocket = found["GHSA-97xr-jchp-xm3c"]  # no check names it
    assert websocket.exposure is Exposure.UNCHECKED and websocket.why.startswith("needs ")
    assert HASH not in {v.advisory.id for v in verdicts("12.4.0", results(UTILS_HASH="skipped"), REFS)}


def test_an_advisory_that_shows_on_another_database_only_is_said_where_its_checks_passed() -> None:
    lookalike = "GHSA-8xp8-xrh2-88vr"  # MariaDB's accent-insensitive emails
    refs = {"REGISTER-LOOKALIKE": (lookalike,)}
    on_sqlite = {v.advisory.id: v for v in verdicts("11.17.4", results(REGISTER_LOOKALIKE="passed"), refs, "sqlite3")}
    assert on_sqlite[lookalike].exposure is Exposure.OTHER_DATABASE
    assert on_sqlite[lookalike].why.startswith("passed on sqlite3; needs MySQL/MariaDB")
    on_mysql = {v.advisory.id for v in verdicts("11.17.4", results(REGISTER_LOOKALIKE="passed"), refs, "mysql")}
    assert lookalike not in on_mysql
    assert lookalike not in {v.advisory.id for v in verdicts("12.4.0", results(REGISTER_LOOKALIKE="passed"), refs)}


def test_an_advisory_that_shows_with_a_setting_only_is_said_where_its_checks_passed() -> None:
    cache = "GHSA-c6w9-5g5j-jh2p"  # the response cache (CACHE_ENABLED)
    refs = {"SHARE-ANSWER": (cache,)}
    uncached = {v.advisory.id: v for v in verdicts("11.17.4", results(SHARE_ANSWER="passed"), refs, "sqlite3")}
    assert uncached[cache].exposure is Exposure.OTHER_SETTINGS
    assert (
        uncached[cache].why == "passed with this target's settings; shows with CACHE_ENABLED=true, CACHE_STORE=memory"
    )
    cached = {v.advisory.id: v for v in verdicts("11.17.4", results(SHARE_ANSWER="failed"), refs, "sqlite3")}
    assert cached[cache].exposure is Exposure.AFFECTED
    assert cache not in {v.advisory.id for v in verdicts("12.4.0", results(SHARE_ANSWER="passed"), refs)}


def test_affected_comes_first() -> None:
    exposures = [v.exposure for v in verdicts("11.17.4", results(UTILS_HASH="failed"), REFS)]
    assert exposures[0] is Exposure.AFFECTED
    assert exposures == sorted(exposures, key=list(Exposure).index)


def test_the_known_advisory_waivers_name_advisories_of_their_release_that_their_check_guards() -> None:
    shipped = load_waivers(KNOWN_ADVISORIES_FILE)
    checks = load_all_checks()
    assert shipped and {w.version for w in shipped} == {DEFAULT_VERSION}
    for waiver in shipped:
        advisory = advisories()[waiver.advisory]
        assert advisory.affects(waiver.version), waiver
        assert advisory in named_by(checks[waiver.check].refs), waiver
        assert waiver.reason == waiver_reason(advisory)
    assert known_advisory_waivers(DEFAULT_VERSION) == tuple(shipped)
    assert known_advisory_waivers("12.4.0") == ()


def test_a_known_advisory_waiver_that_matched_nothing_is_not_an_error() -> None:
    book = WaiverBook(list(known_advisory_waivers(DEFAULT_VERSION)))
    assert book.unused("embedded", DEFAULT_VERSION) == []


def test_the_cover_gives_each_advisory_a_vulnerable_and_a_fixed_release() -> None:
    for advisory_id, (vulnerable, fixed) in cover().items():
        advisory = advisories()[advisory_id]
        assert advisory.affects(vulnerable) and not advisory.affects(fixed), advisory_id
    reproducing = {p.advisory for p in load_recorded() if p.pair == demo_pairs().get(p.advisory) and p.proven}
    assert set(cover()) == reproducing


@pytest.mark.parametrize(
    "statuses, said",
    [
        (["failed", "passed"], "fails"),
        (["waived"], "fails"),
        (["passed", "passed"], "passes"),
        (["skipped"], "skipped: because skipped"),
        ([], "not run"),
    ],
)
def test_a_release_outcome_is_read_from_its_results(statuses: list[str], said: str) -> None:
    cell = {f"UTILS-HASH[{i}]": {"status": s, "reason": f"because {s}"} for i, s in enumerate(statuses)}
    assert outcome(cell | {"OTHER": {"status": "failed", "reason": ""}}, ["UTILS-HASH"]) == said


def test_a_proof_is_a_failure_then_a_pass() -> None:
    assert Proof(HASH, "12.0.2", "12.1.0", "fails", "passes").proven
    assert not Proof(HASH, "12.0.2", "12.1.0", "passes", "passes").proven


def test_the_proof_table_is_current() -> None:
    assert DOCS.read_text() == render(), "regenerate: python -m tests.advisories.table > docs/advisories.md"


def test_proofs_of_advisories_that_need_settings_or_a_database_run_in_a_matrix_of_their_own() -> None:
    pairs = {
        "GHSA-849r-qrwj-8rv4": ("11.2.2", "11.3.5"),
        "GHSA-97xr-jchp-xm3c": ("11.17.4", "12.4.0"),
        "GHSA-8xp8-xrh2-88vr": ("11.17.4", "12.4.0"),
    }
    assert by_deployment(pairs) == {
        ("sqlite", ("WEBSOCKETS_REST_AUTH=public",)): {"GHSA-849r-qrwj-8rv4": ("11.2.2", "11.3.5")},
        ("sqlite", ()): {"GHSA-97xr-jchp-xm3c": ("11.17.4", "12.4.0")},
        ("mariadb", ()): {"GHSA-8xp8-xrh2-88vr": ("11.17.4", "12.4.0")},
    }
