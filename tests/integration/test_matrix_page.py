"""matrix.html as a person reads it, in the headless Chromium the browser checks drive: the totals, the failure
first with its cause, its evidence one click away, the filter."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.browser import Browser, find_chromium
from conformance.embedded import EmbeddedDirectus
from tests.integration.test_reports import run
from tests.mutants.catalogue import Logout200
from tests.mutants.proxy import FaultProxy
from tests.mutants.test_mutants import upstream_of


def test_a_person_sees_the_totals_the_failure_and_its_evidence(embedded: EmbeddedDirectus, tmp_path: Path) -> None:
    chromium = find_chromium(None)
    if chromium is None:
        pytest.skip("no Chromium (apt-get install chromium): .ci/run installs it")
    with FaultProxy(upstream_of(embedded), Logout200()) as proxy:
        assert run(embedded, tmp_path, base_url=proxy.base_url).returncode == 1
    with Browser(chromium) as browser:
        page = browser.page()
        page.set_viewport_size({"width": 700, "height": 900})  # a narrow window
        page.goto((tmp_path / "matrix.html").as_uri())
        totals = page.locator("#totals").inner_text()
        assert "failed" in totals and "passed" in totals, totals
        failure = page.locator("ul.attention li").first
        assert "LOGOUT-204" in failure.inner_text() and "expected: 204" in failure.inner_text()

        link = failure.locator("a")
        evidence = page.locator(f"details{link.get_attribute('href')} pre")
        assert not evidence.is_visible()  # evidence is one click away, not in the way
        link.click()
        assert evidence.is_visible() and "received: HTTP 200" in evidence.inner_text()

        page.locator("button[data-status=failed]").click()
        shown = [row.get_attribute("id") for row in page.locator("tr.row:visible").all()]
        assert shown and all(row and row.startswith("row-LOGOUT-204") for row in shown), shown
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")  # no sideways scroll
