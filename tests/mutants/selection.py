"""Which mutants CI runs: the fewest that between them catch every check, as the advisory proofs prove each advisory
on the fewest releases. `tox -e mutants` runs them all (DIRECTUS_CONFORMANCE_MUTANTS=all).

Each mutant run is a whole run of the suite (about 30 s of CPU); a check that several mutants catch is shown
failing by one of them in CI, and by all of them in `tox -e mutants`, which docs/mutants.md records.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from tests.mutants.proxy import Described

__all__ = ["EVERY_MUTANT", "SELECTION", "ci_cover", "runs_everything"]

SELECTION = "DIRECTUS_CONFORMANCE_MUTANTS"
EVERY_MUTANT = "all"
OPENAPI_COST = 1.5
"""A mutant the OpenAPI suite must catch runs it too: about half as long again as a run without it."""


def cost(mutant: type[Described]) -> float:
    return OPENAPI_COST if any(check.startswith("OAS-") for check in mutant.expected) else 1.0


def ci_cover(mutants: Sequence[type[Described]]) -> list[type[Described]]:
    """A greedy set cover of the checks the mutants catch: repeatedly the mutant that catches the most checks not yet
    caught per unit of run time (ties in catalogue order), until every check is caught; in catalogue order."""
    uncaught = set().union(*(m.expected for m in mutants))
    chosen: set[type[Described]] = set()
    while uncaught:
        best = max(mutants, key=lambda m: len(m.expected & uncaught) / cost(m))
        chosen.add(best)
        uncaught -= best.expected
    return [m for m in mutants if m in chosen]


def runs_everything() -> bool:
    """`tox -e mutants`: every mutant, not only CI's cover."""
    return os.environ.get(SELECTION) == EVERY_MUTANT
