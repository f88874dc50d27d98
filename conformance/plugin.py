"""The pytest plugin (entry point `pytest11`): the target and its seeded cast as fixtures, check metadata.

A check never knows how its target was started and never reads configuration: it receives fixtures. The options
are in `options`; the seed, once per run also under pytest-xdist, in `shared_seed`.
"""

from __future__ import annotations

import atexit
import os
import sys
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.client import DirectusClient, bearer
from conformance.config import ConfigError, Target
from conformance.options import add_options, configured_target, fixture_file, is_readonly
from conformance.profiles import PROFILES, Profile
from conformance.redaction import register_secret
from conformance.registry import CheckInfo, check_info, current_check
from conformance.report.plugin import REPORTING_PLUGIN_NAME, ReportingPlugin
from conformance.report.results import FINDING, ResultRecorder
from conformance.scheduling import WaitingChecksSpread, running_order
from conformance.seeding import Cast, Loader, Persona, load_fixture, new_run_tag
from conformance.shared_seed import SeedFailed, clean_after_run, open_loader, seed_once, shared_dir
from conformance.versions import missing_feature_reason
from conformance.waivers import WaiverBook, load_waivers


def pytest_addoption(parser: pytest.Parser) -> None:
    add_options(parser)


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
    path = fixture_file(config)
    if path is not None:
        try:
            load_fixture(path)
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
        REPORTING_PLUGIN_NAME,
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


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize over the cast: `persona_key` every user, `member_key` every member, `author_key` every member
    who has posts."""
    wanted = {"persona_key", "member_key", "author_key"} & set(metafunc.fixturenames)
    if not wanted:
        return
    cast = load_fixture(fixture_file(metafunc.config))
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
    """On the controller only: remove what the run seeded (see `shared_seed.clean_after_run`)."""
    if not hasattr(session.config, "workerinput"):
        clean_after_run(session.config)
