"""npm packages the suite runs beside Directus (the JavaScript SDK, Allure 3), each installed once into the cache.

They run on the wheel's Node 22, as Directus does; a package is installed with its scripts off, under a file lock (the
xdist workers, and runs at once, may ask for it together), and marked complete only when npm has finished.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from filelock import FileLock

from conformance.embedded.lockfiles import failure_reason
from conformance.embedded.node import run_npm

__all__ = ["PackageUnavailable", "ensure_package", "npm"]

NPM_TIMEOUT_S = 120


class PackageUnavailable(Exception):
    """npm could not give a package (the registry out of reach, say); the sentence says why."""


def npm(arguments: list[str], cwd: Path | None = None) -> str:
    """npm's standard output; PackageUnavailable, with npm's own reason, when it fails or takes too long."""
    try:
        done = run_npm(arguments, cwd, NPM_TIMEOUT_S)
    except subprocess.TimeoutExpired as timeout:
        raise PackageUnavailable(f"npm {arguments[0]} took over {NPM_TIMEOUT_S} s") from timeout
    if done.returncode != 0:
        raise PackageUnavailable(f"npm {arguments[0]} failed (exit {done.returncode}): {failure_reason(done.stderr)}")
    return done.stdout


def ensure_package(name: str, version: str, directory: Path) -> Path:
    """`directory`, holding `name@version` in its node_modules: installed the first time, found after."""
    if (directory / ".complete").exists():
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    with FileLock(str(directory) + ".lock", timeout=NPM_TIMEOUT_S * 2):
        if not (directory / ".complete").exists():
            (directory / "package.json").write_text('{"private": true}')
            npm(["install", "--no-audit", "--no-fund", "--ignore-scripts", f"{name}@{version}"], directory)
            (directory / ".complete").write_text(version)
    return directory
