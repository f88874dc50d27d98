"""The run's one seed, shared by its processes: the first process to need the cast seeds it under a file lock and
shares the immutable handle (on the embedded target, the controller as soon as the server answers); the controller
removes it at the end. Single-use tokens are never shared: checks log in for themselves.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock

from conformance.admin import Admin, Facts
from conformance.cast import Cast
from conformance.client import DirectusClient
from conformance.config import Target
from conformance.errors import SeedFailed, TargetError
from conformance.redaction import redact_text
from conformance.run import Run
from conformance.seeding import Loader, load_fixture

__all__ = ["SharedSeed", "clean_after_run", "open_loader"]


@contextlib.contextmanager
def open_loader(run: Run, target: Target) -> Iterator[Loader]:
    """A seeding loader for the run's cast on the target, its admin client closed afterwards."""
    with DirectusClient(target.base_url, verify=target.verify) as client:
        yield Loader(Admin(client, target.admin), load_fixture(run.cast_file), run.run_tag)


class SharedSeed:
    """The seed of the run tagged `run_tag`, in a directory all its processes share (created by the first seed)."""

    def __init__(self, run_tag: str) -> None:
        self.directory = Path(tempfile.gettempdir()) / f"directus-conformance-run-{run_tag}"
        self.handle = self.directory / "cast.json"
        self.failure = self.directory / "seed-error.txt"

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

    def facts(self) -> Facts | None:
        """What the seed learnt of the target (its version), once it has seeded."""
        return Cast.from_json(self.handle.read_text()).facts if self.handle.exists() else None

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
