"""Check metadata: one declaration per check, and the catalogue derived from it."""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys

import pytest

from conformance.registry import REGISTRY, check, load_all_checks, resolve_ref

ID = re.compile(r"^[A-Z0-9]+(-[A-Z0-9]+)+$")


def test_every_check_has_an_id_level_title_and_refs() -> None:
    catalogue = load_all_checks()
    assert len(catalogue) >= 40
    for info in catalogue.values():
        assert ID.match(info.id), info.id
        assert info.level in ("MUST", "SHOULD")
        assert info.title and info.refs and info.behaviour


def test_every_behaviour_of_the_checks_issue_is_covered() -> None:
    behaviours = {info.behaviour for info in load_all_checks().values()}
    assert len(behaviours) >= 12


def test_asvs_refs_resolve_to_their_chapter() -> None:
    assert resolve_ref("v5.0.0-7.4.1").endswith("0x16-V7-Session-Management.md")
    assert resolve_ref("api/src/controllers/auth.ts").startswith("https://github.com/directus/directus/")
    assert resolve_ref("/guides/auth/tokens-cookies") == "https://directus.io/docs/guides/auth/tokens-cookies"


def test_a_check_id_cannot_be_declared_twice() -> None:
    def first() -> None: ...

    def second() -> None: ...

    check("TEST-DUPLICATE", level="MUST", title="one", refs=["x"])(first)
    with pytest.raises(ValueError, match="declared twice"):
        check("TEST-DUPLICATE", level="MUST", title="another", refs=["x"])(second)
    del REGISTRY["TEST-DUPLICATE"]


@functools.cache
def collected_order() -> list[str]:
    """The node IDs in running order: the ordering happens in the plugin's collection hook, so collect for real
    (once for the tests below: a subprocess of about 2 s)."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider", "--pyargs", "conformance.checks"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "DIRECTUS_URL": "http://127.0.0.1:9"},
    ).stdout.splitlines()


def test_checks_that_wait_on_the_target_clock_are_collected_first() -> None:
    """Their sleeps then overlap the rest of the run instead of ending it."""
    collected = collected_order()
    waiting = [info.id for info in load_all_checks().values() if info.waits]
    assert sorted(waiting) == ["BADTOKEN-EXPIRED-401", "REFRESH-SESSION-ROTATES", "SOCKET-EXPIRED-TOKEN-NO-RIGHTS"]
    first = {line.rsplit("::", 1)[-1] for line in collected[: len(waiting)]}
    assert first == {
        "test_expired_token_is_refused",
        "test_rotated_session_cookie_is_refused_after_grace",
        "test_expired_token_leaves_no_rights",
    }, collected


def test_generated_input_checks_of_one_operation_run_next_to_each_other() -> None:
    """So the worker that runs them generates the operation's cases once."""
    collected = collected_order()
    positions: dict[str, list[int]] = {}
    for index, line in enumerate(collected):
        if "test_openapi.py::" in line:
            positions.setdefault(line.split("[", 1)[1], []).append(index)
    assert len(positions) == 14 and max(len(p) for p in positions.values()) == 3
    for label, where in positions.items():
        assert where == list(range(where[0], where[0] + len(where))), (label, collected)
