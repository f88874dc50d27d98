"""Each advisory check fails on a real vulnerable release and passes on a fixed one, as proofs.json records.

CI proves the cover (pinned releases where they serve, one extra install); `tox -e advisories` sets
DIRECTUS_CONFORMANCE_PROVE=demo and proves every demo pair (last vulnerable → first fixed)."""

from __future__ import annotations

import os
from pathlib import Path

from tests.advisories.proofs import cover, demo_pairs, load_recorded, prove

SELECTION = "DIRECTUS_CONFORMANCE_PROVE"


def test_each_advisory_check_fails_on_a_vulnerable_release_and_passes_on_a_fixed_one(tmp_path: Path) -> None:
    pairs = demo_pairs() if os.environ.get(SELECTION) == "demo" else cover()
    recorded = {(p.advisory, p.pair): p for p in load_recorded()}
    seen = prove(pairs, tmp_path / "reports")
    differing = [
        f"{p.advisory} {p.vulnerable} → {p.fixed}: seen {p.on_vulnerable} → {p.on_fixed}, recorded "
        + (f"{r.on_vulnerable} → {r.on_fixed}" if (r := recorded.get((p.advisory, p.pair))) else "nothing")
        for p in seen
        if (r := recorded.get((p.advisory, p.pair))) is None
        or (r.on_vulnerable, r.on_fixed) != (p.on_vulnerable, p.on_fixed)
    ]
    assert not differing, "\n".join(differing) + "\n(re-record with python -m tests.advisories.record)"
