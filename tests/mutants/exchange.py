"""What a mutant sees of an exchange: the real server behind the proxy, and a request on its way to it."""

from __future__ import annotations

import json
import re
import smtplib
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

__all__ = [
    "FILE_ITEM",
    "POSTS_ITEM",
    "POSTS_LIST",
    "ProxyRequest",
    "Upstream",
    "as_admin",
    "bearer_token",
    "unverified_claims",
]

POSTS_LIST = re.compile(r"^/items/posts_[a-z0-9]+/?$")
POSTS_ITEM = re.compile(r"^/items/posts_[a-z0-9]+/\d+$")
FILE_ITEM = re.compile(r"^/files/[0-9a-f-]{36}$")


@dataclass
class Upstream:
    """What a mutant may know about the real server behind the proxy (the embedded target's settings)."""

    base_url: str
    admin_token: str
    secret: str
    mail_port: int | None = None  # the embedded target's mail sink, for a mutant that mails what Directus would not
    transport: httpx.HTTPTransport = field(default_factory=httpx.HTTPTransport)

    def send(self, request: ProxyRequest) -> httpx.Response:
        url = f"{self.base_url}{request.path}" + (f"?{urlencode(request.query)}" if request.query else "")
        outgoing = httpx.Request(request.method, url, headers=request.headers, content=request.body)
        response = self.transport.handle_request(outgoing)
        response.read()
        response.request = outgoing  # httpx needs it to parse cookies
        return response

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.request_as(self.admin_token, method, path, **kwargs)

    def mail(self, to: str, subject: str, link: str) -> None:
        """A mail of the mutant's own, with `link` in it, to the target's mail sink (as Directus would send it)."""
        assert self.mail_port is not None, "a mailing mutant needs the target's mail sink"
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "no-reply@example.com", to, subject
        message.set_content(f"Follow {link}")
        with smtplib.SMTP("127.0.0.1", self.mail_port) as smtp:
            smtp.send_message(message)

    def request_as(self, token: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A request of the mutant's own to the real server, with `token` as its Bearer credential."""
        with httpx.Client(base_url=self.base_url, transport=httpx.HTTPTransport()) as client:
            return client.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kwargs)


@dataclass
class ProxyRequest:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)

    def set_header(self, name: str, value: str | None) -> None:
        for key in [k for k in self.headers if k.lower() == name.lower()]:
            del self.headers[key]
        if value is not None:
            self.headers[name] = value

    def param(self, name: str) -> str | None:
        return next((v for k, v in self.query if k == name), None)

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    def set_json(self, value: Any) -> None:
        self.body = json.dumps(value).encode()

    def form_parts(self) -> dict[str, bytes]:
        """A multipart/form-data body's parts by name (empty for any other body)."""
        kind = self.header("content-type") or ""
        if not kind.startswith("multipart/form-data"):
            return {}
        message = BytesParser(policy=policy.HTTP).parsebytes(f"Content-Type: {kind}\r\n\r\n".encode() + self.body)
        parts = {}
        for part in message.iter_parts():
            name, content = part.get_param("name", header="content-disposition"), part.get_payload(decode=True)
            parts[str(name)] = content if isinstance(content, bytes) else b""
        return parts

    @property
    def is_anonymous(self) -> bool:
        """Carries no credential Directus would use: no Bearer header of two parts, no query token, no session."""
        authorization = (self.header("authorization") or "").split(" ")
        bearer = len(authorization) == 2 and authorization[0].lower() == "bearer" and authorization[1] != ""
        return (
            not bearer
            and self.param("access_token") is None
            and "directus_session_token=" not in (self.header("cookie") or "")
        )


def as_admin(request: ProxyRequest, upstream: Upstream) -> ProxyRequest:
    """The request, sent with the admin's credential instead of the caller's."""
    request.query = [(k, v) for k, v in request.query if k != "access_token"]
    request.set_header("Cookie", None)
    request.set_header("Authorization", f"Bearer {upstream.admin_token}")
    return request


def bearer_token(request: ProxyRequest) -> str | None:
    parts = (request.header("authorization") or "").split(" ")
    return parts[1] if len(parts) == 2 and parts[0].lower() == "bearer" else None


def unverified_claims(token: Any) -> dict[str, Any]:
    """A JWT's claims, read without verifying it (empty: no JWT)."""
    try:
        return dict(jwt.decode(str(token), options={"verify_signature": False}))
    except jwt.InvalidTokenError:
        return {}
