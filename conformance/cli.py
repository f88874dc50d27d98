"""`directus-conformance`: run the suites, serve the embedded Directus, seed / clean a target, list the checks.

Exit codes: 0 conformant, 1 non-conformant, 2 configuration or target error (one line saying what to do).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

from conformance import __version__
from conformance.admin import Admin, TargetError
from conformance.client import DirectusClient
from conformance.config import (
    AdminCredentials,
    ConfigError,
    Target,
    load_targets_file,
    parse_target_spec,
    resolve_target,
    tls_verification,
)
from conformance.console import console
from conformance.embedded import DEFAULT_VERSION, SUPPORTED_VERSIONS, EmbeddedDirectus, EmbeddedError
from conformance.embedded.install import InstallError
from conformance.preflight import PREFLIGHT_TIMEOUT_S, check_reachable
from conformance.profiles import DEFAULT_PROFILE, PROFILES
from conformance.redaction import register_secret
from conformance.registry import load_all_checks
from conformance.report import matrix
from conformance.report.files import write_reports
from conformance.seeding import Loader, load_fixture, new_run_tag

EXIT_OK, EXIT_NONCONFORMANT, EXIT_CONFIG = 0, 1, 2
REMOTE_WORKERS = 8


PYTEST_OPTIONS = [
    *("--pyargs", "conformance.checks", "-p", "no:cacheprovider", "-p", "no:anyio"),
    *("-p", "no:schemathesis", "--assert=plain"),
]
"""How a run invokes pytest over the checks. no:schemathesis: its pytest plugin serves `schema.parametrize()` tests,
which the checks do not use (they call schemathesis directly), and would import most of schemathesis into every
process at start (~0.2 s of CPU each). --assert=plain: the checks report through expect(), and pytest would otherwise
rewrite the asserts of every module of every plugin's distribution (hypothesis, schemathesis: ~420 modules) in each
worker, 1.5 s apiece."""


def default_workers(target: Target) -> int:
    """The suite is I/O-bound against a remote target: 8 workers overlap its round trips and waits (through a
    +50 ms proxy, two rounds: 4 workers 28.5-29.0 s, 8: 19.2-19.9 s, 12: 18.5-19.6 s). An embedded target shares
    this machine's cores with the checks (its workers run niced, see plugin): one worker per core plus two to fill
    the waits. On 2 cores, warm runs interleaved round by round: 2 workers 19.0-21.0 s, 3: 15.7-19.3 s, 4: 13.4-16.7
    s; in another series 4: 12.8-14.8 s, 5: 12.8-14.6 s, 6: 12.5-14.7 s, no faster for the extra processes."""
    return (os.cpu_count() or 1) + 2 if target.embedded else REMOTE_WORKERS


class UsageProblem(Exception):
    """A problem the user fixes by changing how they call us; printed as one line, exit 2."""


def main(argv: Sequence[str] | None = None) -> int:
    args, pytest_args = parse(list(sys.argv[1:] if argv is None else argv))
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        return int(args.handler(args, pytest_args))
    except (ConfigError, TargetError, EmbeddedError, InstallError, UsageProblem) as error:
        console.print(f"[red]error:[/red] {error}", soft_wrap=True)  # one line, however long
        return EXIT_CONFIG
    except httpx.TransportError as error:
        console.print(
            f"[red]error:[/red] cannot reach the target ({type(error).__name__}): check the base URL", soft_wrap=True
        )
        return EXIT_CONFIG
    except KeyboardInterrupt:
        console.print("interrupted")
        return EXIT_CONFIG


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """Our arguments, and those after `--`, which go to pytest."""
    pytest_args: list[str] = []
    if "--" in argv:
        split = argv.index("--")
        argv, pytest_args = argv[:split], argv[split + 1 :]
    parser = argparse.ArgumentParser(prog="directus-conformance", description=__doc__)
    parser.add_argument("--version", action="version", version=f"directus-conformance {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the conformance suites (embedded Directus when no --base-url)")
    _target_options(run)
    _embedded_options(run)
    run.add_argument(
        "--target",
        action="append",
        metavar="NAME=URL",
        help="a named target (repeatable); its admin token from DIRECTUS_ADMIN_TOKEN_<NAME>",
    )
    run.add_argument("--config", type=Path, help="a TOML file of [targets.NAME] tables (secrets from env vars)")
    run.add_argument(
        "--profile",
        choices=("full", "readonly"),
        default="full",
        help="full (seeds a cast: needs admin credentials) or readonly (no writes, no admin credentials)",
    )
    run.add_argument(
        "--persona-email", help="readonly: a user of your own for the token checks (env DIRECTUS_PERSONA_EMAIL)"
    )
    run.add_argument("--persona-password", help="readonly: its password (env DIRECTUS_PERSONA_PASSWORD)")
    _generative_profile_option(run)
    run.add_argument("--reports", type=Path, default=Path("reports"), help="reports directory (default reports/)")
    run.add_argument(
        "-n", "--workers", help="parallel workers (pytest-xdist), 0 = off; default: cores + 2 embedded, 8 remote"
    )
    run.add_argument("--waivers", type=Path, help="YAML file of checks expected to fail, each with a reason")
    run.add_argument("--baseline", type=Path, help="matrix.json of an earlier run to diff against")
    run.add_argument(
        "--fail-on",
        choices=("failures", "regressions"),
        default="failures",
        help="fail on any failure (default), or only on regressions against --baseline",
    )
    run.set_defaults(handler=run_command)

    serve = commands.add_parser("serve", help="boot the embedded Directus and keep it up until SIGINT/SIGTERM")
    _embedded_options(serve)
    serve.set_defaults(handler=serve_command)

    for name, handler, help_text in (
        ("seed", seed_command, "put the cast on a target"),
        ("clean", clean_command, "remove what a seed with this run tag created"),
    ):
        sub = commands.add_parser(name, help=help_text)
        _target_options(sub)
        sub.set_defaults(handler=handler)

    versions = commands.add_parser("matrix", help="run the suites on several embedded Directus versions, one matrix")
    versions.add_argument(
        "--versions",
        default=",".join(SUPPORTED_VERSIONS),
        help=f"comma-separated embedded versions (default: all of {', '.join(SUPPORTED_VERSIONS)})",
    )
    versions.add_argument("--reports", type=Path, default=Path("reports"), help="reports directory (default reports/)")
    versions.add_argument("-n", "--workers", help="parallel workers per run, 0 = off; default: cores + 2")
    versions.add_argument("--waivers", type=Path, help="YAML file of checks expected to fail (version globs allowed)")
    _generative_profile_option(versions)
    versions.set_defaults(  # what `run` has and a matrix of embedded runs does not choose
        handler=matrix_command,
        run_tag=None,
        max_wait=None,
        fixture_file=None,
        baseline=None,
        fail_on="failures",
        profile="full",
        persona_email=None,
        persona_password=None,
    )

    merge = commands.add_parser("merge", help="merge the matrix.json of several runs into one report")
    merge.add_argument("matrices", nargs="+", type=Path, help="matrix.json files (e.g. one per CI job)")
    merge.add_argument("--reports", type=Path, default=Path("reports"), help="where to write the merged report")
    merge.set_defaults(handler=merge_command)

    checks = commands.add_parser("checks", help="print the catalogue of checks")
    checks.add_argument("--format", choices=("md", "json"), default="md")
    checks.set_defaults(handler=checks_command)
    return parser.parse_args(argv), pytest_args


def _target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-url", help="Directus base URL (env DIRECTUS_URL)")
    parser.add_argument("--admin-token", help="admin static token (env DIRECTUS_ADMIN_TOKEN)")
    parser.add_argument("--admin-email", help="admin email (env DIRECTUS_ADMIN_EMAIL)")
    parser.add_argument("--admin-password", help="admin password (env DIRECTUS_ADMIN_PASSWORD)")
    parser.add_argument("--run-tag", help="tag namespacing what the run creates (default: random)")
    parser.add_argument("--fixture-file", type=Path, help="a cast file in the format of fixtures/cast.yaml")
    parser.add_argument("--session-grace-period", type=float, help="the target's SESSION_REFRESH_GRACE_PERIOD (s)")
    parser.add_argument("--max-wait", type=float, help="longest wait for a token to expire (s, default 30)")
    parser.add_argument("--ca-bundle", type=Path, help="PEM file of the CA that signed the target's TLS certificate")
    parser.add_argument("--insecure", action="store_true", help="do not verify the target's TLS certificate")


def _generative_profile_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--generative-profile",
        choices=sorted(PROFILES),
        default=DEFAULT_PROFILE,
        help="example budget of the generative suites: fast (default) or deep (nightly)",
    )


def _embedded_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--directus-version",
        default=DEFAULT_VERSION,
        choices=SUPPORTED_VERSIONS,
        help=f"embedded Directus version (default {DEFAULT_VERSION})",
    )


# --- commands -----------------------------------------------------------------------------------------------------


def run_command(args: argparse.Namespace, pytest_args: list[str]) -> int:
    targets = configured_targets(args)
    if not targets:
        with EmbeddedDirectus(args.directus_version).launched() as server:
            return run_suites(embedded_target(server), args, pytest_args, args.reports, booting=server)
    if len(targets) == 1:
        return run_suites(targets[0], args, pytest_args, args.reports)
    codes = [run_suites(target, args, pytest_args, args.reports / target.name) for target in targets]
    runs = [args.reports / t.name / "matrix.json" for t in targets if (args.reports / t.name / "matrix.json").exists()]
    write_reports(matrix.merge([matrix.load(path) for path in runs]), args.reports)
    return max(codes)


def matrix_command(args: argparse.Namespace, pytest_args: list[str]) -> int:
    """Each embedded version in turn (about 300 MB each, so one at a time), then one matrix of them all."""
    versions = [v.strip() for v in args.versions.split(",") if v.strip()]
    unknown = [v for v in versions if v not in SUPPORTED_VERSIONS]
    if unknown:
        raise UsageProblem(
            f"no committed lockfile for {', '.join(unknown)}; choose from {', '.join(SUPPORTED_VERSIONS)}"
        )
    codes = []
    for version in versions:
        with EmbeddedDirectus(version).launched() as server:
            target = replace(embedded_target(server), name=f"directus-{version}")
            codes.append(run_suites(target, args, pytest_args, args.reports / version, booting=server))
    write_reports(matrix.merge([matrix.load(args.reports / v / "matrix.json") for v in versions]), args.reports)
    console.print(f"matrix of {len(versions)} versions in {args.reports}/matrix.html")
    return max(codes)


def configured_targets(args: argparse.Namespace) -> list[Target]:
    """--config FILE, or --target NAME=URL (repeatable), or --base-url; none means the embedded default."""
    if args.config:
        return load_targets_file(args.config, os.environ)
    fallback = AdminCredentials(args.admin_token or os.environ.get("DIRECTUS_ADMIN_TOKEN"))
    if args.target:
        verify = tls_verification(vars(args))
        return [parse_target_spec(spec, os.environ, fallback, verify) for spec in args.target]
    target = resolve_target(vars(args), os.environ)
    return [target] if target else []


def embedded_target(server: EmbeddedDirectus) -> Target:
    settings = server.settings
    register_secret(settings.admin_password, settings.admin_token)
    return Target(
        base_url=settings.base_url,
        admin=AdminCredentials(token=settings.admin_token),
        name="embedded",
        embedded=True,
        session_grace_period_s=settings.session_refresh_grace_period_s,
        refresh_ttl_s=settings.refresh_token_ttl_s,
    )


def run_suites(
    target: Target,
    args: argparse.Namespace,
    pytest_args: list[str],
    reports: Path,
    booting: EmbeddedDirectus | None = None,
) -> int:
    """Check the admin credential first (a clear exit 2), then run pytest over the checks with the reports.

    An embedded server still `booting` needs no such check (we made its admin): pytest starts while it boots, and
    waits for it before the first check."""
    import pytest

    from conformance.embedded.readiness import WaitBeforeChecks

    readonly = args.profile == "readonly"
    if booting is None:
        with DirectusClient(target.base_url, timeout=PREFLIGHT_TIMEOUT_S, verify=target.verify) as client:
            check_reachable(client)
            if not readonly:
                Admin(client, target.admin).verify()
    shutil.rmtree(reports / "allure-results", ignore_errors=True)  # not --clean-alluredir: it races under xdist
    reports.mkdir(parents=True, exist_ok=True)
    _export_secrets(target.admin, args.persona_password)
    workers = args.workers or str(default_workers(target))
    valued = {
        "--junitxml": reports / "junit.xml",
        "--alluredir": reports / "allure-results",
        "--reports": reports,
        "--base-url": target.base_url,
        "--run-tag": args.run_tag or new_run_tag(),
        "--target-name": target.name,
        "--session-grace-period": target.session_grace_period_s,
        "--refresh-ttl": target.refresh_ttl_s,
        "--max-wait": args.max_wait,
        "--fixture-file": args.fixture_file,
        "--waivers": args.waivers,
        "--baseline": args.baseline,
        "--fail-on": args.fail_on,
        "--profile": args.profile,
        "--persona-email": args.persona_email,
        "--generative-profile": args.generative_profile,
        "--ca-bundle": target.verify if isinstance(target.verify, str) else None,
        "-n": workers if workers not in ("0", "1") else None,
    }
    options = [*PYTEST_OPTIONS, "-q", "-rfEs"]
    options += [part for flag, value in valued.items() if value is not None for part in (flag, str(value))]
    if target.embedded:
        options.append("--embedded-target")
    if target.verify is False:
        options.append("--insecure")
    started = time.monotonic()
    gate = WaitBeforeChecks(booting) if booting else None
    code = pytest.main(options + pytest_args, plugins=[gate] if gate else None)
    if gate:
        gate.raise_boot_error()
    if code == pytest.ExitCode.USAGE_ERROR:
        return EXIT_CONFIG  # pytest said why, in one line; nothing ran, no report was written
    console.print(f"reports in {reports}/ ({time.monotonic() - started:.1f} s)")
    return {0: EXIT_OK, 1: EXIT_NONCONFORMANT}.get(int(code), EXIT_CONFIG)


def _export_secrets(admin: AdminCredentials, persona_password: str | None) -> None:
    """Hand secrets to pytest through the environment, never through argv (visible in `ps`)."""
    register_secret(admin.token, admin.password, persona_password)
    for variable, value in (
        ("DIRECTUS_ADMIN_TOKEN", admin.token),
        ("DIRECTUS_ADMIN_EMAIL", admin.email),
        ("DIRECTUS_ADMIN_PASSWORD", admin.password),
        ("DIRECTUS_PERSONA_PASSWORD", persona_password),
    ):
        if value:
            os.environ[variable] = value


def serve_command(args: argparse.Namespace, pytest_args: list[str]) -> int:
    """Up until SIGINT / SIGTERM, which is the normal way to stop it (exit 0); the server dying is an error."""
    with EmbeddedDirectus(args.directus_version) as server:
        print(json.dumps(server.settings.public_facts()), flush=True)
        console.print(
            f"Directus {server.version} is up at {server.settings.base_url} (PID {server.pid}); "
            "Ctrl-C or SIGTERM stops it"
        )
        try:
            while server.process is not None and server.process.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            console.print("stopping Directus")
            return EXIT_OK
        raise EmbeddedError(
            f"Directus exited unexpectedly (code {server.process.returncode if server.process else '?'})"
        )


@contextmanager
def _loader(args: argparse.Namespace) -> Iterator[Loader]:
    target = resolve_target(vars(args), os.environ)
    if target is None:
        raise UsageProblem("give --base-url (or DIRECTUS_URL) of the target")
    if not args.run_tag:
        raise UsageProblem("give --run-tag: it names what the seed creates, and what clean removes")
    with DirectusClient(target.base_url, verify=target.verify) as client:
        yield Loader(Admin(client, target.admin), load_fixture(args.fixture_file), args.run_tag)


def seed_command(args: argparse.Namespace, pytest_args: list[str]) -> int:
    with _loader(args) as loader:
        cast = loader.seed()
    print(json.dumps({**cast.names(), "version": cast.facts.version, "posts": cast.posts}))
    return EXIT_OK


def clean_command(args: argparse.Namespace, pytest_args: list[str]) -> int:
    with _loader(args) as loader:
        removed = loader.clean()
    print(json.dumps({"run_tag": args.run_tag, "removed": removed}))
    return EXIT_OK


def merge_command(args: argparse.Namespace, pytest_args: list[str]) -> int:
    missing = [str(path) for path in args.matrices if not path.is_file()]
    if missing:
        raise UsageProblem(f"no such matrix file: {', '.join(missing)}")
    merged = matrix.merge([matrix.load(path) for path in args.matrices])
    write_reports(merged, args.reports)
    console.print(f"merged {len(args.matrices)} runs ({len(merged['targets'])} targets) into {args.reports}/")
    return EXIT_OK


def checks_command(args: argparse.Namespace, pytest_args: list[str]) -> int:
    catalogue = load_all_checks()
    if args.format == "json":
        rows: list[dict[str, Any]] = [
            {
                "id": c.id,
                "level": c.level,
                "title": c.title,
                "behaviour": c.behaviour,
                "refs": list(c.refs),
                "requires": c.requires,
            }
            for c in catalogue.values()
        ]
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    print("| ID | level | behaviour | title | refs |\n|---|---|---|---|---|")
    for c in catalogue.values():
        print(f"| `{c.id}` | {c.level} | {c.behaviour} | {c.title} | {', '.join(c.refs)} |")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
