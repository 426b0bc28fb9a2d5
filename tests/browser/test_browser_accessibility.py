"""axe-core (WCAG 2.1 A/AA rules) finds no serious or critical problem on the portal's pages.

The pages are loaded as a visitor sees them; axe is injected by the test only
(Playwright bypasses the CSP for that), never served by the portal.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.test_browser_journeys import CHROMIUM, browser  # noqa: F401 - browser is a fixture

AXE = Path(__file__).resolve().parents[2] / ".cache" / "node_modules" / "axe-core" / "axe.min.js"
sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is not installed")


@pytest.fixture
def axe_page(browser: "sync_api.Browser") -> Iterator["sync_api.Page"]:  # noqa: F811
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` installs axe-core from npm")
    context = browser.new_context(viewport={"width": 360, "height": 740}, bypass_csp=True)
    yield context.new_page()
    context.close()


def serious_violations(page: "sync_api.Page") -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa']}});
        return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                           .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '));
    }""")
    return list(result)


@pytest.mark.parametrize("path", ["/", "/lapor", "/status", "/panduan", "/?lang=en", "/lapor?lang=en"])
def test_portal_pages_have_no_serious_accessibility_problem(
    servers: tuple[str, str, Path, Path], axe_page: "sync_api.Page", path: str
) -> None:
    axe_page.goto(servers[0] + path)
    assert serious_violations(axe_page) == []


def test_form_errors_have_no_serious_accessibility_problem(
    servers: tuple[str, str, Path, Path], axe_page: "sync_api.Page"
) -> None:
    axe_page.goto(servers[0] + "/lapor")
    axe_page.fill("#what", "pendek")
    axe_page.click("main form button[type=submit]")
    assert "paling sedikit 20 karakter" in axe_page.content()
    assert serious_violations(axe_page) == []
