"""summary.md, fit to paste into a CI job summary: totals first, failures with one-line causes, then findings,
waivers and skips with reasons, then the baseline diff."""

from __future__ import annotations

from collections import Counter

from conformance.outcome import Status
from conformance.report.matrix import Change, Matrix, advisory_verdicts

ICONS = {
    Status.PASSED: "✅",
    Status.FAILED: "❌",
    Status.ERROR: "💥",
    Status.WARNING: "⚠️",
    Status.WAIVED: "🟦",
    Status.SKIPPED: "⏭️",
}


def render(
    matrix: Matrix,
    *,
    verdict: str,
    notes: list[str],
    regressions: list[Change] | None = None,
    improvements: list[Change] | None = None,
) -> str:
    lines = [f"# Directus authentication conformance — {verdict}", ""]
    for target in matrix["targets"]:
        results = matrix["results"].get(target["name"], {})
        counts = Counter(r["status"] for r in results.values())
        totals = ", ".join(f"{counts[s]} {s.value}" for s in Status if counts[s])
        version = target.get("version") or "version unknown"
        lines += [
            f"**{target['name']}** ({target.get('base_url', '')}, Directus {version}): "
            f"{len(results)} checks — {totals}",
            "",
        ]
    lines += [f"- {note}" for note in notes]
    if notes:
        lines.append("")
    advisories = [(target["name"], v) for target in matrix["targets"] for v in advisory_verdicts(matrix, target)]
    if advisories:
        lines += ["## Known advisories", ""]
        lines += [f"- **{name}**: {verdict.line()}" for name, verdict in advisories]
        lines.append("")
    for title, statuses in (
        ("Failures", (Status.FAILED, Status.ERROR)),
        ("Findings (SHOULD)", (Status.WARNING,)),
        ("Waived", (Status.WAIVED,)),
        ("Skipped", (Status.SKIPPED,)),
    ):
        rows = [
            (target, instance, result)
            for target, results in matrix["results"].items()
            for instance, result in results.items()
            if result["status"] in statuses
        ]
        if rows:
            lines += [f"## {title}", ""]
            lines += [
                f"- {ICONS[r['status']]} `{instance}` ({target}) — {r['reason'] or r['status']}"
                for target, instance, r in rows
            ]
            lines.append("")
    if regressions is not None:
        lines += ["## Against the baseline", ""]
        lines += [f"- regression: `{c.instance}` ({c.target}) {c.before} → {c.after}" for c in regressions]
        lines += [f"- improvement: `{c.instance}` ({c.target}) {c.before} → {c.after}" for c in improvements or []]
        if not regressions and not improvements:
            lines.append("- no change")
        lines.append("")
    return "\n".join(lines)
