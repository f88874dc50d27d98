"""The run's options, declared once: names, environment fallbacks and help, rendered for argparse and for pytest.

`directus-conformance run` and plain `pytest --pyargs conformance.checks` take the same options with the same help,
and `value()` is the one place where a command-line value wins over the environment. What the values mean (a
Target, a Run) is resolved in `config` and `run`; this module only says what can be given and how.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conformance.profiles import DEFAULT_PROFILE, PROFILES

if TYPE_CHECKING:
    import pytest

__all__ = ["MATRIX", "OPTIONS", "RUN", "TARGET", "Option", "add_to_argparse", "add_to_pytest", "from_pytest", "value"]

PYTEST_PREFIX = "directus_"  # pytest's option namespace is shared with every plugin: ours carry a prefix


@dataclass(frozen=True)
class Option:
    flag: str
    help: str
    env: tuple[str, ...] = ()
    type: Callable[[str], Any] = str
    choices: tuple[str, ...] | None = None
    default: Any = None
    switch: bool = False  # a flag without a value (store_true)
    secret: bool = False  # travels by environment only, never in argv or the workers' wire form
    cli_default: Any = None  # where the command's default differs from plain pytest's (--reports)

    @property
    def name(self) -> str:
        return self.flag.removeprefix("--").replace("-", "_")

    def described(self) -> str:
        return self.help + (f" (env {' or '.join(self.env)})" if self.env else "")

    def argparse_kwargs(self) -> dict[str, Any]:
        if self.switch:
            return {"action": "store_true", "default": False, "help": self.described()}
        default = self.cli_default if self.cli_default is not None else self.default
        return {"type": self.type, "choices": self.choices, "default": default, "help": self.described()}


OPTIONS: tuple[Option, ...] = (
    Option("--base-url", "Directus base URL", env=("DIRECTUS_URL", "PYTEST_BASE_URL")),
    Option("--admin-token", "admin static token", env=("DIRECTUS_ADMIN_TOKEN",), secret=True),
    Option("--admin-email", "admin email", env=("DIRECTUS_ADMIN_EMAIL",)),
    Option("--admin-password", "admin password", env=("DIRECTUS_ADMIN_PASSWORD",), secret=True),
    Option("--run-tag", "tag namespacing what the run creates (default: random)"),
    Option("--fixture-file", "a cast file in the format of fixtures/cast.yaml", type=Path),
    Option("--session-grace-period", "the target's SESSION_REFRESH_GRACE_PERIOD in seconds (default 10)", type=float),
    Option("--refresh-ttl", "the target's REFRESH_TOKEN_TTL in seconds", type=float),
    Option("--max-wait", "longest wait a check may make for a token to expire, in seconds (default 30)", type=float),
    Option("--refresh-cookie-name", "the target's REFRESH_TOKEN_COOKIE_NAME (default: learnt from a cookie login)"),
    Option("--session-cookie-name", "the target's SESSION_COOKIE_NAME (default: learnt from a session login)"),
    Option(
        "--mail-api",
        "where the target's mail can be read: a Mailpit or MailHog API URL (http://…:8025) or a Maildir "
        "(file:///…); without it the checks that follow a mailed link (reset, invitation, registration) are skipped",
        env=("DIRECTUS_MAIL_API",),
    ),
    Option(
        "--signing-secret",
        "the target's SECRET, which signs its tokens: the checks of expired reset and verification links mint one "
        "instead of waiting for it (a day, or EMAIL_VERIFICATION_TOKEN_TTL); without it they are skipped",
        env=("DIRECTUS_SECRET",),
        secret=True,
    ),
    Option(
        "--browser",
        "a Chromium or Chrome executable for the browser checks (default: Debian's chromium, if installed); without "
        "one they are skipped",
        env=("DIRECTUS_CONFORMANCE_BROWSER",),
    ),
    Option("--ca-bundle", "PEM file of the CA that signed the target's TLS certificate", type=Path),
    Option("--insecure", "do not verify the target's TLS certificate (a test server only)", switch=True),
    Option(
        "--embedded-target",
        "the target is a throwaway Directus on this machine: the checks yield the cores to it, and what the run "
        "seeds is discarded with it rather than cleaned",
        switch=True,
    ),
    Option(
        "--profile",
        "full (seeds a cast: needs admin credentials) or readonly (no writes, no admin credentials: the checks that "
        "need no seeding, and the token checks for --persona-email)",
        choices=("full", "readonly"),
        default="full",
    ),
    Option("--persona-email", "read-only profile: a user of your own", env=("DIRECTUS_PERSONA_EMAIL",)),
    Option("--persona-password", "read-only profile: its password", env=("DIRECTUS_PERSONA_PASSWORD",), secret=True),
    Option(
        "--generative-profile",
        "example budget of the generative suites: fast (CI, default) or deep (nightly)",
        choices=tuple(sorted(PROFILES)),
        default=DEFAULT_PROFILE,
    ),
    Option(
        "--reports",
        "write matrix.json, matrix.html and summary.md into this directory",
        type=Path,
        cli_default=Path("reports"),
    ),
    Option(
        "--checks",
        "run only these checks: comma-separated check IDs (globs allowed) or advisory ids (GHSA-…: the checks "
        "that name it), e.g. UTILS-*,GHSA-g293-vf99-xv36",
        env=("DIRECTUS_CONFORMANCE_CHECKS",),
    ),
    Option("--waivers", "YAML file of checks expected to fail, each with a reason", type=Path),
    Option("--baseline", "matrix.json of an earlier run: report regressions and improvements", type=Path),
    Option(
        "--fail-on",
        "fail the run on any failure (default) or only on regressions against --baseline",
        choices=("failures", "regressions"),
        default="failures",
    ),
)
BY_NAME = {option.name: option for option in OPTIONS}

TARGET = (
    "base_url",
    "admin_token",
    "admin_email",
    "admin_password",
    "run_tag",
    "fixture_file",
    "session_grace_period",
    "refresh_ttl",
    "max_wait",
    "refresh_cookie_name",
    "session_cookie_name",
    "ca_bundle",
    "insecure",
    "mail_api",
    "signing_secret",
)
"""What names a target and its cast: `seed` and `clean` take these."""
RUN = tuple(BY_NAME)
"""`run` and the pytest plugin take every option."""
MATRIX = ("generative_profile", "reports", "checks", "waivers")
"""A matrix of embedded versions chooses its budget, reports, checks and waivers; the rest is each embedded run's
own."""


def value(given: Mapping[str, Any], env: Mapping[str, str], name: str) -> Any:
    """The command-line value if given, else the first of the option's environment variables that is set, else
    its default."""
    if given.get(name) not in (None, ""):
        return given[name]
    option = BY_NAME[name]
    for variable in option.env:
        if env.get(variable):
            return env[variable]
    return option.default


def add_to_argparse(parser: argparse.ArgumentParser, names: tuple[str, ...]) -> None:
    for name in names:
        option = BY_NAME[name]
        parser.add_argument(option.flag, **option.argparse_kwargs())


def add_to_pytest(parser: pytest.Parser) -> None:
    """The plugin's options: the same flags, help and defaults; each value under `directus_<name>`."""
    group = parser.getgroup("directus-conformance", "Directus authentication conformance")
    for option in OPTIONS:
        kwargs: dict[str, Any] = {"dest": PYTEST_PREFIX + option.name, "help": option.described()}
        if option.switch:
            kwargs |= {"action": "store_true", "default": False}
        else:
            kwargs |= {"type": option.type, "choices": option.choices, "default": option.default}
        with contextlib.suppress(ValueError):  # pytest-base-url may already own --base-url
            group.addoption(option.flag, **kwargs)


def from_pytest(config: pytest.Config) -> dict[str, Any]:
    """The values pytest parsed, by option name (--base-url also from pytest-base-url when it owns the flag)."""
    values = {option.name: getattr(config.option, PYTEST_PREFIX + option.name, None) for option in OPTIONS}
    values["base_url"] = values["base_url"] or getattr(config.option, "base_url", None)
    return values
