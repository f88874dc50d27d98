"""The fixtures a check receives: the target, a client, the seeded cast and who plays each part, throwaway users,
the generative budget; the parametrization over the cast; and, around every check, the one applicability rule.

A check never knows how its target was started and never reads configuration: it receives these.

(PYTEST_DONT_REWRITE: a plugin module that the entry point imports before pytest loads it; it asserts nothing.)
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from conformance.applicability import why_not
from conformance.browser import Browser, ForeignSite, Visit
from conformance.cast import Cast, Members, Persona
from conformance.client import REFRESH_COOKIE, SESSION_COOKIE, DirectusClient, bearer
from conformance.config import Target
from conformance.embedded.packages import PackageUnavailable
from conformance.errors import SeedFailed
from conformance.evidence import require_status
from conformance.facts import CookieNames, TargetFacts, learn
from conformance.mail import Mailbox, open_mailbox
from conformance.profiles import Profile
from conformance.pytest.allure_labels import label_for_allure
from conformance.pytest.configured import run_of
from conformance.redaction import register_secret
from conformance.registry import check_info, current_check
from conformance.sdk import Flows, ensure_sdk, sdk_version
from conformance.seeding import Loader, load_fixture
from conformance.shared_seed import SharedSeed, open_loader


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize over the cast: `persona_key` every user, `member_key` every member, `author_key` every member
    who has posts."""
    wanted = {"persona_key", "member_key", "author_key"} & set(metafunc.fixturenames)
    if not wanted:
        return
    cast = load_fixture(run_of(metafunc.config).cast_file)
    authors = {post["author"] for post in cast["posts"]}
    keep: dict[str, Callable[[dict[str, Any]], bool]] = {
        "persona_key": lambda user: True,
        "member_key": lambda user: user["role"] == "member",
        "author_key": lambda user: user["role"] == "member" and user["key"] in authors,
    }
    for name in wanted:
        metafunc.parametrize(name, [user["key"] for user in cast["users"] if keep[name](user)])


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config) -> Target:
    """The Directus under test."""
    return process_target(pytestconfig).target()


@pytest.fixture(scope="session")
def target_facts(pytestconfig: pytest.Config) -> TargetFacts:
    """What the run learnt of the target (cookie names, password login, lifetimes…), once for all its processes."""
    return process_target(pytestconfig).facts()


@pytest.fixture(scope="session")
def directus(target: Target, target_facts: TargetFacts) -> Iterator[DirectusClient]:
    """A stateless client for the target (every request carries exactly the credentials a check gives it), which
    names the cookies as the target does."""
    names = target_facts.cookies
    with DirectusClient(
        target.base_url, verify=target.verify, refresh_cookie=names.refresh, session_cookie=names.session
    ) as client:
        yield client


@pytest.fixture(scope="session")
def members(request: pytest.FixtureRequest, directus: DirectusClient) -> Members:
    """Who plays each part: the seeded cast, or in the read-only profile the user's own account."""
    if not run_of(request.config).readonly:
        return Members(request.getfixturevalue("cast"), None)
    return Members(None, own_persona(request.config, directus))


def own_persona(config: pytest.Config, directus: DirectusClient) -> Persona | None:
    """The read-only profile's persona: the user's own account, proven to log in (None: no persona was given, and
    the checks that need one are skipped)."""
    own = run_of(config).persona
    if own is None:
        return None
    register_secret(own.password)
    login = directus.login(own.email, own.password)
    require_status(login.response, 200, why=f"your persona {own.email} logs in (--persona-email)")
    me = directus.request("GET", "/users/me", headers=bearer(str(login.access_token)), params={"fields": "id"})
    return Persona("own", "your persona", own.email, own.password, me.json()["data"]["id"], False, "")


@pytest.fixture(scope="session")
def budget(pytestconfig: pytest.Config) -> Profile:
    """The generative suites' example budget (`--generative-profile`)."""
    return run_of(pytestconfig).budget


