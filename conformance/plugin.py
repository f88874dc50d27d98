"""The pytest plugin (entry point `pytest11`): options, the target and its seeded cast as fixtures, check metadata.

A check never knows how its target was started and never reads configuration: it receives fixtures. Seeding happens
once per run, also under pytest-xdist (the first process to need the cast seeds under a file lock and shares the
immutable handle — on the embedded target, the controller as soon as the server answers; the controller cleans at
the end, except the embedded target, discarded after the run). Single-use tokens are never shared: checks log in for
themselves.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

from conformance.admin import Admin, TargetError
from conformance.client import DirectusClient, DirectusError, bearer
from conformance.config import ConfigError, Target, resolve_target
from conformance.profiles import DEFAULT_PROFILE, PROFILES, Profile
from conformance.redaction import redact_text, register_secret
from conformance.registry import CheckInfo, check_info, current_check
from conformance.report.plugin import ReportingPlugin
from conformance.report.results import FINDING, ResultRecorder
from conformance.scheduling import WaitingChecksSpread, running_order
from conformance.seeding import Cast, Loader, Persona, load_fixture, new_run_tag
from conformance.versions import missing_feature_reason
from conformance.waivers import WaiverBook, load_waivers


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("directus-conformance", "Directus authentication conformance")
    with contextlib.suppress(ValueError):  # pytest-base-url may already own --base-url / PYTEST_BASE_URL
        group.addoption(
            "--base-url", metavar="URL", default=None, help="Directus base URL (env DIRECTUS_URL or PYTEST_BASE_URL)"
        )
    group.addoption("--admin-token", default=None, help="admin static token (env DIRECTUS_ADMIN_TOKEN)")
    group.addoption("--admin-email", default=None, help="admin email (env DIRECTUS_ADMIN_EMAIL)")
    group.addoption("--admin-password", default=None, help="admin password (env DIRECTUS_ADMIN_PASSWORD)")
    group.addoption(
        "--run-tag",
        dest="directus_run_tag",
        default=None,
        help="tag namespacing what this run creates (default: random)",
    )
    group.addoption("--fixture-file", dest="directus_fixture", default=None, help="a cast file like fixtures/cast.yaml")
    group.addoption(
        "--session-grace-period",
        type=float,
        default=None,
        help="the target's SESSION_REFRESH_GRACE_PERIOD in seconds (default 10)",
    )
    group.addoption("--refresh-ttl", type=float, default=None, help="the target's REFRESH_TOKEN_TTL in seconds")
    group.addoption(
        "--max-wait",
        type=float,
        default=None,
        help="longest wait a check may make for a token to expire, in seconds (default 30)",
    )
    group.addoption(
        "--reports",
        dest="directus_reports",
        default=None,
        help="write matrix.json, matrix.html and summary.md into this directory",
    )
    group.addoption(
        "--target-name",
        dest="directus_target_name",
        default=None,
        help="the target's name in reports (default: embedded or default)",
    )
    group.addoption(
        "--waivers",
        dest="directus_waivers",
        default=None,
        help="YAML file of checks expected to fail, each with a reason",
    )
    group.addoption(
        "--baseline",
        dest="directus_baseline",
        default=None,
        help="matrix.json of an earlier run: report regressions and improvements",
    )
    group.addoption(
        "--fail-on",
        dest="directus_fail_on",
        choices=("failures", "regressions"),
        default="failures",
        help="fail the run on any failure (default) or only on regressions against --baseline",
    )
    group.addoption(
        "--profile",
        dest="directus_run_profile",
        choices=("full", "readonly"),
        default="full",
        help="full (seeds a cast, needs admin credentials) or readonly (no writes, no admin: checks that need no "
        "seeding, plus the token-lifecycle checks for --persona-email)",
    )
    group.addoption(
        "--persona-email", default=None, help="read-only profile: your own user (env DIRECTUS_PERSONA_EMAIL)"
    )
    group.addoption(
        "--persona-password", default=None, help="read-only profile: its password (env DIRECTUS_PERSONA_PASSWORD)"
    )
    group.addoption("--ca-bundle", default=None, help="PEM file of the CA that signed the target's TLS certificate")
    group.addoption("--insecure", action="store_true", default=False, help="do not verify the target's TLS certificate")
    group.addoption(
        "--generative-profile",
        dest="directus_profile",
        choices=sorted(PROFILES),
        default=DEFAULT_PROFILE,
        help="example budget of the generative suites: fast (CI, default) or deep (nightly)",
    )
    group.addoption(
        "--embedded-target",
        action="store_true",
        default=False,
        help="the target is a throwaway Directus booted by directus-conformance (set by the CLI): the checks yield "
        "the cores to it, and what the run seeds is discarded with it rather than cleaned",
    )


REPORTING_PLUGIN = "directus-conformance-reporting"
EMBEDDED_NICENESS = 10
"""Against the embedded Directus on the same machine, the checks yield the cores to it: the controller lowers its
priority before xdist starts the workers, which inherit it. The server then boots while they import (2.9 s instead
of 4.1 to 5.9) and is never starved by the workers that wait on it (three interleaved pairs of warm runs against
niced workers alone: 19.4 → 17.7 s on average). Niceness only
goes up, so the later versions of a `matrix` (one process) start from the raised level, servers included: still
correct, a little slower."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "conformance(info): a Directus conformance check (set by @check)")
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        config.option.directus_run_tag = workerinput["directus_run_tag"]
    else:
        if config.option.embedded_target:
            os.nice(EMBEDDED_NICENESS)
        if not config.option.directus_run_tag:
            config.option.directus_run_tag = new_run_tag()
        check_fixture_file(config)
        register_reporting(config)


