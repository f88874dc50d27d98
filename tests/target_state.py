"""What a run may leave behind on a target, as a comparable snapshot (for the zero-residue tests)."""

from __future__ import annotations

from conformance.admin import Admin
from conformance.client import DirectusError

SNAPSHOT_PATHS = (
    *("/users", "/roles", "/policies", "/permissions", "/access", "/collections", "/relations"),
    *("/flows", "/operations", "/files", "/shares"),
)


def snapshot(admin: Admin) -> dict[str, set[str]]:
    """What a seed may create, as ids per system collection (collections and relations by name)."""
    state = {}
    for path in SNAPSHOT_PATHS:
        try:
            rows = admin.get(path, limit=-1) or []
        except DirectusError as error:
            if error.code != "ROUTE_NOT_FOUND":  # /policies and /access do not exist on 10.x
                raise
            continue
        state[path] = {str(r.get("id") or r.get("collection") + "." + str(r.get("field", ""))) for r in rows}
    return state
