"""Under pytest-xdist, the checks that wait on the target's clock start at once, each on a worker of its own."""

from __future__ import annotations

from pathlib import Path

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
