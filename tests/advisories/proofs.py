"""Each advisory's checks proven on real releases: failing on a vulnerable one, passing on a fixed one.

`prove(pairs, reports)` runs the checks that name the advisories (`--checks GHSA-…`) on the embedded Directus of
each release the pairs need, in one matrix, and says what they did there. Two selections of pairs:
- `demo_pairs()`: each advisory's last vulnerable and first fixed release (advisories.yaml `demo`), what
  `tox -e advisories` proves;
- `cover()`: what CI proves, on the fewest installs: a pinned release wherever one is vulnerable (or fixed), the demo
  release otherwise.
`proofs.json` records what was seen (`python -m tests.advisories.record`); docs/advisories.md is rendered from it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from conformance.advisories import Advisory, advisories, named_by
from conformance.deployments import Deployment
from conformance.embedded import OLDEST_VERSION, PINNED_VERSIONS
from conformance.registry import load_all_checks
from conformance.versions import parse_version

__all__ = [
    "FAILS",
    "PASSES",
    "RECORDED",
    "Proof",
    "by_deployment",
    "checks_of",
    "cover",
    "demo_pairs",
    "load_recorded",
    "proofs_in",
    "prove",
    "releases_of",
    "save_recorded",
]

RECORDED = Path(__file__).with_name("proofs.json")
FAILS, PASSES = "fails", "passes"
Pair = tuple[str, str]  # (a vulnerable release, a fixed release)


@dataclass(frozen=True)
class Proof:
    advisory: str
    vulnerable: str
    fixed: str
    on_vulnerable: str  # "fails", "passes", or "skipped: …" / "not run"
    on_fixed: str
    date: str = ""

    @property
    def proven(self) -> bool:
        return self.on_vulnerable == FAILS and self.on_fixed == PASSES

    @property
    def pair(self) -> Pair:
        return (self.vulnerable, self.fixed)


def checks_of(advisory: Advisory) -> list[str]:
    """The IDs of the checks whose refs name the advisory."""
    return sorted(c.id for c in load_all_checks().values() if advisory in named_by(c.refs))


def installable(release: str) -> bool:
    return parse_version(release) >= parse_version(OLDEST_VERSION)


def demo_pairs() -> dict[str, Pair]:
    """Each checked advisory's demo pair, where the launcher can install both releases."""
    return {
        a.id: a.demo
        for a in advisories().values()
        if a.demo and checks_of(a) and installable(a.demo[0]) and installable(a.demo[1])
    }


def cover() -> dict[str, Pair]:
    """Per checked advisory, a vulnerable and a fixed release on the fewest installs. The fixed one: the lowest pinned
    release past the fix (installed by the other proofs anyway). The vulnerable one: the highest pinned release in
    range; else, of the releases the proofs install for other advisories, the highest in range; else the demo pair's.
    A release a recorded proof saw not show the advisory is passed over, and so are older ones; an advisory whose demo
    pair was recorded as not reproducing is left to `tox -e advisories`."""
    recorded = load_recorded()
    demos = {
        advisory_id: pair
        for advisory_id, pair in demo_pairs().items()
        if not any(p.advisory == advisory_id and p.pair == pair and not p.proven for p in recorded)
    }

    pool = {*PINNED_VERSIONS, *(release for pair in demos.values() for release in pair)}

    def candidates(advisory_id: str) -> list[str]:
        """The releases in range of the advisory, highest first, above any a recorded proof saw not show it (what a
        release lacks, an older one lacks too: a check of a later feature SKIPs there)."""
        unshown = [p.vulnerable for p in recorded if p.advisory == advisory_id and p.on_vulnerable != FAILS]
        floor = max((parse_version(v) for v in unshown), default=None)
        mine = [v for v in pool if advisories()[advisory_id].affects(v) and (floor is None or parse_version(v) > floor)]
        return sorted(mine, key=parse_version, reverse=True)

    def fixed_release(advisory_id: str, fixed: str) -> str:
        advisory, mine = advisories()[advisory_id], [p for p in recorded if p.advisory == advisory_id]
        past_fix = [v for v in PINNED_VERSIONS if not advisory.affects(v) and parse_version(v) >= parse_version(fixed)]
        pin_passes = past_fix and not any(p.fixed == past_fix[0] and p.on_fixed != PASSES for p in mine)
        return past_fix[0] if pin_passes else fixed

    installed = set(PINNED_VERSIONS)
    vulnerable_of: dict[str, str] = {}
    in_range = {advisory_id: candidates(advisory_id) for advisory_id in demos}
    # the advisories with the fewest releases to choose from first, so that the others can share theirs
    for advisory_id in sorted(demos, key=lambda a: (len(in_range[a]), a)):
        mine = in_range[advisory_id]
        chosen = [v for v in mine if v in PINNED_VERSIONS] or [v for v in mine if v in installed]
        vulnerable_of[advisory_id] = chosen[0] if chosen else demos[advisory_id][0]
        installed.add(vulnerable_of[advisory_id])
    return {a: (vulnerable_of[a], fixed_release(a, fixed)) for a, (_, fixed) in sorted(demos.items())}


