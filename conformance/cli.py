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
from dataclasses import dataclass, replace
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

from conformance import __version__
from conformance.admin import Admin
from conformance.client import DirectusClient
from conformance.config import AdminCredentials, Target, load_targets_file, parse_target_spec, tls_verification
from conformance.console import console
from conformance.deployments import Deployment, github_actions_matrix, select
from conformance.embedded import DEFAULT_VERSION, OLDEST_VERSION, PINNED_VERSIONS, EmbeddedDirectus, EmbeddedSettings
from conformance.embedded.known_advisories import known_advisory_waivers
from conformance.embedded.settings import DATABASES, SUB_PATH, parse_directus_env
from conformance.errors import ConfigError, ConformanceError, EmbeddedError, TargetError
from conformance.needs import Need
from conformance.options import MATRIX, RUN, TARGET, add_to_argparse, value
from conformance.preflight import PREFLIGHT_TIMEOUT_S, check_reachable
from conformance.redaction import register_secret
from conformance.registry import load_all_checks
from conformance.report import matrix
from conformance.report.allure import AllureFailed, build_report, totals
from conformance.report.files import write_reports
from conformance.run import OwnAccount, Run
from conformance.seeding import Loader
from conformance.shared_seed import open_loader
from conformance.versions import Feature

EXIT_OK, EXIT_NONCONFORMANT = 0, 1

PYTEST_OPTIONS = [
    *("--pyargs", "conformance.checks", "-p", "no:cacheprovider", "-p", "no:anyio"),
    *("-p", "no:schemathesis", "--assert=plain"),
]
"""How a run invokes pytest over the checks. no:schemathesis: its pytest plugin serves `schema.parametrize()` tests,
which the checks do not use (they call schemathesis directly), and would import most of schemathesis into every
process at start. --assert=plain: the checks report through expect(), and pytest would otherwise rewrite the asserts
of every module of every plugin's distribution (hypothesis, schemathesis: hundreds of modules) in each worker."""


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(list(sys.argv[1:] if argv is None else argv))
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        return int(args.handler(args))
    except httpx.TransportError as error:  # the network, outside the preflight (seed, clean): one line all the same
        return _stop(f"cannot reach the target ({type(error).__name__}): check the base URL", 2)
    except ConformanceError as error:
        return _stop(str(error), error.exit_code)
    except KeyboardInterrupt:
        console.print("interrupted")
        return ConformanceError.exit_code


def _stop(message: str, code: int) -> int:
    console.print(f"[red]error:[/red] {message}", soft_wrap=True)  # one line, however long
    return code


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def parse(argv: list[str]) -> argparse.Namespace:
    """Our arguments; those after `--` go to pytest (`pytest_args`)."""
    pytest_args: list[str] = []
    if "--" in argv:
        split = argv.index("--")
        argv, pytest_args = argv[:split], argv[split + 1 :]
    parser = argparse.ArgumentParser(prog="directus-conformance", description=__doc__)
    parser.add_argument("--version", action="version", version=f"directus-conformance {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the conformance suites (embedded Directus when no --base-url)")
    add_to_argparse(run, RUN)
    _embedded_options(run)
    run.add_argument(
        "--target",
        action="append",
        metavar="NAME=URL",
        help="a named target (repeatable); its admin token from DIRECTUS_ADMIN_TOKEN_<NAME>",
    )
    run.add_argument("--config", type=Path, help="a TOML file of [targets.NAME] tables (secrets from env vars)")
    run.add_argument(
        "--allure-report",
        action="store_true",
        help="also build Allure 3's HTML report of the run, one file: REPORTS/allure-report/index.html (Allure is "
        "installed from the npm registry once)",
    )
    run.add_argument(
        "--allure-history",
        type=Path,
        metavar="DIR",
        help="keep the Allure report's history in DIR (a file per target) and show the trends of the runs before; "
        "implies --allure-report",
    )
    _workers_option(run, "default: cores + 2 embedded, 8 remote")
    run.set_defaults(handler=run_command)

    serve = commands.add_parser("serve", help="boot the embedded Directus and keep it up until SIGINT/SIGTERM")
    _embedded_options(serve)
    serve.set_defaults(handler=serve_command)

    for name, handler, help_text in (
        ("seed", seed_command, "put the cast on a target"),
        ("clean", clean_command, "remove what a seed with this run tag created"),
    ):
        sub = commands.add_parser(name, help=help_text)
        add_to_argparse(sub, TARGET)
        sub.set_defaults(handler=handler)

    cells = commands.add_parser(
        "matrix", help="run the suites on several embedded deployments (versions by databases), one matrix"
    )
    cells.add_argument(
        "--versions",
        default=",".join(PINNED_VERSIONS),
        help=f"comma-separated Directus releases, any from {OLDEST_VERSION} on (default: the pinned "
        f"{', '.join(PINNED_VERSIONS)})",
    )
    cells.add_argument(
        "--databases",
        default="sqlite",
        help=f"comma-separated databases of the embedded Directus, of {', '.join(DATABASES)} (default: sqlite)",
    )
    cells.add_argument(
        "--github-actions",
        action="store_true",
        help="print the GitHub Actions strategy.matrix of this selection (one job per cell; see the README's CI "
        "recipe) instead of running it",
    )
    add_to_argparse(cells, MATRIX)
    _deployment_options(cells)
    _workers_option(cells, "default: cores + 2")
    cells.set_defaults(handler=matrix_command)

    merge = commands.add_parser("merge", help="merge the matrix.json of several runs into one report")
    merge.add_argument("matrices", nargs="+", type=Path, help="matrix.json files (e.g. one per CI job)")
    merge.add_argument("--reports", type=Path, default=Path("reports"), help="where to write the merged report")
    merge.set_defaults(handler=merge_command)

    checks = commands.add_parser("checks", help="print the catalogue of checks")
    checks.add_argument("--format", choices=("md", "json"), default="md")
    checks.set_defaults(handler=checks_command)
    args = parser.parse_args(argv)
    args.pytest_args = pytest_args
    return args


