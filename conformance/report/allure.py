"""The Allure side of a run's reports: each result given its check's Status, the categories, and the HTML report.

allure-pytest writes a check's result where the check runs (an xdist worker), before the controller decides its
Status: there a finding and a waived failure are failures like any other. At the run's end `finish_results` gives
every result the Status the other reports say, in Allure's words (`SHOWN`): an error is broken, a finding failed
and muted, a waived failure failed and known (the two Allure 3 counts as resolved, apart from the failures); it
names each result as matrix.html does and leads its message with a mark, which the categories (`CATEGORIES`, also
in `categories.json`) match. `build_report` makes Allure 3's single-file HTML report of them on the wheel's Node,
its history carried in a file across runs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.embedded.install import cache_root
from conformance.embedded.lockfiles import failure_reason
from conformance.embedded.node import run_node
from conformance.embedded.packages import PackageUnavailable, ensure_package
from conformance.errors import ConformanceError
from conformance.outcome import Status
from conformance.redaction import redact_text
from conformance.report.results import CheckResult, one_line

__all__ = [
    "ALLURE_VERSION",
    "CATEGORIES",
    "INSTANCE_LABEL",
    "SHOWN",
    "AllureFailed",
    "Shown",
    "build_report",
    "finish_results",
    "totals",
]

ALLURE_VERSION = "3.18.0"
INSTANCE_LABEL = "check_instance"  # `CHECK-ID[params]`, as matrix.json names the result
HISTORY_LIMIT = 20  # runs a history file keeps
BUILD_TIMEOUT_S = 120


@dataclass(frozen=True)
class Shown:
    """How Allure shows a Status: its own status, the mark leading the message, and the flag of a resolved failure."""

    status: str  # passed, failed, broken or skipped
    mark: str = ""  # "": allure-pytest's message stays as it is
    resolved: str | None = None  # statusDetails' `muted` or `known`


SHOWN: dict[Status, Shown] = {
    Status.PASSED: Shown("passed"),
    Status.FAILED: Shown("failed", "FAILED"),
    Status.ERROR: Shown("broken", "ERROR"),
    Status.WARNING: Shown("failed", "FINDING", "muted"),
    Status.WAIVED: Shown("failed", "WAIVED", "known"),
    Status.SKIPPED: Shown("skipped"),
}

CATEGORIES: list[dict[str, Any]] = [
    {"name": name, "matchedStatuses": [SHOWN[status].status], "messageRegex": rf"^{SHOWN[status].mark}: [\s\S]*"}
    for status, name in (
        (Status.FAILED, "Failures: a MUST the target broke"),
        (Status.ERROR, "Errors: checks that could not run"),
        (Status.WARNING, "Findings: a SHOULD the target did not meet"),
        (Status.WAIVED, "Waived: failures a waiver expected (known advisories)"),
    )
]
"""Allure 2's categories.json shape, which Allure 3 takes as it is; `[\\s\\S]*` matches the rest of the message both
where the pattern must match it whole (Allure 2, Java) and where it need not (Allure 3, JavaScript)."""


class AllureFailed(ConformanceError):
    """Allure 3 could not be installed or could not build the report."""


def finish_results(directory: Path, results: Mapping[str, CheckResult], environment: Mapping[str, str]) -> None:
    """Give each of allure-pytest's results its check's Status (`results` by instance id, as matrix.json has them),
    and write the run's environment, executor and categories beside them."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "environment.properties").write_text(
        "".join(f"{key}={redact_text(value)}\n" for key, value in environment.items())
    )
    (directory / "executor.json").write_text(
        json.dumps({"name": "directus-conformance", "type": "directus-conformance"})
    )
    (directory / "categories.json").write_text(json.dumps(CATEGORIES, indent=1))
    for path in directory.glob("*-result.json"):
        written = json.loads(path.read_text())
        labels = {label["name"]: label["value"] for label in written["labels"]}
        if labels.get(INSTANCE_LABEL) in results:
            path.write_text(json.dumps(_as_shown(written, results[labels[INSTANCE_LABEL]], labels.get("story", ""))))


def _as_shown(written: dict[str, Any], result: CheckResult, title: str) -> dict[str, Any]:
    """The result named as matrix.html names it (`CHECK-ID[params] — its sentence`), with its Status."""
    shown = SHOWN[result.status]
    written["name"] = f"{result.id} — {title}"
    written["status"] = shown.status
    if shown.mark:
        cause = one_line(result.detail) if result.status is Status.WAIVED else result.reason
        waiver = f" (waived: {result.reason})" if result.status is Status.WAIVED else ""
        written["statusDetails"] = {"message": f"{shown.mark}: {cause}{waiver}", "trace": result.detail}
        if shown.resolved:
            written["statusDetails"][shown.resolved] = True
    return written


def build_report(results: Path, output: Path, *, name: str, history: Path | None = None) -> dict[str, Any]:
    """Allure 3's single-file report of `results` in `output` (index.html, summary.json), its checks grouped by
    behaviour as matrix.html's are, with the trends of the runs before it from `history` (a JSONL file Allure
    appends this run to); its summary, as summary.json has it."""
    results, output = results.resolve(), output.resolve()
    try:
        allure = ensure_package("allure", ALLURE_VERSION, cache_root() / "allure" / ALLURE_VERSION)
    except PackageUnavailable as why:
        raise AllureFailed(f"Allure {ALLURE_VERSION} could not be installed: {why}") from why
    config: dict[str, Any] = {
        "name": name,
        "output": str(output),
        "categories": CATEGORIES,
        "plugins": {"awesome": {"options": {"singleFile": True, "reportLanguage": "en", "groupBy": ["feature"]}}},
    }
    if history is not None:
        history.parent.mkdir(parents=True, exist_ok=True)
        config |= {"historyPath": str(history.resolve()), "historyLimit": HISTORY_LIMIT}
    shutil.rmtree(output, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="allure-") as scratch:
        (Path(scratch) / "allurerc.json").write_text(json.dumps(config))
        try:
            cli = allure / "node_modules" / "allure" / "cli.js"
            done = run_node([str(cli), "generate", str(results)], Path(scratch), BUILD_TIMEOUT_S)
        except subprocess.TimeoutExpired as timeout:
            raise AllureFailed(
                f"Allure {ALLURE_VERSION} took over {BUILD_TIMEOUT_S} s to build the report"
            ) from timeout
    summary = output / "summary.json"
    if done.returncode != 0 or not summary.is_file():
        raise AllureFailed(f"Allure {ALLURE_VERSION} could not build the report: {failure_reason(done.stderr)}")
    return dict(json.loads(summary.read_text()))


def totals(summary: Mapping[str, Any]) -> str:
    """A report's summary in one line: its counts by Allure's status, and the failures it counts as resolved."""
    shown = {s.status for s in SHOWN.values()}
    stats = summary["stats"]
    line = ", ".join(f"{n} {status}" for status, n in stats.items() if status in shown)
    resolved = ", ".join(f"{n} {resolution}" for resolution, n in stats.get("resolutions", {}).items())
    return line + (f"; resolved: {resolved}" if resolved else "")
