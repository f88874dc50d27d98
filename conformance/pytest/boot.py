"""Boot Directus while pytest starts: its workers import and collect meanwhile, and the controller waits for the
server only when the checks are about to run. It then seeds the server in the background: checks that need the cast
wait for it (the seed's file lock), the others run meanwhile."""

from __future__ import annotations

import contextlib
import threading

import pytest

from conformance.embedded.server import EmbeddedDirectus
from conformance.errors import EmbeddedError
from conformance.pytest.configured import run_of
from conformance.shared_seed import SharedSeed, open_loader

__all__ = ["REPORTING_PLUGIN_NAME", "BootGate"]

REPORTING_PLUGIN_NAME = "directus-conformance-reporting"  # its name in pytest's plugin manager


class BootGate:
    """A controller-side pytest plugin: `pytest.main(args, plugins=[gate])`, then `gate.raise_boot_error()`."""

    def __init__(self, server: EmbeddedDirectus) -> None:
        self.server = server
        self.error: EmbeddedError | None = None
        self.seeding: threading.Thread | None = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool | None:
        """Before xdist's loop (or pytest's) hands out the first check. A server that never came up runs no check;
        its error is raised after pytest has finished, where the CLI prints it as one line."""
        try:
            self.server.wait_until_ready()
        except EmbeddedError as error:
            self.error = error
            session.config.pluginmanager.unregister(name=REPORTING_PLUGIN_NAME)  # no report of a run that never began
            return True
        self.seeding = threading.Thread(target=seed_now, args=(session.config,), name="seed", daemon=True)
        self.seeding.start()
        return None

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self) -> None:
        """The seed is over before the reports read its facts and the run's shared files go."""
        if self.seeding is not None:
            self.seeding.join()

    def raise_boot_error(self) -> None:
        if self.error is not None:
            raise self.error


def seed_now(config: pytest.Config) -> None:
    """Seed the fresh server now: nearly every check needs the cast, and the workers still import and collect.
    Whatever goes wrong is left to the checks, which take the same path and report it (a failed seed as its
    redacted answer, anything else as they meet it again), never a traceback here."""
    run = run_of(config)
    if run.target is None or run.readonly:
        return
    with contextlib.suppress(Exception), open_loader(run, run.target) as loader:
        SharedSeed(run.run_tag).get_or_make(loader)
