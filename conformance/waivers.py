"""Waivers: check instances expected to fail on some targets, each with its reason (the OpenID suite's model).

A waived failure does not fail the run; a waiver whose check passed, or that matched nothing, does (strict).

    # waivers.yaml
    - check: LOGOUT-204            # a check ID, or an instance such as REFRESH-SINGLE-USE[json]; globs allowed
      target: "staging-*"          # optional, a glob on the target name
      version: "11.*"              # optional, a glob on the Directus version
      reason: our gateway answers logout with 200
      advisory: GHSA-…             # optional: the failure is a known advisory of that version (see advisories.yaml)

A waiver naming an advisory is not strict about matching nothing: its check may not run (deselected, skipped).
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

import yaml

from conformance.errors import ConfigError


@dataclass(frozen=True)
class Waiver:
    check: str
    reason: str
    target: str = "*"
    version: str = "*"
    advisory: str = ""

    def matches(self, instance: str, target: str, version: str) -> bool:
        check = instance.split("[", 1)[0]
        pattern = self.check.replace("[", "[[]")  # brackets name parameters here, not character classes
        return (
            (fnmatchcase(instance, pattern) or fnmatchcase(check, pattern))
            and fnmatchcase(target, self.target)
            and fnmatchcase(version or "", self.version)
        )

    def describe(self) -> str:
        scope = "" if (self.target, self.version) == ("*", "*") else f" (target {self.target}, version {self.version})"
        return f"{self.check}{scope}: {self.reason}"


def load_waivers(path: Path) -> list[Waiver]:
    try:
        entries = yaml.safe_load(path.read_text()) or []
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"cannot read the waivers file {path}: {error}") from error
    waivers = []
    for index, entry in enumerate(entries, 1):
        if not isinstance(entry, dict) or not entry.get("check") or not entry.get("reason"):
            raise ConfigError(f"waiver {index} in {path} needs a `check` and a `reason`")
        waivers.append(
            Waiver(
                str(entry["check"]),
                str(entry["reason"]),
                str(entry.get("target", "*")),
                str(entry.get("version", "*")),
                str(entry.get("advisory", "")),
            )
        )
    return waivers


class WaiverBook:
    """The waivers of a run, and which of them were used."""

    def __init__(self, waivers: list[Waiver]) -> None:
        self.waivers = waivers
        self.used: set[Waiver] = set()

    def find(self, instance: str, target: str, version: str) -> Waiver | None:
        for waiver in self.waivers:
            if waiver.matches(instance, target, version):
                self.used.add(waiver)
                return waiver
        return None

    def unused(self, target: str, version: str) -> list[Waiver]:
        """Waivers meant for this target and version that matched nothing (others are out of this run's scope)."""
        return [
            w
            for w in self.waivers
            if w not in self.used
            and not w.advisory
            and fnmatchcase(target, w.target)
            and fnmatchcase(version or "", w.version)
        ]
