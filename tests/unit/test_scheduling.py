"""Under pytest-xdist, the checks that wait on the target's clock start at once, each on a worker of its own, and a
check that may break the target runs after all the others."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.xdist_runs import run_with_workers

CHECKS = """
import os
import pathlib

import pytest

from conformance.registry import check

RAN_ON = pathlib.Path({ran_on!r})


@check("TEST-WAITS-A", level="MUST", title="waits a", refs=["x"], waits=True)
def test_waits_a():
    (RAN_ON / "a").write_text(os.environ["PYTEST_XDIST_WORKER"])


@check("TEST-WAITS-B", level="MUST", title="waits b", refs=["x"], waits=True)
def test_waits_b():
    (RAN_ON / "b").write_text(os.environ["PYTEST_XDIST_WORKER"])


@pytest.mark.parametrize("n", range(14))
def test_other(n):
    pass
"""


def test_the_waiting_checks_start_on_different_workers(tmp_path: Path) -> None:
    done = run_with_workers(tmp_path, CHECKS.format(ran_on=str(tmp_path)), 2)
    assert done.returncode == 0 and "16 passed" in done.stdout, done.stdout + done.stderr
    assert (tmp_path / "a").read_text() != (tmp_path / "b").read_text()  # xdist alone gives both to one worker


BREAKING = """
import os
import pathlib
import time

import pytest

from conformance.registry import check

LOG = pathlib.Path({log!r})


def note(what):
    with LOG.open("a") as log:
        log.write(f"{{time.monotonic()}} {{what}}\\n")


@check("TEST-BREAKS", level="MUST", title="breaks the target", refs=["x"], breaks_target=True)
def test_breaks():
    note("breaker")


@check("TEST-WAITS", level="MUST", title="waits", refs=["x"], waits=True)
def test_waits():
    time.sleep(0.5)
    note("other")


@pytest.mark.parametrize("n", range({others}))
def test_other(n):
    time.sleep(0.05)
    note("other")
"""

CONTROLLER_KNOWS_THE_PROBE = "import test_probe  # its checks registered in the xdist controller, as the suite's are\n"


@pytest.mark.parametrize(("workers", "others"), [(2, 14), (3, 14), (2, 0)])
def test_a_check_that_breaks_the_target_runs_after_all_others(tmp_path: Path, workers: int, others: int) -> None:
    log = tmp_path / "log"
    (tmp_path / "conftest.py").write_text(CONTROLLER_KNOWS_THE_PROBE)
    done = run_with_workers(tmp_path, BREAKING.format(log=str(log), others=others), workers)
    assert done.returncode == 0 and f"{others + 2} passed" in done.stdout, done.stdout + done.stderr
    events = [line.split() for line in log.read_text().splitlines()]
    breaker = next(float(at) for at, what in events if what == "breaker")
    assert all(float(at) < breaker for at, what in events if what == "other"), events
