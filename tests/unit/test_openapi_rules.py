"""The Directus-aware rules of the OpenAPI suite: what counts as documented, as a refusal, and what is sent (and
how often)."""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from schemathesis import GenerationMode

from conformance import openapi
from conformance.openapi import CaseBook, harmless_non_refusal, undocumented_status, without_real_emails


def answer(status: int, code: str | None = None, sent: bytes = b"") -> httpx.Response:
    body = {"errors": [{"message": "m", "extensions": {"code": code}}]} if code else None
    request = httpx.Request("POST", "http://x.example.com/items/posts", content=sent)
    return httpx.Response(status, json=body, request=request)


def test_a_catalogued_error_is_documented_only_with_its_own_status() -> None:
    assert undocumented_status("POST /auth/login", answer(400, "INVALID_PAYLOAD")) is not None
    assert undocumented_status("POST /auth/login", answer(500, "INVALID_PAYLOAD")) is None
    assert undocumented_status("POST /auth/login", answer(418)) is None


def test_document_deviations_are_named_one_by_one() -> None:
    assert "204" in str(undocumented_status("POST /auth/logout", answer(204)))
    assert undocumented_status("POST /auth/login", answer(204)) is None


def test_malformed_requests_and_empty_batches_count_as_refusals() -> None:
    assert harmless_non_refusal("GET /items/{collection}", answer(400, "INVALID_QUERY")) is not None
    assert harmless_non_refusal("POST /items/{collection}", answer(204, sent=b"[]")) is not None
    assert harmless_non_refusal("POST /items/{collection}", answer(204, sent=b'[{"title": "x"}]')) is None
    assert harmless_non_refusal("DELETE /items/{collection}", answer(204, sent=b"[]")) is None
    assert harmless_non_refusal("GET /items/{collection}", answer(200)) is None


def test_generated_emails_never_name_a_real_user() -> None:
    body = {"email": "admin@example.com", "password": "x", "mode": "json"}
    assert without_real_emails(body, "nobody+t@example.com")["email"] == "nobody+t@example.com"
    assert without_real_emails({"email": 42}, "nobody+t@example.com") == {"email": 42}
    assert without_real_emails(["admin@example.com"], "n@example.com") == ["admin@example.com"]


class Client:
    """Stands in for DirectusClient where the book only clones and closes clients (the sending is replaced)."""

    def __init__(self) -> None:
        self.closed = False

    def clone(self) -> Client:
        return Client()

    def close(self) -> None:
        self.closed = True


def test_a_case_of_the_book_is_sent_once_per_set_of_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[tuple[object, dict[str, str] | None]] = []

    def send(directus: Any, case: object, headers: dict[str, str] | None, *, unknown_email: str) -> httpx.Response:
        sent.append((case, headers))
        return answer(200)

    own, other, foreign = object(), object(), object()
    monkeypatch.setattr(openapi, "send", send)
    monkeypatch.setattr(openapi, "generate", lambda operation, mode, budget: [own, other])
    with CaseBook(budget=2) as book:
        client = Client()
        book.cases(SimpleNamespace(label="POST /auth/login"), GenerationMode.POSITIVE)  # type: ignore[arg-type]
        first = book.answer(client, own, None, unknown_email="x")  # type: ignore[arg-type]
        assert book.answer(client, own, {}, unknown_email="x") is first  # type: ignore[arg-type]
        assert sorted(map(id, (case for case, _ in sent))) == sorted((id(own), id(other)))  # sent together
        book.answer(client, other, None, unknown_email="x")  # type: ignore[arg-type]
        book.answer(client, own, {"Authorization": "Bearer t"}, unknown_email="x")  # type: ignore[arg-type]
        book.answer(client, foreign, None, unknown_email="x")  # type: ignore[arg-type]
        book.answer(client, foreign, None, unknown_email="x")  # type: ignore[arg-type]
        senders = list(book.senders)
    assert len(senders) == openapi.CONCURRENT_SENDS and all(sender.closed for sender in senders)  # type: ignore[attr-defined]
    assert [headers for case, headers in sent if case is own] == [None, {"Authorization": "Bearer t"}]
    assert [headers for case, headers in sent if case is other] == [None, {"Authorization": "Bearer t"}]
    assert len([case for case, _ in sent if case is foreign]) == 2  # not the book's: a failure re-run, sent afresh


def test_cases_are_sent_concurrent_sends_at_once_and_answered_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each round of sends meets at a barrier of CONCURRENT_SENDS parties: sent one by one, it would time out."""
    together = threading.Barrier(openapi.CONCURRENT_SENDS)

    def send(directus: Any, case: int, headers: dict[str, str] | None, *, unknown_email: str) -> httpx.Response:
        together.wait(timeout=10)
        return answer(200 + case)

    monkeypatch.setattr(openapi, "send", send)
    cases = list(range(2 * openapi.CONCURRENT_SENDS))
    clients = [Client() for _ in range(openapi.CONCURRENT_SENDS)]
    answers = openapi.send_all(clients, cases, None, unknown_email="x")  # type: ignore[arg-type]
    assert [response.status_code for response in answers] == [200 + case for case in cases]
