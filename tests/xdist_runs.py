"""Running a small throwaway test file under pytest-xdist, with this project's plugin loaded (as a run would)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run_with_workers(directory: Path, source: str, workers: int, *options: str) -> subprocess.CompletedProcess[str]:
    """Write `source` as one test module in `directory` and run it with `workers` xdist workers."""
    (directory / "test_probe.py").write_text(source)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", str(workers), str(directory)]
    return subprocess.run([*command, *options], capture_output=True, text=True)
