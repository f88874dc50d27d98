"""The administrative side of a run: an admin credential that works, and the target's facts.

Used by the seeding loader and the plugin, never by a check body.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from conformance.client import TRANSIENT_ERRORS, DirectusClient, DirectusError, bearer
from conformance.config import AdminCredentials
from conformance.errors import TargetError
from conformance.preflight import describe_unexpected_answer
from conformance.versions import parse_version

__all__ = ["Admin", "Facts"]


def custom_rules_entitled(licence: dict[str, Any]) -> bool:
    """Whether a 12.x licence (GET /license) entitles filter rules: its override, else its tier's default."""
    entitlement = (licence.get("entitlements") or {}).get("custom_permission_rules_enabled") or {}
    value = entitlement.get("override")
    return bool(entitlement.get("default") if value is None else value)


@dataclass(frozen=True)
class Facts:
    """What the run learnt about the target before any write."""

    version: str
    has_policies: bool
    custom_rules_enabled: bool
    custom_rules_note: str | None = None


class Admin:
    """Administrative calls with a static token, or with a login that is renewed when its access token expires."""

    def __init__(self, client: DirectusClient, credentials: AdminCredentials, release: str | None = None) -> None:
        if not credentials.given:
            raise TargetError("no admin credentials: give --admin-token (or --admin-email and --admin-password)")
        self.client = client
        self.credentials = credentials
        self.release = release  # what the target was installed as (embedded), for a release that names no version
        self._token = credentials.token

    def token(self) -> str:
        if self._token is None:
            self._token = self._login()
        return self._token

    def call(self, method: str, path: str, *, action: str, **kwargs: Any) -> Any:
        try:
            return self.client.call(method, path, token=self.token(), action=action, **kwargs)
        except DirectusError as error:
            if error.code != "TOKEN_EXPIRED" or self.credentials.token:
                raise
            self._token = self._login()
            return self.client.call(method, path, token=self._token, action=action, **kwargs)

    def get(self, path: str, **params: Any) -> Any:
        return self.call("GET", path, action=f"GET {path}", params=params)

    def verify(self) -> None:
        """Fail with a clear TargetError unless the credential authenticates a user with admin access."""
        try:
            response = self.client.request("GET", "/users/me", headers=bearer(self.token()), params={"fields": "id"})
        except TRANSIENT_ERRORS as error:
            raise TargetError(f"cannot reach {self.client.base_url}: {type(error).__name__}") from error
        if response.status_code in (401, 403):
            raise TargetError(f"the admin token was refused (HTTP {response.status_code}): check --admin-token")
        if response.status_code != 200:
            raise TargetError(describe_unexpected_answer(self.client.base_url, response))
        if not self._has_admin_access():
            raise TargetError("the admin credential belongs to a user without admin access: use an administrator's")

    def facts(self) -> Facts:
        """Version (admin GET /server/info: `version`, before 10.2 `directus.version`; 10.3 to 10.5 name none, so an
        embedded target's is the release it was installed as), policies (11+), and the 12.x licence entitlement for
        custom rules."""
        info = self.get("/server/info") or {}
        version = str(info.get("version") or (info.get("directus") or {}).get("version") or self.release or "")
        if not version:
            raise TargetError("GET /server/info as admin gave no version: is this Directus 10 or later?")
        has_policies = parse_version(version) >= (11,)
        enabled, note = True, None
        if parse_version(version) >= (12,):
            enabled = self._custom_rules_entitled()
            if not enabled:
                note = (
                    f"Directus {version} runs without the custom_permission_rules_enabled licence entitlement: "
                    "filter rules such as author = $CURRENT_USER are refused or ignored"
                )
        return Facts(version, has_policies, enabled, note)

    def _has_admin_access(self) -> bool:
        response = self.client.request("GET", "/policies/me/globals", headers=bearer(self.token()))
        if response.status_code == 200:
            return bool(response.json()["data"].get("admin_access"))
        me = self.get("/users/me", fields="role.admin_access")  # 10.x: admin access lives on the role
        return bool((me.get("role") or {}).get("admin_access"))

    def _custom_rules_entitled(self) -> bool:
        return custom_rules_entitled(self.get("/license") or {})

    def _login(self) -> str:
        assert self.credentials.email and self.credentials.password
        try:
            login = self.client.login(self.credentials.email, self.credentials.password)
        except httpx.TransportError as error:
            raise TargetError(f"cannot reach {self.client.base_url}: {type(error).__name__}") from error
        if not login.ok or not login.access_token:
            raise TargetError(
                f"the admin login was refused (HTTP {login.response.status_code}): "
                "check --admin-email and --admin-password"
            )
        return login.access_token
