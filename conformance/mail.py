"""What the target mailed: the mailbox a run reads, and a bounded wait for the mail to one address.

Two mailboxes, named by a URL (`--mail-api`): a `file://` URL is a Maildir on this machine (the embedded target's
sink writes one), an `http(s)://` URL a Mailpit HTTP API (a target of yours, sending to a Mailpit). A mail's links
and tokens are secrets: `Mail.evidence()` is redacted like any request, and each token read is registered.
"""

from __future__ import annotations

import email
import email.policy
import html
import mailbox
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import getaddresses
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import httpx

from conformance.errors import ConfigError
from conformance.redaction import redact_text, register_secret

__all__ = [
    "MAIL_WAIT_S",
    "Mail",
    "MailHog",
    "Mailbox",
    "Maildir",
    "Mailpit",
    "NoMail",
    "open_mailbox",
    "wait_for_any",
    "wait_for_mail",
]

MAIL_WAIT_S = 15.0
"""How long a check waits for a mail: Directus sends after it answers (fire and forget), within a second here."""

_LINK = re.compile(r"https?://[^\s\"'<>]+")


@dataclass(frozen=True)
class Mail:
    to: tuple[str, ...]
    subject: str
    body: str  # the text and HTML parts, decoded
    received_at: float  # when the mailbox got it (epoch seconds)

    @property
    def links(self) -> list[str]:
        return list(dict.fromkeys(html.unescape(link) for link in _LINK.findall(self.body)))

    @property
    def token(self) -> str | None:
        """The `token` query parameter of the first link that has one (a reset, invitation or verification link);
        registered as a secret."""
        for link in self.links:
            values = parse_qs(urlsplit(link).query).get("token")
            if values:
                register_secret(values[0])
                return values[0]
        return None

    def evidence(self) -> list[str]:
        """What a failure shows of the mail (an `evidence.Exchange`): to whom, its subject, its links, redacted."""
        lines = [f"mail:     to {', '.join(self.to)}: {self.subject!r}"]
        return lines + [f"  link:   {redact_text(link)}" for link in self.links or ["(none)"]]


class Mailbox(Protocol):
    def mails_to(self, address: str) -> list[Mail]:
        """Every mail the mailbox holds for `address` (case-insensitive), oldest first."""
        ...


class NoMail(AssertionError):
    """Fewer mails reached the address than a check waited for."""


def wait_for_mail(box: Mailbox, address: str, count: int = 1, timeout_s: float = MAIL_WAIT_S) -> list[Mail]:
    """The first `count` mails to `address`, once that many have arrived; NoMail after `timeout_s`."""
    return wait_for_any(box, {address: count}, timeout_s)[address][:count]


