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

import pytest
from filelock import FileLock

from conformance.admin import Admin, TargetError
from conformance.client import DirectusClient, DirectusError
from conformance.config import Target
from conformance.options import configured_target, fixture_file
from conformance.redaction import redact_text
from conformance.seeding import Cast, Loader, load_fixture


def shared_dir(config: pytest.Config) -> Path:
    """The directory all xdist workers of this run share, keyed by the run tag (created by the first seed)."""
    return Path(tempfile.gettempdir()) / f"directus-conformance-run-{config.option.directus_run_tag}"


@contextlib.contextmanager
def open_loader(config: pytest.Config, target: Target) -> Iterator[Loader]:
    """A seeding loader for the target, its admin client closed afterwards."""
    with DirectusClient(target.base_url, verify=target.verify) as client:
        cast = load_fixture(fixture_file(config))
        yield Loader(Admin(client, target.admin), cast, config.option.directus_run_tag)


class SeedFailed(Exception):
    """The run's seed failed: the target's answer, redacted (every check that needs the cast reports it)."""


def seed_once(config: pytest.Config, loader: Loader) -> Cast:
    """The run's cast: the first process to get here seeds, the others read its handle (also after a failure, which
    is not tried again). The embedded run seeds from the controller as soon as the server answers."""
    directory = shared_dir(config)
    directory.mkdir(mode=0o700, exist_ok=True)
    handle, failure = directory / "cast.json", directory / "seed-error.txt"
    with FileLock(str(directory / "seed.lock")):
        if handle.exists():
            return Cast.from_json(handle.read_text())
        if not failure.exists():
            (directory / "seed-started").touch()  # the controller cleans even if the seed stops half-way
            try:
                seeded = loader.seed()
                handle.write_text(seeded.to_json())
                handle.chmod(0o600)
                return seeded
            except (TargetError, DirectusError) as error:
                failure.write_text(redact_text(str(error)))
    raise SeedFailed(failure.read_text())


def clean_after_run(config: pytest.Config) -> None:
    """At the end of the run, on the controller: remove everything the run seeded (also after a half-way seed), then
    the shared dir. An embedded target is discarded after the run, its database with it: cleaning it would only cost
    time."""
    directory = shared_dir(config)
    if not directory.exists():
        return  # nothing was seeded: no request, no file
    found = configured_target(config)
    if found is not None and not config.option.embedded_target and (directory / "seed-started").exists():
        with open_loader(config, found) as loader:
            loader.clean()
    shutil.rmtree(directory, ignore_errors=True)
