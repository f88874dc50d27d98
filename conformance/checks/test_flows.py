"""Flows run only for those allowed to run them: a manual flow's trigger refuses the public, and records no run."""

from __future__ import annotations

from conformance.checks.api import Cast, DirectusClient, Loader, check, expect, expect_status
from conformance.checks.flows import manual_flow

BEHAVIOUR = "Flows run only for those allowed"


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
