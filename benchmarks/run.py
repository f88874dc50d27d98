"""Where a run's time goes: `python -m benchmarks.run [--cold]` prints the figures (never asserted in tests).

- cold: first run with an empty install cache (install + template + boot + seed + checks + reports)  [--cold]
- warm: `directus-conformance run` end to end (boot + seed + all checks + reports)
- floor: boot + seed + the longest mandatory wait (access-token expiry), the least a run can take
- serial: the same checks with one worker, for the parallel speed-up
- a reset mail's way: from the request until it is in the embedded mail sink
- requests per check, counted by a loopback proxy
- latency: the checks through a proxy adding 50 ms to every request, with 8 workers and serially (where the suite is
  bound by round trips rather than this machine's CPU)
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from conformance.admin import Admin
from conformance.cli import embedded_target
from conformance.client import DirectusClient
from conformance.config import AdminCredentials
from conformance.embedded import EmbeddedDirectus
from conformance.mail import open_mailbox, wait_for_mail
from conformance.pytest.workers import REMOTE_WORKERS, default_workers
from conformance.seeding import Loader, load_fixture
from tests.mutants.proxy import FaultProxy, Mutant, ProxyRequest, Upstream


class Counting(Mutant):
    """Counts requests; optionally delays each by a fixed latency."""

    name = "counting"

    def __init__(self, latency_s: float = 0.0) -> None:
        self.latency_s = latency_s
        self.count = 0
        self.lock = threading.Lock()

    def request(self, request: ProxyRequest, upstream: Upstream) -> ProxyRequest | httpx.Response:
        with self.lock:
            self.count += 1
        if self.latency_s:
            time.sleep(self.latency_s)
        return request


def timed(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command[:4])}… failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return time.monotonic() - started, done.stdout


def checks_against(server: EmbeddedDirectus, base_url: str, workers: str, reports: Path) -> tuple[float, int]:
    """Seconds for the checks (seed included; as --embedded-target, nothing is cleaned) against base_url, and the
    number of check instances run."""
    env = {**os.environ, "DIRECTUS_ADMIN_TOKEN": server.settings.admin_token}
    command = [
        sys.executable,
        "-m",
        "conformance.cli",
        "run",
        "--base-url",
        base_url,
        "--reports",
        str(reports),
        "-n",
        workers,
        "--session-grace-period",
        str(server.settings.session_refresh_grace_period_s),
        "--embedded-target",  # as the embedded default runs (its workers yield the cores to the server)
        *("--mail-api", str(server.mail_api)),
    ]
    seconds, _ = timed(command, env)
    junit = (reports / "junit.xml").read_text()
    return seconds, junit.count("<testcase ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cold", action="store_true", help="also time a first run with an empty cache")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dc-bench-"))
    figures: list[tuple[str, str]] = []
    if args.cold:
        env = {
            **os.environ,
            "DIRECTUS_CONFORMANCE_CACHE": str(work / "cold-cache"),
            "npm_config_cache": str(work / "npm-cache"),
        }
        seconds, _ = timed([sys.executable, "-m", "conformance.cli", "run", "--reports", str(work / "cold")], env)
        figures.append(("cold first run (empty caches)", f"{seconds:.1f} s"))
    warm, _ = timed([sys.executable, "-m", "conformance.cli", "run", "--reports", str(work / "warm")], dict(os.environ))
    figures.append(("warm end to end (boot + seed + checks + reports)", f"{warm:.1f} s"))

    started = time.monotonic()
    with EmbeddedDirectus() as server:
        boot = time.monotonic() - started
        with DirectusClient(server.settings.base_url) as client:
            loader = Loader(
                Admin(client, AdminCredentials(token=server.settings.admin_token)), load_fixture(), "bench1"
            )
            seed_started = time.monotonic()
            loader.seed()
            seed = time.monotonic() - seed_started
            loader.clean()
            mail_started = time.monotonic()
            client.request("POST", "/auth/password/request", json={"email": server.settings.admin_email})
            wait_for_mail(open_mailbox(str(server.mail_api)), server.settings.admin_email)
            mail = time.monotonic() - mail_started
        longest_wait = server.settings.access_token_ttl_s + 1.0
        floor = boot + seed + longest_wait
        figures += [
            ("boot", f"{boot:.1f} s"),
            ("seed", f"{seed:.1f} s"),
            ("a reset mail: request (padded to 500 ms) until it is in the sink", f"{mail:.2f} s"),
            ("longest mandatory wait (access token expiry + 1 s)", f"{longest_wait:.1f} s"),
            ("floor (boot + seed + longest wait)", f"{floor:.1f} s"),
            ("warm / floor", f"{warm / floor:.2f}x"),
        ]
        upstream = Upstream(server.settings.base_url, server.settings.admin_token, server.settings.secret)
        workers = str(default_workers(embedded_target(server)))
        parallel, instances = checks_against(server, server.settings.base_url, workers, work / "parallel")
        serial, _ = checks_against(server, server.settings.base_url, "0", work / "serial")
        slow = Counting(latency_s=0.05)  # the proxy also counts: the direct runs above carry no proxy's CPU cost
        with FaultProxy(upstream, slow) as proxy:
            latency, _ = checks_against(server, proxy.base_url, str(REMOTE_WORKERS), work / "latency")
            requests = slow.count
            latency_serial, _ = checks_against(server, proxy.base_url, "0", work / "latency-serial")
        figures += [
            (f"checks, {workers} workers (seed + checks)", f"{parallel:.1f} s"),
            ("checks, serial", f"{serial:.1f} s"),
            ("parallel speed-up", f"{serial / parallel:.2f}x"),
            ("check instances", str(instances)),
            ("requests per check instance", f"{requests / instances:.1f}"),
            (f"checks through a +50 ms proxy, {REMOTE_WORKERS} workers (the remote default)", f"{latency:.1f} s"),
            ("checks through the +50 ms proxy, serial", f"{latency_serial:.1f} s"),
            ("parallel speed-up through the proxy", f"{latency_serial / latency:.2f}x"),
        ]
    shutil.rmtree(work, ignore_errors=True)
    width = max(len(name) for name, _ in figures)
    for name, value in figures:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
