"""matrix.html: one self-contained page (no external assets), checks by targets, each cell opening its detail."""

from __future__ import annotations

from html import escape
from typing import Any

from conformance.outcome import Status
from conformance.report.matrix import Matrix, advisory_verdicts, instances

COLOURS = {
    Status.PASSED: "#2e7d32",
    Status.FAILED: "#c62828",
    Status.ERROR: "#6a1b9a",
    Status.WARNING: "#ef6c00",
    Status.WAIVED: "#1565c0",
    Status.SKIPPED: "#757575",
}
STYLE = """body{font:14px system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse}
td,th{border:1px solid #ddd;padding:4px 8px;vertical-align:top}th{background:#f5f5f5;position:sticky;top:0}
.cell summary{cursor:pointer;color:#fff;padding:2px 6px;border-radius:3px;list-style:none}
.cell pre{white-space:pre-wrap;max-width:60em;font-size:12px}.diff{outline:3px solid #ffca28}
.level{font-size:11px;color:#555}"""


AXES = ("version", "database")
"""What targets differ by, for the outline's label: a row whose status changes between two targets alike in every
other axis differs by that axis."""


def differing_axes(targets: list[dict[str, Any]], statuses: list[str | None]) -> list[str]:
    """The axes a row's statuses differ by (`["database"]`: same version, another status on another database)."""
    found = []
    for axis in AXES:
        others = [a for a in AXES if a != axis]
        pairs = zip(targets, statuses, strict=True)
        by_rest: dict[tuple[Any, ...], set[str]] = {}
        for target, status in pairs:
            if status is not None:
                by_rest.setdefault(tuple(target.get(a) for a in others), set()).add(status)
        if any(len(seen) > 1 for seen in by_rest.values()):
            found.append(axis)
    return found


def render(matrix: Matrix) -> str:
    targets = matrix["targets"]
    checks = {c["id"]: c for c in matrix["checks"]}
    rows = []
    for instance in instances(matrix):
        check = checks.get(instance.split("[", 1)[0], {})
        results = [matrix["results"].get(t["name"], {}).get(instance) for t in targets]
        statuses = [r["status"] if r else None for r in results]
        differs = len({s for s in statuses if s}) > 1
        axes = differing_axes(targets, statuses) if differs else []
        label = f"<div class='level'>differs by {' and '.join(axes)}</div>" if axes else ""
        cells = "".join(_cell(r) for r in results)
        title = escape(check.get("title", ""))
        rows.append(
            f'<tr class="{"diff" if differs else ""}"><td><code>{escape(instance)}</code>'
            f'<div class="level">{escape(check.get("level", ""))} · {title}</div>{label}</td>{cells}</tr>'
        )
    header = "".join(
        f"<th>{escape(t['name'])}<div class='level'>Directus {escape(str(t.get('version') or '?'))} · "
        f"{escape(str(t.get('database') or '?'))}</div></th>"
        for t in targets
    )
    advisories = "".join(
        f"<li><b>{escape(t['name'])}</b>: {escape(v.line())}</li>"
        for t in targets
        for v in advisory_verdicts(matrix, t)
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>Directus auth conformance</title>"
        f"<style>{STYLE}</style></head><body><h1>Directus authentication conformance</h1>"
        f"<p>Suite {escape(str(matrix.get('suite_version')))} · {escape(str(matrix.get('generated')))} · "
        f"rows outlined in yellow differ between targets (by version, by database)</p>"
        + (f"<h2>Known advisories</h2><ul>{advisories}</ul>" if advisories else "")
        + f"<table><tr><th>check</th>{header}</tr>{''.join(rows)}</table></body></html>"
    )


def _cell(result: dict[str, str] | None) -> str:
    if result is None:
        return "<td class='cell'>—</td>"
    status = result["status"]
    detail = escape(result.get("detail") or result.get("reason") or status)
    return (
        f"<td class='cell'><details><summary style='background:{COLOURS[Status(status)]}'>"
        f"{escape(status)}</summary><pre>{detail}</pre></details></td>"
    )
