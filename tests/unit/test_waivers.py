"""Waivers: matching by check, instance, target and version; strictness is the run's business."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.errors import ConfigError
from conformance.waivers import Waiver, WaiverBook, load_waivers


def test_a_waiver_matches_a_check_or_one_instance() -> None:
    assert Waiver("LOGOUT-204", "r").matches("LOGOUT-204[json]", "prod", "11.17.4")
    assert Waiver("LOGOUT-204[json]", "r").matches("LOGOUT-204[json]", "prod", "11.17.4")
    assert not Waiver("LOGOUT-204[cookie]", "r").matches("LOGOUT-204[json]", "prod", "11.17.4")


def test_target_and_version_patterns_narrow_a_waiver() -> None:
    waiver = Waiver("LOGOUT-*", "r", target="staging-*", version="10.*")
    assert waiver.matches("LOGOUT-204", "staging-eu", "10.13.4")
    assert not waiver.matches("LOGOUT-204", "prod", "10.13.4")
    assert not waiver.matches("LOGOUT-204", "staging-eu", "11.17.4")


def test_the_book_knows_which_waivers_were_never_used() -> None:
    used, unused, elsewhere = Waiver("A", "r"), Waiver("B", "r"), Waiver("C", "r", version="10.*")
    book = WaiverBook([used, unused, elsewhere])
    assert book.find("A[x]", "t", "11.17.4") == used
    assert book.unused("t", "11.17.4") == [unused]  # C is meant for 10.x: out of this run's scope
    assert book.unused("t", "10.13.4") == [unused, elsewhere]


def test_waivers_load_from_yaml_and_need_a_reason(tmp_path: Path) -> None:
    good = tmp_path / "w.yaml"
    good.write_text("- check: LOGOUT-204\n  reason: gateway answers 200\n  target: prod\n")
    assert load_waivers(good) == [Waiver("LOGOUT-204", "gateway answers 200", "prod", "*")]
    bad = tmp_path / "bad.yaml"
    bad.write_text("- check: LOGOUT-204\n")
    with pytest.raises(ConfigError, match="needs a `check` and a `reason`"):
        load_waivers(bad)
