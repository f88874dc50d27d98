"""A check's Allure labels: epic, feature (behaviour), story (title), ID, severity from the level, links to the refs,
and the check instance (`CHECK-ID[params]`), by which the run's end gives the result its Status and name
(report.allure)."""

from __future__ import annotations

from conformance.registry import CheckInfo
from conformance.report.allure import INSTANCE_LABEL
from conformance.report.results import instance_id


def label_for_allure(info: CheckInfo, nodeid: str) -> None:
    import allure  # here: the controller and plain test runs never need it

    allure.dynamic.epic("Directus authentication")
    allure.dynamic.feature(info.behaviour)
    allure.dynamic.story(info.title)
    allure.dynamic.id(info.id)
    allure.dynamic.severity(allure.severity_level.CRITICAL if info.level == "MUST" else allure.severity_level.NORMAL)
    allure.dynamic.tag(info.level)
    allure.dynamic.label(INSTANCE_LABEL, instance_id(nodeid, info.id))
    for label, url in info.ref_links():
        allure.dynamic.link(url, name=label)
