"""Directus 10.13.4, 11.17.4 and 12.4.0 side by side: the seed is safe on 10.x, and one matrix covers all three."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.admin import Admin
from conformance.advisories import named_by
from conformance.client import DirectusClient, bearer
from conformance.config import AdminCredentials
from conformance.embedded import PINNED_VERSIONS, EmbeddedDirectus
from conformance.embedded.known_advisories import known_advisory_waivers
from conformance.registry import load_all_checks
from conformance.seeding import Loader, load_fixture
from tests.target_state import snapshot

GHSA_56P6 = "USERSTATE-SUSPENDED-SESSION-401"


@pytest.fixture(scope="module")
def directus10() -> Iterator[EmbeddedDirectus]:
    with EmbeddedDirectus("10.13.4") as server:
        yield server


def test_a_10x_seed_creates_no_public_permission(directus10: EmbeddedDirectus) -> None:
    with DirectusClient(directus10.settings.base_url) as client:
        admin = Admin(client, AdminCredentials(token=directus10.settings.admin_token))
        public = {"filter[role][_null]": "true"}
        before, public_before = snapshot(admin), admin.get("/permissions", limit=-1, **public)
        loader = Loader(admin, load_fixture(), "ten1")
        cast = loader.seed()
        assert admin.get("/permissions", limit=-1, **public) == public_before
        assert client.request("GET", f"/items/{cast.collection}").status_code == 403
        beth = cast.personas["beth"]
        token = client.login(beth.email, beth.password).access_token
        assert token is not None
        listed = client.request("GET", f"/items/{cast.collection}", headers=bearer(token))
        assert [post["id"] for post in listed.json()["data"]] == cast.posts["beth"]
        loader.clean()
        assert snapshot(admin) == before


def test_one_matrix_over_the_three_versions(tmp_path: Path) -> None:
    """Each release fails only checks of published advisories in its range: 10.13.4 several (unwaived: exit 1),
    11.17.4 those it ships as known advisories (waived), 12.4.0 none."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "conformance.cli",
            "matrix",
            "--versions",
            ",".join(PINNED_VERSIONS),
            "--reports",
            str(tmp_path / "reports"),
            "--",  # The OpenAPI suite finds 500s on 10.13.4 and 12.4.0, but which generated case hits one is not
            "-k",  # stable from run to run (the document names the run-tagged collection): left out of this pinned run.
            "not test_openapi",
        ],
        capture_output=True,
        text=True,
        timeout=1800,
        env=dict(os.environ),
        check=False,
    )
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-2000:]
    matrix = json.loads((tmp_path / "reports" / "matrix.json").read_text())
    results = matrix["results"]
    assert set(results) == {f"directus-{v}" for v in PINNED_VERSIONS}
    for version in PINNED_VERSIONS:
        failing = {i.split("[")[0] for i, r in results[f"directus-{version}"].items() if r["status"] in FAILING}
        assert failing <= advisory_checks_affecting(version), (version, failing - advisory_checks_affecting(version))
    assert results["directus-10.13.4"][GHSA_56P6]["status"] == "failed"
    assert "affected by GHSA-56p6-qw3c-fq2g (" in (tmp_path / "reports" / "summary.md").read_text()
    waived = {i.split("[")[0] for i, r in results["directus-11.17.4"].items() if r["status"] == "waived"}
    assert waived == {w.check for w in known_advisory_waivers("11.17.4")}
    assert results["directus-11.17.4"][GHSA_56P6]["status"] == "passed"
    ownership = results["directus-12.4.0"]["OWNERSHIP-LIST[beth-access_token]"]
    assert ownership["status"] == "skipped" and "custom_permission_rules_enabled" in ownership["reason"]
    licences = {target["name"]: target["facts"]["licence"] for target in matrix["targets"]}
    assert licences["directus-12.4.0"] == "Core (active), custom permission rules: off"
    assert licences["directus-11.17.4"].startswith("none (GET /license: HTTP 404")
    assert results["directus-11.17.4"]["OWNERSHIP-LIST[beth-access_token]"]["status"] == "passed"


FAILING = ("failed", "error")


def advisory_checks_affecting(version: str) -> set[str]:
    """The checks that name a published advisory whose range includes `version`."""
    return {c.id for c in load_all_checks().values() if any(a.affects(version) for a in named_by(c.refs))}


OLDEST = "10.0.0"
"""A release without a committed lockfile, and the oldest the launcher installs: its lockfile is resolved from the
registry on first use, with argon2 and sharp replaced (see lockfiles.PREBUILT)."""
SUSPENDED_LOGIN, GRAPHQL_COOKIE_LOGIN = "USERSTATE-SUSPENDED-LOGIN-401", "GQL-LOGIN[cookie]"
"""What 10.0.0 gets wrong beyond its published advisories, on every database: a suspended user's right password is
answered 401 USER_SUSPENDED, not INVALID_CREDENTIALS, so a login tells whether an account is suspended; and
GraphQL's auth_login in cookie mode also returns the refresh token in the body, where page scripts read what the
HttpOnly cookie hides."""


def test_any_release_runs_on_each_database_in_one_matrix(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    result = subprocess.run(
        [
            *(sys.executable, "-m", "conformance.cli", "matrix"),
            *("--versions", OLDEST, "--databases", "sqlite,postgres", "--reports", str(reports)),
            *("--", "-k", "not test_openapi"),  # 10.0.0 answers some generated queries with 500s (see the README)
        ],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-2000:]
    matrix = json.loads((reports / "matrix.json").read_text())
    cells = {target["name"]: target for target in matrix["targets"]}
    assert {name: (t["version"], t["database"]) for name, t in cells.items()} == {
        f"directus-{OLDEST}": (OLDEST, "sqlite3"),
        f"directus-{OLDEST}-postgres": (OLDEST, "pg"),
    }
    for name, results in matrix["results"].items():
        failing = {i for i, r in results.items() if r["status"] in FAILING}
        advisories = {i for i in failing if i.split("[")[0] in advisory_checks_affecting(OLDEST)}
        assert failing - advisories == {SUSPENDED_LOGIN, GRAPHQL_COOKIE_LOGIN}, (name, failing)
        assert "USER_SUSPENDED" in results[SUSPENDED_LOGIN]["detail"]
        assert "no refresh_token in the body" in results[GRAPHQL_COOKIE_LOGIN]["reason"]
        session = results["LOGIN-SESSION"]
        assert session["status"] == "skipped" and "predates session mode" in session["reason"]
    assert (reports / "matrix.html").is_file()


def test_a_release_npm_does_not_have_ends_in_one_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", "--directus-version", "99.0.0"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 2
    error = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert error == [
        "error: Directus 99.0.0 cannot be installed from the npm registry: No matching version found for "
        "directus@99.0.0. (npm ETARGET)"
    ], result.stderr
