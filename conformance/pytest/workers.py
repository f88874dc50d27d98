"""How the run's processes share the machine: priority against an embedded server, xdist's scheduling of the
checks, and a worker's quick exit.

(PYTEST_DONT_REWRITE: a plugin module that the entry point imports before pytest loads it; it asserts nothing.)
"""

from __future__ import annotations

import atexit
import os
import sys
from typing import Any

import pytest

from conformance.config import Target
from conformance.pytest.configured import is_worker, run_of
from conformance.scheduling import WaitingChecksSpread

__all__ = ["EMBEDDED_NICENESS", "REMOTE_WORKERS", "default_workers"]

REMOTE_WORKERS = 8

EMBEDDED_NICENESS = 10
"""Against the embedded Directus on the same machine, the checks yield the cores to it: the controller lowers its
priority before xdist starts the workers, which inherit it. The server then boots while they import, and is never
starved by the workers that wait on it (the README's "Where the time goes" has the figures). Niceness only goes up,
so the later versions of a `matrix` (one process) start from the raised level, servers included: still correct, a
little slower."""


def default_workers(target: Target) -> int:
    """Against a remote target the suite is bound by round trips and waits, which more workers overlap; an embedded
    target shares this machine's cores with the checks: one worker per core, plus two to fill the waits. (The
    README's "Where the time goes" has the measurements behind both.)"""
    return (os.cpu_count() or 1) + 2 if target.embedded else REMOTE_WORKERS


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto` gets the same policy as `directus-conformance run` (xdist's own when no target is named)."""
    target = run_of(config).target
    return default_workers(target) if target is not None else None


def pytest_configure(config: pytest.Config) -> None:
    target = run_of(config).target
    if not is_worker(config) and target is not None and target.embedded:
        os.nice(EMBEDDED_NICENESS)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> WaitingChecksSpread | None:
    """xdist, `--dist load` (the default with -n): the waiting checks start on workers of their own (see
    scheduling). Any other `--dist` mode is xdist's own."""
    return WaitingChecksSpread(config, log) if config.getvalue("dist") == "load" else None


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """An xdist worker that has finished ends without Python's finalization: the controller waits for every worker
    to exit before it reports, and tearing down the interpreters of four workers (hypothesis, schemathesis…) is a
    noticeable part of a run's end. Registered last, so it runs first at exit, once the worker has said all it has
    to say to the controller; its files are written and closed by then."""
    if is_worker(config):
        atexit.register(_exit_at_once)


def _exit_at_once() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
