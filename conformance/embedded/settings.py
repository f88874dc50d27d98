"""Everything the embedded Directus is started with, as one value the checks can read (TTLs, grace period…)."""

from __future__ import annotations

import secrets
import socket
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from conformance.errors import ConfigError

SERVE_FACTS = (
    "base_url",
    "admin_email",
    "admin_password",
    "admin_token",
    "directus_version",
    "access_token_ttl_s",
    "refresh_token_ttl_s",
    "session_cookie_ttl_s",
    "session_refresh_grace_period_s",
)
"""What `directus-conformance serve` promises in its first line (see public_facts)."""


HARNESS_OWNED = frozenset(
    {
        *("HOST", "PORT", "PUBLIC_URL", "KEY", "SECRET", "DB_CLIENT", "DB_FILENAME"),
        *("ADMIN_EMAIL", "ADMIN_PASSWORD", "ADMIN_TOKEN"),
        *("ACCESS_TOKEN_TTL", "REFRESH_TOKEN_TTL", "SESSION_COOKIE_TTL", "SESSION_REFRESH_GRACE_PERIOD"),
        *("EMAIL_TRANSPORT", "EMAIL_SMTP_HOST", "EMAIL_SMTP_PORT"),
    }
)
"""What `--directus-env` may not set: loopback, the run's secrets and database, and the lifetimes the checks are
told of (their wait bounds and the cookie Max-Age they compare), and where mail goes (the run's sink)."""


NOWHERE = "http://127.0.0.1:9"
"""A closed loopback port: where the fake login providers' IdPs are."""

FAKE_SAML_IDP = (
    f'<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{NOWHERE}/idp">'
    '<IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
    f'<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{NOWHERE}/sso"/>'
    "</IDPSSODescriptor></EntityDescriptor>"
)
FAKE_SAML_SP = (
    '<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="directus-conformance">'
    '<SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
    '<AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
    f'Location="{NOWHERE}/acs" index="0"/></SPSSODescriptor></EntityDescriptor>'
)

FAKE_SSO_PROVIDERS = {
    "AUTH_PROVIDERS": "fake,fakesaml",
    "AUTH_FAKE_DRIVER": "oauth2",
    "AUTH_FAKE_CLIENT_ID": "conformance",
    "AUTH_FAKE_CLIENT_SECRET": "conformance",
    "AUTH_FAKE_AUTHORIZE_URL": f"{NOWHERE}/authorize",
    "AUTH_FAKE_ACCESS_URL": f"{NOWHERE}/token",
    "AUTH_FAKE_PROFILE_URL": f"{NOWHERE}/me",
    "AUTH_FAKESAML_DRIVER": "saml",
    "AUTH_FAKESAML_IDP_METADATA": FAKE_SAML_IDP,
    "AUTH_FAKESAML_SP_METADATA": FAKE_SAML_SP,
}
"""An OAuth2 and a SAML login provider whose IdPs are nowhere: Directus only writes the OAuth2 IdP's URL into the
login's redirect, which is all the SSO checks follow, and answers what is posted to the SAML provider's ACS (static
metadata, no certificate: no response it could verify), so the checks have logins to start and answers to refuse."""


REALTIME = {
    "WEBSOCKETS_ENABLED": "true",
    "WEBSOCKETS_REST_AUTH_TIMEOUT": "3",
    "WEBSOCKETS_GRAPHQL_AUTH_TIMEOUT": "3",
}
"""Directus's WebSockets, off by default, on for the embedded target so that the realtime checks have doors."""

RESUMABLE_UPLOADS = {"TUS_ENABLED": "true"}
"""Directus's resumable (TUS) uploads, off by default, on for the embedded target so that the upload checks have
their door (Directus 10.13 and later; earlier releases ignore the setting)."""

REGISTRATION_LIMIT = {"RATE_LIMITER_REGISTRATION_POINTS": "100"}
"""Directus allows 5 registrations a minute per address by default; a run registers up to five users, and the mutant
proofs start a run every half minute against one server."""


def parse_directus_env(assignments: list[str] | None) -> tuple[tuple[str, str], ...]:
    """`KEY=VALUE` settings for the embedded server (`--directus-env`, repeatable), refused in one line when
    malformed or owned by the harness."""
    parsed = []
    for assignment in assignments or ():
        key, sep, value = assignment.partition("=")
        if not sep or not key or key != key.upper():
            raise ConfigError(f"--directus-env {assignment!r} must look like KEY=VALUE, e.g. AUTH_DISABLE_DEFAULT=true")
        if key in HARNESS_OWNED:
            raise ConfigError(f"--directus-env {key}: set by the harness for every embedded run, not settable")
        parsed.append((key, value))
    return tuple(parsed)


SUB_PATH = "/directus"
"""Where the TLS proxy serves the embedded Directus: `https://127.0.0.1:PORT/directus/`."""

BEHIND_TLS = {"REFRESH_TOKEN_COOKIE_SECURE": "true", "SESSION_COOKIE_SECURE": "true"}
"""What a deployment served over HTTPS sets (both documented, off by default): its cookies are Secure."""


DATABASES = ("sqlite", "postgres", "mariadb")
"""What the embedded Directus can run on: SQLite in memory (the default), or a throwaway PostgreSQL or MariaDB
(Debian's; see databases)."""


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (the embedded server listens on loopback only)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _random(prefix: str) -> str:
    return f"{prefix}-{secrets.token_urlsafe(24)}"


