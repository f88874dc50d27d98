"""The one table of version differences: which Directus release first had each auth behaviour.

Checks declare `requires="feature"`; the plugin SKIPs them, with the reason, on targets older than the table says.
Sources are in ../shared/spec/directus-auth-behaviour.md §8.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Feature:
    first_version: str
    description: str


FEATURES: dict[str, Feature] = {
    "session_mode": Feature("10.10.0", "session mode (mode: session, the session cookie)"),
    "single_token_transport": Feature("10.10.0", "400 when a token is sent in both the header and the query"),
    "session_grace_period": Feature("10.11.0", "SESSION_REFRESH_GRACE_PERIOD for session refreshes"),
    "policies": Feature("11.0.0", "access policies (/policies, /access)"),
    "sessions_cleared_on_user_change": Feature("11.9.2", "sessions cleared when a user's status or password changes"),
}


def parse_version(text: str) -> tuple[int, ...]:
    """`11.17.4` → (11, 17, 4); pre-release or build suffixes are ignored."""
    core = text.split("-", 1)[0].split("+", 1)[0]
    return tuple(int(part) for part in core.split(".") if part.isdigit())


def missing_feature_reason(feature: str, version: str | None) -> str | None:
    """Why a check needing `feature` does not apply to `version`, or None when it applies (or version unknown)."""
    known = FEATURES[feature]
    if version and parse_version(version) < parse_version(known.first_version):
        return f"Directus {version} predates {known.description} (first in {known.first_version})"
    return None
