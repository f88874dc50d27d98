"""The embedded default boots a real Directus from the cached install, answers, and leaves no process behind."""

from __future__ import annotations

import httpx

from conformance.embedded import EmbeddedDirectus
from conformance.mail import open_mailbox, wait_for_mail
from conformance.redaction import MASK
from tests.integration.processes import directus_processes_on_port, mail_sinks_on_port


def test_boot_ping_login_stop_leaves_no_process() -> None:
    with EmbeddedDirectus() as server:
        settings = server.settings
        assert server.pid in directus_processes_on_port(settings.port)
        assert server.mail_sink and server.mail_sink.process
        assert server.mail_sink.process.pid in mail_sinks_on_port(settings.mail_port)
        assert httpx.get(f"{settings.base_url}/server/ping").text == "pong"
        login = httpx.post(
            f"{settings.base_url}/auth/login", json={"email": settings.admin_email, "password": settings.admin_password}
        )
        assert login.status_code == 200 and login.json()["data"]["access_token"]
        info = httpx.get(
            f"{settings.base_url}/server/info", headers={"Authorization": f"Bearer {settings.admin_token}"}
        )
        assert info.json()["data"]["version"] == settings.version
        project = info.json()["data"]["project"]  # open for the registration checks, verified by email
        assert project["public_registration"] is True and project["public_registration_verify_email"] is True
    assert directus_processes_on_port(settings.port) == []


def test_what_directus_mails_reaches_the_runs_sink(embedded: EmbeddedDirectus) -> None:
    """A password reset for the admin: the mail arrives in the sink's Maildir with the reset link's token, which
    its evidence masks; the sink stops with the server."""
    assert embedded.mail_api is not None
    email = embedded.settings.admin_email
    requested = httpx.post(f"{embedded.settings.base_url}/auth/password/request", json={"email": email})
    assert requested.status_code == 204
    [mail] = wait_for_mail(open_mailbox(embedded.mail_api), email)
    assert mail.subject == "Password Reset Request"
    assert mail.token is not None and mail.token.startswith("eyJ")
    shown = "\n".join(mail.evidence())
    assert f"/admin/reset-password?token={MASK}" in shown and mail.token not in shown


def test_a_failure_inside_the_block_still_stops_the_server() -> None:
    port = mail_port = 0
    try:
        with EmbeddedDirectus() as server:
            port, mail_port = server.settings.port, server.settings.mail_port
            raise RuntimeError("a check crashed")
    except RuntimeError:
        pass
    assert port and directus_processes_on_port(port) == []
    assert mail_port and mail_sinks_on_port(mail_port) == []  # the mail sink stopped with it