def _embedded_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--directus-version",
        default=DEFAULT_VERSION,
        help=f"embedded Directus release (default {DEFAULT_VERSION}): any from {OLDEST_VERSION} on; "
        f"{', '.join(PINNED_VERSIONS)} have committed lockfiles, any other is resolved from the npm registry once",
    )
    parser.add_argument(
        "--database",
        choices=DATABASES,
        default="sqlite",
        help="the embedded Directus's database: sqlite (in memory, default), postgres or mariadb (a throwaway "
        "Debian server on loopback)",
    )
    _deployment_options(parser)


def _deployment_options(parser: argparse.ArgumentParser) -> None:
    """How the embedded Directus is deployed, besides its version and database."""
    parser.add_argument(
        "--behind-proxy",
        action="store_true",
        help=f"serve it through nginx with TLS (a throwaway CA the run trusts) on the sub-path {SUB_PATH}/, "
        "PUBLIC_URL set to it and Secure cookies",
    )
    parser.add_argument(
        "--directus-env",
        action="append",
        metavar="KEY=VALUE",
        help="a documented Directus setting for the embedded server (repeatable), e.g. AUTH_DISABLE_DEFAULT=true",
    )


def embedded(args: argparse.Namespace, deployment: Deployment | None = None) -> EmbeddedDirectus:
    """The embedded Directus the arguments ask for (or one cell of a matrix): version, database, settings."""
    chosen = deployment or Deployment(args.directus_version, args.database)
    settings = EmbeddedSettings(
        chosen.version,
        extra_env=parse_directus_env(args.directus_env),
        database=chosen.database,
        behind_proxy=args.behind_proxy,
    )
    return EmbeddedDirectus(chosen.version, settings)


