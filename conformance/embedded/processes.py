"""The processes the harness starts beside the checks (Directus, a database server): they die with the harness,
and are stopped by their PID."""

from __future__ import annotations

import contextlib
import ctypes
import signal
import subprocess
import sys

__all__ = ["die_with_parent", "stop"]


def die_with_parent() -> None:
    """In the child, before exec: ask Linux to SIGTERM us when the parent dies."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def stop(process: subprocess.Popen[bytes] | None, timeout_s: float) -> None:
    """SIGTERM by PID, then SIGKILL when it has not exited within `timeout_s`."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout_s)
