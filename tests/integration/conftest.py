"""Clients and snapshots for the integration tests (the embedded server itself is in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.admin import Admin
from conformance.client import DirectusClient, DirectusError
from conformance.config import AdminCredentials
from conformance.embedded import EmbeddedDirectus


@pytest.fixture(scope="session")
def client(embedded: EmbeddedDirectus) -> Iterator[DirectusClient]:
    with DirectusClient(embedded.settings.base_url) as directus:
        yield directus


@pytest.fixture(scope="session")
def admin(embedded: EmbeddedDirectus, client: DirectusClient) -> Admin:
    return Admin(client, AdminCredentials(token=embedded.settings.admin_token))


SNAPSHOT_PATHS = ("/users", "/roles", "/policies", "/permissions", "/access", "/collections", "/relations")


def snapshot(admin: Admin) -> dict[str, set[str]]:
    """What a seed may create, as ids per system collection (collections and relations by name)."""
    state = {}
    for path in SNAPSHOT_PATHS:
        try:
            rows = admin.get(path, limit=-1) or []
        except DirectusError as error:
            if error.code != "ROUTE_NOT_FOUND":  # /policies and /access do not exist on 10.x
                raise
            continue
        state[path] = {str(r.get("id") or r.get("collection") + "." + str(r.get("field", ""))) for r in rows}
    return state
