"""Boot Directus while pytest starts: its workers import and collect meanwhile (about 2 s), and the controller waits
for the server only when the checks are about to run."""

from __future__ import annotations

import pytest

from conformance.embedded.server import EmbeddedDirectus, EmbeddedError
from conformance.plugin import REPORTING_PLUGIN


class WaitBeforeChecks:
    """A controller-side pytest plugin: `pytest.main(args, plugins=[gate])`, then `gate.raise_boot_error()`."""

    def __init__(self, server: EmbeddedDirectus) -> None:
        self.server = server
        self.error: EmbeddedError | None = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool | None:
        """Before xdist's loop (or pytest's) hands out the first check. A server that never came up runs no check;
        its error is raised after pytest has finished, where the CLI prints it as one line."""
        try:
            self.server.wait_until_ready()
        except EmbeddedError as error:
            self.error = error
            session.config.pluginmanager.unregister(name=REPORTING_PLUGIN)  # no report of a run that never began
            return True
        return None

    def raise_boot_error(self) -> None:
        if self.error is not None:
            raise self.error