def _workers_option(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument("-n", "--workers", help=f"parallel workers (pytest-xdist), 0 = off; {default}")


# --- commands -----------------------------------------------------------------------------------------------------


def run_command(args: argparse.Namespace) -> int:
    run = Run.resolve(vars(args), os.environ)
    targets = configured_targets(args, run)
    allure = AllureRequest(args.allure_history) if args.allure_report or args.allure_history else None
    if not targets:
        with embedded(args).launched() as server:
            each = with_known_advisories(run.with_target(embedded_target(server)), server.version)
            return run_suites(each, args.workers, args.pytest_args, booting=server, allure=allure)
    if len(targets) == 1:
        return run_suites(run.with_target(targets[0]), args.workers, args.pytest_args, allure=allure)
    reports = run.reports or Path("reports")
    codes = [
        run_suites(
            replace(run, target=target, reports=reports / target.name), args.workers, args.pytest_args, allure=allure
        )
        for target in targets
    ]
    runs = [reports / t.name / "matrix.json" for t in targets if (reports / t.name / "matrix.json").exists()]
    write_reports(matrix.merge([matrix.load(path) for path in runs]), reports)
    return max(codes)


def matrix_command(args: argparse.Namespace) -> int:
    """Each deployment in turn (a Directus install is about 300 MB, so one at a time), then one matrix of them all;
    or, with --github-actions, the selection as a CI job matrix."""
    deployments = select(args.versions, args.databases)
    if args.github_actions:
        print(json.dumps(github_actions_matrix(deployments)))
        return EXIT_OK
    run = Run.resolve(vars(args), {})  # a matrix of embedded runs: nothing of a target from the environment
    reports = run.reports or Path("reports")
    codes = []
    for deployment in deployments:
        with embedded(args, deployment).launched() as server:
            target = replace(embedded_target(server), name=deployment.name)
            each = with_known_advisories(replace(run, target=target, reports=reports / deployment.key), server.version)
            codes.append(run_suites(each, args.workers, args.pytest_args, booting=server))
        if not (reports / deployment.key / "matrix.json").exists():
            raise TargetError(f"the run on {deployment.name} ended (exit {codes[-1]}) without its report (see above)")
    write_reports(matrix.merge([matrix.load(reports / cell.key / "matrix.json") for cell in deployments]), reports)
    console.print(f"matrix of {len(deployments)} deployments in {reports}/matrix.html")
    return max(codes)


def configured_targets(args: argparse.Namespace, run: Run) -> list[Target]:
    """--config FILE, or --target NAME=URL (repeatable), or --base-url; none means the embedded default."""
    if args.config:
        return load_targets_file(args.config, os.environ)
    if args.target:
        fallback = AdminCredentials(value(vars(args), os.environ, "admin_token"))
        verify = tls_verification(vars(args))
        return [parse_target_spec(spec, os.environ, fallback, verify) for spec in args.target]
    return [run.target] if run.target else []


def embedded_target(server: EmbeddedDirectus) -> Target:
    settings = server.settings
    register_secret(settings.admin_password, settings.admin_token, settings.secret)
    return Target(
        base_url=server.url,
        admin=AdminCredentials(token=settings.admin_token),
        name="embedded",
        embedded=True,
        session_grace_period_s=settings.session_refresh_grace_period_s,
        refresh_ttl_s=settings.refresh_token_ttl_s,
        verify=str(server.ca_file) if server.ca_file else True,
        release=settings.version,
        mail_api=server.mail_api,
        signing_secret=settings.secret,
    )


def with_known_advisories(run: Run, version: str) -> Run:
    """An embedded run waives the advisories its release is known to be affected by (see known_advisories)."""
    return replace(run, waivers=(*run.waivers, *known_advisory_waivers(version)))


@dataclass(frozen=True)
class AllureRequest:
    """A run's Allure HTML report is asked for; `history`: the directory of the history files it carries on."""

    history: Path | None = None

    def build(self, reports: Path, target: str) -> int:
        """Build it from the run's allure-results; an exit code: 0, or 2 when Allure could not (it says why)."""
        started = time.monotonic()
        try:
            summary = build_report(
                reports / "allure-results",
                reports / "allure-report",
                name=f"Directus conformance: {target}",
                history=self.history / f"{target}.jsonl" if self.history else None,
            )
        except AllureFailed as why:
            return _stop(str(why), AllureFailed.exit_code)
        took = time.monotonic() - started
        console.print(
            f"Allure report in {reports}/allure-report/index.html ({took:.1f} s): {totals(summary)}", soft_wrap=True
        )
        return EXIT_OK


def run_suites(
    run: Run,
    workers: str | None,
    pytest_args: list[str],
    booting: EmbeddedDirectus | None = None,
    allure: AllureRequest | None = None,
) -> int:
    """Check the admin credential first (a clear exit 2), then run pytest over the checks with the reports (and the
    Allure report, when asked for); pytest receives the Run itself (`RunHolder`), never its values as flags.

    An embedded server still `booting` needs no such check (we made its admin): pytest starts while it boots, and
    waits for it before the first check."""
    import pytest

    from conformance.pytest.configured import RunHolder
    from conformance.pytest.prelude import Prelude
    from conformance.pytest.workers import default_workers

    target, reports = run.target, run.reports
    assert target is not None and reports is not None  # the commands above always give both
    if booting is None:
        with DirectusClient(target.base_url, timeout=PREFLIGHT_TIMEOUT_S, verify=target.verify) as client:
            check_reachable(client)
            if not run.readonly:
                Admin(client, target.admin).verify()
    shutil.rmtree(reports / "allure-results", ignore_errors=True)  # not --clean-alluredir: it races under xdist
    reports.mkdir(parents=True, exist_ok=True)
    _export_secrets(target, run.persona)
    workers = workers or str(default_workers(target))
    options = [*PYTEST_OPTIONS, "-q", "-rfEs", f"--junitxml={reports / 'junit.xml'}"]
    options += [f"--alluredir={reports / 'allure-results'}", *(["-n", workers] if workers not in ("0", "1") else [])]
    started = time.monotonic()
    prelude = Prelude(booting)
    code = pytest.main(options + pytest_args, plugins=[RunHolder(run), prelude])
    prelude.raise_boot_error()
    if code == pytest.ExitCode.USAGE_ERROR:
        return ConformanceError.exit_code  # pytest said why, in one line; nothing ran, no report was written
    console.print(f"reports in {reports}/ ({time.monotonic() - started:.1f} s)")
    verdict = {0: EXIT_OK, 1: EXIT_NONCONFORMANT}.get(int(code), ConformanceError.exit_code)
    return max(verdict, allure.build(reports, target.name)) if allure else verdict


def _export_secrets(target: Target, persona: OwnAccount | None) -> None:
    """Hand secrets to pytest's workers through the environment, never through argv (visible in `ps`) or the
    run's wire form."""
    admin = target.admin
    register_secret(admin.token, admin.password, persona.password if persona else None, target.signing_secret)
    for variable, secret in (
        ("DIRECTUS_ADMIN_TOKEN", admin.token),
        ("DIRECTUS_ADMIN_EMAIL", admin.email),
        ("DIRECTUS_ADMIN_PASSWORD", admin.password),
        ("DIRECTUS_PERSONA_PASSWORD", persona.password if persona else None),
        ("DIRECTUS_SECRET", target.signing_secret),
    ):
        if secret:
            os.environ[variable] = secret


def serve_command(args: argparse.Namespace) -> int:
    """Up until SIGINT / SIGTERM, which is the normal way to stop it (exit 0); the server dying is an error."""
    with embedded(args) as server:
        trusted = {"ca_file": str(server.ca_file)} if server.ca_file else {}  # behind the proxy: the CA to trust
        print(json.dumps(server.settings.public_facts() | trusted | {"mail_api": server.mail_api}), flush=True)
        console.print(f"Directus {server.version} is up at {server.url} (PID {server.pid}); Ctrl-C or SIGTERM stops it")
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
    if not args.run_tag:
        raise ConfigError("give --run-tag: it names what the seed creates, and what clean removes")
    run = Run.resolve(vars(args), os.environ)
    if run.target is None:
        raise ConfigError("give --base-url (or DIRECTUS_URL) of the target")
    with open_loader(run, run.target) as loader:
        yield loader


def seed_command(args: argparse.Namespace) -> int:
    with _loader(args) as loader:
        cast = loader.seed()
    print(json.dumps({**cast.names(), "version": cast.facts.version, "posts": cast.posts}))
    return EXIT_OK


def clean_command(args: argparse.Namespace) -> int:
    with _loader(args) as loader:
        removed = loader.clean()
    print(json.dumps({"run_tag": args.run_tag, "removed": removed}))
    return EXIT_OK


def merge_command(args: argparse.Namespace) -> int:
    missing = [str(path) for path in args.matrices if not path.is_file()]
    if missing:
        raise ConfigError(f"no such matrix file: {', '.join(missing)}")
    merged = matrix.merge([matrix.load(path) for path in args.matrices])
    write_reports(merged, args.reports)
    console.print(f"merged {len(args.matrices)} runs ({len(merged['targets'])} targets) into {args.reports}/")
    return EXIT_OK


def checks_command(args: argparse.Namespace) -> int:
    catalogue = load_all_checks()
    if args.format == "json":
        rows: list[dict[str, Any]] = [
            {
                "id": c.id,
                "level": c.level,
                "title": c.title,
                "behaviour": c.behaviour,
                "refs": list(c.refs),
                "needs": [need_label(need) for need in c.needs],
            }
            for c in catalogue.values()
        ]
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    print("| ID | level | behaviour | title | needs | refs |\n|---|---|---|---|---|---|")
    for c in catalogue.values():
        needs = ", ".join(need_label(need) for need in c.needs)
        print(f"| `{c.id}` | {c.level} | {c.behaviour} | {c.title} | {needs} | {', '.join(c.refs)} |")
    return EXIT_OK


def need_label(need: Need | Feature) -> str:
    return f"Directus {need.first_version}+ ({need.name})" if isinstance(need, Feature) else need.name.lower()


if __name__ == "__main__":
    sys.exit(main())
