"""The embedded default boots a real Directus from the cached install, answers, and leaves no process behind."""

from __future__ import annotations

import httpx

from conformance.embedded import EmbeddedDirectus
from tests.integration.processes import directus_processes_on_port


def test_boot_ping_login_stop_leaves_no_process() -> None:
    with EmbeddedDirectus() as server:
        settings = server.settings
        assert server.pid in directus_processes_on_port(settings.port)
        assert httpx.get(f"{settings.base_url}/server/ping").text == "pong"
        login = httpx.post(
            f"{settings.base_url}/auth/login", json={"email": settings.admin_email, "password": settings.admin_password}
        )
        assert login.status_code == 200 and login.json()["data"]["access_token"]
        info = httpx.get(
            f"{settings.base_url}/server/info", headers={"Authorization": f"Bearer {settings.admin_token}"}
        )
        assert info.json()["data"]["version"] == settings.version
    assert directus_processes_on_port(settings.port) == []


def test_a_failure_inside_the_block_still_stops_the_server() -> None:
    port = 0
    try:
        with EmbeddedDirectus() as server:
            port = server.settings.port
            raise RuntimeError("a check crashed")
    except RuntimeError:
        pass
    assert port and directus_processes_on_port(port) == []