def check_fixture_file(config: pytest.Config) -> None:
    """A --fixture-file that is no cast stops the run before it starts: one line, no check collected."""
    if config.option.directus_fixture:
        try:
            load_fixture(Path(config.option.directus_fixture))
        except ConfigError as error:
            raise pytest.UsageError(str(error)) from error


def register_reporting(config: pytest.Config) -> None:
    """On the controller: results, waivers and report files, when the run asks for any of them."""
    o = config.option
    if not (o.directus_reports or o.directus_waivers or o.directus_baseline):
        return
    try:
        found = configured_target(config)
        waivers = load_waivers(Path(o.directus_waivers)) if o.directus_waivers else []
    except ConfigError as error:
        raise pytest.UsageError(str(error)) from error
    if o.directus_baseline and not Path(o.directus_baseline).is_file():
        raise pytest.UsageError(f"the baseline {o.directus_baseline} does not exist")
    target = {
        "name": o.directus_target_name or ("embedded" if o.embedded_target else "default"),
        "base_url": found.base_url if found else "",
        "embedded": bool(o.embedded_target),
        "version": "",
        "database": "sqlite" if o.embedded_target else "unknown",
    }

    def version() -> str:
        handle = shared_dir(config) / "cast.json"
        return Cast.from_json(handle.read_text()).facts.version if handle.exists() else ""

    recorder = ResultRecorder()
    config.pluginmanager.register(recorder, "directus-conformance-results")
    config.pluginmanager.register(
        ReportingPlugin(
            recorder,
            target=target,
            reports=Path(o.directus_reports) if o.directus_reports else None,
            waivers=WaiverBook(waivers),
            baseline=Path(o.directus_baseline) if o.directus_baseline else None,
            fail_on=o.directus_fail_on,
            version=version,
        ),
        REPORTING_PLUGIN,
    )


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """xdist: every worker uses the controller's run tag, so they share one seed."""
    node.workerinput["directus_run_tag"] = node.config.option.directus_run_tag


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> WaitingChecksSpread | None:
    """xdist, `--dist load` (the default with -n): the waiting checks start on workers of their own (see
    scheduling). Any other `--dist` mode is xdist's own."""
    return WaitingChecksSpread(config, log) if config.getvalue("dist") == "load" else None


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """An xdist worker that has finished ends without Python's finalization: the controller waits for every worker
    to exit before it reports, and tearing down the interpreters of four workers (hypothesis, schemathesis…) took 0.7
    to 0.85 s of every run's end; now 0.15 to 0.3 s. Registered last, so it runs first at exit, once the worker has
    said all it has to say to the controller; its files are written and closed by then."""
    if hasattr(config, "workerinput"):
        atexit.register(_exit_at_once)


