"""In what order the checks run, and how pytest-xdist hands them to its workers.

The checks that wait on the target's clock (token expiry, the session grace period) go first, each to a worker of
its own, so their waits overlap the other workers' checks instead of each other's or the end of the run.
"""

from __future__ import annotations

import pytest
from xdist.scheduler import LoadScheduling

from conformance.registry import check_info

FIRST_ROUNDS = 2  # an xdist worker runs a check only once it knows the next one: two checks each to start


def running_order(items: list[pytest.Item]) -> list[pytest.Item]:
    """Checks that sleep on the target's clock first, so their waits overlap the other workers' checks instead of
    ending the run; the generated-input checks of one OpenAPI operation next to each other, so the worker that gets
    them generates the operation's cases once (openapi.CaseBook). Otherwise in collection order."""
    first_of: dict[str, int] = {}
    keys: dict[str, tuple[bool, int]] = {}
    for index, item in enumerate(items):
        info = check_info(item)
        callspec = getattr(item, "callspec", None)
        operation = callspec.params.get("label") if callspec and info and info.id.startswith("OAS-") else None
        anchor = first_of.setdefault(operation, index) if operation else index
        keys[item.nodeid] = (not (info and info.waits), anchor)
    return sorted(items, key=lambda item: keys[item.nodeid])  # stable: each operation's checks in collection order


class WaitingChecksSpread(LoadScheduling):  # type: ignore[misc]  # xdist ships no type information
    """xdist's load scheduling with another start: the first checks go out in turns, one per worker per turn,
    instead of a run of consecutive checks to each worker (which gave both waiting checks, first in the running
    order, to the first worker, one wait after the other). A worker gets more as it finishes, as in xdist."""

    collection: list[str] | None
    maxschedchunk: int | None

    def schedule(self) -> None:
        if self.collection is not None or not self._check_nodes_have_same_collection():
            super().schedule()  # later calls, and xdist's own stop when the workers collected different checks
            return
        collection: list[str] = next(iter(self.node2collection.values()))
        self.collection = collection
        self.pending[:] = range(len(collection))
        if not collection:
            return  # as xdist: nothing to hand out
        if self.maxschedchunk is None:
            self.maxschedchunk = len(collection)
        for _ in range(FIRST_ROUNDS):
            for node in self.nodes:
                self._send_tests(node, 1)
        if not self.pending:
            for node in self.nodes:
                node.shutdown()
