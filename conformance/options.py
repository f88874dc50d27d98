"""The plugin's command-line options, and what a run's options say: its target, whether it may write.

Defined and read in one module, also for the embedded run's controller, which seeds before the first check.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import pytest

from conformance.config import Target, resolve_target
from conformance.profiles import DEFAULT_PROFILE, PROFILES


def add_options(parser: pytest.Parser) -> None:
    """The plugin's options (its `pytest_addoption`)."""
    group = parser.getgroup("directus-conformance", "Directus authentication conformance")
    with contextlib.suppress(ValueError):  # pytest-base-url may already own --base-url / PYTEST_BASE_URL
        group.addoption(
            "--base-url", metavar="URL", default=None, help="Directus base URL (env DIRECTUS_URL or PYTEST_BASE_URL)"
        )
    group.addoption("--admin-token", default=None, help="admin static token (env DIRECTUS_ADMIN_TOKEN)")
    group.addoption("--admin-email", default=None, help="admin email (env DIRECTUS_ADMIN_EMAIL)")
    group.addoption("--admin-password", default=None, help="admin password (env DIRECTUS_ADMIN_PASSWORD)")
    group.addoption(
        "--run-tag",
        dest="directus_run_tag",
        default=None,
        help="tag namespacing what this run creates (default: random)",
    )
    group.addoption("--fixture-file", dest="directus_fixture", default=None, help="a cast file like fixtures/cast.yaml")
    group.addoption(
        "--session-grace-period",
        type=float,
        default=None,
        help="the target's SESSION_REFRESH_GRACE_PERIOD in seconds (default 10)",
    )
    group.addoption("--refresh-ttl", type=float, default=None, help="the target's REFRESH_TOKEN_TTL in seconds")
    group.addoption(
        "--max-wait",
        type=float,
        default=None,
        help="longest wait a check may make for a token to expire, in seconds (default 30)",
    )
    group.addoption(
        "--reports",
        dest="directus_reports",
        default=None,
        help="write matrix.json, matrix.html and summary.md into this directory",
    )
    group.addoption(
        "--target-name",
        dest="directus_target_name",
        default=None,
        help="the target's name in reports (default: embedded or default)",
    )
    group.addoption(
        "--waivers",
        dest="directus_waivers",
        default=None,
        help="YAML file of checks expected to fail, each with a reason",
    )
    group.addoption(
        "--baseline",
        dest="directus_baseline",
        default=None,
        help="matrix.json of an earlier run: report regressions and improvements",
    )
    group.addoption(
        "--fail-on",
        dest="directus_fail_on",
        choices=("failures", "regressions"),
        default="failures",
        help="fail the run on any failure (default) or only on regressions against --baseline",
    )
    group.addoption(
        "--profile",
        dest="directus_run_profile",
        choices=("full", "readonly"),
        default="full",
        help="full (seeds a cast, needs admin credentials) or readonly (no writes, no admin: checks that need no "
        "seeding, plus the token-lifecycle checks for --persona-email)",
    )
    group.addoption(
        "--persona-email", default=None, help="read-only profile: your own user (env DIRECTUS_PERSONA_EMAIL)"
    )
    group.addoption(
        "--persona-password", default=None, help="read-only profile: its password (env DIRECTUS_PERSONA_PASSWORD)"
    )
    group.addoption("--ca-bundle", default=None, help="PEM file of the CA that signed the target's TLS certificate")
    group.addoption("--insecure", action="store_true", default=False, help="do not verify the target's TLS certificate")
    group.addoption(
        "--generative-profile",
        dest="directus_profile",
        choices=sorted(PROFILES),
        default=DEFAULT_PROFILE,
        help="example budget of the generative suites: fast (CI, default) or deep (nightly)",
    )
    group.addoption(
        "--embedded-target",
        action="store_true",
        default=False,
        help="the target is a throwaway Directus booted by directus-conformance (set by the CLI): the checks yield "
        "the cores to it, and what the run seeds is discarded with it rather than cleaned",
    )


def option_values(config: pytest.Config) -> dict[str, Any]:
    o = config.option
    return {
        "base_url": getattr(o, "base_url", None),
        "admin_token": o.admin_token,
        "admin_email": o.admin_email,
        "admin_password": o.admin_password,
        "session_grace_period": o.session_grace_period,
        "refresh_ttl": o.refresh_ttl,
        "max_wait": o.max_wait,
        "embedded": o.embedded_target,
        "ca_bundle": o.ca_bundle,
        "insecure": o.insecure,
    }


def configured_target(config: pytest.Config) -> Target | None:
    """The target the options and the environment name (None: none is named)."""
    return resolve_target(option_values(config), os.environ)


def fixture_file(config: pytest.Config) -> Path | None:
    """The user's cast file (--fixture-file), or None for the packaged cast."""
    name = config.option.directus_fixture
    return Path(name) if name else None


def is_readonly(config: pytest.Config) -> bool:
    return bool(config.option.directus_run_profile == "readonly")
