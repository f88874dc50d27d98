"""Against the embedded Directus, the checks (controller and xdist workers) run at a lower priority than the server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conformance.pytest.workers import EMBEDDED_NICENESS
from tests.xdist_runs import run_with_workers


@pytest.mark.parametrize("embedded", [True, False])
def test_workers_yield_the_cores_only_to_an_embedded_target(tmp_path: Path, embedded: bool) -> None:
    expected = os.nice(0) + (EMBEDDED_NICENESS if embedded else 0)
    check = f"import os\n\n\ndef test_niceness():\n    assert os.nice(0) == {expected}\n"
    target = ["--base-url", "http://127.0.0.1:9", *(["--embedded-target"] if embedded else [])]
    done = run_with_workers(tmp_path, check, 1, *target)
    assert done.returncode == 0, done.stdout + done.stderr
