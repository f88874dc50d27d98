"""The official JavaScript SDK (`@directus/sdk`) as a second, independent client of the target.

The SDK release is the one the target's own app is built with (directus → @directus/api → @directus/app's
devDependency, read from the npm registry once and remembered), installed once into the suite's cache and run by the
wheel's Node 22 with the script the suite ships (`flow.mjs`): log in, read /users/me, refresh, read again, log out,
refresh with what was held before the logout. Its steps come back as `Flow`, whose transcript is a check's evidence.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from filelock import FileLock

from conformance.embedded.install import DEFAULT_VERSION, cache_root
from conformance.embedded.node import node_environment, run_node
from conformance.embedded.packages import PackageUnavailable, ensure_package, npm
from conformance.redaction import redact_text

__all__ = ["Flow", "Flows", "Step", "ensure_sdk", "run_flow", "sdk_version"]

FLOW_SCRIPT = Path(__file__).with_name("flow.mjs")
FLOW_TIMEOUT_S = 60
CHAIN = (
    ("directus", "dependencies.@directus/api"),
    ("@directus/api", "dependencies.@directus/app"),
    ("@directus/app", "devDependencies.@directus/sdk"),
)
"""How a Directus release names the SDK its app is built with: each package's field names the next one's version."""


@dataclass(frozen=True)
class Step:
    name: str
    ok: bool
    detail: str


@dataclass
class Flow:
    """One mode's run of the SDK: its steps in order (a failed step ends it)."""

    sdk: str
    mode: str
    steps: list[Step] = field(default_factory=list)

    def step(self, name: str) -> Step | None:
        return next((s for s in self.steps if s.name == name), None)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Flow:
        data = json.loads(text)
        return cls(data["sdk"], data["mode"], [Step(**step) for step in data["steps"]])

    def evidence(self) -> list[str]:
        lines = [f"client:   @directus/sdk {self.sdk}, authentication('{self.mode}') (conformance/sdk/flow.mjs)"]
        lines += [f"step:     {s.name}: {'ok' if s.ok else 'failed'} — {redact_text(s.detail)}" for s in self.steps]
        return lines


class Flows:
    """The run's runs of the SDK's flow against one target, one per persona and mode, shared by its processes
    through files in `shared` (the run's private directory): the first process to need a mode runs it under a file
    lock, the others, and the checks of that mode, read the same run."""

    def __init__(self, sdk: Path, base_url: str, verify: bool | str, shared: Path) -> None:
        self.sdk, self.base_url, self.verify, self.shared = sdk, base_url, verify, shared
        self._runs: dict[tuple[str, str], Flow] = {}

    def of(self, email: str, password: str, mode: str) -> Flow:
        if (email, mode) not in self._runs:
            self._runs[email, mode] = self._shared_run(email, password, mode)
        return self._runs[email, mode]

    def _shared_run(self, email: str, password: str, mode: str) -> Flow:
        self.shared.mkdir(mode=0o700, exist_ok=True)
        handle = self.shared / f"sdk-{hashlib.sha256(email.encode()).hexdigest()[:12]}-{mode}.json"
        with FileLock(f"{handle}.lock"):
            if handle.exists():
                return Flow.from_json(handle.read_text())
            flow = run_flow(self.sdk, self.base_url, email, password, mode, self.verify)
            handle.write_text(flow.to_json())
            handle.chmod(0o600)
            return flow


def sdk_version(directus_version: str | None) -> str:
    """The SDK release the app of `directus_version` is built with (the embedded default's when unknown)."""
    release = directus_version or DEFAULT_VERSION
    known_file = cache_root() / "sdk" / "versions.json"
    known: dict[str, str] = json.loads(known_file.read_text()) if known_file.is_file() else {}
    if release in known:
        return known[release]
    version = release
    for package, dependency in CHAIN:
        named = npm(["view", f"{package}@{version}", dependency]).strip()
        if not named:
            raise PackageUnavailable(
                f"Directus {release}'s app is built with no @directus/sdk ({package}@{version} names no {dependency}): "
                "no SDK release matches it"
            )
        version = named
    known_file.parent.mkdir(parents=True, exist_ok=True)
    _write_whole(known_file, json.dumps({**known, release: version}, indent=1).encode())
    return version


def ensure_sdk(version: str) -> Path:
    """The cached install of `@directus/sdk@version` (its directory, with node_modules), installed once."""
    return ensure_package("@directus/sdk", version, cache_root() / "sdk" / version)


def run_flow(sdk: Path, base_url: str, email: str, password: str, mode: str, verify: bool | str) -> Flow:
    """Run flow.mjs with the SDK installed at `sdk` (the credentials by environment, never in argv); `verify` as the
    target's (`Target.verify`): the system's trust store, a CA file's path, or False to verify nothing."""
    env = node_environment() | {"DIRECTUS_EMAIL": email, "DIRECTUS_PASSWORD": password}
    if isinstance(verify, str):
        env["NODE_EXTRA_CA_CERTS"] = verify
    elif not verify:
        env["NODE_TLS_REJECT_UNAUTHORIZED"] = "0"
    done = run_node([str(_script_beside(sdk)), base_url, mode], None, FLOW_TIMEOUT_S, env)
    flow = Flow(sdk.name, mode)
    for line in done.stdout.splitlines():
        if line.startswith("{"):
            step = json.loads(line)
            flow.steps.append(Step(step["step"], bool(step["ok"]), str(step["detail"])))
    if done.returncode != 0:
        flow.steps.append(Step("node", False, f"exit {done.returncode}: {done.stderr.strip()[-400:]}"))
    return flow


def _script_beside(sdk: Path) -> Path:
    """flow.mjs beside the SDK's node_modules (an ES module resolves its imports from where it lies), named by its
    content and written whole, so that processes running at once never read half of it."""
    content = FLOW_SCRIPT.read_bytes()
    script = sdk / f"flow-{hashlib.sha256(content).hexdigest()[:12]}.mjs"
    if not script.exists():
        _write_whole(script, content)
    return script


def _write_whole(path: Path, content: bytes) -> None:
    """Write a file that processes running at once may read: under another name first, then renamed into place."""
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.write_bytes(content)
    partial.replace(path)
