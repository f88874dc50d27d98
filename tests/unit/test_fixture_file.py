"""A user's cast file: read as a cast, or refused in one line that names the file and what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.access import writes_held_to_the_caller
from conformance.errors import ConfigError
from conformance.seeding import load_fixture


def test_the_packaged_cast_and_a_copy_of_it_load_alike(tmp_path: Path) -> None:
    copy = tmp_path / "cast.yaml"
    copy.write_text((Path(__file__).parents[2] / "conformance" / "fixtures" / "cast.yaml").read_text())
    assert load_fixture(copy) == load_fixture()


@pytest.mark.parametrize(
    ("content", "problem"),
    [(None, "cannot read it"), ("users: [", "not YAML"), ("just text", "not a cast"), ("users: []", "not a cast")],
)
def test_a_file_that_is_no_cast_is_refused_in_one_line(tmp_path: Path, content: str | None, problem: str) -> None:
    path = tmp_path / "cast.yaml"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError) as refused:
        load_fixture(path)
    assert str(refused.value).startswith(f"--fixture-file {path}: {problem}")
    assert "\n" not in str(refused.value)


def test_a_cast_must_say_who_plays_each_part(tmp_path: Path) -> None:
    packaged = (Path(__file__).parents[2] / "fixtures" / "cast.yaml").read_text()
    path = tmp_path / "cast.yaml"
    path.write_text(packaged.replace("  reader: mike", "  reader: kevin"))  # an admin cannot play a member's part
    with pytest.raises(ConfigError, match=r"must name a member .* for each of reader"):
        load_fixture(path)


def test_the_packaged_cast_holds_writes_to_the_callers_name_and_a_lesser_one_does_not() -> None:
    rules = load_fixture()["member_permissions"]
    assert writes_held_to_the_caller(rules)
    unvalidated_update = [{k: v for k, v in r.items() if r["action"] != "update" or k != "validation"} for r in rules]
    assert not writes_held_to_the_caller(unvalidated_update)
    assert not writes_held_to_the_caller([r for r in rules if r["action"] != "create"])
