"""One real embedded Directus per test session, booted by the harness itself, and an admin client for it
(integration and mutant tests)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.admin import Admin
from conformance.client import DirectusClient
from conformance.config import AdminCredentials
from conformance.embedded import EmbeddedDirectus


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
