"""The lockfile a Directus version is installed from: committed for the pinned versions, resolved once from the npm
registry (and cached) for any other release from 10.0.0 on.

Every lockfile comes from the same manifest: `directus` at the exact version, with the two no-compiler shims
(sqlite3 aliased to a fork that ships N-API prebuilds, a stand-in for isolated-vm) overriding whatever Directus asks
for. A resolved lockfile pins what the registry serves today within Directus's own dependency ranges, which is what
`npm install directus@X` gives a user today too.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from filelock import FileLock

from conformance.console import step
from conformance.embedded.node import run_npm
from conformance.errors import ConfigError, InstallError
from conformance.versions import parse_version

__all__ = [
    "OLDEST_VERSION",
    "PINNED_VERSIONS",
    "SHIMS_DIR",
    "failure_reason",
    "lockfile_dir",
    "needing_prebuilt",
    "package_manifest",
    "refuse_unless_installable",
    "resolution_key",
    "shims_key",
    "with_prebuilt",
]

HERE = Path(__file__).parent
VERSIONS_DIR = HERE / "versions"
SHIMS_DIR = HERE / "shims"
PINNED_VERSIONS = tuple(sorted(p.parent.name for p in VERSIONS_DIR.glob("*/package-lock.json")))
OLDEST_VERSION = "10.0.0"
RESOLVE_TIMEOUT_S = 600
EXACT_RELEASE = re.compile(r"\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?")
SHIMS = ("isolated-vm", "sqlite3")
PREBUILT = {"argon2": ("0.40.0", "0.40.3"), "sharp": ("0.33.0", "0.33.5")}
"""Native modules that older releases (before the pins) take in versions that fetch their binaries from GitHub in an
install script, which neither runs here nor could reach GitHub: package → (the first release that ships its
binaries in npm packages, the release put in its place). The API Directus calls (argon2.hash/verify, sharp's
transforms) is the same. A lockfile that has an older one is resolved again with it in place."""


def package_manifest(version: str) -> dict[str, Any]:
    """The package.json every lockfile is made from; a resolved one may add replacements (see PREBUILT)."""
    return {
        "name": "directus-conformance-embedded",
        "version": version,
        "private": True,
        "description": "Directus pinned for the directus-conformance embedded target (no native builds).",
        "dependencies": {"directus": version} | {shim: f"file:shims/{shim}" for shim in SHIMS},
        "overrides": {shim: f"${shim}" for shim in SHIMS},
    }


def with_prebuilt(manifest: dict[str, Any], packages: list[str]) -> dict[str, Any]:
    """The manifest with those PREBUILT packages as root dependencies that replace every other copy (`$name`)."""
    replaced = {name: PREBUILT[name][1] for name in packages}
    return manifest | {
        "dependencies": manifest["dependencies"] | replaced,
        "overrides": manifest["overrides"] | {name: f"${name}" for name in replaced},
    }


def needing_prebuilt(lockfile: dict[str, Any]) -> list[str]:
    """The PREBUILT packages a lockfile has in a version that downloads its binary."""
    found = {
        path.rsplit("node_modules/", 1)[-1]: entry.get("version", "")
        for path, entry in lockfile.get("packages", {}).items()
    }
    return sorted(
        name
        for name, (first_prebuilt, _) in PREBUILT.items()
        if name in found and parse_version(found[name]) < parse_version(first_prebuilt)
    )


def resolution_key(version: str) -> str:
    """What a resolved lockfile is made from: the manifest, the replacements, the shims."""
    return shims_key({"manifest": package_manifest(version), "prebuilt": PREBUILT})


def shims_key(manifest: dict[str, Any] | None = None) -> str:
    """A hash of the shims (and of the manifest, where given): a lockfile or an install made with other shims is
    another one."""
    digest = hashlib.sha256(json.dumps(manifest, sort_keys=True).encode() if manifest else b"")
    for path in sorted(p for p in SHIMS_DIR.rglob("*") if p.is_file()):
        digest.update(path.relative_to(SHIMS_DIR).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def lockfile_dir(version: str, cache: Path) -> Path:
    """The directory holding `version`'s package.json and package-lock.json: committed, or resolved into `cache`."""
    committed = VERSIONS_DIR / version
    if (committed / "package-lock.json").is_file():
        return committed
    refuse_unless_installable(version)
    resolved = cache / "lockfiles" / f"{version}-{resolution_key(version)}"
    if (resolved / "package-lock.json").is_file():
        return resolved
    resolved.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(resolved) + ".lock", timeout=RESOLVE_TIMEOUT_S):
        if not (resolved / "package-lock.json").is_file():
            _resolve(version, resolved)
    return resolved


def refuse_unless_installable(version: str) -> None:
    """A ConfigError, before anything is downloaded, for what is no release the launcher can install."""
    if not EXACT_RELEASE.fullmatch(version):
        raise ConfigError(f"Directus {version!r}: give an exact release, e.g. 11.17.4")
    if parse_version(version) < parse_version(OLDEST_VERSION):
        raise ConfigError(f"Directus {version}: the embedded launcher installs releases from {OLDEST_VERSION} on")


def _resolve(version: str, destination: Path) -> None:
    """`npm install --package-lock-only` in a staging dir (no download of the packages themselves, no scripts),
    again with replacements when the lockfile has native modules that download their binaries."""
    staging = destination.with_name(f"{destination.name}.staging-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(SHIMS_DIR, staging / "shims")
    manifest = package_manifest(version)
    with step(f"Resolving a lockfile for Directus {version} from the npm registry (first use only)"):
        _lock(version, staging, manifest)
        replace = needing_prebuilt(json.loads((staging / "package-lock.json").read_text()))
        if replace:
            _lock(version, staging, with_prebuilt(manifest, replace))
    destination.mkdir()
    for name in ("package.json", "package-lock.json"):
        (staging / name).rename(destination / name)
    shutil.rmtree(staging, ignore_errors=True)


def _lock(version: str, staging: Path, manifest: dict[str, Any]) -> None:
    (staging / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
    done = run_npm(
        ["install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund"], staging, RESOLVE_TIMEOUT_S
    )
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        reason = failure_reason(done.stderr)
        raise InstallError(f"Directus {version} cannot be installed from the npm registry: {reason}")


def failure_reason(stderr: str) -> str:
    """npm's own sentence for why it failed (`No matching version found for directus@99.0.0.`), with its code; for
    a node program, its error's line (`Error: Cannot find module …`)."""
    code, sentence = "", ""
    for line in stderr.splitlines():
        words = line.removeprefix("npm error").strip()
        if not line.startswith("npm error") or not words:
            continue
        if words.startswith("code "):
            code = code or words.removeprefix("code ").strip()
        elif not sentence and len(words.split()) > 2 and not words.startswith("A complete log"):
            tag, _, rest = words.partition(" ")  # `notarget No matching version…`; but `network request to…`
            sentence = rest if tag.isalpha() and tag.islower() and rest[:1].isupper() else words
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if re.match(r"[A-Za-z]*Error\b", line)]
    reason = sentence or (errors or lines or ["failed without a message"])[0 if errors else -1]
    return f"{reason} (npm {code})" if code else reason
