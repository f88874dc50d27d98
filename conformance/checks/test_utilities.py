"""The utility endpoints need authentication: an anonymous caller cannot make the server hash or verify passwords."""

from __future__ import annotations

import pytest

from conformance.checks.api import DirectusClient, check, expect, expect_status, json_body

BEHAVIOUR = "Utility endpoints need authentication"
ARGON2_OF_CONFORMANCE = (
    "$argon2id$v=19$m=2048,t=2,p=1$bV/vrwrqEUnqnGJZfCIU/Q$ImJJIFusNxdNfVt+94zu9EN0ej9QHasnr6p33T8eWcg"
)
"""A well-formed Argon2 hash (of the word "conformance"), so a /verify that runs at all has something to verify."""


@check(
    "UTILS-HASH-NEEDS-AUTH",
    level="MUST",
    refs=("GHSA-xw72-c69j-h2rj", "api/src/controllers/utils.ts", "v5.0.0-8.2.1"),
    title="An anonymous POST /utils/hash/generate or /utils/hash/verify is refused (401, 403, or 404 as 12.1 "
    "answers): no Argon2 work for the public",
)
@pytest.mark.parametrize(
    "utility, body",
    [
        ("generate", {"string": "conformance"}),
        ("verify", {"string": "conformance", "hash": ARGON2_OF_CONFORMANCE}),
    ],
    ids=["generate", "verify"],
)
def test_anonymous_hash_utility_is_refused(directus: DirectusClient, utility: str, body: dict[str, str]) -> None:
    response = directus.request("POST", f"/utils/hash/{utility}", json=body)
    expect("data" not in json_body(response), f"no result of /utils/hash/{utility} for the public", response)
    expect_status(response, (401, 403, 404), why=f"an anonymous /utils/hash/{utility} (12.1 hides the route: 404)")
