"""Running one embedded Directus: a fresh copy of the template database, a free loopback port, random secrets.

The server is started directly (`node …/cli/run.js start`: one PID, no npm or sh in between), is ready when
`/server/ping` answers, and is always stopped by PID: on exit, on Ctrl-C, on failure; and the kernel sends it SIGTERM
if this process dies without cleaning up (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import httpx

from conformance.console import step
from conformance.embedded.databases import DATABASE_SERVERS, DatabaseServer
from conformance.embedded.install import DEFAULT_VERSION, Installation, ensure_installed
from conformance.embedded.mail_sink import MailSink
from conformance.embedded.node import node_binary, node_environment
from conformance.embedded.processes import die_with_parent, stop
from conformance.embedded.proxy import TlsProxy
from conformance.embedded.settings import EmbeddedSettings
from conformance.errors import EmbeddedError
from conformance.versions import PUBLIC_REGISTRATION

READY_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
IN_MEMORY_DIR = Path("/dev/shm")
IN_MEMORY_MIN_FREE = 256 * 2**20


def workdir_parent() -> str | None:
    """Where a server's working directory (its SQLite database, log, uploads) goes: in memory (/dev/shm) when there
    is room, else the temp dir. The database is thrown away after the run, and on disk every commit waits for an
    fsync, of which a run makes several hundred (sessions, activity); the README's "Where the time goes" measures
    it."""
    with contextlib.suppress(OSError):
        if os.access(IN_MEMORY_DIR, os.W_OK) and shutil.disk_usage(IN_MEMORY_DIR).free >= IN_MEMORY_MIN_FREE:
            return str(IN_MEMORY_DIR)
    return None


class EmbeddedDirectus:
    """A context manager: `with EmbeddedDirectus() as server: server.settings.base_url …`."""

    def __init__(self, version: str = DEFAULT_VERSION, settings: EmbeddedSettings | None = None) -> None:
        self.settings = settings or EmbeddedSettings(version)
        self.version = self.settings.version
        self.process: subprocess.Popen[bytes] | None = None
        self.workdir: Path | None = None
        self.launched_at = 0.0
        self.ready = False
        self.database: DatabaseServer | None = None  # besides SQLite (settings.database)
        self.proxy: TlsProxy | None = None  # settings.behind_proxy
        self.mail_sink: MailSink | None = None  # where Directus sends its mail

    @property
    def url(self) -> str:
        """The base URL the checks use: the proxy's sub-path when behind it, else Directus itself."""
        return self.settings.public_url

    @property
    def ca_file(self) -> Path | None:
        """The throwaway CA the proxy's certificate is issued by: the run trusts it."""
        return self.proxy.ca_file if self.proxy else None

    @property
    def mail_api(self) -> str | None:
        """The mailbox the checks read what Directus sent (a Maildir's file URL), while the server runs."""
        return self.mail_sink.url if self.mail_sink else None

    @property
    def log_path(self) -> Path:
        assert self.workdir is not None
        return self.workdir / "directus.log"

    def __enter__(self) -> EmbeddedDirectus:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @contextlib.contextmanager
    def launched(self) -> Iterator[EmbeddedDirectus]:
        """`with EmbeddedDirectus().launched() as server:` the server is booting, not yet ready: the caller does its
        own start-up meanwhile and calls `wait_until_ready()` before the first request. Stopped on exit."""
        try:
            self.launch()
            yield self
        finally:
            self.stop()

    def start(self) -> None:
        self.launch()
        self.wait_until_ready()

    def launch(self) -> None:
        """Start the server process and return at once (it takes a few seconds to answer)."""
        installation = ensure_installed(self.version)
        self.workdir = Path(tempfile.mkdtemp(prefix="directus-conformance-", dir=workdir_parent()))
        database = self.workdir / "data.db"
        env = node_environment() | self.settings.environment(database, self.workdir)
        env["NODE_COMPILE_CACHE"] = str(installation.compile_cache)  # a faster boot once it is filled
        self.launched_at = time.monotonic()
        self.mail_sink = MailSink(self.settings.mail_port, self.workdir)
        self.mail_sink.start()
        if self.settings.behind_proxy:
            self.proxy = TlsProxy(self.settings.proxy_port, upstream=self.settings.port)
            self.proxy.start()
        if self.settings.database in DATABASE_SERVERS:
            self.database = DATABASE_SERVERS[self.settings.database]()
            self.database.start()
            env |= self.database.environment()
            self._bootstrap(installation, env)  # a fresh database each run: Directus installs its schema and admin
        else:
            self._prepare_database(installation, database)
        with self.log_path.open("ab") as log:  # after the bootstrap's lines, where there was one
            self.process = subprocess.Popen(
                [str(node_binary()), str(installation.cli), "start"],
                cwd=self.workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent,
            )

    def wait_until_ready(self) -> None:
        """Wait until the launched server answers, then give its admin this run's credentials (once)."""
        if self.ready:
            return
        where = self.settings.base_url + (f", behind {self.url}" if self.proxy else "")
        with step(f"Starting Directus {self.version} on {where}", started=self.launched_at):
            self._wait_until_ready()
            self._give_admin_its_credentials()
            self._open_registration()
        self.ready = True

    def stop(self) -> None:
        """Stop the server by PID (SIGTERM, then SIGKILL after a bound), then what ran beside it (mail sink, proxy,
        database), and remove its working directory."""
        stop(self.process, STOP_TIMEOUT_S)
        if self.mail_sink is not None:
            self.mail_sink.stop()
            self.mail_sink = None
        if self.proxy is not None:
            self.proxy.stop()
            self.proxy = None
        if self.database is not None:
            self.database.stop()
            self.database = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
        self.ready = False

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def _bootstrap(self, installation: Installation, env: dict[str, str]) -> None:
        """`directus bootstrap` on an empty database: its schema, and the admin from ADMIN_EMAIL / _PASSWORD /
        _TOKEN."""
        with self.log_path.open("ab") as log:
            done = subprocess.run(
                [str(node_binary()), str(installation.cli), "bootstrap"],
                cwd=self.workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=READY_TIMEOUT_S,
                check=False,
            )
        if done.returncode != 0:
            raise EmbeddedError(f"directus bootstrap failed (exit {done.returncode})\n{self._log_tail()}")

    def _prepare_database(self, installation: Installation, database: Path) -> None:
        """Copy the template and give its admin this run's email and static token (plain text in Directus)."""
        shutil.copyfile(installation.template_database, database)
        with contextlib.closing(sqlite3.connect(database)) as db, db:
            db.execute(
                "UPDATE directus_users SET email = ?, token = ? WHERE id = (SELECT MIN(id) FROM directus_users)",
                (self.settings.admin_email, self.settings.admin_token),
            )

    def _give_admin_its_credentials(self) -> None:
        """Give the admin this run's password and static token. A template database's admin has this run's token
        (see _prepare_database) but not its password: set through the API, which hashes it. A database bootstrapped
        this run has the password (ADMIN_PASSWORD) but not always the token (10.0.0's bootstrap ignores ADMIN_TOKEN,
        10.13.4's reads it): set through a login."""
        url = self.settings.base_url
        if self.database is None:
            credential, change = self.settings.admin_token, {"password": self.settings.admin_password}
        else:
            credentials = {"email": self.settings.admin_email, "password": self.settings.admin_password}
            login = httpx.post(f"{url}/auth/login", json=credentials, timeout=30)
            if login.status_code != 200:
                raise EmbeddedError(f"the bootstrapped admin cannot log in: HTTP {login.status_code}")
            credential, change = login.json()["data"]["access_token"], {"token": self.settings.admin_token}
        response = httpx.patch(
            f"{url}/users/me", json=change, headers={"Authorization": f"Bearer {credential}"}, timeout=30
        )
        if response.status_code >= 300:
            raise EmbeddedError(f"could not give the admin this run's credentials: HTTP {response.status_code}")

    def _open_registration(self) -> None:
        """Public registration, verified by email, for the registration checks (off in a fresh Directus; from
        10.11): whoever registers gets no role and cannot log in before following the mailed link."""
        if PUBLIC_REGISTRATION.missing_in(self.version):
            return
        response = httpx.patch(
            f"{self.settings.base_url}/settings",
            json={"public_registration": True, "public_registration_verify_email": True},
            headers={"Authorization": f"Bearer {self.settings.admin_token}"},
            timeout=30,
        )
        if response.status_code >= 300:
            raise EmbeddedError(f"could not open public registration: HTTP {response.status_code}")

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EmbeddedError(
                    f"Directus exited with code {self.process.returncode} while starting\n{self._log_tail()}"
                )
            try:
                if httpx.get(f"{self.settings.base_url}/server/ping", timeout=2).text == "pong":
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise EmbeddedError(f"Directus was not ready within {READY_TIMEOUT_S:.0f} s\n{self._log_tail()}")

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"
