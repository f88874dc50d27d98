"""Reports of real runs on the embedded Directus: the files, waivers (strict), baselines, several targets, and no
secret in any of them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conformance.embedded import EmbeddedDirectus
from conformance.embedded.known_advisories import KNOWN_ADVISORIES_FILE
from tests.leaks import leaked
from tests.mutants.catalogue import Logout200
from tests.mutants.proxy import FaultProxy, Upstream

CLI = [sys.executable, "-m", "conformance.cli", "run"]
SUBSET = ["--", "-k", "logout or anonymous"]  # a quick slice of the suite: these tests are about the reports
"""Every run here waives the known advisories of the embedded release (as the embedded default does) unless it gives
waivers of its own."""


def run(
    server: EmbeddedDirectus, reports: Path, *arguments: str, base_url: str | None = None, subset: list[str] = SUBSET
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DIRECTUS_ADMIN_TOKEN": server.settings.admin_token}
    command = [
        *CLI,
        "--base-url",
        base_url or server.settings.base_url,
        "--reports",
        str(reports),
        "--session-grace-period",
        str(server.settings.session_refresh_grace_period_s),
        *(() if "--waivers" in arguments else ("--waivers", str(KNOWN_ADVISORIES_FILE))),
        *arguments,
        *subset,
    ]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, check=False)


def statuses(reports: Path) -> dict[str, str]:
    matrix = json.loads((reports / "matrix.json").read_text())
    [results] = matrix["results"].values()
    return {instance: result["status"] for instance, result in results.items()}


def test_a_run_writes_every_report_and_leaks_no_secret(embedded: EmbeddedDirectus, tmp_path: Path) -> None:
    result = run(embedded, tmp_path)
    assert result.returncode == 0, result.stdout[-2000:]
    for name in ("junit.xml", "matrix.json", "matrix.html", "summary.md", "allure-results/environment.properties"):
        assert (tmp_path / name).is_file(), name
    assert statuses(tmp_path)["LOGOUT-204[json]"] == "passed"
    assert statuses(tmp_path)["LOGOUT-ENDS-ACCESS-TOKEN"] == "warning"
    environment = (tmp_path / "allure-results" / "environment.properties").read_text()
    assert "Directus.Version=11.17.4" in environment
    labels = [json.loads(p.read_text()) for p in (tmp_path / "allure-results").glob("*-result.json")]
    logout = next(r for r in labels if r["name"].startswith("LOGOUT-204[json] — "))
    assert {"name": "epic", "value": "Directus authentication"} in logout["labels"]
    assert {"name": "severity", "value": "critical"} in logout["labels"]
    assert not leaked(secrets_of(embedded), tmp_path, result.stdout, result.stderr)


def secrets_of(embedded: EmbeddedDirectus) -> list[str]:
    return [embedded.settings.admin_token, embedded.settings.admin_password]


def test_waivers_are_strict_and_baselines_find_regressions(embedded: EmbeddedDirectus, tmp_path: Path) -> None:
    baseline = tmp_path / "baseline"
    assert run(embedded, baseline).returncode == 0
    upstream = Upstream(embedded.settings.base_url, embedded.settings.admin_token, embedded.settings.secret)
    with FaultProxy(upstream, Logout200()) as proxy:
        broken = run(
            embedded,
            tmp_path / "broken",
            "--baseline",
            str(baseline / "matrix.json"),
            "--fail-on",
            "regressions",
            base_url=proxy.base_url,
        )
        assert broken.returncode == 1
        assert not leaked(secrets_of(embedded), tmp_path / "broken", broken.stdout, broken.stderr)  # a failing run
        summary = (tmp_path / "broken" / "summary.md").read_text()
        assert "regression: `LOGOUT-204[json]`" in summary

        waivers = tmp_path / "waivers.yaml"
        known = KNOWN_ADVISORIES_FILE.read_text()
        waivers.write_text(known + "- check: LOGOUT-204\n  reason: the gateway answers 200\n")
        waived = run(embedded, tmp_path / "waived", "--waivers", str(waivers), base_url=proxy.base_url)
        assert waived.returncode == 0, waived.stdout[-2000:]
        assert statuses(tmp_path / "waived")["LOGOUT-204[cookie]"] == "waived"

    unneeded = run(embedded, tmp_path / "unneeded", "--waivers", str(waivers))
    assert unneeded.returncode == 1
    assert "but it passed: remove the waiver" in (tmp_path / "unneeded" / "summary.md").read_text()


def test_several_targets_share_one_matrix(embedded: EmbeddedDirectus, tmp_path: Path) -> None:
    url = embedded.settings.base_url
    result = run(
        embedded,
        tmp_path,
        "--target",
        f"first={url}",
        "--target",
        f"second={url}",
        subset=["--", "-k", "LOGOUT-204 or logout_answers"],
    )
    assert result.returncode == 0, result.stdout[-2000:]
    matrix = json.loads((tmp_path / "matrix.json").read_text())
    assert [t["name"] for t in matrix["targets"]] == ["first", "second"]
    assert (tmp_path / "first" / "junit.xml").is_file() and (tmp_path / "second" / "summary.md").is_file()
