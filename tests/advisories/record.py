"""Run the proofs and record what they saw: `python -m tests.advisories.record [--cover] [--only IDS] [--from M]`.

Proves every demo pair (or, with --cover, CI's cover), merges the outcomes into proofs.json and rewrites
docs/advisories.md from it. --only proves the advisories named (comma-separated). --from reads the outcomes from
the matrix.json of an earlier proof run instead.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from tests.advisories.proofs import cover, demo_pairs, proofs_in, prove, save_recorded
from tests.advisories.table import render

DOCS = Path(__file__).parents[2] / "docs" / "advisories.md"


def main(argv: list[str]) -> int:
    pairs = cover() if "--cover" in argv else demo_pairs()
    if "--only" in argv:  # some advisories only: --only GHSA-…,GHSA-…
        wanted = argv[argv.index("--only") + 1].split(",")
        pairs = {advisory: pair for advisory, pair in pairs.items() if advisory in wanted}
    if "--from" in argv:
        proofs = proofs_in(json.loads(Path(argv[argv.index("--from") + 1]).read_text()), pairs)
    else:
        with tempfile.TemporaryDirectory(prefix="advisory-proofs-") as reports:
            proofs = prove(pairs, Path(reports))
    save_recorded(proofs)
    DOCS.write_text(render())
    for proof in proofs:
        print(f"{proof.advisory}: {proof.vulnerable} {proof.on_vulnerable} → {proof.fixed} {proof.on_fixed}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
