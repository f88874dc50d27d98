"""The target as the reports name it: its name, URL, whether it was embedded, its version, and what the run learnt
of it (cookie names, password login, lifetimes, doors, database)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from conformance.facts import TargetFacts

__all__ = ["ReportedTarget"]


@dataclass
class ReportedTarget:
    name: str
    base_url: str
    embedded: bool
    learn_version: Callable[[], str | None] = field(repr=False, default=lambda: None)
    learn_facts: Callable[[], TargetFacts | None] = field(repr=False, default=lambda: None)
    _version: str | None = field(default=None, repr=False)
    _facts: TargetFacts | None = field(default=None, repr=False)

    @property
    def version(self) -> str:
        """The version the seed learnt, asked for until it is known (before the seed, or read-only: unknown)."""
        if not self._version:
            self._version = self.learn_version()
        return self._version or ""

    @property
    def facts(self) -> dict[str, str]:
        """What the run learnt of the target, asked for until it is known."""
        if self._facts is None:
            self._facts = self.learn_facts()
        return self._facts.properties() if self._facts else {}

    @property
    def database(self) -> str:
        return self.facts.get("database", "unknown")

    def as_row(self) -> dict[str, Any]:
        """Its row in matrix.json's `targets`."""
        return {
            "name": self.name,
            "base_url": self.base_url,
            "embedded": self.embedded,
            "version": self.version,
            "database": self.database,
            "facts": self.facts,
        }
