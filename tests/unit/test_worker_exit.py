"""A finished xdist worker of a conformance run exits at once, without Python's finalization (see plugin)."""

from __future__ import annotations

from pathlib import Path

from tests.xdist_runs import run_with_workers


def test_a_finished_worker_skips_the_interpreters_finalization(tmp_path: Path) -> None:
    finalized = tmp_path / "finalized"
    check = "import atexit\nimport pathlib\n\n\ndef test_at_exit():\n"
    check += f"    atexit.register(pathlib.Path({str(finalized)!r}).touch)\n"
    done = run_with_workers(tmp_path, check, 1)
    assert done.returncode == 0 and "1 passed" in done.stdout, done.stdout + done.stderr
    assert not finalized.exists()  # the worker's own exit handlers never ran
