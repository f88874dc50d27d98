"""Flows keep callers' rights and secrets: a manual flow's trigger refuses the public and records no run; a webhook
flow that fails answers with its error, not its context; a flow's log keeps no caller's credentials."""

from __future__ import annotations

import json
import secrets
from typing import Any

import httpx

from conformance.checks.api import (
    Cast,
    DirectusClient,
    Loader,
    bearer,
    check,
    cookie_header,
    expect,
    expect_status,
    register_secret,
)
from conformance.checks.flows import manual_flow, rejecting_webhook

BEHAVIOUR = "Flows keep callers' rights and secrets"
CONTEXT = ("$env", "$accountability", "$trigger")
"""The keys of a flow's context: an answer holding any of them holds the context (environment, caller, headers)."""


def keys_in(value: Any) -> set[str]:
    """Every key of every object in a JSON value."""
    if isinstance(value, dict):
        return set(value).union(*(keys_in(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(keys_in(v) for v in value))
    return set()


def json_body_or_list(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


@check(
    "FLOW-TRIGGER-NEEDS-AUTH",
    level="MUST",
    refs=("GHSA-7cvf-pxgp-42fc", "CVE-2025-53889", "GHSA-fq27-7m2r-q6vm", "api/src/controllers/flows.ts"),
    title="An anonymous trigger of a manual flow on an item the public cannot read is refused, and the flow does "
    "not run",
)
def test_anonymous_manual_trigger_is_refused(directus: DirectusClient, cast: Cast, loader: Loader) -> None:
    post = cast.posts_of(cast.playing("owner"))[0]
    with manual_flow(loader.admin, cast) as flow:
        response = directus.request(
            "POST", f"/flows/trigger/{flow.id}", json={"collection": cast.collection, "keys": [post]}
        )
        expect_status(response, (401, 403), why="an anonymous trigger of a manual flow")
        runs = loader.admin.get(
            "/activity",
            **{
                "filter[collection][_eq]": "directus_flows",
                "filter[item][_eq]": flow.id,
                "filter[action][_eq]": "run",
                "fields": "id",
            },
        )
        expect(not runs, f"no run of the flow in the activity log (admin read: {len(runs)} run(s))", response)


@check(
    "FLOW-WEBHOOK-ERROR-HOLDS-NO-CONTEXT",
    level="MUST",
    refs=("GHSA-fm3h-p9wm-h74h", "CVE-2025-30353", "api/src/flows.ts", "v5.0.0-16.5.1"),
    title="A webhook flow that fails answers with its error only: not the flow's context ($env, $accountability, "
    "$trigger with the caller's headers)",
)
def test_failed_webhook_answers_without_its_context(directus: DirectusClient, cast: Cast, loader: Loader) -> None:
    token = cast.playing("member").static_token
    with rejecting_webhook(loader.admin, cast) as flow:
        response = directus.request("GET", f"/flows/trigger/{flow}", params={"x": "1"}, headers=bearer(token))
        leaked = sorted(keys_in(json_body_or_list(response)) & set(CONTEXT))
        leaked += ["the caller's token"] if token in response.text else []
        expect(not leaked, f"the flow's error alone (the answer holds {', '.join(leaked)})", response)


@check(
    "FLOW-LOG-REDACTS-CREDENTIALS",
    level="MUST",
    refs=("GHSA-f24x-rm6g-3w5v", "CVE-2025-53886", "api/src/flows.ts", "v5.0.0-16.2.5"),
    title="A webhook flow's run log (its revision) keeps no credential of the caller: Authorization and Cookie are "
    "redacted",
)
def test_flow_log_redacts_the_callers_credentials(directus: DirectusClient, cast: Cast, loader: Loader) -> None:
    token, cookie = cast.playing("member").static_token, f"conformance-{secrets.token_urlsafe(16)}"
    register_secret(cookie)
    with rejecting_webhook(loader.admin, cast) as flow:
        headers = bearer(token) | cookie_header(directus_refresh_token=cookie)
        response = directus.request("GET", f"/flows/trigger/{flow}", params={"x": "1"}, headers=headers)
        logged = json.dumps(
            loader.admin.get(
                "/revisions", **{"filter[collection][_eq]": "directus_flows", "filter[item][_eq]": flow, "limit": -1}
            )
        )
        kept = [name for name, secret in (("Authorization", token), ("Cookie", cookie)) if secret in logged]
        expect(
            not kept and "$trigger" in logged,
            f"the run logged with the caller's credentials redacted (in clear: {', '.join(kept) or 'none'}; "
            f"a run logged: {'$trigger' in logged})",
            response,
        )
