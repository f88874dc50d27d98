"""The Target a run checks: from option values, environment and defaults (in that order), a --target spec or a
targets file.

Knows nothing of pytest or httpx: `run.Run.resolve` builds the run's Target from here, once.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conformance.errors import ConfigError
from conformance.options import value

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_SESSION_GRACE_S = 10.0
DEFAULT_MAX_WAIT_S = 30.0


@dataclass(frozen=True)
class AdminCredentials:
    """An admin static token, or an admin email and password (a static token is preferred: it cannot expire)."""

    token: str | None = None
    email: str | None = None
    password: str | None = None

    @property
    def given(self) -> bool:
        return bool(self.token or (self.email and self.password))


@dataclass(frozen=True)
class Target:
    """One Directus to check, and what the checks may rely on about it beyond what they can probe."""

    base_url: str
    admin: AdminCredentials = field(default_factory=AdminCredentials)
    name: str = "default"
    embedded: bool = False
    session_grace_period_s: float = DEFAULT_SESSION_GRACE_S
    refresh_ttl_s: float | None = None
    refresh_cookie: str | None = None  # given by the user; None: learnt from the target (see facts)
    session_cookie: str | None = None
    max_wait_s: float = DEFAULT_MAX_WAIT_S
    verify: bool | str = True
    release: str | None = None  # the release an embedded target was installed as, for a server that names none
    mail_api: str | None = None  # where the checks read what the target mails (see conformance.mail)
    signing_secret: str | None = None  # the target's SECRET, to mint expired tokens (never on the workers' wire)

    @property
    def connection(self) -> str:
        """Where the run reaches it and whom it trusts for TLS, in one line."""
        if not self.base_url.startswith("https:"):
            return self.base_url
        if isinstance(self.verify, str):
            trusted = f"the CA in {self.verify}"
        else:
            trusted = "the system's trust store" if self.verify else "nothing: not verified (--insecure)"
        return f"{self.base_url} (TLS, trusting {trusted})"


def validate_base_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"base URL {url!r} is not an http(s) URL; give one like https://directus.example.com")
    return url.rstrip("/")


def tls_verification(cli: Mapping[str, Any]) -> bool | str:
    """--insecure (no verification), --ca-bundle FILE (trust that CA), or the system's trust store."""
    if cli.get("insecure"):
        return False
    bundle = cli.get("ca_bundle")
    if bundle in (None, ""):
        return True
    if not Path(str(bundle)).is_file():
        raise ConfigError(f"--ca-bundle {bundle}: no such file; give a PEM file with the target's CA certificate")
    return str(bundle)


def resolve_target(given: Mapping[str, Any], env: Mapping[str, str], name: str = "default") -> Target | None:
    """The Target from option values and environment, or None when no base URL was given (the embedded default)."""
    base_url = value(given, env, "base_url")
    if not base_url:
        return None
    admin = AdminCredentials(
        value(given, env, "admin_token"), value(given, env, "admin_email"), value(given, env, "admin_password")
    )
    if (admin.email is None) != (admin.password is None) and not admin.token:
        raise ConfigError("give both --admin-email and --admin-password (or --admin-token)")
    grace = given.get("session_grace_period")
    max_wait = given.get("max_wait")
    refresh_ttl = given.get("refresh_ttl")
    return Target(
        base_url=validate_base_url(str(base_url)),
        admin=admin,
        name=name,
        embedded=bool(given.get("embedded_target")),
        session_grace_period_s=float(grace) if grace is not None else DEFAULT_SESSION_GRACE_S,
        refresh_ttl_s=float(refresh_ttl) if refresh_ttl is not None else None,
        refresh_cookie=given.get("refresh_cookie_name") or None,
        session_cookie=given.get("session_cookie_name") or None,
        max_wait_s=float(max_wait) if max_wait is not None else DEFAULT_MAX_WAIT_S,
        verify=tls_verification(given),
        mail_api=given.get("mail_api") or None,
        signing_secret=value(given, env, "signing_secret"),
    )


def target_env_name(name: str) -> str:
    """The environment variable holding a named target's admin token: DIRECTUS_ADMIN_TOKEN_<NAME>."""
    return "DIRECTUS_ADMIN_TOKEN_" + "".join(c if c.isalnum() else "_" for c in name).upper()


def parse_target_spec(
    spec: str, env: Mapping[str, str], fallback: AdminCredentials, verify: bool | str = True
) -> Target:
    """`NAME=URL` from --target; the admin token comes from DIRECTUS_ADMIN_TOKEN_<NAME>, else the global one."""
    name, sep, url = spec.partition("=")
    if not sep or not name or not url:
        raise ConfigError(f"--target {spec!r} must look like NAME=URL, e.g. staging=https://staging.example.com")
    token = env.get(target_env_name(name))
    admin = AdminCredentials(token=token) if token else fallback
    return Target(base_url=validate_base_url(url), admin=admin, name=name, verify=verify)


def load_targets_file(path: Path, env: Mapping[str, str]) -> list[Target]:
    """Targets from a TOML file; secrets are named by environment variable, never stored in the file.

    [targets.staging]
    base_url = "https://staging.example.com"
    admin_token_env = "STAGING_DIRECTUS_TOKEN"    # or admin_email_env + admin_password_env
    session_grace_period = 10                     # optional
    ca_bundle = "/etc/ssl/staging-ca.pem"         # optional (or insecure = true)
    """
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"cannot read the config file {path}: {error}") from error
    targets = []
    for name, table in (data.get("targets") or {}).items():
        if any(key in table for key in ("admin_token", "admin_password")):
            raise ConfigError(
                f"{path}: target {name} stores a secret; name an environment variable instead "
                "(admin_token_env, admin_password_env)"
            )
        secrets = {
            key: env.get(str(table[f"{key}_env"]))
            for key in ("admin_token", "admin_email", "admin_password")
            if f"{key}_env" in table
        }
        missing = [str(table[f"{key}_env"]) for key, value in secrets.items() if not value]
        if missing:
            raise ConfigError(f"target {name}: set the environment variable(s) {', '.join(missing)}")
        target = resolve_target(
            {
                "base_url": table.get("base_url"),
                "session_grace_period": table.get("session_grace_period"),
                "refresh_ttl": table.get("refresh_ttl"),
                "max_wait": table.get("max_wait"),
                "ca_bundle": table.get("ca_bundle"),
                "insecure": table.get("insecure"),
                **secrets,
            },
            {},
            name,
        )
        if target is None:
            raise ConfigError(f"target {name} in {path} has no base_url")
        targets.append(target)
    if not targets:
        raise ConfigError(f"{path} names no [targets.NAME] table")
    return targets
