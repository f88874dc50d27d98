"""The one place human-readable progress goes: stderr, through rich (stdout is kept for machine-readable output)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from time import monotonic

from rich.console import Console

console = Console(stderr=True, highlight=False)


@contextmanager
def step(description: str) -> Iterator[None]:
    """Show a spinner while a long step runs, then one line with how long it took."""
    started = monotonic()
    with console.status(description + "…"):
        yield
    console.print(f"[green]✓[/green] {description} ({monotonic() - started:.1f} s)")