def releases_of(pairs: dict[str, Pair]) -> list[str]:
    return sorted({release for pair in pairs.values() for release in pair}, key=parse_version)


def prove(pairs: dict[str, Pair], reports: Path, timeout_s: float = 3000) -> list[Proof]:
    """Run the pairs' advisories' checks on each release they name and say what each did: one matrix per database
    and set of settings the advisories need (most need neither; public-mode WebSockets, introspection off, MariaDB's
    accent-insensitive emails)."""
    proofs = []
    for (database, settings), group in sorted(by_deployment(pairs).items()):
        folder = reports / "-".join([database, *settings]).lower().replace("=", "-")
        command = [
            *(sys.executable, "-m", "conformance.cli", "matrix", "--versions", ",".join(releases_of(group))),
            *("--databases", database, "--checks", ",".join(sorted(group)), "--reports", str(folder)),
            *(option for setting in settings for option in ("--directus-env", setting)),
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
        if result.returncode not in (0, 1) or not (folder / "matrix.json").exists():
            raise RuntimeError(
                f"the proof run on {folder.name} failed (exit {result.returncode}, matrix.json "
                f"{'written' if (folder / 'matrix.json').exists() else 'not written'}):\n"
                f"{result.stdout[-3000:]}{result.stderr[-3000:]}"
            )
        proofs += proofs_in(json.loads((folder / "matrix.json").read_text()), group, database)
    return sorted(proofs, key=lambda p: p.advisory)


def by_deployment(pairs: dict[str, Pair]) -> dict[tuple[str, tuple[str, ...]], dict[str, Pair]]:
    """The pairs grouped by the database and the settings their advisory's proof needs."""
    groups: dict[tuple[str, tuple[str, ...]], dict[str, Pair]] = {}
    for advisory_id, pair in pairs.items():
        advisory = advisories()[advisory_id]
        groups.setdefault((advisory.database, advisory.settings), {})[advisory_id] = pair
    return groups


def proofs_in(matrix: dict[str, Any], pairs: dict[str, Pair], database: str = "sqlite") -> list[Proof]:
    """What a matrix of embedded releases on `database` (its cells named as `Deployment.name`) says of each pair."""
    generated = str(matrix["generated"])[:10]
    proofs = []
    for advisory_id, (vulnerable, fixed) in sorted(pairs.items()):
        checks = checks_of(advisories()[advisory_id])
        cells = [matrix["results"].get(Deployment(release, database).name, {}) for release in (vulnerable, fixed)]
        seen = [outcome(cell, checks) for cell in cells]
        proofs.append(Proof(advisory_id, vulnerable, fixed, seen[0], seen[1], generated))
    return proofs


def outcome(results: dict[str, dict[str, Any]], checks: list[str]) -> str:
    """What the checks did on one release: fails (any instance failed, also as a finding or waived), passes (all
    passed), else why they did not run."""
    mine = [r for instance, r in results.items() if instance.split("[", 1)[0] in checks]
    if any(r["status"] in ("failed", "warning", "waived") for r in mine):
        return FAILS
    if mine and all(r["status"] == "passed" for r in mine):
        return PASSES
    reasons = sorted({f"{r['status']}: {r['reason']}" for r in mine if r["status"] != "passed"})
    return "; ".join(reasons) or "not run"


def load_recorded() -> list[Proof]:
    return [Proof(**entry) for entry in json.loads(RECORDED.read_text())] if RECORDED.exists() else []


def save_recorded(proofs: list[Proof]) -> None:
    """Merge `proofs` into proofs.json, one entry per advisory and pair (the newest wins)."""
    merged = {(p.advisory, p.pair): p for p in [*load_recorded(), *proofs]}
    ordered = sorted(merged.values(), key=lambda p: (p.advisory, parse_version(p.vulnerable), parse_version(p.fixed)))
    RECORDED.write_text(json.dumps([asdict(p) for p in ordered], indent=2) + "\n")
