"""A throwaway PostgreSQL for the embedded Directus (`--database postgres`): Debian's server, in a data directory
of its own, listening on a free loopback port, started and stopped by the harness (`pg_ctl`, by the PID it keeps).

PostgreSQL refuses to run as root: as root, its commands run as the `postgres` user the Debian package creates.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from conformance.embedded.settings import free_port
from conformance.errors import EmbeddedError

__all__ = ["EmbeddedPostgres"]

DATABASE = "directus"
START_TIMEOUT_S = 30


def server_bin() -> Path:
    """The newest PostgreSQL server of the Debian packages (`apt-get install postgresql`)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[4]))
    if not found:
        raise EmbeddedError("no PostgreSQL server: install Debian's postgresql (apt-get install postgresql)")
    return Path(found[-1]).parent


class EmbeddedPostgres:
    """`with EmbeddedPostgres() as pg: pg.environment()` gives Directus its DB_* settings."""

    def __init__(self) -> None:
        self.port = free_port()
        self.directory: Path | None = None

    def __enter__(self) -> EmbeddedPostgres:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def data(self) -> Path:
        assert self.directory is not None
        return self.directory / "data"

    def start(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="directus-conformance-pg-"))
        os.chmod(self.directory, 0o755)  # the postgres user reaches its data directory and socket through it
        self.data.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.data, "postgres", "postgres")
            shutil.chown(self.directory, "postgres", "postgres")
        self._as_postgres("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale")
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.directory} -c fsync=off"
        self._as_postgres(
            "pg_ctl", "-D", str(self.data), "-l", str(self.directory / "postgres.log"), "-w", "-t",
            str(START_TIMEOUT_S), "-o", options, "start",
        )  # fmt: skip
        self._as_postgres("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", DATABASE)

    def environment(self) -> dict[str, str]:
        return {
            "DB_CLIENT": "pg",
            "DB_HOST": "127.0.0.1",
            "DB_PORT": str(self.port),
            "DB_DATABASE": DATABASE,
            "DB_USER": "postgres",
            "DB_PASSWORD": "",
        }

    @property
    def pid(self) -> int | None:
        """The postmaster's PID, as PostgreSQL records it."""
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError, AssertionError):
            return None

    def stop(self) -> None:
        """Stop the server (pg_ctl: by the postmaster's PID, fast mode) and remove its data."""
        if self.directory is None:
            return
        if self.pid is not None:
            subprocess.run(
                self._command("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop"),
                capture_output=True,
                check=False,
                timeout=START_TIMEOUT_S,
            )
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory = None

    def _command(self, tool: str, *args: str) -> list[str]:
        command = [str(server_bin() / tool), *args]
        return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command

    def _as_postgres(self, tool: str, *args: str) -> None:
        done = subprocess.run(
            self._command(tool, *args), capture_output=True, text=True, check=False, timeout=START_TIMEOUT_S
        )
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise EmbeddedError(f"PostgreSQL {tool} failed (exit {done.returncode}): {' / '.join(tail)}")
