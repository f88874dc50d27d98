"""The one table of version differences: which Directus release first had each auth behaviour.

Checks declare `needs=(SESSION_MODE,)`; `applicability.why_not` SKIPs them, with the reason, on targets older than
the table says. Sources are in ../shared/spec/directus-auth-behaviour.md §8.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AI_PROVIDER_KEYS",
    "FEATURES",
    "GRAPHQL_LOGOUT_MODE",
    "OWNER_REGISTRATION",
    "POLICIES",
    "SESSIONS_CLEARED_ON_USER_CHANGE",
    "SESSION_GRACE_PERIOD",
    "SESSION_MODE",
    "SINGLE_TOKEN_TRANSPORT",
    "Feature",
    "missing_feature_reason",
    "parse_version",
]


@dataclass(frozen=True)
class Feature:
    name: str
    first_version: str
    description: str

    def missing_in(self, version: str | None) -> str | None:
        """Why `version` lacks the feature, or None when it has it (or the version is unknown)."""
        if version and parse_version(version) < parse_version(self.first_version):
            return f"Directus {version} predates {self.description} (first in {self.first_version})"
        return None


SESSION_MODE = Feature("session_mode", "10.10.0", "session mode (mode: session, the session cookie)")
GRAPHQL_LOGOUT_MODE = Feature(
    "graphql_logout_mode", "10.10.0", "the mode argument of GraphQL's auth_logout (a cookie-mode logout)"
)
SINGLE_TOKEN_TRANSPORT = Feature(
    "single_token_transport", "10.10.0", "400 when a token is sent in both the header and the query"
)
SESSION_GRACE_PERIOD = Feature("session_grace_period", "10.11.0", "SESSION_REFRESH_GRACE_PERIOD for session refreshes")
POLICIES = Feature("policies", "11.0.0", "access policies (/policies, /access)")
SESSIONS_CLEARED_ON_USER_CHANGE = Feature(
    "sessions_cleared_on_user_change", "11.9.2", "sessions cleared when a user's status or password changes"
)
IP_RANGES = Feature("ip_ranges", "10.9.0", "IP ranges and CIDR blocks in ip_access (exact addresses before)")
PUBLIC_REGISTRATION = Feature("public_registration", "10.11.0", "public registration (POST /users/register)")
OWNER_REGISTRATION = Feature("owner_registration", "11.13.0", "the project-owner registration (POST /settings/owner)")
AI_PROVIDER_KEYS = Feature("ai_provider_keys", "11.15.0", "AI provider API keys in the settings (ai_openai_api_key)")
ROLE_AND_POLICY_VARIABLES = Feature(
    "role_and_policy_variables", "11.0.0", "the dynamic variables $CURRENT_ROLES and $CURRENT_POLICIES"
)
FEATURES: dict[str, Feature] = {
    feature.name: feature
    for feature in (
        SESSION_MODE,
        GRAPHQL_LOGOUT_MODE,
        SINGLE_TOKEN_TRANSPORT,
        SESSION_GRACE_PERIOD,
        POLICIES,
        SESSIONS_CLEARED_ON_USER_CHANGE,
        PUBLIC_REGISTRATION,
        IP_RANGES,
        OWNER_REGISTRATION,
        AI_PROVIDER_KEYS,
        ROLE_AND_POLICY_VARIABLES,
    )
}


def parse_version(text: str) -> tuple[int, ...]:
    """`11.17.4` → (11, 17, 4); pre-release or build suffixes are ignored."""
    core = text.split("-", 1)[0].split("+", 1)[0]
    return tuple(int(part) for part in core.split(".") if part.isdigit())


def missing_feature_reason(feature: str, version: str | None) -> str | None:
    """Why a check needing `feature` does not apply to `version`, or None when it applies (or version unknown)."""
    return FEATURES[feature].missing_in(version)
