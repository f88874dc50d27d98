"""Running the shipped conformance suite against a base URL, and reading which checks failed from its JUnit."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from conformance.cli import PYTEST_OPTIONS
from conformance.embedded import EmbeddedDirectus
from conformance.embedded.known_advisories import KNOWN_ADVISORIES_FILE
from conformance.report.results import FINDING, WAIVED


@dataclass(frozen=True)
class SuiteResult:
    failed: frozenset[str]
    findings: frozenset[str]
    waived: frozenset[str]
    passed: int
    output: str


OPENAPI_SUITE = "test_openapi"
"""The generated OpenAPI cases (OAS-*): a third of a run's time, for 5 of 80 mutants."""


def run_suite(
    base_url: str,
    server: EmbeddedDirectus,
    reports: Path,
    workers: int = 4,
    openapi: bool = True,
    throwaway: bool = False,
) -> SuiteResult:
    """The whole suite, as `directus-conformance run` would run it, against `base_url` (the proxy); without the
    OpenAPI suite when `openapi` is false; as on a throwaway target (`--embedded-target`: the checks that may break
    it run, and the seed is discarded with it) when `throwaway` is true."""
    junit = reports / "junit.xml"
    settings = server.settings
    command = [
        sys.executable,
        "-m",
        "pytest",
        *PYTEST_OPTIONS,
        "-q",
        "-n",
        str(workers),
        "--base-url",
        base_url,
        f"--junitxml={junit}",
        "--session-grace-period",
        str(settings.session_refresh_grace_period_s),
        "--refresh-ttl",
        str(settings.refresh_token_ttl_s),
        *("--mail-api", str(server.mail_api)),
        *("--waivers", str(KNOWN_ADVISORIES_FILE)),  # what the embedded default ships with: its known advisories
        *([] if openapi else ["-k", f"not {OPENAPI_SUITE}"]),
        *(["--embedded-target"] if throwaway else []),
    ]
    env = {**os.environ, "DIRECTUS_ADMIN_TOKEN": settings.admin_token, "DIRECTUS_SECRET": settings.secret}
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900, check=False)
    failed: set[str] = set()
    findings: set[str] = set()
    waived: set[str] = set()
    passed = 0
    for case in ET.parse(junit).getroot().iter("testcase"):
        check_id = next((p.get("value") for p in case.iter("property") if p.get("name") == "check_id"), None)
        if case.find("failure") is not None or case.find("error") is not None:
            failed.add(check_id or str(case.get("name")))
        elif case.find("skipped") is None:
            passed += 1
            if any(p.get("name") == FINDING for p in case.iter("property")):
                findings.add(str(check_id))
            if any(p.get("name") == WAIVED for p in case.iter("property")):
                waived.add(str(check_id))
    return SuiteResult(frozenset(failed), frozenset(findings), frozenset(waived), passed, done.stdout[-4000:])
