"""matrix.json: checks by targets, Autobahn-style; merging several runs; the diff against a baseline.

Shape: {"targets": [{name, base_url, version, embedded}], "checks": [{id, level, title, behaviour, refs}],
        "results": {target name: {check instance: {"status", "reason", "detail"}}}}
A check instance is the check ID plus its parameters, e.g. `REFRESH-SINGLE-USE[json]`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from conformance import __version__
from conformance.advisories import Verdict, verdicts
from conformance.outcome import Status
from conformance.registry import CheckInfo, load_all_checks
from conformance.report.results import CheckResult

Matrix = dict[str, Any]


def build(target: dict[str, Any], checks: dict[str, CheckInfo], results: list[CheckResult]) -> Matrix:
    """The matrix of one run: `target` is its row in `targets` (see ReportedTarget.as_row)."""
    return {
        "suite_version": __version__,
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "targets": [target],
        "checks": [
            {"id": c.id, "level": c.level, "title": c.title, "behaviour": c.behaviour, "refs": list(c.refs)}
            for c in checks.values()
            if any(r.check == c.id for r in results)
        ],
        "results": {
            target["name"]: {
                r.id: {"status": r.status, "reason": r.reason, "detail": r.detail}
                for r in sorted(results, key=lambda r: r.id)
            }
        },
    }


def merge(matrices: list[Matrix]) -> Matrix:
    """One matrix from several runs (e.g. one CI job per Directus version); later targets of the same name win."""
    merged: Matrix = {
        "suite_version": __version__,
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "targets": [],
        "checks": [],
        "results": {},
    }
    checks: dict[str, dict[str, Any]] = {}
    targets: dict[str, dict[str, Any]] = {}
    for matrix in matrices:
        for target in matrix["targets"]:
            targets[target["name"]] = target
        for check in matrix["checks"]:
            checks[check["id"]] = check
        merged["results"].update(matrix["results"])
    merged["targets"] = list(targets.values())
    merged["checks"] = sorted(checks.values(), key=lambda c: c["id"])
    return merged


def advisory_verdicts(matrix: Matrix, target: dict[str, Any]) -> list[Verdict]:
    """What the target's results say of each known advisory (see advisories.verdicts): the suite's checks by their
    refs, those of the matrix first (it may come from another suite version)."""
    refs = {c.id: c.refs for c in load_all_checks().values()} | {c["id"]: c["refs"] for c in matrix["checks"]}
    results = matrix["results"].get(target["name"], {})
    return verdicts(str(target.get("version") or ""), results, refs, target.get("database"))


def load(path: Path) -> Matrix:
    data: Matrix = json.loads(path.read_text())
    return data


def write(matrix: Matrix, path: Path) -> None:
    path.write_text(json.dumps(matrix, indent=2, ensure_ascii=False))


def instances(matrix: Matrix) -> list[str]:
    return sorted({instance for results in matrix["results"].values() for instance in results})


@dataclass(frozen=True)
class Change:
    target: str
    instance: str
    before: str
    after: str


def diff(baseline: Matrix, current: Matrix) -> tuple[list[Change], list[Change]]:
    """(regressions, improvements): pass → fail and fail → pass, per target and check instance."""
    regressions, improvements = [], []
    for target, results in current["results"].items():
        before = baseline["results"].get(target, {})
        if not before and len(baseline["results"]) == 1 and len(current["results"]) == 1:
            before = next(iter(baseline["results"].values()))  # one target each: compare whatever its name
        for instance, result in results.items():
            old = before.get(instance, {}).get("status")
            if old is None:
                continue
            before_status, after_status = Status(old), Status(result["status"])
            if before_status.passing and after_status.failing:
                regressions.append(Change(target, instance, old, result["status"]))
            elif before_status.failing and after_status.passing:
                improvements.append(Change(target, instance, old, result["status"]))
    return regressions, improvements
