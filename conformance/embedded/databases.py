"""The throwaway databases the embedded Directus can run on besides SQLite (`--database postgres|mariadb`): Debian's
servers, each in a data directory of its own, listening on a free loopback port, started and stopped by the harness
by PID, and deleted with the run.

PostgreSQL refuses to run as root: as root, its commands run as the `postgres` user the Debian package creates.
MariaDB runs as root only when told (`--user=root`). The MySQL database is created utf8mb4, as Directus documents.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from conformance.embedded.processes import die_with_parent, stop
from conformance.embedded.settings import free_port
from conformance.errors import EmbeddedError

__all__ = ["DATABASE_SERVERS", "DatabaseServer", "EmbeddedMariaDB", "EmbeddedPostgres"]

DATABASE = "directus"
START_TIMEOUT_S = 30


class DatabaseServer:
    """`with Server() as db: db.environment()` gives Directus its DB_* settings; stopped and deleted on exit."""

    name = ""

    def __init__(self) -> None:
        self.port = free_port()
        self.directory: Path | None = None

    def __enter__(self) -> DatabaseServer:
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
        self.directory = Path(tempfile.mkdtemp(prefix=f"directus-conformance-{self.name}-"))
        self.data.mkdir()
        self._start()

    def stop(self) -> None:
        if self.directory is not None:
            self._stop()
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def environment(self) -> dict[str, str]:
        raise NotImplementedError

    def _start(self) -> None:
        raise NotImplementedError

    def _stop(self) -> None:
        raise NotImplementedError


def _run(what: str, command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=START_TIMEOUT_S)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise EmbeddedError(f"{what} failed (exit {done.returncode}): {' / '.join(tail)}")


def _postgres_bin() -> Path:
    """The newest PostgreSQL server of the Debian packages (`apt-get install postgresql`)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[4]))
    if not found:
        raise EmbeddedError("no PostgreSQL server: install Debian's postgresql (apt-get install postgresql)")
    return Path(found[-1]).parent


class EmbeddedPostgres(DatabaseServer):
    name = "postgres"

    def _start(self) -> None:
        assert self.directory is not None
        os.chmod(self.directory, 0o755)  # the postgres user reaches its data directory and socket through it
        if os.geteuid() == 0:
            shutil.chown(self.data, "postgres", "postgres")
            shutil.chown(self.directory, "postgres", "postgres")
        _run(
            "PostgreSQL initdb",
            self._as_postgres(
                "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale"
            ),
        )
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.directory} -c fsync=off"
        log = str(self.directory / "postgres.log")
        _run(
            "PostgreSQL pg_ctl start",
            self._as_postgres(
                "pg_ctl", "-D", str(self.data), "-l", log, "-w", "-t", str(START_TIMEOUT_S), "-o", options, "start"
            ),
        )
        _run(
            "PostgreSQL createdb",
            self._as_postgres("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", DATABASE),
        )

    def environment(self) -> dict[str, str]:
        return {
            "DB_CLIENT": "pg",
            "DB_HOST": "127.0.0.1",
            "DB_PORT": str(self.port),
            "DB_DATABASE": DATABASE,
            "DB_USER": "postgres",
            "DB_PASSWORD": "",
        }

    def _stop(self) -> None:
        """pg_ctl stops the postmaster by the PID it records (fast mode)."""
        if (self.data / "postmaster.pid").exists():
            command = self._as_postgres("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
            subprocess.run(command, capture_output=True, check=False, timeout=START_TIMEOUT_S)

    def _as_postgres(self, tool: str, *args: str) -> list[str]:
        command = [str(_postgres_bin() / tool), *args]
        return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class EmbeddedMariaDB(DatabaseServer):
    name = "mariadb"

    def __init__(self) -> None:
        super().__init__()
        self.process: subprocess.Popen[bytes] | None = None

    def _start(self) -> None:
        assert self.directory is not None
        if shutil.which("mariadbd") is None and not Path("/usr/sbin/mariadbd").exists():
            raise EmbeddedError("no MariaDB server: install Debian's mariadb-server-core (apt-get install ...)")
        _run(
            "mariadb-install-db",
            [
                "mariadb-install-db",
                "--no-defaults",
                f"--datadir={self.data}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ],
        )
        self.process = subprocess.Popen(
            [
                "/usr/sbin/mariadbd",
                "--no-defaults",
                *(["--user=root"] if os.geteuid() == 0 else []),
                f"--datadir={self.data}",
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                f"--socket={self.directory / 'sock'}",
                f"--pid-file={self.directory / 'pid'}",
                f"--log-error={self.directory / 'error.log'}",
                "--skip-name-resolve",
                "--innodb-buffer-pool-size=64M",
                "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_unicode_ci",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )
        create = f"CREATE DATABASE {DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            done = subprocess.run(self._client("-e", create), capture_output=True, check=False)
            if done.returncode == 0:
                return
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise EmbeddedError(f"MariaDB did not come up: {(self.directory / 'error.log').read_text()[-400:]}")
            time.sleep(0.1)

    def environment(self) -> dict[str, str]:
        return {
            "DB_CLIENT": "mysql",
            "DB_HOST": "127.0.0.1",
            "DB_PORT": str(self.port),
            "DB_DATABASE": DATABASE,
            "DB_USER": "root",
            "DB_PASSWORD": "",
        }

    def _stop(self) -> None:
        """SIGTERM to the server by its PID: MariaDB shuts down cleanly on it."""
        stop(self.process, START_TIMEOUT_S)
        self.process = None

    def _client(self, *args: str) -> list[str]:
        return ["mariadb", "--no-defaults", "-h127.0.0.1", f"-P{self.port}", "-uroot", *args]


DATABASE_SERVERS: dict[str, type[DatabaseServer]] = {"postgres": EmbeddedPostgres, "mariadb": EmbeddedMariaDB}
