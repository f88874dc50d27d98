"""Allure 3's report of a real run: the totals agree with matrix.json, each kind of result in its category, and the
history carried from one report to the next."""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from conformance.embedded import EmbeddedDirectus
from conformance.report.allure import build_report
from tests.integration.test_reports import run, statuses
from tests.mutants.catalogue import Logout200
from tests.mutants.proxy import FaultProxy
from tests.mutants.test_mutants import upstream_of

SUBSET = ["--", "-k", "logout or anonymous or introspection"]
"""A failure (the logout mutant), findings (stock logout), waived failures (/utils/hash on 11.17.4: GHSA-xw72) and
skips (introspection is on)."""


def test_allure_counts_every_check_as_matrix_json_does(embedded: EmbeddedDirectus, tmp_path: Path) -> None:
    reports, history = tmp_path / "reports", tmp_path / "history"
    with FaultProxy(upstream_of(embedded), Logout200()) as proxy:
        done = run(embedded, reports, "--allure-history", str(history), base_url=proxy.base_url, subset=SUBSET)
    assert done.returncode == 1, done.stdout[-2000:]
    assert "Allure report in" in done.stderr, done.stderr[-2000:]
    matrix = Counter(statuses(reports).values())
    assert all(matrix[status] for status in ("passed", "failed", "warning", "waived", "skipped")), matrix

    summary = json.loads((reports / "allure-report" / "summary.json").read_text())
    stats = summary["stats"]
    assert stats["total"] == sum(matrix.values())
    assert stats["passed"] == matrix["passed"]
    assert stats["failed"] == matrix["failed"] + matrix["warning"] + matrix["waived"]
    assert stats.get("broken", 0) == matrix["error"]
    assert stats["skipped"] == matrix["skipped"]
    assert stats["resolutions"] == {"muted": matrix["warning"], "accepted": matrix["waived"]}

    categories = {node["name"]: node["statistic"]["total"] for node in _categories(reports).values()}
    assert categories["Failures: a MUST the target broke"] == matrix["failed"], categories
    assert categories["Findings: a SHOULD the target did not meet"] == matrix["warning"], categories
    assert categories["Waived: failures a waiver expected (known advisories)"] == matrix["waived"], categories
    assert (reports / "allure-results" / "categories.json").is_file()  # for Allure 2 and its readers

    assert summary["newTests"], "a first report knows no test from before"
    again = build_report(
        reports / "allure-results", tmp_path / "again", name="again", history=history / "default.jsonl"
    )
    assert again["newTests"] == [], "the second report knows every test from the history of the first"
    assert len((history / "default.jsonl").read_text().splitlines()) == 2


def _categories(reports: Path) -> dict[str, Any]:
    """The report's categories widget, as the single-file index.html embeds it (base64 JSON)."""
    page = (reports / "allure-report" / "index.html").read_text()
    found = re.search(r'd\("widgets/categories\.json","([A-Za-z0-9+/=]+)"\)', page)
    assert found, "the report embeds no categories"
    nodes: dict[str, Any] = json.loads(base64.b64decode(found.group(1)))["nodes"]
    return {key: node for key, node in nodes.items() if node["type"] == "category"}