def wait_for_any(box: Mailbox, wanted: Mapping[str, int], timeout_s: float = MAIL_WAIT_S) -> dict[str, list[Mail]]:
    """The mails to each address of `wanted`, once one of them has had its count (a second mail to one address or
    a first to another, whichever the target sends); NoMail after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        mails = {address: box.mails_to(address) for address in wanted}
        if any(len(mails[address]) >= count for address, count in wanted.items()):
            return mails
        if time.monotonic() >= deadline:
            seen = ", ".join(f"{len(mails[a])} of {count} to {a}" for a, count in wanted.items())
            raise NoMail(f"none of the awaited mails arrived within {timeout_s:.0f} s ({seen})")
        time.sleep(0.1)


def _body_of(message: EmailMessage) -> str:
    parts = [part for part in message.walk() if part.get_content_type() in ("text/plain", "text/html")]
    return "\n".join(str(part.get_content()) for part in parts)


def _parsed(raw: bytes, received_at: float) -> Mail:
    """A mail from its raw RFC 5322 bytes (as a Maildir or MailHog keeps them)."""
    parsed: Any = email.message_from_bytes(raw, policy=email.policy.default)
    to = tuple(found for _, found in getaddresses(parsed.get_all("To", [])))
    return Mail(to, str(parsed["Subject"] or ""), _body_of(parsed), received_at)


def _addressed_to(mails: list[Mail], address: str) -> list[Mail]:
    """Those of `mails` to exactly `address` (APIs' searches match parts of addresses), earliest first."""
    return sorted((m for m in mails if address.lower() in (a.lower() for a in m.to)), key=lambda m: m.received_at)


def _timestamp(created: Any) -> float:
    """An API's ISO 8601 time (`2026-12-01T10:00:01.000Z`) as a POSIX timestamp."""
    return datetime.fromisoformat(str(created).replace("Z", "+00:00")).timestamp()


class Maildir:
    """A Maildir on this machine (the embedded target's sink writes one)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def mails_to(self, address: str) -> list[Mail]:
        if not self.path.is_dir():
            return []
        messages = mailbox.Maildir(self.path, factory=None, create=False)
        return _addressed_to([_parsed(message.as_bytes(), message.get_date()) for message in messages], address)


class Mailpit:
    """A Mailpit's HTTP API (`GET /api/v1/search`, `GET /api/v1/message/{ID}`), for a target that sends to one."""

    def __init__(self, url: str, transport: httpx.BaseTransport | None = None) -> None:
        self.url = url.rstrip("/")
        self.transport = transport  # a unit test's; else the network

    def mails_to(self, address: str) -> list[Mail]:
        with httpx.Client(base_url=self.url, timeout=10, transport=self.transport) as client:
            found = client.get("/api/v1/search", params={"query": f'to:"{address}"', "limit": 50})
            found.raise_for_status()
            mails = []
            for summary in found.json().get("messages") or []:
                to = tuple(str(a.get("Address", "")) for a in summary.get("To") or [])
                if address.lower() not in (a.lower() for a in to):
                    continue  # read only the messages to exactly this address
                message = client.get(f"/api/v1/message/{summary['ID']}")
                message.raise_for_status()
                body = "\n".join(str(message.json().get(key) or "") for key in ("Text", "HTML"))
                mails.append(Mail(to, str(summary.get("Subject", "")), body, _timestamp(summary["Created"])))
        return _addressed_to(mails, address)


class MailHog:
    """A MailHog's HTTP API (`GET /api/v2/search?kind=to`, each message with its raw data), for a target that sends
    to one."""

    def __init__(self, url: str, transport: httpx.BaseTransport | None = None) -> None:
        self.url = url.rstrip("/")
        self.transport = transport  # a unit test's; else the network

    def mails_to(self, address: str) -> list[Mail]:
        with httpx.Client(base_url=self.url, timeout=10, transport=self.transport) as client:
            found = client.get("/api/v2/search", params={"kind": "to", "query": address, "limit": 50})
            found.raise_for_status()
            items = found.json().get("items") or []
        mails = [_parsed(str(item["Raw"]["Data"]).encode(), _timestamp(item["Created"])) for item in items]
        return _addressed_to(mails, address)


def open_mailbox(url: str, transport: httpx.BaseTransport | None = None) -> Mailbox:
    """The mailbox `--mail-api` names: `file:///…` a Maildir; `http(s)://…` a Mailpit, or a MailHog where
    Mailpit's `GET /api/v1/info` is not answered (MailHog has no such endpoint)."""
    parts = urlsplit(url)
    if parts.scheme == "file":
        return Maildir(Path(unquote(parts.path)))
    if parts.scheme in ("http", "https"):
        with httpx.Client(base_url=url.rstrip("/"), timeout=10, transport=transport) as client:
            mailpit = client.get("/api/v1/info").status_code == 200
        return Mailpit(url, transport) if mailpit else MailHog(url, transport)
    raise ConfigError(f"--mail-api {url!r}: give a Mailpit or MailHog API URL (http://…:8025) or a Maildir (file:///…)")
