"""The mail sink the embedded Directus sends to: aiosmtpd's own server (`python -m aiosmtpd`) on a loopback port,
its Mailbox handler writing each message into a Maildir that the checks read (`conformance.mail`). One PID, started
before Directus and stopped by PID with it; the Maildir lives in the run's working directory and goes with it.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

from conformance.embedded.processes import die_with_parent, stop
from conformance.errors import EmbeddedError

__all__ = ["MailSink"]

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0


class MailSink:
    """`MailSink(port, directory).start()`: SMTP on 127.0.0.1:`port`, every message kept in `directory`/mail, the
    server's own log in `directory`/mail-sink.log."""

    def __init__(self, port: int, directory: Path) -> None:
        self.port = port
        self.maildir, self.log_path = directory / "mail", directory / "mail-sink.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The mailbox as the checks are given it (`--mail-api`): a file URL names a Maildir."""
        return self.maildir.as_uri()

    def start(self) -> None:
        handler = ("-c", "aiosmtpd.handlers.Mailbox", str(self.maildir))  # the handler's argument: the Maildir
        # SMTPUTF8: a mail to an address with an accent (a look-alike of a user's) must arrive, not bounce
        server = ("--nosetuid", "--smtputf8", "--listen", f"127.0.0.1:{self.port}")
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "aiosmtpd", *server, *handler],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=die_with_parent,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log_tail = self.log_path.read_text(errors="replace")[-2000:]
                raise EmbeddedError(f"the mail sink exited with code {self.process.returncode}:\n{log_tail}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise EmbeddedError(f"the mail sink did not listen on 127.0.0.1:{self.port} within {START_TIMEOUT_S:.0f} s")

    def stop(self) -> None:
        stop(self.process, STOP_TIMEOUT_S)
        self.process = None
