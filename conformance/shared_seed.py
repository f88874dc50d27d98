"""The run's one seed and what it learnt of the target, shared by its processes: the first process to need them makes
them under a file lock and shares the immutable handles (the controller, before the first check); the controller
removes them at the end. Single-use tokens are never shared: checks log in for themselves.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from filelock import FileLock

from conformance.admin import Admin, Facts
from conformance.cast import Cast
from conformance.client import DirectusClient
from conformance.config import Target
from conformance.errors import SeedFailed, TargetError
from conformance.facts import TargetFacts
from conformance.redaction import redact_text
from conformance.run import Run
from conformance.seeding import Loader, load_fixture

__all__ = ["SharedSeed", "clean_after_run", "open_loader"]


@contextlib.contextmanager
def open_loader(run: Run, target: Target) -> Iterator[Loader]:
    """A seeding loader for the run's cast on the target, its admin client closed afterwards."""
    with DirectusClient(target.base_url, verify=target.verify) as client:
        yield Loader(Admin(client, target.admin, target.release), load_fixture(run.cast_file), run.run_tag)


class SharedSeed:
    """The seed and facts of the run tagged `run_tag`, in a directory all its processes share."""

    def __init__(self, run_tag: str) -> None:
        self.directory = Path(tempfile.gettempdir()) / f"directus-conformance-run-{run_tag}"
        self.handle = self.directory / "cast.json"
        self.failure = self.directory / "seed-error.txt"
        self.facts_handle = self.directory / "facts.json"

    def get_or_make(self, loader: Loader) -> Cast:
        """The run's cast: the first process to get here seeds, the others read its handle (also after a failure,
        which is not tried again: SeedFailed with the target's redacted answer)."""
        self.directory.mkdir(mode=0o700, exist_ok=True)
        with FileLock(str(self.directory / "seed.lock")):
            if self.handle.exists():
                return Cast.from_json(self.handle.read_text())
            if not self.failure.exists():
                (self.directory / "seed-started").touch()  # the controller cleans even if the seed stops half-way
                try:
                    seeded = loader.seed()
                    self.handle.write_text(seeded.to_json())
                    self.handle.chmod(0o600)
                    return seeded
                except TargetError as error:
                    self.failure.write_text(redact_text(str(error)))
        raise SeedFailed(self.failure.read_text())

    def admin_facts(self) -> Facts | None:
        """What the seed learnt of the target as its admin (its version), once it has seeded."""
        return Cast.from_json(self.handle.read_text()).facts if self.handle.exists() else None

    def get_or_learn(self, learn: Callable[[], TargetFacts]) -> TargetFacts:
        """The target's facts: the first process to get here learns them, the others read them."""
        self.directory.mkdir(mode=0o700, exist_ok=True)
        with FileLock(str(self.directory / "facts.lock")):
            if self.facts_handle.exists():
                return TargetFacts.from_json(self.facts_handle.read_text())
            learnt = learn()
            self.facts_handle.write_text(learnt.to_json())
            return learnt

    def target_facts(self) -> TargetFacts | None:
        """The facts, once a process has learnt them."""
        return TargetFacts.from_json(self.facts_handle.read_text()) if self.facts_handle.exists() else None

    @property
    def started(self) -> bool:
        return (self.directory / "seed-started").exists()

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def clean_after_run(run: Run) -> None:
    """At the end of the run, on the controller: remove everything the run seeded (also after a half-way seed), then
    the shared directory. An embedded target is discarded after the run, its database with it: cleaning it would
    only cost time."""
    seed = SharedSeed(run.run_tag)
    if not seed.directory.exists():
        return  # nothing was seeded: no request, no file
    if run.target is not None and not run.target.embedded and seed.started:
        with open_loader(run, run.target) as loader:
            loader.clean()
    seed.remove()
