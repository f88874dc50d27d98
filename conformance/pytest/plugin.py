"""The pytest plugin (entry point `pytest11`): hooks only, as pytest-base-url's.

The run each process checks is in `configured`; the fixtures and the applicability rule in `fixtures`; how a check's
Status is decided in `outcomes`; priority, scheduling and quick exits in `workers`; what the controller does before
the first check (the embedded server, the seed, the target's facts) in `prelude`.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.options import add_to_pytest
from conformance.pytest.configured import is_worker, run_of, send_to_worker
from conformance.pytest.outcomes import Classifier
from conformance.pytest.prelude import REPORTING_PLUGIN_NAME, Prelude
from conformance.registry import check_info
from conformance.report.plugin import ReportingPlugin
from conformance.report.results import ResultRecorder
from conformance.report.target import ReportedTarget
from conformance.run import Run
from conformance.scheduling import running_order
from conformance.shared_seed import SharedSeed, clean_after_run
from conformance.waivers import WaiverBook

pytest_plugins = ("conformance.pytest.fixtures", "conformance.pytest.outcomes", "conformance.pytest.workers")


def pytest_addoption(parser: pytest.Parser) -> None:
    add_to_pytest(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "conformance(info): a Directus conformance check (set by @check)")
    config.addinivalue_line("markers", "needs(*requirements): what one parameter of a check needs (see needs)")
    run = run_of(config)  # a bad option value stops the run here, in one line
    if is_worker(config):
        return
    if not any(isinstance(plugin, Prelude) for plugin in config.pluginmanager.get_plugins()):
        config.pluginmanager.register(Prelude(), "directus-conformance-prelude")
    waivers = WaiverBook(list(run.waivers))
    target = reported_target(run)
    config.pluginmanager.register(Classifier(waivers, target), "directus-conformance-outcomes")
    if run.reports or run.waivers or run.baseline:
        recorder = ResultRecorder()
        config.pluginmanager.register(recorder, "directus-conformance-results")
        config.pluginmanager.register(ReportingPlugin(recorder, run, target, waivers), REPORTING_PLUGIN_NAME)


def reported_target(run: Run) -> ReportedTarget:
    """The target as the reports name it; its version and facts come from what the run shares, once learnt."""

    def version() -> str | None:
        facts = SharedSeed(run.run_tag).admin_facts()
        return facts.version if facts else None

    return ReportedTarget(
        name=run.target_name,
        base_url=run.target.base_url if run.target else "",
        embedded=bool(run.target and run.target.embedded),
        learn_version=version,
        learn_facts=SharedSeed(run.run_tag).target_facts,
    )


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    send_to_worker(node)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leaves the checks --checks does not select, schedules the rest (see `running_order`) and adds each check's ID
    and refs to its report."""
    checks = [(item, info) for item in items if (info := check_info(item))]
    left = [item for item, info in checks if not run_of(config).selects(info.id, info.refs)] if checks else []
    if left:
        config.hook.pytest_deselected(items=left)
        deselected = set(left)
        items[:] = [item for item in items if item not in deselected]
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


def pytest_report_header(config: pytest.Config) -> list[str]:
    run = run_of(config)
    return [f"directus target: {run.target.base_url} (run tag {run.run_tag})"] if run.target else []


def pytest_unconfigure(config: pytest.Config) -> None:
    """On the controller only, once the reports are written: remove what the run seeded (see
    `shared_seed.clean_after_run`)."""
    if not is_worker(config):
        clean_after_run(run_of(config))
