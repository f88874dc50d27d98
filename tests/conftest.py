"""One real embedded Directus per test session, booted by the harness itself, and an admin client for it
(integration and mutant tests)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.admin import Admin
from conformance.client import DirectusClient
from conformance.config import AdminCredentials
from conformance.embedded import EmbeddedDirectus

PROOFS = ("mutants/", "advisories/", "integration/test_versions.py", "integration/test_deployments.py")
"""What CI proves after the everyday tests (`.ci/run`: `pytest -m proof`): every check caught by its mutants, the
versions and the deployments, each a run of the whole suite or more, and the advisory checks on real releases."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests under integration/ and mutants/ boot the real embedded Directus: `-m "not integration"` leaves them;
    the proofs among them are left out of the everyday run (see PROOFS)."""
    tests = Path(__file__).parent
    for item in items:
        if not item.path.is_relative_to(tests):  # the checks, when a run starts in this checkout (its testpaths)
            continue
        where = item.path.relative_to(tests).as_posix()
        if where.startswith(("integration/", "mutants/", "advisories/")):
            item.add_marker(pytest.mark.integration)
        if where.startswith(PROOFS):
            item.add_marker(pytest.mark.proof)


@pytest.fixture(scope="session")
def embedded() -> Iterator[EmbeddedDirectus]:
    with EmbeddedDirectus() as server:
        yield server


@pytest.fixture(scope="session")
def client(embedded: EmbeddedDirectus) -> Iterator[DirectusClient]:
    with DirectusClient(embedded.settings.base_url) as directus:
        yield directus


@pytest.fixture(scope="session")
def admin(embedded: EmbeddedDirectus, client: DirectusClient) -> Admin:
    return Admin(client, AdminCredentials(token=embedded.settings.admin_token))
