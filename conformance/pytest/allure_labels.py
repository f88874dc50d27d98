"""A check's Allure labels: epic, feature (behaviour), story (title), ID, severity from the level, links to the refs."""

from __future__ import annotations

from conformance.registry import CheckInfo


def label_for_allure(info: CheckInfo) -> None:
    import allure  # here: the controller and plain test runs never need it

    allure.dynamic.epic("Directus authentication")
    allure.dynamic.feature(info.behaviour)
    allure.dynamic.story(info.title)
    allure.dynamic.id(info.id)
    allure.dynamic.severity(allure.severity_level.CRITICAL if info.level == "MUST" else allure.severity_level.NORMAL)
    allure.dynamic.tag(info.level)
    for label, url in info.ref_links():
        allure.dynamic.link(url, name=label)
