"""The SDK's pieces that need no registry: the remembered versions, the script beside the install, the evidence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.redaction import MASK
from conformance.sdk import FLOW_SCRIPT, Flow, Flows, Step, sdk_version
from conformance.sdk import _script_beside as script_beside


def test_a_release_whose_sdk_is_known_asks_the_registry_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DIRECTUS_CONFORMANCE_CACHE", str(tmp_path))
    (tmp_path / "sdk").mkdir()
    (tmp_path / "sdk" / "versions.json").write_text(json.dumps({"11.17.4": "21.3.0", "10.13.4": "16.1.2"}))
    monkeypatch.setattr("conformance.sdk.npm", lambda *a, **k: pytest.fail("the registry was asked"))
    assert sdk_version("10.13.4") == "16.1.2"
    assert sdk_version(None) == "21.3.0"  # unknown: the embedded default's


def test_the_script_lies_beside_the_install_named_by_its_content(tmp_path: Path) -> None:
    script = script_beside(tmp_path)
    assert script.parent == tmp_path and script.read_bytes() == FLOW_SCRIPT.read_bytes()
    assert script_beside(tmp_path) == script and len(list(tmp_path.iterdir())) == 1


def test_a_flows_evidence_names_the_sdk_and_masks_tokens() -> None:
    flow = Flow("21.3.0", "json", [Step("login", True, "logged in"), Step("read-me", False, "eyJhbGciOi.e30.sig")])
    assert flow.step("read-me") == Step("read-me", False, "eyJhbGciOi.e30.sig") and flow.step("logout") is None
    shown = "\n".join(flow.evidence())
    assert "@directus/sdk 21.3.0, authentication('json')" in shown and "eyJhbGciOi" not in shown and MASK in shown


def test_a_mode_s_flow_runs_once_for_the_run_s_processes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[str] = []

    def run_flow(sdk: Path, base_url: str, email: str, password: str, mode: str, verify: bool | str) -> Flow:
        ran.append(mode)
        return Flow("21.3.0", mode, [Step("login", True, "logged in")])

    monkeypatch.setattr("conformance.sdk.run_flow", run_flow)
    shared = tmp_path / "run"
    first, second = (Flows(tmp_path, "http://x", True, shared) for _ in range(2))  # two processes' fixtures
    assert first.of("beth@example.com", "pw", "cookie") == second.of("beth@example.com", "pw", "cookie")
    second.of("beth@example.com", "pw", "json")
    assert ran == ["cookie", "json"]
