"""Directus's published security advisories on auth and access control, and what a run says about each.

The advisories are data (`advisories.yaml`: id, severity, affected ranges, fixed release, the release pair that proves
a check against it); a check names the advisories it guards in its refs (`refs=["GHSA-xw72-c69j-h2rj", …]`), so the
link is declared once, on the check. `verdicts` turns a target's results into the lines people read: "affected by
GHSA-…: fixed in 12.1.0", and the advisories whose range includes the target's version but that nothing checked.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

__all__ = ["ADVISORIES_FILE", "Advisory", "Exposure", "Verdict", "advisories", "named_by", "verdicts"]

ADVISORIES_FILE = Path(__file__).with_name("advisories.yaml")
ADVISORY_URL = "https://github.com/directus/directus/security/advisories"

Severity = Literal["critical", "high", "medium", "low", "unknown"]


@dataclass(frozen=True)
class Advisory:
    id: str
    title: str
    severity: Severity
    affected: tuple[str, ...]  # PEP 440 ranges of the `directus` package; empty when the range is unconfirmed
    issue: int  # the issue whose checks cover it
    fixed: str = ""
    demo: tuple[str, str] | None = None  # (last vulnerable, first fixed) release the npm registry serves
    needs: str = ""  # what a proof needs beyond Directus on SQLite
    settings: tuple[str, ...] = ()  # KEY=VALUE the embedded server of a proof runs with (--directus-env)
    database: str = "sqlite"  # the embedded server's database in a proof (--databases)
    cve: str = ""
    adjacent: bool = False  # not an auth flaw itself, next to one (version disclosure, CORS): SHOULD-level checks
    note: str = ""  # what the proofs saw that the published text does not say
    black_box: bool = True  # False: needs what a black-box run on this machine lacks (a browser, an IdP, server logs)

    @property
    def url(self) -> str:
        return f"{ADVISORY_URL}/{self.id}"

    def affects(self, version: str) -> bool:
        """Whether `version` lies in one of the affected ranges (False for a version that is no release number)."""
        try:
            release = Version(version)
        except InvalidVersion:
            return False
        return any(release in SpecifierSet(spec, prereleases=True) for spec in self.affected)

    def label(self) -> str:
        return f"{self.id} ({self.title})"


@cache
def advisories() -> dict[str, Advisory]:
    """Every advisory of the catalogue, by GHSA id."""
    entries = yaml.safe_load(ADVISORIES_FILE.read_text())
    catalogue = {}
    for entry in entries:
        demo = entry.pop("demo", None)
        affected = entry.pop("affected")
        settings = tuple(entry.pop("settings", ()))
        pair = (demo[0], demo[1]) if demo else None
        catalogue[entry["id"]] = Advisory(**entry, affected=tuple(affected), demo=pair, settings=settings)
    return catalogue


def named_by(refs: Iterable[str]) -> list[Advisory]:
    """The advisories a check's refs name."""
    catalogue = advisories()
    return [catalogue[ref] for ref in refs if ref in catalogue]


class Exposure(enum.Enum):
    AFFECTED = "affected"  # a check naming it failed
    WAIVED = "affected, waived"  # … and a waiver (a known advisory of this release) accepted that
    NOT_RUN = "in range, not checked here"  # the version is in range; its checks were skipped or not run
    OTHER_DATABASE = "in range, shows on another database"  # its checks passed here; it shows on its proof's database
    OTHER_SETTINGS = "in range, shows with a setting"  # its checks passed here; it shows with its proof's settings
    UNCHECKED = "in range, no check"  # the version is in range; the suite has no check for it (yet)


@dataclass(frozen=True)
class Verdict:
    advisory: Advisory
    exposure: Exposure
    checks: tuple[str, ...]
    why: str = ""  # for NOT_RUN: the skip reason; for UNCHECKED: what a check needs

    def line(self) -> str:
        fixed = f"fixed in {self.advisory.fixed}" if self.advisory.fixed else "no fixed release known"
        checks = f" — {', '.join(self.checks)}" if self.checks else ""
        if self.exposure is Exposure.AFFECTED:
            return f"affected by {self.advisory.label()}: {fixed}{checks}"
        if self.exposure is Exposure.WAIVED:
            return f"affected by {self.advisory.label()}: {fixed} (waived){checks}"
        return f"{self.exposure.value}: {self.advisory.label()}, {fixed}{checks}" + (
            f" ({self.why})" if self.why else ""
        )


DATABASE_CLIENTS = {"sqlite": "sqlite3", "postgres": "pg", "mariadb": "mysql"}
"""An embedded database by the name Directus gives its client (DB_CLIENT, the target's `database` fact)."""


def verdicts(
    version: str,
    results: Mapping[str, Mapping[str, str]],
    refs: Mapping[str, Iterable[str]],
    database: str | None = None,
) -> list[Verdict]:
    """What a target's results say of each advisory: `results` by check instance ({"status", "reason"}), `refs` by
    check ID, `database` the target's (its DB_CLIENT). Advisories whose checks all passed, and those outside the
    version's ranges, say nothing, unless they show on another database only (MySQL's accent-insensitive emails) or
    with a setting the target may not run with (CACHE_ENABLED: what a passed check cannot rule out)."""
    statuses: dict[str, list[tuple[str, str]]] = {}
    for instance, result in results.items():
        statuses.setdefault(instance.split("[", 1)[0], []).append((result["status"], result.get("reason") or ""))
    checks_of: dict[str, list[str]] = {}
    for check, check_refs in refs.items():
        for advisory in named_by(check_refs):
            checks_of.setdefault(advisory.id, []).append(check)
    found = []
    for advisory in advisories().values():
        checks = tuple(sorted(checks_of.get(advisory.id, ())))
        seen = [status for check in checks for status in statuses.get(check, [])]
        failing = tuple(c for c in checks if any(s in ("failed", "warning") for s, _ in statuses.get(c, [])))
        waived = tuple(c for c in checks if any(s == "waived" for s, _ in statuses.get(c, [])))
        if failing:
            found.append(Verdict(advisory, Exposure.AFFECTED, failing))
        elif waived:
            found.append(Verdict(advisory, Exposure.WAIVED, waived))
        elif advisory.affects(version) and not checks:
            why = f"needs {advisory.needs}" if advisory.needs else "no check yet"
            found.append(Verdict(advisory, Exposure.UNCHECKED, (), why))
        elif advisory.affects(version) and all(s in ("skipped", "error") for s, _ in seen):
            why = next((reason for s, reason in seen if reason), "not selected in this run")
            found.append(Verdict(advisory, Exposure.NOT_RUN, checks, why))
        elif advisory.affects(version) and DATABASE_CLIENTS[advisory.database] not in ("sqlite3", database):
            why = f"passed on {database or 'this database'}; needs {advisory.needs or advisory.database}"
            found.append(Verdict(advisory, Exposure.OTHER_DATABASE, checks, why))
        elif advisory.affects(version) and advisory.settings:
            why = f"passed with this target's settings; shows with {', '.join(advisory.settings)}"
            found.append(Verdict(advisory, Exposure.OTHER_SETTINGS, checks, why))
    order = list(Exposure)
    return sorted(found, key=lambda verdict: order.index(verdict.exposure))