def _exit_at_once() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def option_values(config: pytest.Config) -> dict[str, Any]:
    o = config.option
    return {
        "base_url": getattr(o, "base_url", None),
        "admin_token": o.admin_token,
        "admin_email": o.admin_email,
        "admin_password": o.admin_password,
        "session_grace_period": o.session_grace_period,
        "refresh_ttl": o.refresh_ttl,
        "max_wait": o.max_wait,
        "embedded": o.embedded_target,
        "ca_bundle": o.ca_bundle,
        "insecure": o.insecure,
    }


def configured_target(config: pytest.Config) -> Target | None:
    return resolve_target(option_values(config), os.environ)


def shared_dir(config: pytest.Config) -> Path:
    """The directory all xdist workers of this run share, keyed by the run tag (created by the first seed)."""
    return Path(tempfile.gettempdir()) / f"directus-conformance-run-{config.option.directus_run_tag}"


@contextlib.contextmanager
def open_loader(config: pytest.Config, target: Target) -> Iterator[Loader]:
    """A seeding loader for the target, its admin client closed afterwards."""
    fixture_file = config.option.directus_fixture
    with DirectusClient(target.base_url, verify=target.verify) as client:
        fixture = load_fixture(Path(fixture_file) if fixture_file else None)
        yield Loader(Admin(client, target.admin), fixture, config.option.directus_run_tag)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize over the cast: `persona_key` every user, `member_key` every member, `author_key` every member
    who has posts."""
    wanted = {"persona_key", "member_key", "author_key"} & set(metafunc.fixturenames)
    if not wanted:
        return
    fixture_file = metafunc.config.option.directus_fixture
    cast = load_fixture(Path(fixture_file) if fixture_file else None)
    authors = {post["author"] for post in cast["posts"]}
    keep: dict[str, Callable[[dict[str, Any]], bool]] = {
        "persona_key": lambda user: True,
        "member_key": lambda user: user["role"] == "member",
        "author_key": lambda user: user["role"] == "member" and user["key"] in authors,
    }
    for name in wanted:
        metafunc.parametrize(name, [user["key"] for user in cast["users"] if keep[name](user)])


# --- fixtures -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Target:
    """The Directus under test."""
    try:
        found = configured_target(pytestconfig)
    except ConfigError as error:
        pytest.fail(str(error), pytrace=False)
    if found is None:
        pytest.fail(
            "no Directus target: give --base-url URL (or DIRECTUS_URL), or use `directus-conformance run` to "
            "boot the embedded one",
            pytrace=False,
        )
    return found


@pytest.fixture(scope="session")
def directus(target: Target) -> Iterator[DirectusClient]:
    """A stateless client for the target (every request carries exactly the credentials a check gives it)."""
    with DirectusClient(
        target.base_url,
        verify=target.verify,
        refresh_cookie=target.refresh_cookie,
        session_cookie=target.session_cookie,
    ) as client:
        yield client


READONLY_SKIP = "not applied in the read-only profile: needs the seeded cast (users and a collection the run creates)"


def is_readonly(config: pytest.Config) -> bool:
    return bool(config.option.directus_run_profile == "readonly")


class Members:
    """Who a check logs in as: a member of the seeded cast by key, or, in the read-only profile, the user's own
    account (--persona-email) whatever the key. Such checks only use and end tokens they created themselves."""

    def __init__(self, cast: Cast | None, own: Persona | None) -> None:
        self.cast, self.own = cast, own

    def __getitem__(self, key: str) -> Persona:
        if self.cast is not None:
            return self.cast.personas[key]
        if self.own is None:
            pytest.skip(
                "not applied in the read-only profile without a persona: give --persona-email and "
                "--persona-password (env DIRECTUS_PERSONA_EMAIL / DIRECTUS_PERSONA_PASSWORD) of a user of your own"
            )
        return self.own


@pytest.fixture(scope="session")
def members(request: pytest.FixtureRequest, directus: DirectusClient) -> Members:
    if not is_readonly(request.config):
        return Members(request.getfixturevalue("cast"), None)
    return Members(None, own_persona(request.config, directus))


def own_persona(config: pytest.Config, directus: DirectusClient) -> Persona | None:
    """The read-only profile's persona: the user's own account, proven to log in."""
    email = config.option.persona_email or os.environ.get("DIRECTUS_PERSONA_EMAIL")
    password = config.option.persona_password or os.environ.get("DIRECTUS_PERSONA_PASSWORD")
    if not (email and password):
        return None
    register_secret(password)
    login = directus.login(email, password)
    if not login.ok or not login.access_token:
        pytest.fail(f"the persona {email} cannot log in (HTTP {login.response.status_code})", pytrace=False)
    me = directus.request("GET", "/users/me", headers=bearer(login.access_token), params={"fields": "id"})
    return Persona("own", "your persona", email, password, me.json()["data"]["id"], is_admin=False, static_token="")


@pytest.fixture(scope="session")
def target_version(request: pytest.FixtureRequest) -> str | None:
    """The target's version when the run knows it (from the seed's admin facts); unknown in the read-only profile."""
    return None if is_readonly(request.config) else request.getfixturevalue("cast").facts.version


@pytest.fixture(scope="session")
def profile(pytestconfig: pytest.Config) -> Profile:
    """The generative suites' example budget (`--generative-profile`)."""
    return PROFILES[pytestconfig.option.directus_profile]