class ProcessTarget:
    """This process's way to what the run shares of its target: one loader, opened when first needed and closed at
    the end, the seeded cast and the learnt facts (both made once per run, see `SharedSeed`)."""

    def __init__(self, config: pytest.Config) -> None:
        self.run = run_of(config)
        self._stack = contextlib.ExitStack()
        self._loader: Loader | None = None
        config.add_cleanup(self._stack.close)

    def target(self) -> Target:
        if self.run.target is None:
            pytest.fail(
                "no Directus target: give --base-url URL (or DIRECTUS_URL), or use `directus-conformance run` to "
                "boot the embedded one",
                pytrace=False,
            )
        return self.run.target

    def loader(self) -> Loader:
        if self._loader is None:
            self._loader = self._stack.enter_context(open_loader(self.run, self.target()))
        return self._loader

    def cast(self) -> Cast:
        try:
            return SharedSeed(self.run.run_tag).get_or_make(self.loader())
        except SeedFailed as failure:
            pytest.fail(f"cannot seed the target: {failure}", pytrace=False)

    def facts(self) -> TargetFacts:
        return SharedSeed(self.run.run_tag).get_or_learn(self._learn)

    def _learn(self) -> TargetFacts:
        target = self.target()
        given = None
        if target.refresh_cookie or target.session_cookie:
            given = CookieNames(
                target.refresh_cookie or REFRESH_COOKIE, target.session_cookie or SESSION_COOKIE, "given by the options"
            )
        if self.run.readonly:
            own = self.run.persona
            member = Persona("own", "your persona", own.email, own.password, "", False, "") if own else None
            admin_token = None
        else:
            member, admin_token = self.cast().playing("owner"), self.loader().admin.token()
        with DirectusClient(target.base_url, verify=target.verify) as client:
            return learn(client, member, admin_token, given)


PROCESS_TARGET = pytest.StashKey[ProcessTarget]()


def process_target(config: pytest.Config) -> ProcessTarget:
    if PROCESS_TARGET not in config.stash:
        config.stash[PROCESS_TARGET] = ProcessTarget(config)
    return config.stash[PROCESS_TARGET]


@pytest.fixture(scope="session")
def cast(pytestconfig: pytest.Config) -> Cast:
    """The seeded cast, seeded once per run."""
    return process_target(pytestconfig).cast()


@pytest.fixture(scope="session")
def loader(pytestconfig: pytest.Config) -> Loader:
    return process_target(pytestconfig).loader()


@pytest.fixture(scope="session")
def mailbox(target: Target) -> Mailbox:
    """What the target mailed (the embedded sink's Maildir, or --mail-api); checks that ask for it need one."""
    assert target.mail_api is not None  # applicability: Need.MAIL follows from this fixture
    return open_mailbox(target.mail_api)


@pytest.fixture(scope="session")
def browser(pytestconfig: pytest.Config, target: Target) -> Iterator[Browser]:
    """This process's Chromium (launched when a check first asks for it); checks that ask for it need one."""
    executable = run_of(pytestconfig).browser
    assert executable is not None  # applicability: Need.BROWSER follows from this fixture
    with Browser(executable, ignore_https_errors=target.verify is not True) as launched:
        yield launched


@pytest.fixture
def visit(browser: Browser, target: Target) -> Visit:
    """A check's visit in the browser: an empty cookie jar, no pages; its transcript is the check's evidence."""
    return browser.visit(target.base_url)


@pytest.fixture(scope="session")
def foreign_site(target: Target) -> Iterator[ForeignSite]:
    """A page of another site than the target's, served on loopback: the foreign page of the browser checks."""
    with ForeignSite(target.base_url) as site:
        yield site


@pytest.fixture(scope="session")
def sdk(request: pytest.FixtureRequest, target: Target) -> Flows:
    """The official JavaScript SDK of the target's release (the embedded default's when the version is unknown, as
    in the read-only profile), installed once; SKIPs its checks when the npm registry cannot give it."""
    version = None if run_of(request.config).readonly else request.getfixturevalue("cast").facts.version
    try:
        installed = ensure_sdk(sdk_version(version))
    except PackageUnavailable as why:
        pytest.skip(f"the JavaScript SDK could not be installed: {why}")
    return Flows(installed, target.base_url, target.verify, SharedSeed(run_of(request.config).run_tag).directory)


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


@pytest.fixture
def newcomer(cast: Cast, loader: Loader) -> Iterator[str]:
    """An address nobody has, in the run's namespace, for an invitation or a registration; whoever it became is
    deleted after."""
    email = f"newcomer{secrets.token_hex(4)}+{cast.run_tag}@example.com"
    yield email
    loader.delete_user_with(email)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before any fixture of a check is set up: its Allure labels, then a SKIP, with the one reason, when the run or
    the target cannot meet its needs (see `applicability.why_not`)."""
    info = check_info(item)
    if info is None:
        return
    label_for_allure(info, item.nodeid)
    declared = [*info.needs, *(need for mark in item.iter_markers("needs") for need in mark.args)]
    fixtures = item.fixturenames if isinstance(item, pytest.Function) else ()
    shared = process_target(item.config)
    reason = why_not(declared, fixtures, run_of(item.config), shared.cast, shared.facts)
    if reason:
        pytest.skip(reason)


@pytest.fixture(autouse=True)
def _conformance_check(request: pytest.FixtureRequest) -> Iterator[None]:
    """Around every check: its metadata for the evidence helpers."""
    info = check_info(request.node)
    if info is None:
        yield
        return
    token = current_check.set(info)
    try:
        yield
    finally:
        current_check.reset(token)
