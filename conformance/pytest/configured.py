"""The Run a pytest process checks, in its stash: given by the CLI as an object, sent by the controller to xdist
workers in its wire form, or resolved from pytest's own options for plain `pytest --pyargs conformance.checks`."""

from __future__ import annotations

import os
from typing import Any

import pytest

from conformance.errors import ConfigError
from conformance.options import from_pytest
from conformance.run import Run

__all__ = ["RunHolder", "is_worker", "run_of", "send_to_worker"]

RUN = pytest.StashKey[Run]()
WIRE_KEY = "directus_run"  # in xdist's workerinput


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def run_of(config: pytest.Config) -> Run:
    """The run of this process, resolved the first time it is asked for (a bad option value: a usage error)."""
    if RUN not in config.stash:
        given = from_pytest(config)
        if is_worker(config):
            wire = config.workerinput[WIRE_KEY]  # type: ignore[attr-defined]  # xdist sets it on its workers
            config.stash[RUN] = Run.from_wire(wire, given, os.environ)
        else:
            try:
                name = "embedded" if given["embedded_target"] else "default"
                config.stash[RUN] = Run.resolve(given, os.environ, target_name=name)
            except ConfigError as error:
                raise pytest.UsageError(str(error)) from error
    return config.stash[RUN]


def send_to_worker(node: Any) -> None:
    """xdist: a worker checks its controller's run."""
    node.workerinput[WIRE_KEY] = run_of(node.config).to_wire()


class RunHolder:
    """What the CLI passes to `pytest.main(plugins=[...])`: the Run it resolved, stashed before anything reads it."""

    def __init__(self, run: Run) -> None:
        self.run = run

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[RUN] = self.run
