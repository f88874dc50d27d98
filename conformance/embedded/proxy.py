"""The TLS reverse proxy the embedded Directus can sit behind (`--behind-proxy`): Debian's nginx on a free loopback
port, serving `https://127.0.0.1:PORT/directus/` with a certificate from a throwaway CA (trustme), the prefix
stripped on the way in and the X-Forwarded-* headers set, as Directus documents for a sub-path deployment; the
realtime endpoint gets the Upgrade headers. The run trusts that CA and nothing else; the proxy is stopped by PID and
its directory deleted with the run.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from conformance.embedded.processes import die_with_parent, stop
from conformance.embedded.settings import SUB_PATH
from conformance.errors import EmbeddedError

__all__ = ["TlsProxy", "nginx_binary"]

START_TIMEOUT_S = 10.0

CONFIG = """worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 256; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body; proxy_temp_path {dir}/proxy; fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi; scgi_temp_path {dir}/scgi;
  client_max_body_size 64m;
  # nothing on disk: nginx's workers (nobody, when started as root) may not write to the run's private directory
  client_body_buffer_size 64m; proxy_max_temp_file_size 0;
  map $http_upgrade $connection_upgrade {{ default upgrade; '' ''; }}
  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {dir}/server.crt;
    ssl_certificate_key {dir}/server.key;
    location {sub_path}/ {{
      proxy_pass http://127.0.0.1:{upstream}/;
      proxy_http_version 1.1;
      # WebSockets on any path (/websocket, and GraphQL's on /graphql), plain requests as before
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Host $host:$server_port;
    }}
    location / {{ return 404; }}
  }}
}}
"""


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found is None:
        raise EmbeddedError("--behind-proxy needs nginx: install Debian's nginx (apt-get install nginx)")
    return found


class TlsProxy:
    """nginx on `port` in front of the Directus on `upstream`; `url` is the public base URL, `ca_file` the CA."""

    def __init__(self, port: int, upstream: int) -> None:
        self.port, self.upstream = port, upstream
        self.directory: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}{SUB_PATH}"

    @property
    def ca_file(self) -> Path:
        assert self.directory is not None
        return self.directory / "ca.pem"

    def start(self) -> None:
        import trustme  # its cryptography import costs 0.14 s: only for the runs behind the proxy

        binary = nginx_binary()
        self.directory = Path(tempfile.mkdtemp(prefix="directus-conformance-proxy-"))
        ca = trustme.CA()
        ca.cert_pem.write_to_path(str(self.ca_file))
        certificate = ca.issue_cert("127.0.0.1", "localhost")
        certificate.cert_chain_pems[0].write_to_path(str(self.directory / "server.crt"))
        certificate.private_key_pem.write_to_path(str(self.directory / "server.key"))
        config = self.directory / "nginx.conf"
        config.write_text(CONFIG.format(dir=self.directory, port=self.port, upstream=self.upstream, sub_path=SUB_PATH))
        self.process = subprocess.Popen(
            [binary, "-p", str(self.directory), "-c", str(config)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )
        self._wait_until_listening()

    def stop(self) -> None:
        """SIGTERM to the master by PID: nginx's fast shutdown, its worker with it."""
        stop(self.process, START_TIMEOUT_S)
        self.process = None
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def _wait_until_listening(self) -> None:
        """nginx answers its own 404 outside the sub-path once it listens (Directus may still be booting)."""
        assert self.process is not None and self.directory is not None
        trusted = ssl.create_default_context(cafile=str(self.ca_file))
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (self.directory / "error.log").read_text(errors="replace").strip().splitlines()
                raise EmbeddedError(f"nginx exited with code {self.process.returncode}: {(log or ['no log'])[-1]}")
            try:
                httpx.get(f"https://127.0.0.1:{self.port}/", verify=trusted, timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.05)
        raise EmbeddedError(f"nginx did not listen on 127.0.0.1:{self.port} within {START_TIMEOUT_S:.0f} s")
