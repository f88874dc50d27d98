"""The version table decides which checks apply: never fail an older Directus for a newer feature."""

from __future__ import annotations

from conformance.versions import missing_feature_reason, parse_version


def test_parse_version_ignores_suffixes() -> None:
    assert parse_version("11.17.4") == (11, 17, 4)
    assert parse_version("12.0.0-rc.1") == (12, 0, 0)


def test_a_feature_older_than_the_target_applies() -> None:
    assert missing_feature_reason("session_mode", "11.17.4") is None
    assert missing_feature_reason("session_mode", "10.10.0") is None


def test_a_feature_newer_than_the_target_is_skipped_with_the_reason() -> None:
    reason = missing_feature_reason("session_mode", "10.9.3")
    assert reason is not None and "10.9.3" in reason and "10.10.0" in reason


def test_an_unknown_version_does_not_skip() -> None:
    assert missing_feature_reason("policies", None) is None
