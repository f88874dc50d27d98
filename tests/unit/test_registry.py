"""Check metadata: one declaration per check, and the catalogue derived from it."""

from __future__ import annotations

import re

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
