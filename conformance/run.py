"""The Run: everything a run is configured with, resolved once and then only read.

`Run.resolve` is the one place where option values, the environment and defaults become a run (command line >
environment > defaults; a bad value is a ConfigError there, in one line). The CLI hands the Run to pytest as an
object; pytest's controller gives xdist workers its wire form, which carries no secret: credentials travel by
environment, as the CLI exports them. Knows nothing of pytest or argparse.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Literal

from conformance.browser import find_chromium
from conformance.config import AdminCredentials, Target, resolve_target
from conformance.errors import ConfigError
from conformance.options import value
from conformance.profiles import PROFILES, Profile
from conformance.seeding import check_run_tag, load_fixture, new_run_tag
from conformance.waivers import Waiver, load_waivers

__all__ = ["Access", "FailOn", "OwnAccount", "Run"]

Access = Literal["full", "readonly"]
FailOn = Literal["failures", "regressions"]


@dataclass(frozen=True)
class OwnAccount:
    """The read-only profile's own user (--persona-email); the password comes from the environment."""

    email: str
    password: str


@dataclass(frozen=True)
class Run:
    target: Target | None  # None: the embedded default, which the CLI boots and puts here
    run_tag: str
    access: Access = "full"
    budget: Profile = PROFILES["fast"]
    cast_file: Path | None = None  # None: the packaged cast of the videos
    reports: Path | None = None
    checks: tuple[str, ...] = ()  # only these check IDs (globs) or advisory ids; empty: every check
    waivers: tuple[Waiver, ...] = ()
    baseline: Path | None = None
    fail_on: FailOn = "failures"
    persona: OwnAccount | None = None
    browser: Path | None = None  # the Chromium the browser checks drive; None: they SKIP

    @property
    def readonly(self) -> bool:
        return self.access == "readonly"

    @property
    def target_name(self) -> str:
        return self.target.name if self.target else "default"

    def selects(self, check_id: str, refs: tuple[str, ...]) -> bool:
        """Whether the run's --checks takes a check: by its ID (a glob) or an advisory its refs name."""
        return not self.checks or any(fnmatchcase(check_id, p) or p in refs for p in self.checks)

    def with_target(self, target: Target) -> Run:
        return replace(self, target=target)

    @classmethod
    def resolve(cls, given: Mapping[str, Any], env: Mapping[str, str], *, target_name: str = "default") -> Run:
        """The run the option values (by option name) and the environment describe; every value is checked here."""
        run_tag = check_run_tag(value(given, env, "run_tag") or new_run_tag())
        cast_file = _path(value(given, env, "fixture_file"))
        if cast_file is not None:
            load_fixture(cast_file)  # a file that is no cast stops the run here, in one line
        baseline = _path(value(given, env, "baseline"))
        if baseline is not None and not baseline.is_file():
            raise ConfigError(f"the baseline {baseline} does not exist")
        waivers = _path(value(given, env, "waivers"))
        email, password = value(given, env, "persona_email"), value(given, env, "persona_password")
        return cls(
            target=resolve_target(given, env, target_name),
            run_tag=run_tag,
            access=value(given, env, "profile"),
            budget=PROFILES[value(given, env, "generative_profile")],
            cast_file=cast_file,
            reports=_path(value(given, env, "reports")),
            checks=tuple(part.strip() for part in (value(given, env, "checks") or "").split(",") if part.strip()),
            waivers=tuple(load_waivers(waivers)) if waivers else (),
            baseline=baseline,
            fail_on=value(given, env, "fail_on"),
            persona=OwnAccount(email, password) if email and password else None,
            browser=find_chromium(value(given, env, "browser")),
        )

    def to_wire(self) -> dict[str, Any]:
        """What an xdist worker needs to rebuild this run: plain data, and no secret (see `from_wire`)."""
        wire = asdict(self)
        if self.target is not None:
            wire["target"]["admin"] = {"email": self.target.admin.email}  # the email names, the secret is elsewhere
            wire["target"]["signing_secret"] = None
        wire["persona"] = {"email": self.persona.email} if self.persona else None
        wire["budget"] = self.budget.name
        for name in ("cast_file", "reports", "baseline", "browser"):
            wire[name] = str(wire[name]) if wire[name] is not None else None
        return wire

    @classmethod
    def from_wire(cls, wire: Mapping[str, Any], given: Mapping[str, Any], env: Mapping[str, str]) -> Run:
        """The controller's run on a worker: secrets from the worker's own options, else its environment."""
        target = None
        if wire["target"] is not None:
            admin = AdminCredentials(
                value(given, env, "admin_token"), wire["target"]["admin"]["email"], value(given, env, "admin_password")
            )
            secret = value(given, env, "signing_secret")
            target = Target(**{**wire["target"], "admin": admin, "signing_secret": secret})
        persona = None
        if wire["persona"] is not None:
            persona = OwnAccount(wire["persona"]["email"], value(given, env, "persona_password") or "")
        return cls(
            target=target,
            run_tag=wire["run_tag"],
            access=wire["access"],
            budget=PROFILES[wire["budget"]],
            cast_file=_path(wire["cast_file"]),
            reports=_path(wire["reports"]),
            checks=tuple(wire["checks"]),
            waivers=tuple(Waiver(**w) for w in wire["waivers"]),
            baseline=_path(wire["baseline"]),
            fail_on=wire["fail_on"],
            persona=persona,
            browser=_path(wire["browser"]),
        )


def _path(given: Any) -> Path | None:
    return Path(given) if given not in (None, "") else None
