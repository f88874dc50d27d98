"""Print the kill table (docs/mutants.md) from the catalogue: `python -m tests.mutants.table > docs/mutants.md`.

The table states what tests/mutants/test_mutants.py proves: each mutant is caught by exactly these checks, and no
others (CI: the mutants of its cover; `tox -e mutants`: every one).
"""

from __future__ import annotations

from conformance.embedded import DEFAULT_VERSION
from conformance.registry import load_all_checks
from tests.mutants.catalogue import KNOWN_ADVISORIES, MUTANTS, STOCK_FINDINGS
from tests.mutants.selection import ci_cover


def render() -> str:
    lines = [
        "# Mutants: every check shown to fail",
        "",
        "Each mutant is one realistic fault injected by a loopback proxy (`tests/mutants/proxy.py`; WebSockets "
        "through `tests/mutants/socket_relay.py`) in front of the "
        "real embedded Directus. `tests/mutants/test_mutants.py` runs the whole conformance suite through the proxy "
        "once per mutant (the OpenAPI suite only for the mutants it is to catch) and asserts that exactly the listed "
        "checks fail — and, with no mutant, that none does. "
        "CI runs the mutants marked in its column: the fewest that between them catch every check "
        "(`tests/mutants/selection.py`); `tox -e mutants` runs them all. "
        "Regenerate this file with `python -m tests.mutants.table > docs/mutants.md`.",
        "",
        "| mutant | behaviour | the fault | caught by | CI |",
        "|---|---|---|---|---|",
    ]
    in_ci = ci_cover(MUTANTS)
    for mutant in MUTANTS:
        caught = ", ".join(f"`{check}`" for check in sorted(mutant.expected))
        ci = "✓" if mutant in in_ci else ""
        lines.append(f"| `{mutant.name}` | {mutant.behaviour} | {mutant.description} | {caught} | {ci} |")
    caught_somewhere = set().union(*(m.expected for m in MUTANTS))
    lines += [
        "",
        "## Checks no mutant needs to break",
        "",
        "These SHOULD checks already fail, as findings, on a stock Directus; the no-mutation run asserts "
        "exactly these findings, so it is their negative control.",
        "",
        "| check | why it fails on stock Directus |",
        "|---|---|",
    ]
    lines += [f"| `{check}` | {why} |" for check, why in STOCK_FINDINGS.items()]
    lines += [
        "",
        "## Checks a published advisory breaks on the embedded default",
        "",
        f"These fail on the stock Directus {DEFAULT_VERSION} for an advisory of that release (shipped as waivers, "
        "`conformance/embedded/known-advisories.yaml`; the no-mutation run asserts them waived). The release is their "
        "negative control; docs/advisories.md shows each failing before the fix and passing after it.",
        "",
        "| check | advisory |",
        "|---|---|",
    ]
    lines += [f"| `{check}` | {advisory} |" for check, advisory in KNOWN_ADVISORIES.items()]
    uncovered = sorted(set(load_all_checks()) - caught_somewhere - set(STOCK_FINDINGS) - set(KNOWN_ADVISORIES))
    if uncovered:
        lines += ["", "## Not yet caught by any mutant", ""] + [f"- `{check}`" for check in uncovered]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
