"""Check metadata, declared once per check and the source of everything derived from it.

`@check(...)` records the check's ID, level, title, refs, behaviour and needs and marks the test function with it;
the catalogue, JUnit properties, Allure labels and SKIP reasons are all read from here. No list is kept by hand.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import pytest

from conformance.advisories import ADVISORY_URL
from conformance.needs import Requirement

Level = Literal["MUST", "SHOULD"]
F = TypeVar("F", bound=Callable[..., Any])

DOCS = "https://directus.io/docs"
SOURCE = "https://github.com/directus/directus/blob/main"
ASVS = "https://github.com/OWASP/ASVS/blob/v5.0.0/5.0/en"


@dataclass(frozen=True)
class CheckInfo:
    id: str
    level: Level
    title: str
    behaviour: str
    refs: tuple[str, ...]
    needs: tuple[Requirement, ...] = ()  # beyond the cast and members its fixtures ask for, see needs
    waits: bool = False  # sleeps on the target's clock (token expiry, grace period): scheduled first, see scheduling
    breaks_target: bool = False  # may leave the target broken (an embedded one): runs after every other check

    def ref_links(self) -> list[tuple[str, str]]:
        """(label, URL) for each ref: ASVS IDs resolve to their chapter, docs and source paths to their pages."""
        return [(ref, resolve_ref(ref)) for ref in self.refs]

    def header(self) -> str:
        return f"[{self.id}] {self.level} — {self.title}"


REGISTRY: dict[str, CheckInfo] = {}
TARGET_BREAKERS: set[str] = set()
"""The test functions (`test_module.py::test_function`) of the checks that may break the target, which the xdist
scheduler, seeing node IDs only, holds back until every other check is done (see scheduling)."""
current_check: ContextVar[CheckInfo | None] = ContextVar("current_check", default=None)

ASVS_CHAPTERS = {
    "2": "0x11-V2-Validation-and-Business-Logic.md",
    "3": "0x12-V3-Web-Frontend-Security.md",
    "7": "0x16-V7-Session-Management.md",
    "8": "0x17-V8-Authorization.md",
    "9": "0x18-V9-Self-contained-Tokens.md",
    "10": "0x19-V10-OAuth-and-OIDC.md",
    "13": "0x22-V13-Configuration.md",
    "14": "0x23-V14-Data-Protection.md",
    "16": "0x25-V16-Security-Logging-and-Error-Handling.md",
    "6": "0x15-V6-Authentication.md",
}


def resolve_ref(ref: str) -> str:
    if ref.startswith("v5.0.0-"):
        chapter = ref.removeprefix("v5.0.0-").split(".", 1)[0]
        return f"{ASVS}/{ASVS_CHAPTERS.get(chapter, '')}"
    if ref.startswith(("api/", "packages/")):
        return f"{SOURCE}/{ref}"
    if ref.startswith("/"):
        return f"{DOCS}{ref}"
    if ref.startswith("GHSA-"):
        return f"{ADVISORY_URL}/{ref}"
    if ref.startswith("CVE-"):
        return f"https://nvd.nist.gov/vuln/detail/{ref}"
    return ref


def check(
    id: str,
    *,
    level: Level,
    title: str,
    refs: tuple[str, ...] | list[str],
    needs: tuple[Requirement, ...] = (),
    waits: bool = False,
    breaks_target: bool = False,
) -> Callable[[F], F]:
    """Declare a conformance check: `@check("LOGOUT-204", level="MUST", title="Logout answers 204", refs=[…])`."""

    def decorate(function: F) -> F:
        module = sys.modules[function.__module__]
        behaviour = str(getattr(module, "BEHAVIOUR", function.__module__))
        if id in REGISTRY and REGISTRY[id].title != title:
            raise ValueError(f"check ID {id} is declared twice")
        info = CheckInfo(id, level, title, behaviour, tuple(refs), needs, waits, breaks_target)
        REGISTRY[id] = info
        if breaks_target:
            TARGET_BREAKERS.add(f"{Path(str(module.__file__)).name}::{function.__name__}")
        return pytest.mark.conformance(info)(function)  # type: ignore[no-any-return]

    return decorate


def check_info(item: pytest.Item) -> CheckInfo | None:
    """The metadata `@check` gave a collected check (None for any other test)."""
    marker = item.get_closest_marker("conformance")
    return marker.args[0] if marker else None


def load_all_checks() -> dict[str, CheckInfo]:
    """Import every check module so the registry is complete (for the catalogue)."""
    import conformance.checks as package

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    return dict(sorted(REGISTRY.items()))
