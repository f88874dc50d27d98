"""Generated input, from the target's own OpenAPI document: no server errors, auth enforced, answers as documented.

schemathesis generates valid (positive) and invalid (negative) requests for the `/auth/*` operations and the seeded
collection's operations. Reads of the collection are sent as the owner (a member); writes are only ever sent without
credentials or with an invalid token, so a run never changes data, even on a broken target.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from schemathesis.checks import not_a_server_error
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from conformance.checks.api import (
    Cast,
    DirectusClient,
    Profile,
    RecordProperty,
    bearer,
    check,
    expect,
    expect_status,
    require,
)
from conformance.openapi import (
    AUTH_OPERATIONS,
    COLLECTION_OPERATIONS,
    COLLECTION_READS,
    CaseBook,
    Exploration,
    GeneratedCase,
    Operation,
    concrete,
    explore,
    find_operation,
    harmless_non_refusal,
    has_path,
    load_document,
    schemathesis_failures,
    undocumented_status,
)

BEHAVIOUR = "OpenAPI operations hold under generated input"
ERRORS = "/guides/connect/errors"
SPEC = "packages/specs/src/openapi.yaml"
NOT_A_TOKEN = "invalid-credential-for-the-conformance-suite"


@pytest.fixture(scope="session")
def openapi_document(directus: DirectusClient, cast: Cast) -> BaseSchema:
    """Loaded once per process, at run time: the base URL and the admin are known only now (deferred loading)."""
    return load_document(directus, cast.personas[admin_key(cast)].static_token)


@pytest.fixture(scope="session")
def case_book(budget: Profile) -> Iterator[CaseBook]:
    """Each operation's generated cases, shared by the three checks below (in this process)."""
    with CaseBook(budget.openapi_examples) as book:
        yield book


def admin_key(cast: Cast) -> str:
    return next(key for key, persona in cast.personas.items() if persona.is_admin)


def operation_in(document: BaseSchema, label: str, cast: Cast) -> Operation:
    """The operation to explore; a SKIP when the target's document lacks that method (10.0.0 documents no batch
    update), a precondition error when it lacks the path: the document the admin fetched does not show what the
    admin created, so the admin's credential did not reach it."""
    method_and_path = concrete(label, cast.collection)
    path = method_and_path.split(" ", 1)[1]
    require(has_path(document, path), f"{path} in the OpenAPI document fetched as admin (the seeded collection)")
    operation = find_operation(document, method_and_path)
    if operation is None:
        pytest.skip(f"{label} is not in the target's OpenAPI document (GET /server/specs/oas as admin)")
    return operation


def credentials_for(label: str, cast: Cast) -> dict[str, str] | None:
    """The owner's static token for reads of the collection; nothing for writes and for the /auth operations."""
    return bearer(cast.playing("owner").static_token) if label in COLLECTION_READS else None


def unknown_email(cast: Cast) -> str:
    return f"nobody+{cast.run_tag}@example.com"


@check(
    "OAS-NO-5XX",
    level="MUST",
    refs=(ERRORS, "api/src/middleware/error-handler.ts"),
    title="No generated input, valid or invalid, to an /auth operation or the collection's operations gives a 5xx",
)
@pytest.mark.parametrize("label", AUTH_OPERATIONS + COLLECTION_OPERATIONS)
def test_no_input_gives_a_server_error(
    directus: DirectusClient,
    cast: Cast,
    openapi_document: BaseSchema,
    case_book: CaseBook,
    record_property: RecordProperty,
    label: str,
) -> None:
    operation, found = operation_in(openapi_document, label, cast), Exploration()
    headers = credentials_for(label, cast)

    def probe(case: GeneratedCase) -> None:
        response = case_book.answer(directus, case, headers, unknown_email=unknown_email(cast))
        found.count(response)
        problems = schemathesis_failures(case, response, [not_a_server_error])
        expect(not problems, f"no 5xx from {label} for any input ({'; '.join(problems)})", response)

    explore(case_book, operation, probe, found)
    found.record(record_property)


@check(
    "OAS-AUTH-ENFORCED",
    level="MUST",
    refs=(ERRORS, "api/src/middleware/authenticate.ts", "v5.0.0-8.2.1"),
    title="Every generated request to the collection's operations without credentials, or with an invalid token, "
    "is refused with 401 or 403",
)
@pytest.mark.parametrize("label", COLLECTION_OPERATIONS)
def test_operation_refuses_missing_or_invalid_credentials(
    directus: DirectusClient,
    cast: Cast,
    openapi_document: BaseSchema,
    case_book: CaseBook,
    record_property: RecordProperty,
    label: str,
) -> None:
    operation, found = operation_in(openapi_document, label, cast), Exploration()

    def probe(case: GeneratedCase) -> None:
        for how, headers in (("without credentials", None), ("with an invalid token", bearer(NOT_A_TOKEN))):
            response = case_book.answer(directus, case, headers, unknown_email=unknown_email(cast))
            found.count(response)
            accepted = None if response.status_code in (401, 403) else harmless_non_refusal(label, response)
            if accepted:
                found.accept(accepted)
            else:
                expect_status(response, (401, 403), why=f"{label} {how}")

    explore(case_book, operation, probe, found)
    found.record(record_property)


@check(
    "OAS-RESPONSE-CONFORMS",
    level="MUST",
    refs=(SPEC, ERRORS),
    title="Answers to valid generated requests match the target's OpenAPI document (status, content type, headers, "
    "body schema); documented Directus errors and recorded document deviations are accepted, each named",
)
@pytest.mark.parametrize("label", AUTH_OPERATIONS + COLLECTION_READS)
def test_answers_match_the_document(
    directus: DirectusClient,
    cast: Cast,
    openapi_document: BaseSchema,
    case_book: CaseBook,
    record_property: RecordProperty,
    label: str,
) -> None:
    operation, found = operation_in(openapi_document, label, cast), Exploration()
    headers = credentials_for(label, cast)
    shape_checks = [content_type_conformance, response_headers_conformance, response_schema_conformance]

    def probe(case: GeneratedCase) -> None:
        response = case_book.answer(directus, case, headers, unknown_email=unknown_email(cast))
        found.count(response)
        problems = schemathesis_failures(case, response, shape_checks)
        if schemathesis_failures(case, response, [status_code_conformance]):
            accepted = undocumented_status(label, response)
            if accepted is None:
                problems.append(f"HTTP {response.status_code} is not documented for {label}")
            else:
                found.accept(accepted)
        expect(not problems, f"an answer as documented ({'; '.join(problems)})", response)

    explore(case_book, operation, probe, found, modes=("positive",))
    found.record(record_property)
