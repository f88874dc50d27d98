"""The random-string utility validates the length it is asked for before it reaches the generator the server's
session tokens come from: a length outside 1 to 500 is refused, and a length that is no number at all leaves the
generator whole (before 10.11.2 it left every later random string empty, and with them every refresh token)."""

from __future__ import annotations

from conformance.checks.api import DirectusClient, Members, Need, check, expect, expect_status, json_body, login

BEHAVIOUR = "The random-string utility keeps the token generator whole"
UTILITY = "/utils/random/string"
SOURCE = "api/src/controllers/utils.ts"
DEFAULT_LENGTH = 32
REFS = ("GHSA-632p-p495-25m5", "CVE-2024-36128", SOURCE, "v5.0.0-2.2.1")


@check(
    "UTILS-RANDOM-LENGTH-VALIDATED",
    level="MUST",
    refs=REFS,
    title="GET /utils/random/string?length=0 is refused (400): a length outside 1 to 500 never reaches the generator "
    "the server's tokens come from",
)
def test_length_outside_the_range_is_refused(directus: DirectusClient) -> None:
    """The safe probe of the validation, for any target: a vulnerable release answers a zero length with an empty
    string and no harm, where a length that is no number breaks it (the next check, on a throwaway target only)."""
    response = directus.request("GET", UTILITY, params={"length": "0"})
    expect_status(response, (400, 401, 403), why="a random string of length 0 (below the minimum of 1)")


@check(
    "UTILS-RANDOM-BAD-LENGTH-LOCKS-NOTHING",
    level="MUST",
    needs=(Need.EMBEDDED,),
    breaks_target=True,
    refs=REFS,
    title="After GET /utils/random/string?length=foo, random strings still have their length and a new session's "
    "refresh token still refreshes (10.11.1 hands out empty strings from then on: no session refreshes)",
)
def test_bad_length_locks_nothing(directus: DirectusClient, members: Members) -> None:
    """The advisory's own reproduction, which leaves a vulnerable server unable to refresh any session until it
    restarts: on a throwaway embedded target only, after every other check (`breaks_target`)."""
    bad = directus.request("GET", UTILITY, params={"length": "foo"})
    after = f"after GET {UTILITY}?length=foo (answered HTTP {bad.status_code})"
    answer = directus.request("GET", UTILITY)
    string = json_body(answer).get("data")
    expect(
        isinstance(string, str) and len(string) == DEFAULT_LENGTH,
        f"a random string of the default {DEFAULT_LENGTH} characters {after}",
        answer,
    )
    session = login(directus, members.owner, "json")
    expect(bool(session.refresh_token), f"a login hands out a refresh token {after}", session.response)
    refreshed = directus.refresh("json", refresh_token=session.refresh_token)
    expect_status(refreshed.response, 200, why=f"the new session refreshes {after}")
