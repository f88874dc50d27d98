"""Finding node processes of an embedded Directus, to prove none is left behind."""

from __future__ import annotations

from pathlib import Path


def directus_processes_on_port(port: int) -> list[int]:
    """PIDs of live Directus servers started with PORT=<port> (read from /proc)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            environ = (proc / "environ").read_bytes().split(b"\0")
            state = (proc / "stat").read_text().split(") ", 1)[1][0]
        except OSError:
            continue
        if b"cli/run.js" in cmdline and f"PORT={port}".encode() in environ and state != "Z":
            found.append(int(proc.name))
    return found


def mail_sinks_on_port(port: int) -> list[int]:
    """PIDs of live mail sinks (aiosmtpd) listening on 127.0.0.1:<port>."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes() if proc.name.isdigit() else b""
            state = (proc / "stat").read_text().split(") ", 1)[1][0] if cmdline else "Z"
        except OSError:
            continue
        if b"aiosmtpd" in cmdline and f"127.0.0.1:{port}".encode() in cmdline and state != "Z":
            found.append(int(proc.name))
    return found