@pytest.fixture(scope="session")
def cast(pytestconfig: pytest.Config, loader: Loader) -> Cast:
    """The seeded cast, seeded once per run (see `seed_once`)."""
    if is_readonly(pytestconfig):
        pytest.skip(READONLY_SKIP)
    try:
        return seed_once(pytestconfig, loader)
    except SeedFailed as failure:
        pytest.fail(f"cannot seed the target: {failure}", pytrace=False)


class SeedFailed(Exception):
    """The run's seed failed: the target's answer, redacted (every check that needs the cast reports it)."""


def seed_once(config: pytest.Config, loader: Loader) -> Cast:
    """The run's cast: the first process to get here seeds, the others read its handle (also after a failure, which
    is not tried again). The embedded run seeds from the controller as soon as the server answers."""
    directory = shared_dir(config)
    directory.mkdir(mode=0o700, exist_ok=True)
    handle, failure = directory / "cast.json", directory / "seed-error.txt"
    with FileLock(str(directory / "seed.lock")):
        if handle.exists():
            return Cast.from_json(handle.read_text())
        if not failure.exists():
            (directory / "seed-started").touch()  # the controller cleans even if the seed stops half-way
            try:
                seeded = loader.seed()
                handle.write_text(seeded.to_json())
                handle.chmod(0o600)
                return seeded
            except (TargetError, DirectusError) as error:
                failure.write_text(redact_text(str(error)))
    raise SeedFailed(failure.read_text())


@pytest.fixture(scope="session")
def loader(pytestconfig: pytest.Config, target: Target) -> Iterator[Loader]:
    if is_readonly(pytestconfig):
        pytest.skip(READONLY_SKIP)
    with open_loader(pytestconfig, target) as opened:
        yield opened


