"""In what order the checks run, and how pytest-xdist hands them to its workers.

The checks that wait on the target's clock (token expiry, the session grace period) go first, each to a worker of
its own, so their waits overlap the other workers' checks instead of each other's or the end of the run. The checks
that may break the target (a destructive advisory reproduction, on an embedded target only) go last, once every
other check is done.
"""

from __future__ import annotations

import pytest
from xdist.scheduler import LoadScheduling

from conformance.registry import TARGET_BREAKERS, check_info, load_all_checks

FIRST_ROUNDS = 2  # an xdist worker runs a check only once it knows the next one: two checks each to start


def running_order(items: list[pytest.Item]) -> list[pytest.Item]:
    """Checks that sleep on the target's clock first, so their waits overlap the other workers' checks instead of
    ending the run; the generated-input checks of one OpenAPI operation next to each other, so the worker that gets
    them generates the operation's cases once (openapi.CaseBook); the checks that may break the target last.
    Otherwise in collection order."""
    first_of: dict[str, int] = {}
    keys: dict[str, tuple[bool, bool, int]] = {}
    for index, item in enumerate(items):
        info = check_info(item)
        callspec = getattr(item, "callspec", None)
        operation = callspec.params.get("label") if callspec and info and info.id.startswith("OAS-") else None
        anchor = first_of.setdefault(operation, index) if operation else index
        keys[item.nodeid] = (bool(info and info.breaks_target), not (info and info.waits), anchor)
    return sorted(items, key=lambda item: keys[item.nodeid])  # stable: each operation's checks in collection order


class WaitingChecksSpread(LoadScheduling):  # type: ignore[misc]  # xdist ships no type information
    """xdist's load scheduling with another start: the first checks go out in turns, one per worker per turn,
    instead of a run of consecutive checks to each worker (which gave both waiting checks, first in the running
    order, to the first worker, one wait after the other). A worker gets more as it finishes, as in xdist.

    The checks that may break the target are held back: once everything else is handed out, one worker goes on and
    the others stop after their last check; when they all have, that worker gets the held checks. (An xdist worker
    runs its last check only when it is told the next one or to stop, so the others are stopped, not waited for.)"""

    collection: list[str] | None
    maxschedchunk: int | None
    held: list[int]

    def __init__(self, config: pytest.Config, log: object = None) -> None:
        super().__init__(config, log)
        self.held = []

    @property
    def tests_finished(self) -> bool:
        return not self.held and bool(super().tests_finished)

    def check_schedule(self, node: object, duration: float = 0) -> None:
        if self.pending or not self.held:
            super().check_schedule(node, duration)
        else:
            self.hand_out_held()

    def schedule(self) -> None:
        if self.collection is not None or not self._check_nodes_have_same_collection():
            super().schedule()  # later calls, and xdist's own stop when the workers collected different checks
            return
        collection: list[str] = next(iter(self.node2collection.values()))
        self.collection = collection
        load_all_checks()  # the registry names the checks that may break the target
        held = {index for index, nodeid in enumerate(collection) if breaks_target(nodeid)}
        self.held = sorted(held)
        self.pending[:] = [index for index in range(len(collection)) if index not in held]
        if not collection:
            return  # as xdist: nothing to hand out
        if self.maxschedchunk is None:
            self.maxschedchunk = len(collection)
        for _ in range(FIRST_ROUNDS):
            for node in self.nodes:
                self._send_tests(node, 1)
        if not self.pending:
            self.hand_out_held()

    def hand_out_held(self) -> None:
        """With nothing else left to hand out: stop all workers but one, and give that one the held checks once the
        others are done (then stop it too)."""
        going_on = [node for node in self.nodes if not node.shutting_down]
        for node in going_on[1:] if self.held else going_on:
            node.shutdown()
        others_busy = any(self.node2pending[node] for node in self.nodes if node not in going_on[:1])
        if not self.held or not going_on or others_busy:
            return
        self.pending[:], self.held = self.held, []
        self._send_tests(going_on[0], len(self.pending))
        going_on[0].shutdown()


def breaks_target(nodeid: str) -> bool:
    """Whether a collected check (by its node ID, which is all the xdist controller sees) may break the target."""
    return nodeid.split("[", 1)[0].rsplit("/", 1)[-1] in TARGET_BREAKERS
