"""The one place human-readable progress goes: stderr, through rich (stdout is kept for machine-readable output)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from time import monotonic

from rich.console import Console

console = Console(stderr=True, highlight=False)


@contextmanager
def step(description: str, started: float | None = None) -> Iterator[None]:
    """Show a spinner while a long step runs, then one line with how long it took (since `started`, if given:
    a step begun in the background earlier)."""
    started = monotonic() if started is None else started
    with console.status(description + "…"):
        yield
    console.print(f"[green]✓[/green] {description} ({monotonic() - started:.1f} s)")
