"""The deployments table: `python -m benchmarks.deployments [NAME ...]` runs `directus-conformance run` on each
embedded deployment in turn, warm, and prints one Markdown row each (exit, passed / failed / skipped / findings, wall
time, what it learnt) and then every failure with its one-line cause. Figures, never asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

DEPLOYMENTS: dict[str, list[str]] = {
    "sqlite": [],
    "postgres": ["--database", "postgres"],
    "mariadb": ["--database", "mariadb"],
    "proxy": ["--behind-proxy"],
    "renamed-cookies": [
        *("--directus-env", "REFRESH_TOKEN_COOKIE_NAME=acme_refresh"),
        *("--directus-env", "SESSION_COOKIE_NAME=acme_session"),
    ],
    "sso-only": ["--directus-env", "AUTH_DISABLE_DEFAULT=true"],
    "10.0.0": ["--directus-version", "10.0.0"],
    "10.0.0-postgres": ["--directus-version", "10.0.0", "--database", "postgres"],
}


def run(options: list[str], reports: Path) -> tuple[int, float, dict[str, Any]]:
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "conformance.cli", "run", "--reports", str(reports), *options],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.monotonic() - started
    return done.returncode, elapsed, json.loads((reports / "matrix.json").read_text())


def row(name: str, code: int, elapsed: float, matrix: dict[str, Any]) -> tuple[str, list[str]]:
    results = next(iter(matrix["results"].values()))
    counts = Counter(result["status"] for result in results.values())
    target = matrix["targets"][0]
    facts = target["facts"]
    learnt = (
        f"{target['version']} · {target['database']} · cookies {facts.get('refresh_cookie')}, "
        f"{facts.get('session_cookie')} · password login {facts.get('password_login')}"
    )
    line = (
        f"| {name} | {code} | {counts['passed']} / {counts['failed'] + counts['error']} / {counts['skipped']} / "
        f"{counts['warning']} | {elapsed:.1f} s | {learnt} |"
    )
    failures = [
        f"- {name}: `{instance}` {result['status']}: {(result['reason'] or '').splitlines()[0][:160]}"
        for instance, result in results.items()
        if result["status"] in ("failed", "error")
    ]
    return line, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("names", nargs="*", help=f"of {', '.join(DEPLOYMENTS)} (default: all)")
    chosen = parser.parse_args().names or list(DEPLOYMENTS)
    unknown = [name for name in chosen if name not in DEPLOYMENTS]
    if unknown:
        parser.error(f"no such deployment: {', '.join(unknown)}")
    print("| deployment | exit | passed / failed / skipped / findings | wall time | learnt |\n|---|---|---|---|---|")
    causes: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        for name in chosen:
            code, elapsed, matrix = run(DEPLOYMENTS[name], Path(scratch) / name)
            line, failures = row(name, code, elapsed, matrix)
            print(line, flush=True)
            causes += failures
    print("\n".join(["", "Failures:", *causes]) if causes else "\nNo failures.")


if __name__ == "__main__":
    main()
