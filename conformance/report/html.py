"""matrix.html: one self-contained page (no external assets), checks by targets, each cell opening its detail."""

from __future__ import annotations

from html import escape

from conformance.outcome import Status
from conformance.report.matrix import Matrix, instances

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


def render(matrix: Matrix) -> str:
    targets = [t["name"] for t in matrix["targets"]]
    checks = {c["id"]: c for c in matrix["checks"]}
    rows = []
    for instance in instances(matrix):
        check = checks.get(instance.split("[", 1)[0], {})
        results = [matrix["results"].get(t, {}).get(instance) for t in targets]
        statuses = {r["status"] for r in results if r}
        differs = len(targets) > 1 and len(statuses) > 1
        cells = "".join(_cell(r) for r in results)
        title = escape(check.get("title", ""))
        rows.append(
            f'<tr class="{"diff" if differs else ""}"><td><code>{escape(instance)}</code>'
            f'<div class="level">{escape(check.get("level", ""))} · {title}</div></td>{cells}</tr>'
        )
    header = "".join(
        f"<th>{escape(t['name'])}<div class='level'>Directus {escape(str(t.get('version') or '?'))}</div></th>"
        for t in matrix["targets"]
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>Directus auth conformance</title>"
        f"<style>{STYLE}</style></head><body><h1>Directus authentication conformance</h1>"
        f"<p>Suite {escape(str(matrix.get('suite_version')))} · {escape(str(matrix.get('generated')))} · "
        f"rows outlined in yellow differ between targets</p>"
        f"<table><tr><th>check</th>{header}</tr>{''.join(rows)}</table></body></html>"
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
