"""The team's wide pages fit a desk screen (issue 19, point 6): /team, /management and /dashboard at
1,280 and 1,024 px without sideways scrolling, every chart of bounded height whatever the data (one
month of cases must not draw a page-high bar), and axe-core finds no serious problem."""

from pathlib import Path

import pytest

from tests.browser.test_browser_accessibility import serious_violations
from tests.browser.test_browser_journeys import CHROMIUM, browser  # noqa: F401 - a fixture
from tests.browser.test_browser_keyboard import activate_admin, report

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed")


def test_team_and_management_pages_fit_and_their_charts_stay_small(
    servers: tuple[str, str, Path, Path],
    browser: "sync_api.Browser",  # noqa: F811
) -> None:
    portal_url, review_url, _data, root = servers
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    try:
        activate_admin(page, review_url, root)
        reporter = browser.new_context(java_script_enabled=False).new_page()
        for n in range(2):
            report(reporter, portal_url, f"Laporan nomor {n}: pungutan liar untuk pengurusan izin di loket.")
        reporter.context.close()
        problems = []
        for width in (1280, 1024):
            page.set_viewport_size({"width": width, "height": 900})
            for path in ("/team", "/management", "/dashboard"):
                assert page.goto(review_url + path).status == 200
                scroll = page.evaluate("document.documentElement.scrollWidth")
                if scroll > width:
                    problems.append(f"{path} at {width}: {scroll} px wide")
                heights = page.evaluate(
                    "[...document.querySelectorAll('svg')].map(s => s.getBoundingClientRect().height)"
                )
                problems += [f"{path} at {width}: a chart {h:.0f} px high" for h in heights if h > 700]
                problems += [f"{path} at {width}: {v}" for v in serious_violations(page)]
        assert problems == []
    finally:
        context.close()
