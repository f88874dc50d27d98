"""Installing a Directus release into the per-user cache, once per version and lockfile.

The install dir is keyed by version and a hash of its lockfile (see lockfiles) and the shims it references; it is built
in a staging dir under a file lock and renamed into place when complete, so two first runs at once never corrupt it.
No compiler is needed: sqlite3 is aliased to a fork that ships N-API prebuilds, and isolated-vm (used only by
sandboxed extensions and the Run Script flow operation) is replaced by a stand-in; `npm ci --ignore-scripts`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from filelock import FileLock

from conformance.console import step
from conformance.embedded.lockfiles import SHIMS_DIR, failure_reason, lockfile_dir, shims_key
from conformance.embedded.node import node_binary, node_environment, npm_command
from conformance.embedded.settings import EmbeddedSettings
from conformance.errors import InstallError

DEFAULT_VERSION = "11.17.4"
INSTALL_TIMEOUT_S = 900


@dataclass(frozen=True)
class Installation:
    version: str
    root: Path

    @property
    def cli(self) -> Path:
        """Directus's CLI entry without the npm update check that `directus/cli.js` runs first."""
        return self.root / "node_modules" / "@directus" / "api" / "dist" / "cli" / "run.js"

    @property
    def template_database(self) -> Path:
        """A SQLite database bootstrapped once at install; each run starts from a copy of it."""
        return self.root / "template.db"

    @property
    def compile_cache(self) -> Path:
        """Node's on-disk cache of compiled modules (NODE_COMPILE_CACHE): a warm boot skips parsing Directus again."""
        return self.root / "compile-cache"


def cache_root() -> Path:
    """Where installs live: $DIRECTUS_CONFORMANCE_CACHE, else the platform's per-user cache dir."""
    override = os.environ.get("DIRECTUS_CONFORMANCE_CACHE")
    return Path(override) if override else Path(platformdirs.user_cache_dir("directus-conformance"))


def install_key(lockfiles: Path) -> str:
    """A hash of everything that decides what gets installed: the lockfile pair and the shims."""
    digest = hashlib.sha256(shims_key().encode())
    for path in sorted(lockfiles.glob("*.json")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def ensure_installed(version: str = DEFAULT_VERSION) -> Installation:
    """Return the cached install of `version`, installing it first if needed (safe under concurrency)."""
    lockfiles = lockfile_dir(version, cache_root())
    target = cache_root() / "directus" / f"{version}-{install_key(lockfiles)}"
    installation = Installation(version, target)
    if (target / ".complete").exists():
        return installation
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock", timeout=INSTALL_TIMEOUT_S):
        if (target / ".complete").exists():
            return installation
        staging = target.with_name(f"{target.name}.staging-{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(lockfiles, staging)
        shutil.copytree(SHIMS_DIR, staging / "shims")
        with step(f"Installing Directus {version} into {target} (first run only)"):
            _run([*npm_command(), "ci", "--ignore-scripts", "--no-audit", "--no-fund"], staging, "npm ci")
        with step("Bootstrapping a template database"):
            _bootstrap_template(Installation(version, staging))
        (staging / ".complete").write_text(version)
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    return installation


def _bootstrap_template(installation: Installation) -> None:
    workdir = installation.root / "template-work"
    workdir.mkdir(exist_ok=True)
    env = node_environment() | EmbeddedSettings(installation.version).environment(
        installation.template_database, workdir
    )
    _run([str(node_binary()), str(installation.cli), "bootstrap"], installation.root, "directus bootstrap", env)
    shutil.rmtree(workdir, ignore_errors=True)


def _run(command: list[str], cwd: Path, what: str, env: dict[str, str] | None = None) -> None:
    log = cwd / f"{what.replace(' ', '-')}.log"
    with log.open("w") as out:
        result = subprocess.run(
            command,
            cwd=cwd,
            env=env or node_environment(),
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=INSTALL_TIMEOUT_S,
            check=False,
        )
    if result.returncode != 0:
        raise InstallError(
            f"{what} failed (exit {result.returncode}): {failure_reason(log.read_text(errors='replace'))}; log: {log}"
        )
