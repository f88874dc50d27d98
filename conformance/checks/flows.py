"""Throwaway flows for the flow checks: a manual one (two `log` operations, the first resolving to the second) and
webhooks of one operation (a rejecting condition, a log of the request's headers)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from conformance.admin import Admin
from conformance.cast import Cast
from conformance.seeding import run_label


@dataclass(frozen=True)
class Flow:
    id: str
    first: str  # its first operation, whose `resolve` is the second
    second: str


@contextmanager
def throwaway_flow(admin: Admin, cast: Cast, trigger: str, options: dict[str, object]) -> Iterator[str]:
    """An active flow recording its runs in the activity log (accountability `all`): its id; deleted after."""
    flow = admin.call(
        "POST",
        "/flows",
        action=f"create a {trigger} flow",
        json={
            "name": run_label(cast.run_tag),
            "status": "active",
            "trigger": trigger,
            "accountability": "all",
            "options": options,
        },
    )
    try:
        yield str(flow["id"])
    finally:
        admin.call("DELETE", f"/flows/{flow['id']}", action=f"delete the {trigger} flow")


@contextmanager
def manual_flow(admin: Admin, cast: Cast) -> Iterator[Flow]:
    """A flow with a manual trigger on the cast's collection."""
    options = {"collections": [cast.collection], "requireConfirmation": False}
    with throwaway_flow(admin, cast, "manual", options) as flow:
        second = admin.call("POST", "/operations", action="create an operation", json=_log(flow, "second", 2))
        first = admin.call(
            "POST", "/operations", action="create an operation", json=_log(flow, "first", 1, second["id"])
        )
        start(admin, flow, first["id"])
        yield Flow(flow, str(first["id"]), str(second["id"]))


REJECTING_CONDITION: Mapping[str, object] = {
    "type": "condition",
    "options": {"filter": {"$trigger": {"query": {"x": {"_eq": "never"}}}}},
}
"""A condition that rejects any call without ?x=never: a failure whose answer must hold the error only."""
LOG_OF_HEADERS: Mapping[str, object] = {"type": "log", "options": {"message": "{{$trigger.headers}}"}}
"""A "Log to Console" of the request's headers: what it logs (and its run's revision keeps) must be redacted."""


@contextmanager
def webhook(admin: Admin, cast: Cast, operation: Mapping[str, object]) -> Iterator[str]:
    """A synchronous GET webhook flow answering "data of the last operation", with one operation."""
    with throwaway_flow(admin, cast, "webhook", {"method": "GET", "async": False, "return": "$last"}) as flow:
        first = admin.call(
            "POST",
            "/operations",
            action="create the webhook's operation",
            json={"flow": flow, "key": "only", "name": "only", "position_x": 19, "position_y": 1, **operation},
        )
        start(admin, flow, first["id"])
        yield flow


def start(admin: Admin, flow: str, operation: str) -> None:
    admin.call("PATCH", f"/flows/{flow}", action="start the flow at its first operation", json={"operation": operation})


def _log(flow: str, key: str, position: int, resolve: str | None = None) -> dict[str, object]:
    return {
        "flow": flow,
        "key": key,
        "name": key,
        "type": "log",
        "position_x": position * 20,
        "position_y": 1,
        "options": {"message": f"conformance {key}"},
        "resolve": resolve,
    }
