"""What the controller does before it hands out the first check: wait for the embedded Directus (booting while
pytest's workers start), seed the run's cast, learn the target's facts, and say, one line each, what it learnt.

Checks then start from a seeded, known target. Whatever goes wrong here is left to the checks, which take the same
path and report it (a failed seed as its redacted answer), never a traceback here.
"""

from __future__ import annotations

import pytest

from conformance.embedded.server import EmbeddedDirectus
from conformance.errors import EmbeddedError, TargetError
from conformance.pytest.fixtures import process_target

__all__ = ["REPORTING_PLUGIN_NAME", "Prelude"]

REPORTING_PLUGIN_NAME = "directus-conformance-reporting"  # its name in pytest's plugin manager


class Prelude:
    """A controller-side pytest plugin. The CLI passes one with the server it is booting
    (`pytest.main(args, plugins=[prelude])`, then `prelude.raise_boot_error()`); otherwise the plugin adds one."""

    def __init__(self, server: EmbeddedDirectus | None = None) -> None:
        self.server = server
        self.error: EmbeddedError | None = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool | None:
        """Before xdist's loop (or pytest's) hands out the first check. A server that never came up runs no check;
        its error is raised after pytest has finished, where the CLI prints it as one line."""
        if self.server is not None:
            try:
                self.server.wait_until_ready()
            except EmbeddedError as error:
                self.error = error
                session.config.pluginmanager.unregister(name=REPORTING_PLUGIN_NAME)  # no report of a run not begun
                return True
        if not session.config.option.collectonly:
            self.prepare(session.config)
        return None

    def prepare(self, config: pytest.Config) -> None:
        shared = process_target(config)
        if shared.run.target is None:
            return
        write = config.pluginmanager.get_plugin("terminalreporter")
        try:
            if not shared.run.readonly:
                shared.cast()
            facts = shared.facts()
        except (TargetError, pytest.fail.Exception) as problem:  # the checks meet it again and report it
            if write is not None:
                write.write_line(f"directus target: could not learn its facts: {str(problem).splitlines()[0]}")
            return
        if write is not None:
            for line in [shared.run.target.connection, *facts.lines()]:
                write.write_line(f"directus target: {line}")

    def raise_boot_error(self) -> None:
        if self.error is not None:
            raise self.error
