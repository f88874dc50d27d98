"""Flows keep callers' rights and secrets: a manual flow's trigger refuses the public and records no run; a webhook
flow that fails answers with its error, not its context; a flow's log keeps no caller's credentials.

Directus reloads every flow's trigger when any flow changes (other checks create flows too), and a trigger that
arrives during a reload is refused as if the flow did not exist: each check first sees its flow answer the admin
(`when_live`), so a refusal is the server's decision and not that reload."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
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
    require,
)
from conformance.checks.flows import LOG_OF_HEADERS, REJECTING_CONDITION, manual_flow, webhook

BEHAVIOUR = "Flows keep callers' rights and secrets"
CONTEXT = ("$env", "$accountability", "$trigger")
"""The keys of a flow's context: an answer holding any of them holds the context (environment, caller, headers)."""
LIVE_WITHIN_S = 5.0
ATTEMPTS = 3


def when_live(trigger: Callable[[], httpx.Response]) -> httpx.Response:
    """The first answer of `trigger` (an admin's) that is not the refusal of a flow being reloaded, within
    LIVE_WITHIN_S; the check is an error if the flow never answers."""
    deadline = time.monotonic() + LIVE_WITHIN_S
    response = trigger()
    while response.status_code == 403 and time.monotonic() < deadline:
        time.sleep(0.2)
        response = trigger()
    require(response.status_code in (200, 204), "the flow answers the admin's trigger (it is live)", response)
    return response


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


def logged_for(flow: str) -> dict[str, str]:
    """The filter on what the activity log and the revisions keep of a flow."""
    return {"filter[collection][_eq]": "directus_flows", "filter[item][_eq]": flow}


def runs_of(loader: Loader, flow: str) -> int:
    return len(loader.admin.get("/activity", **logged_for(flow), **{"filter[action][_eq]": "run"}, fields="id"))


@check(
    "FLOW-TRIGGER-NEEDS-AUTH",
    level="MUST",
    refs=("GHSA-7cvf-pxgp-42fc", "CVE-2025-53889", "GHSA-fq27-7m2r-q6vm", "api/src/controllers/flows.ts"),
    title="An anonymous trigger of a manual flow on an item the public cannot read is refused, and the flow does "
    "not run",
)
def test_anonymous_manual_trigger_is_refused(directus: DirectusClient, cast: Cast, loader: Loader) -> None:
    payload = {"collection": cast.collection, "keys": [cast.posts_of(cast.playing("owner"))[0]]}
    with manual_flow(loader.admin, cast) as flow:

        def trigger(headers: dict[str, str]) -> httpx.Response:
            return directus.request("POST", f"/flows/trigger/{flow.id}", json=payload, headers=headers)

        for _ in range(ATTEMPTS):  # each anonymous attempt right after an admin's went through
            when_live(lambda: trigger(bearer(loader.admin.token())))
            response = trigger({})
            expect_status(response, (401, 403), why="an anonymous trigger of a manual flow")
        runs = runs_of(loader, flow.id)
        expect(runs == ATTEMPTS, f"only the admin's {ATTEMPTS} runs in the activity log ({runs})", response)


@check(
    "FLOW-WEBHOOK-ERROR-HOLDS-NO-CONTEXT",
    level="MUST",
    refs=("GHSA-fm3h-p9wm-h74h", "CVE-2025-30353", "api/src/flows.ts", "v5.0.0-16.5.1"),
    title="A webhook flow that fails answers with its error only: not the flow's context ($env, $accountability, "
    "$trigger with the caller's headers)",
)
def test_failed_webhook_answers_without_its_context(directus: DirectusClient, cast: Cast, loader: Loader) -> None:
    token = loader.admin.token()  # who may trigger a webhook varies by release; the admin always may
    with webhook(loader.admin, cast, REJECTING_CONDITION) as flow:
        response = when_live(
            lambda: directus.request("GET", f"/flows/trigger/{flow}", params={"x": "1"}, headers=bearer(token))
        )
        leaked = sorted(keys_in(json_body_or_list(response)) & set(CONTEXT))
        leaked += ["the caller's token"] if token in response.text else []
        expect(not leaked, f"the flow's error alone (the answer holds {', '.join(leaked)})", response)


@check(
    "FLOW-LOG-REDACTS-CREDENTIALS",
    level="MUST",
    refs=("GHSA-f24x-rm6g-3w5v", "CVE-2025-53886", "api/src/flows.ts", "v5.0.0-16.2.5"),
    title="A webhook flow's Log to Console of the request headers keeps no credential of the caller (its run's "
    "revision shows what it logged): Authorization and Cookie are redacted",
)
def test_flow_log_redacts_the_callers_credentials(directus: DirectusClient, cast: Cast, loader: Loader) -> None:
    token, cookie = loader.admin.token(), f"conformance-{secrets.token_urlsafe(16)}"
    register_secret(cookie)
    headers = bearer(token) | cookie_header(directus_refresh_token=cookie)
    with webhook(loader.admin, cast, LOG_OF_HEADERS) as flow:
        response = when_live(lambda: directus.request("GET", f"/flows/trigger/{flow}", headers=headers))
        logged = json.dumps(loader.admin.get("/revisions", **logged_for(flow), limit=-1))
        kept = [name for name, secret in (("Authorization", token), ("Cookie", cookie)) if secret in logged]
        expect(
            not kept and "$trigger" in logged,
            f"the run logged with the caller's credentials redacted (in clear: {', '.join(kept) or 'none'}; "
            f"a run logged: {'$trigger' in logged})",
            response,
        )
