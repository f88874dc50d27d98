"""A throwaway manual flow for the flow checks: two `log` operations, the first resolving to the second."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from conformance.admin import Admin
from conformance.cast import Cast


@dataclass(frozen=True)
class Flow:
    id: str
    first: str  # its first operation, whose `resolve` is the second
    second: str


@contextmanager
def manual_flow(admin: Admin, cast: Cast) -> Iterator[Flow]:
    """An active flow with a manual trigger on the cast's collection, recording its runs in the activity log
    (accountability `all`); deleted after."""
    flow = admin.call(
        "POST",
        "/flows",
        action="create a manual flow",
        json={
            "name": f"conformance {cast.run_tag}",
            "status": "active",
            "trigger": "manual",
            "accountability": "all",
            "options": {"collections": [cast.collection], "requireConfirmation": False},
        },
    )
    try:
        second = admin.call("POST", "/operations", action="create an operation", json=_log(flow["id"], "second", 2))
        first = admin.call(
            "POST", "/operations", action="create an operation", json=_log(flow["id"], "first", 1, second["id"])
        )
        admin.call(
            "PATCH",
            f"/flows/{flow['id']}",
            action="start the flow at its first operation",
            json={"operation": first["id"]},
        )
        yield Flow(str(flow["id"]), str(first["id"]), str(second["id"]))
    finally:
        admin.call("DELETE", f"/flows/{flow['id']}", action="delete the manual flow")


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
