"""One real embedded Directus per test session, booted by the harness itself (integration and mutant tests)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.embedded import EmbeddedDirectus


@pytest.fixture(scope="session")
def embedded() -> Iterator[EmbeddedDirectus]:
    with EmbeddedDirectus() as server:
        yield server
