"""Print the proof table (docs/advisories.md): `python -m tests.advisories.table > docs/advisories.md`.

Every advisory of the catalogue, with the checks that name it and what the recorded proofs (proofs.json) saw on its
releases: proven, does not reproduce as described, not run here (neither release ran its checks), not yet proven,
or what a check would need that is missing here.
"""

from __future__ import annotations

from conformance.advisories import Advisory, advisories
from conformance.embedded import OLDEST_VERSION
from tests.advisories.proofs import FAILS, PASSES, Proof, checks_of, demo_pairs, installable, load_recorded

SEVERITY = {"critical": "C", "high": "H", "medium": "M", "low": "L", "unknown": "?"}


def state(advisory: Advisory, checks: list[str], proofs: list[Proof]) -> str:
    """One phrase for the table's last column."""
    demo = advisory.demo
    if not checks:
        if demo and not (installable(demo[0]) and installable(demo[1])):
            return f"needs a release before {OLDEST_VERSION} (the launcher installs from {OLDEST_VERSION})"
        if not advisory.black_box:
            return f"needs {advisory.needs} (not black-box here)"
        return f"no check yet (issue #{advisory.issue})" + (f"; needs {advisory.needs}" if advisory.needs else "")
    if any(p.proven for p in proofs):
        return "**proven**"
    if demo is None or advisory.id not in demo_pairs():
        return f"checked; no installable release pair ({OLDEST_VERSION} on)"
    if proofs and not any({p.on_vulnerable, p.on_fixed} & {FAILS, PASSES} for p in proofs):
        return "**not run here**" + (f": {advisory.note}" if advisory.note else "")
    if proofs:
        return "**does not reproduce as described**" + (f": {advisory.note}" if advisory.note else "")
    return "checked, not yet proven"


def seen(proofs: list[Proof]) -> str:
    return "<br>".join(f"{p.vulnerable}: {p.on_vulnerable} → {p.fixed}: {p.on_fixed} ({p.date})" for p in proofs) or "—"


def render() -> str:
    recorded = load_recorded()
    lines = [
        "# Known advisories: each check proven on the real releases",
        "",
        "Every published Directus advisory on authentication and access control in the catalogue "
        "(`conformance/advisories.yaml`, from `../shared/spec/directus-advisories.md`). A check names the advisories "
        "it guards in its refs; a proof runs those checks on the embedded Directus of a vulnerable and of a fixed "
        "release (`tests/advisories/`): **proven** means they failed on the first and passed on the second. "
        "`tox -e advisories` re-proves every demo pair (last vulnerable → first fixed on the npm registry); CI "
        "proves the cover (pinned releases where they are in range or past the fix). Regenerate with "
        "`python -m tests.advisories.record` (runs the proofs) or `python -m tests.advisories.table > "
        "docs/advisories.md`.",
        "",
        "| advisory | sev | title | checks | demo pair | seen (vulnerable → fixed) | state |",
        "|---|---|---|---|---|---|---|",
    ]
    for advisory in advisories().values():
        checks = checks_of(advisory)
        proofs = [p for p in recorded if p.advisory == advisory.id]
        demo = " → ".join(advisory.demo) if advisory.demo else "unconfirmed"
        demo += f" (on {advisory.database})" if advisory.database != "sqlite" else ""
        lines.append(
            f"| [{advisory.id}]({advisory.url}) | {SEVERITY[advisory.severity]} | {advisory.title} | "
            f"{', '.join(f'`{c}`' for c in checks) or '—'} | {demo} | {seen(proofs)} | "
            f"{state(advisory, checks, proofs)} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
