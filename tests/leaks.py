"""The secret scan: which of a run's secrets appear in its console output or in any file it wrote."""

from __future__ import annotations

from pathlib import Path


def leaked(secrets: list[str], directory: Path, *outputs: str) -> list[str]:
    """The secrets found in `outputs` (console text) or in any file under `directory` (reports)."""
    written = "".join(p.read_text(errors="replace") for p in directory.rglob("*") if p.is_file())
    everything = "".join(outputs) + written
    return [secret for secret in secrets if secret in everything]
