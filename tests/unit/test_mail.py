"""The mailboxes a run reads: the embedded sink's Maildir (a real aiosmtpd, sent to over SMTP) and a Mailpit API
(its JSON, through a mock transport); a mail's token is found, registered and redacted."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from conformance.embedded.mail_sink import MailSink
from conformance.embedded.settings import free_port
from conformance.errors import ConfigError
from conformance.mail import Maildir, MailHog, Mailpit, NoMail, open_mailbox, wait_for_any, wait_for_mail
from conformance.redaction import MASK, redact_text

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzY29wZSI6InBhc3N3b3JkLXJlc2V0In0.c2lnbmF0dXJl"
HTML = f'<p>Reset it <a href="https://cms.example.com/admin/reset-password?token={TOKEN}&amp;x=1">here</a>.</p>'


def reset_mail(to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "no-reply@example.com", to, "Password Reset Request"
    message.set_content("A reset was asked for.")
    message.add_alternative(HTML, subtype="html")  # quoted-printable on the wire: the token's = becomes =3D
    return message


def test_the_sink_keeps_what_directus_would_send_and_the_maildir_finds_it_by_address(tmp_path: Path) -> None:
    sink = MailSink(free_port(), tmp_path)
    sink.start()
    try:
        with smtplib.SMTP("127.0.0.1", sink.port) as smtp:
            smtp.send_message(reset_mail("Beth@Example.com"))
            smtp.send_message(reset_mail("carmen@example.com"))
        [mail] = wait_for_mail(open_mailbox(sink.url), "beth@example.com", timeout_s=5)
    finally:
        sink.stop()
    assert sink.process is None
    assert mail.subject == "Password Reset Request"
    assert mail.token == TOKEN
    assert TOKEN not in "\n".join(mail.evidence()) and MASK in "\n".join(mail.evidence())


def test_a_mail_to_an_accented_address_arrives_and_ends_a_wait_for_any_of_several(tmp_path: Path) -> None:
    """SMTPUTF8: a look-alike address (an accent in its local part) is delivered like any other."""
    sink = MailSink(free_port(), tmp_path)
    sink.start()
    try:
        with smtplib.SMTP("127.0.0.1", sink.port) as smtp:
            smtp.send_message(reset_mail("bëth@example.com"))
        seen = wait_for_any(open_mailbox(sink.url), {"beth@example.com": 1, "bëth@example.com": 1}, timeout_s=5)
    finally:
        sink.stop()
    assert [len(seen["beth@example.com"]), len(seen["bëth@example.com"])] == [0, 1]


def test_waiting_for_mail_that_never_comes_ends_at_its_bound(tmp_path: Path) -> None:
    with pytest.raises(NoMail, match="0 of 1 to"):
        wait_for_mail(Maildir(tmp_path / "none"), "beth@example.com", timeout_s=0.2)


def test_a_mailpit_api_is_read_by_search_then_message() -> None:
    def mailpit(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/search":
            assert request.url.params["query"] == 'to:"beth@example.com"'
            to = [{"Address": "beth@example.com"}]
            other = [{"Address": "elizabeth@example.com"}]  # Mailpit matches parts of addresses
            return httpx.Response(
                200,
                json={
                    "messages": [
                        {"ID": "b", "To": to, "Subject": "Later", "Created": "2026-12-01T10:00:05.000Z"},
                        {"ID": "a", "To": to, "Subject": "Earlier", "Created": "2026-12-01T10:00:01.000Z"},
                        {"ID": "c", "To": other, "Subject": "Not hers", "Created": "2026-12-01T10:00:00.000Z"},
                    ]
                },
            )
        return httpx.Response(200, json={"Text": "see the link", "HTML": HTML})

    mails = Mailpit("http://127.0.0.1:8025", transport=httpx.MockTransport(mailpit)).mails_to("beth@example.com")
    assert [m.subject for m in mails] == ["Earlier", "Later"]
    assert mails[0].token == TOKEN
    assert redact_text(mails[0].links[0]).endswith(f"token={MASK}&x=1")


def test_a_mailhog_api_is_read_by_its_search_and_each_messages_raw_data() -> None:
    def mailhog(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/v2/search"
        assert dict(request.url.params) == {"kind": "to", "query": "beth@example.com", "limit": "50"}
        items = [
            {"Created": "2026-12-01T10:00:05.000Z", "Raw": {"Data": reset_mail("beth@example.com").as_string()}},
            {"Created": "2026-12-01T10:00:01.000Z", "Raw": {"Data": reset_mail("beth@example.com").as_string()}},
            {"Created": "2026-12-01T10:00:00.000Z", "Raw": {"Data": reset_mail("elizabeth@example.com").as_string()}},
        ]
        return httpx.Response(200, json={"total": 3, "count": 3, "start": 0, "items": items})

    mails = MailHog("http://127.0.0.1:8025", transport=httpx.MockTransport(mailhog)).mails_to("beth@example.com")
    assert [m.received_at for m in mails] == sorted(m.received_at for m in mails) and len(mails) == 2
    assert mails[0].subject == "Password Reset Request" and mails[0].token == TOKEN


def test_a_mailbox_is_named_by_a_url_and_an_api_is_told_apart_by_mailpits_info() -> None:
    def answering(info_status: int) -> httpx.MockTransport:
        return httpx.MockTransport(lambda request: httpx.Response(info_status, json={"Version": "v1.21"}))

    assert isinstance(open_mailbox("file:///tmp/mail"), Maildir)
    assert isinstance(open_mailbox("http://127.0.0.1:8025", answering(200)), Mailpit)
    assert isinstance(open_mailbox("http://127.0.0.1:8025", answering(404)), MailHog)
    with pytest.raises(ConfigError, match="Mailpit or MailHog"):
        open_mailbox("smtp://127.0.0.1:25")
