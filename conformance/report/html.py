"""matrix.html: one self-contained page (no external assets) for people: totals first, then what needs attention
with its one-line cause, the known advisories, and the checks grouped by behaviour, targets side by side, each cell
opening its evidence; a filter box; readable in a narrow window."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from html import escape
from typing import Any

from conformance.advisories import named_by
from conformance.outcome import Status
from conformance.report.matrix import Matrix, advisory_verdicts, instances

__all__ = ["differing_axes", "render"]

COLOURS = {
    Status.PASSED: "#2e7d32",
    Status.FAILED: "#c62828",
    Status.ERROR: "#6a1b9a",
    Status.WARNING: "#ef6c00",
    Status.WAIVED: "#1565c0",
    Status.SKIPPED: "#757575",
}
ATTENTION = (Status.FAILED, Status.ERROR, Status.WARNING)
"""What a reader looks at first: failures, errors, then findings."""

STYLE = (
    "body{font:14px system-ui,sans-serif;margin:1em;max-width:110em}h1{font-size:1.4em}h2{font-size:1.15em}"
    ".badge{display:inline-block;color:#fff;padding:1px 7px;border-radius:9px;margin:1px 2px;font-size:12px;"
    "border:0;cursor:pointer}.totals td,.totals th{border:0;padding:2px 6px;text-align:left}"
    ".scroll{overflow-x:auto}table.checks{border-collapse:collapse;width:100%;table-layout:fixed}"
    ".checks th:first-child{width:50%}"  # the same columns in every group
    ".checks td,.checks th{border:1px solid #ddd;padding:4px 6px;vertical-align:top;text-align:left}"
    ".checks th{background:#f5f5f5}details.group{margin:.4em 0;border:1px solid #ddd;border-radius:4px}"
    "details.group>summary{cursor:pointer;padding:6px;background:#fafafa;font-weight:600}"
    ".cell summary{cursor:pointer;color:#fff;padding:1px 6px;border-radius:3px;list-style:none;display:inline-block}"
    ".cell pre{white-space:pre-wrap;word-break:break-word;max-width:60em;font-size:12px}"
    "tr.diff{outline:3px solid #ffca28}.note{font-size:12px;color:#555}.attention li{margin:.2em 0}"
    "#filter{font-size:14px;padding:4px;width:min(30em,100%)}code{word-break:break-all}"
)
SCRIPT = """
const box = document.getElementById('filter');
function applyFilter() {
  const query = box.value.trim().toLowerCase();
  const status = query.startsWith('status:') ? query.slice(7) : null;
  document.querySelectorAll('tr.row').forEach(row => {
    row.hidden = status ? !row.dataset.statuses.split(' ').includes(status) : !row.dataset.text.includes(query);
  });
  document.querySelectorAll('details.group').forEach(group => {
    const shown = [...group.querySelectorAll('tr.row')].some(row => !row.hidden);
    group.hidden = !shown;
    if (query && shown) group.open = true;
  });
}
function reveal() {
  const target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
  for (let node = target; node; node = node.parentElement) if (node.tagName === 'DETAILS') node.open = true;
  if (target) target.scrollIntoView({block: 'center'});
}
box.addEventListener('input', applyFilter);
document.querySelectorAll('button[data-status]').forEach(button => button.addEventListener('click', () => {
  box.value = 'status:' + button.dataset.status; applyFilter();
}));
window.addEventListener('hashchange', reveal);
reveal();
"""

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


@dataclass(frozen=True)
class Row:
    """One check instance across the targets."""

    instance: str
    check: dict[str, Any]
    results: list[dict[str, str] | None]  # by target, None where the target did not run it

    @property
    def statuses(self) -> list[str | None]:
        return [r["status"] if r else None for r in self.results]

    @property
    def anchor(self) -> str:
        return "row-" + re.sub(r"[^A-Za-z0-9_-]+", "_", self.instance)

    def cell_anchor(self, column: int) -> str:
        return f"{self.anchor}-{column}"


def render(matrix: Matrix) -> str:
    targets = matrix["targets"]
    checks = {c["id"]: c for c in matrix["checks"]}
    rows = [
        Row(
            instance,
            checks.get(instance.split("[", 1)[0], {}),
            [matrix["results"].get(t["name"], {}).get(instance) for t in targets],
        )
        for instance in instances(matrix)
    ]
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>Directus auth conformance</title><style>{STYLE}</style></head><body>"
        "<h1>Directus authentication conformance</h1>"
        f"<p class='note'>Suite {escape(str(matrix.get('suite_version')))} · {escape(str(matrix.get('generated')))}"
        " · rows outlined in yellow differ between targets</p>"
        + _totals(matrix, targets)
        + _attention(rows, targets)
        + _advisories(matrix, targets)
        + "<h2>Checks by behaviour</h2>"
        "<p><input id='filter' type='search' placeholder='filter: a check ID, a word of its title, or status:failed'"
        " aria-label='filter the checks'></p>"
        + "".join(_group(behaviour, members, targets) for behaviour, members in _by_behaviour(rows))
        + f"<script>{SCRIPT}</script></body></html>"
    )


def _badge(status: Status, text: str, *, button: bool = False) -> str:
    style = f"background:{COLOURS[status]}"
    if button:
        return f"<button class='badge' style='{style}' data-status='{status.value}'>{escape(text)}</button>"
    return f"<span class='badge' style='{style}'>{escape(text)}</span>"


def _counts(results: list[dict[str, str] | None]) -> Counter[Status]:
    return Counter(Status(r["status"]) for r in results if r)


def _badges(counts: Counter[Status], *, button: bool = False) -> str:
    return "".join(_badge(s, f"{counts[s]} {s.value}", button=button) for s in Status if counts[s])


def _totals(matrix: Matrix, targets: list[dict[str, Any]]) -> str:
    every = [r for t in targets for r in matrix["results"].get(t["name"], {}).values()]
    buttons = _badges(_counts(every), button=True)
    lines = [f"<tr><th>all targets</th><td>{len(every)} results</td><td>{buttons}</td></tr>"]
    if len(targets) > 1:
        for target in targets:
            results = list(matrix["results"].get(target["name"], {}).values())
            lines.append(
                f"<tr><th>{escape(target['name'])}</th><td>{_target_line(target)}</td>"
                f"<td>{_badges(_counts(results))}</td></tr>"
            )
    return f"<table class='totals' id='totals'>{''.join(lines)}</table>"


def _target_line(target: dict[str, Any]) -> str:
    return (
        f"Directus {escape(str(target.get('version') or '?'))} · {escape(str(target.get('database') or '?'))}"
        f" · {escape(str(target.get('base_url') or ''))}"
    )


def _attention(rows: list[Row], targets: list[dict[str, Any]]) -> str:
    """Failures, errors and findings, each with its one-line cause and a link that opens its evidence."""
    items = []
    for status in ATTENTION:
        for row in rows:
            for column, (target, result) in enumerate(zip(targets, row.results, strict=True)):
                if result and result["status"] == status.value:
                    where = f" ({escape(target['name'])})" if len(targets) > 1 else ""
                    items.append(
                        f"<li>{_badge(status, status.value)} <a href='#{row.cell_anchor(column)}'>"
                        f"<code>{escape(row.instance)}</code></a>{where} — {escape(result.get('reason') or '')}</li>"
                    )
    if not items:
        return "<h2>Needs attention</h2><p>Nothing failed, and no finding.</p>"
    return f"<h2>Needs attention</h2><ul class='attention'>{''.join(items)}</ul>"


def _advisories(matrix: Matrix, targets: list[dict[str, Any]]) -> str:
    items = "".join(
        f"<li><b>{escape(t['name'])}</b>: {escape(v.line())}</li>"
        for t in targets
        for v in advisory_verdicts(matrix, t)
    )
    return f"<h2>Known advisories</h2><ul>{items}</ul>" if items else ""


def _by_behaviour(rows: list[Row]) -> list[tuple[str, list[Row]]]:
    """The rows by behaviour; behaviours with failures first, then findings, then the rest, each by name."""
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(str(row.check.get("behaviour") or "Other"), []).append(row)

    def urgency(item: tuple[str, list[Row]]) -> tuple[int, str]:
        seen = {s for row in item[1] for s in row.statuses if s}
        first = next((i for i, s in enumerate(ATTENTION) if s.value in seen), len(ATTENTION))
        return first, item[0]

    return sorted(groups.items(), key=urgency)


def _group(behaviour: str, rows: list[Row], targets: list[dict[str, Any]]) -> str:
    counts = _counts([r for row in rows for r in row.results])
    opened = " open" if any(counts[s] for s in ATTENTION) else ""
    header = "".join(f"<th>{escape(t['name'])}<div class='note'>{_target_line(t)}</div></th>" for t in targets)
    body = "".join(_row(row, targets) for row in rows)
    return (
        f"<details class='group'{opened}><summary>{escape(behaviour)} · {len(rows)} · {_badges(counts)}</summary>"
        f"<div class='scroll'><table class='checks'><tr><th>check</th>{header}</tr>{body}</table></div></details>"
    )


def _row(row: Row, targets: list[dict[str, Any]]) -> str:
    check = row.check
    statuses = [s for s in row.statuses if s]
    differs = len(set(statuses)) > 1
    axes = differing_axes(targets, row.statuses) if differs else []
    notes = [f"{check.get('level', '')} · {check.get('title', '')}"]
    notes += [f"{a.id} ({a.title}), fixed in {a.fixed or '?'}" for a in named_by(check.get("refs", ()))]
    notes += [f"differs by {' and '.join(axes)}"] if axes else []
    text = " ".join([row.instance, str(check.get("title", "")), str(check.get("behaviour", "")), *statuses]).lower()
    cells = "".join(_cell(result, row.cell_anchor(column)) for column, result in enumerate(row.results))
    return (
        f"<tr class='row{' diff' if differs else ''}' id='{row.anchor}' data-text='{escape(text)}' "
        f"data-statuses='{' '.join(sorted(set(statuses)))}'><td><code>{escape(row.instance)}</code>"
        + "".join(f"<div class='note'>{escape(note)}</div>" for note in notes)
        + f"</td>{cells}</tr>"
    )


def _cell(result: dict[str, str] | None, anchor: str) -> str:
    """A status badge; where the result says more (a failure's evidence, a skip's reason), it opens on a click."""
    if result is None:
        return "<td class='cell'>—</td>"
    status = Status(result["status"])
    detail = result.get("detail") or result.get("reason") or ""
    if not detail:
        return f"<td class='cell' id='{anchor}'>{_badge(status, status.value)}</td>"
    summary = f"<summary style='background:{COLOURS[status]}'>{escape(status.value)}</summary>"
    return f"<td class='cell'><details id='{anchor}'>{summary}<pre>{escape(detail)}</pre></details></td>"