@dataclass(frozen=True)
class EmbeddedSettings:
    """Per-run settings: random secrets and a free port; TTLs short enough that expiry can be tested quickly."""

    version: str
    port: int = field(default_factory=free_port)
    admin_email: str = "admin@example.com"
    admin_password: str = field(default_factory=lambda: _random("pw"))
    admin_token: str = field(default_factory=lambda: _random("admin"))
    key: str = field(default_factory=lambda: secrets.token_hex(24))
    secret: str = field(default_factory=lambda: secrets.token_hex(32))
    access_token_ttl_s: int = 5
    extra_env: tuple[tuple[str, str], ...] = ()  # documented settings of the user's choice (--directus-env)
    database: str = "sqlite"  # --database: see DATABASES
    behind_proxy: bool = False  # --behind-proxy: nginx with TLS on a sub-path in front (see proxy)
    proxy_port: int = field(default_factory=free_port)
    mail_port: int = field(default_factory=free_port)  # the mail sink's SMTP port (see mail_sink)
    refresh_token_ttl_s: int = 3600
    session_cookie_ttl_s: int = 3600
    session_refresh_grace_period_s: int = 2
    login_stall_time_ms: int = 0
    # argon2id at test-environment cost (2 MiB, 2 passes, 1 lane; argon2 0.40, in Directus 10.13.4, refuses fewer
    # than 2 passes), as test suites lower hashing costs (Laravel's phpunit.xml: BCRYPT_ROUNDS=4): the database holds
    # random per-run passwords, lives in memory and is deleted after the run, so there is no stored hash to protect.
    # A run makes over a hundred logins, each a hash (the README measures the cost). A target of yours keeps its own
    # settings, and no check depends on them.
    hash_memory_cost_kib: int = 2048
    hash_time_cost: int = 2
    hash_parallelism: int = 1

    @property
    def base_url(self) -> str:
        """Where Directus itself listens: the harness's own requests (readiness, the admin password) go there."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def public_url(self) -> str:
        """Where the checks reach it: Directus itself, or the TLS proxy's sub-path in front of it."""
        return f"https://127.0.0.1:{self.proxy_port}{SUB_PATH}" if self.behind_proxy else self.base_url

    def environment(self, database: Path, workdir: Path) -> dict[str, str]:
        """The Directus environment: SQLite, loopback only, no telemetry, quiet logs, the run's TTLs."""
        return (
            {
                "KEY": self.key,
                "SECRET": self.secret,
                "DB_CLIENT": "sqlite3",
                "DB_FILENAME": str(database),
                "ADMIN_EMAIL": self.admin_email,
                "ADMIN_PASSWORD": self.admin_password,
                "ADMIN_TOKEN": self.admin_token,
                "HOST": "127.0.0.1",
                "PORT": str(self.port),
                "PUBLIC_URL": self.public_url,
                "ACCESS_TOKEN_TTL": f"{self.access_token_ttl_s}s",
                "REFRESH_TOKEN_TTL": f"{self.refresh_token_ttl_s}s",
                "SESSION_COOKIE_TTL": f"{self.session_cookie_ttl_s}s",
                "SESSION_REFRESH_GRACE_PERIOD": f"{self.session_refresh_grace_period_s}s",
                "LOGIN_STALL_TIME": str(self.login_stall_time_ms),
                "HASH_MEMORY_COST": str(self.hash_memory_cost_kib),
                "HASH_TIME_COST": str(self.hash_time_cost),
                "HASH_PARALLELISM": str(self.hash_parallelism),
                "TELEMETRY": "false",
                # the project-owner report (11.13+) goes nowhere: a closed loopback port, refused at once
                "COMPLIANCE_URL": "http://127.0.0.1:9",
                "STORAGE_LOCATIONS": "local",
                "STORAGE_LOCAL_ROOT": str(workdir / "uploads"),
                "EXTENSIONS_PATH": str(workdir / "extensions"),
                "EXTENSIONS_AUTO_RELOAD": "false",
                "CACHE_ENABLED": "false",
                # serve the in-memory schema frozen instead of deep-cloning it for every request (a documented option,
                # off by default): two thirds of the server's CPU per request go to that clone otherwise
                "CACHE_SCHEMA_FREEZE_ENABLED": "true",
                "RATE_LIMITER_ENABLED": "false",
                # the pressure limiter (on by default) answers 503 "Under pressure" when the event loop lags 500 ms:
                # the harness's target shares its cores with the checks, their browsers and the proofs' installs,
                # so load that is the harness's own would otherwise fail checks that test nothing of the kind
                "PRESSURE_LIMITER_ENABLED": "false",
                # both realtime doors (REST-style /websocket, GraphQL on /graphql), handshake mode as by default; a
                # socket that has not authenticated (or re-authenticated after its token expired) is closed after
                # 3 s instead of 10, which bounds the expiry checks' wait
                **REALTIME,
                **RESUMABLE_UPLOADS,
                **FAKE_SSO_PROVIDERS,
                **REGISTRATION_LIMIT,
                # every mail (password reset, invitation, registration) goes to the run's sink on loopback
                "EMAIL_TRANSPORT": "smtp",
                "EMAIL_SMTP_HOST": "127.0.0.1",
                "EMAIL_SMTP_PORT": str(self.mail_port),
                "EMAIL_SMTP_SECURE": "false",
                "EMAIL_SMTP_IGNORE_TLS": "true",
                "EMAIL_VERIFY_SETUP": "false",
                "LOG_LEVEL": "warn",
                "LOG_STYLE": "raw",
            }
            | (BEHIND_TLS if self.behind_proxy else {})
            | dict(self.extra_env)
        )

    def public_facts(self) -> dict[str, Any]:
        """What `serve` prints and what the checks may rely on (secrets included: the caller redacts on display)."""
        facts = asdict(self)
        facts.pop("key")
        facts.pop("secret")
        facts["extra_env"] = dict(self.extra_env)
        facts["base_url"] = self.public_url
        facts["directus_version"] = facts.pop("version")
        return facts
