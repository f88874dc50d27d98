"""Reports from results: the matrix, its merge and baseline diff, the summary and the self-contained HTML page."""

from __future__ import annotations

import re

from conformance.outcome import Status
from conformance.registry import CheckInfo
from conformance.report import html, matrix, summary
from conformance.report.results import CheckResult, instance_id, one_line

CHECKS = {
    "A-ONE": CheckInfo("A-ONE", "MUST", "one", "Alpha", ("api/x.ts",)),
    "B-TWO": CheckInfo("B-TWO", "SHOULD", "two", "Beta", ("v5.0.0-7.4.1",)),
}


def run(target: str, statuses: dict[str, str], version: str = "11.17.4", database: str = "sqlite3") -> matrix.Matrix:
    results = [
        CheckResult(i, i.split("[")[0], "MUST", "Alpha", Status(s), reason=f"because {s}") for i, s in statuses.items()
    ]
    row = {"name": target, "base_url": "http://x", "version": version, "database": database}
    return matrix.build(row, CHECKS, results)


def test_instance_ids_carry_the_parameters() -> None:
    assert instance_id("conformance/checks/test_r.py::test_x[json-beth]", "R-X") == "R-X[json-beth]"
    assert instance_id("conformance/checks/test_r.py::test_x", "R-X") == "R-X"


def test_one_line_prefers_the_expectation() -> None:
    text = "[A-ONE] MUST — one\nexpected: 403 FORBIDDEN\nreceived: HTTP 200\nrequest: GET /x"
    assert one_line(text) == "expected: 403 FORBIDDEN — received: HTTP 200"


def test_matrix_has_targets_checks_and_results() -> None:
    built = run("v11", {"A-ONE[json]": "passed", "B-TWO": "warning"})
    assert built["targets"][0]["name"] == "v11"
    assert {c["id"] for c in built["checks"]} == {"A-ONE", "B-TWO"}
    assert built["results"]["v11"]["A-ONE[json]"]["status"] == "passed"


def test_merge_puts_targets_side_by_side() -> None:
    merged = matrix.merge([run("v10", {"A-ONE": "skipped"}, "10.13.4"), run("v11", {"A-ONE": "passed"})])
    assert [t["name"] for t in merged["targets"]] == ["v10", "v11"]
    assert merged["results"]["v10"]["A-ONE"]["status"] == "skipped"


def test_diff_finds_regressions_and_improvements() -> None:
    baseline = run("t", {"A-ONE": "passed", "B-TWO": "failed", "C": "passed"})
    current = run("t", {"A-ONE": "failed", "B-TWO": "passed", "C": "warning"})
    regressions, improvements = matrix.diff(baseline, current)
    assert [(c.instance, c.before, c.after) for c in regressions] == [("A-ONE", "passed", "failed")]
    assert [(c.instance, c.before, c.after) for c in improvements] == [("B-TWO", "failed", "passed")]


def test_summary_puts_totals_first_then_failures_with_causes() -> None:
    text = summary.render(
        run("t", {"A-ONE": "failed", "B-TWO": "warning", "C": "skipped"}), verdict="non-conformant", notes=["a note"]
    )
    lines = text.splitlines()
    assert lines[0] == "# Directus authentication conformance — non-conformant"
    assert "3 checks — 1 failed, 1 warning, 1 skipped" in text
    assert text.index("## Failures") < text.index("## Findings") < text.index("## Skipped")
    assert "`A-ONE` (t) — because failed" in text and "- a note" in text


def test_html_is_self_contained_and_highlights_differences() -> None:
    page = html.render(matrix.merge([run("v10", {"A-ONE": "skipped"}), run("v11", {"A-ONE": "passed"})]))
    assert not re.search(r"\bsrc=|<link|url\(|@import", page)  # nothing to fetch: it opens from a mail or an artefact
    assert "class='row diff'" in page and "<details id=" in page


def test_html_puts_totals_then_what_needs_attention_then_the_groups() -> None:
    page = html.render(
        matrix.merge(
            [
                run("v10", {"A-ONE": "failed", "B-TWO": "warning"}, "10.13.4"),
                run("v11", {"A-ONE": "passed", "B-TWO": "passed"}),
            ]
        )
    )
    assert page.index("id='totals'") < page.index("Needs attention") < page.index("Checks by behaviour")
    assert "1 failed" in page and "1 warning" in page and "2 passed" in page  # all targets, then each
    attention = page[page.index("Needs attention") : page.index("Checks by behaviour")]
    assert attention.index("A-ONE") < attention.index("B-TWO")  # failures before findings
    assert "because failed" in attention and "href='#row-A-ONE-0'" in attention  # the cause, and its evidence
    assert "<details class='group' open><summary>Alpha" in page  # a behaviour with a failure is open


def test_a_row_that_differs_says_by_which_axis() -> None:
    cells = [
        run("11-sqlite", {"A-ONE": "passed", "B-TWO": "passed"}, "11.17.4", "sqlite3"),
        run("11-mysql", {"A-ONE": "failed", "B-TWO": "passed"}, "11.17.4", "mysql"),
        run("12-sqlite", {"A-ONE": "passed", "B-TWO": "skipped"}, "12.4.0", "sqlite3"),
        run("12-mysql", {"A-ONE": "failed", "B-TWO": "skipped"}, "12.4.0", "mysql"),
    ]
    merged = matrix.merge(cells)
    targets = merged["targets"]
    by = {i: html.differing_axes(targets, [merged["results"][t["name"]][i]["status"] for t in targets]) for i in CHECKS}
    assert by == {"A-ONE": ["database"], "B-TWO": ["version"]}
    page = html.render(merged)
    assert "differs by database" in page and "differs by version" in page and "12.4.0 · mysql" in page