@pytest.fixture
def throwaway(cast: Cast, loader: Loader) -> Iterator[Callable[[], Persona]]:
    """A factory of throwaway members (deleted after the check) for checks that change a user's state."""
    created: list[Persona] = []

    def make() -> Persona:
        persona = loader.create_throwaway(cast.member_role_id)
        created.append(persona)
        return persona

    yield make
    for persona in created:
        loader.delete_user(persona.id)


@pytest.fixture(autouse=True)
def _conformance_check(request: pytest.FixtureRequest) -> Iterator[None]:
    """Expose the running check's metadata (for failure messages) and SKIP checks the target's version predates."""
    info = check_info(request.node)
    if info is None:
        yield
        return
    if info.requires:
        reason = missing_feature_reason(info.requires, request.getfixturevalue("target_version"))
        if reason:
            pytest.skip(reason)
    label_for_allure(info)
    token = current_check.set(info)
    try:
        yield
    finally:
        current_check.reset(token)


def label_for_allure(info: CheckInfo) -> None:
    """Epic, feature (behaviour), story (title), ID, severity from the level, and links to the refs."""
    import allure

    allure.dynamic.epic("Directus authentication")
    allure.dynamic.feature(info.behaviour)
    allure.dynamic.story(info.title)
    allure.dynamic.id(info.id)
    allure.dynamic.severity(allure.severity_level.CRITICAL if info.level == "MUST" else allure.severity_level.NORMAL)
    allure.dynamic.tag(info.level)
    for label, url in info.ref_links():
        allure.dynamic.link(url, name=label)


# --- reporting ----------------------------------------------------------------------------------------------------


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Schedules the checks (see `running_order`) and adds each check's ID and refs to its report."""
    items[:] = running_order(items)
    for item in items:
        info = check_info(item)
        if info:
            item.user_properties += [
                ("check_id", info.id),
                ("level", info.level),
                ("behaviour", info.behaviour),
                ("refs", " ".join(info.refs)),
            ]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    """A SHOULD-level check that fails is a finding (reported, not a failure of the run)."""
    outcome = yield
    report = outcome.get_result()
    info = check_info(item)
    if (
        info
        and info.level == "SHOULD"
        and report.when == "call"
        and report.failed
        and call.excinfo is not None
        and call.excinfo.errisinstance(pytest.fail.Exception)
    ):
        report.outcome = "passed"
        finding = (FINDING, str(call.excinfo.value))
        report.user_properties.append(finding)
        item.user_properties.append(finding)  # JUnit reads properties from the teardown report


def pytest_report_teststatus(report: pytest.TestReport) -> tuple[str, str, tuple[str, dict[str, bool]]] | None:
    if report.when == "call" and any(name == FINDING for name, _ in report.user_properties):
        return FINDING, "W", ("FINDING", {"yellow": True})
    return None


def pytest_terminal_summary(terminalreporter: Any) -> None:
    findings = terminalreporter.stats.get(FINDING, [])
    if findings:
        terminalreporter.section("findings (SHOULD-level checks that failed)", yellow=True)
        for report in findings:
            message = dict(report.user_properties)[FINDING]
            terminalreporter.line(f"{report.nodeid}\n{message}\n")


def pytest_report_header(config: pytest.Config) -> list[str]:
    try:
        found = configured_target(config)
    except ConfigError:
        return []
    return [f"directus target: {found.base_url} (run tag {config.option.directus_run_tag})"] if found else []


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On the controller only: remove everything the run seeded (also after a half-way seed), then the shared dir.
    An embedded target is discarded after the run, its database with it: cleaning it would only cost time."""
    config = session.config
    if hasattr(config, "workerinput"):
        return
    directory = shared_dir(config)
    if not directory.exists():
        return  # nothing was seeded: no request, no file
    found = configured_target(config)
    if found is not None and not config.option.embedded_target and (directory / "seed-started").exists():
        with open_loader(config, found) as loader:
            loader.clean()
    shutil.rmtree(directory, ignore_errors=True)
