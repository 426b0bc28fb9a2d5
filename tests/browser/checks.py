"""Page checks shared by the browser tests: the Nu HTML checker on pages as served, and axe-core.

`Sources` keeps the HTML of every page a journey reaches, as the server sent it (the response
body, not the browser's DOM, so that what the parser repairs is still seen); `html_errors` runs
vnu.jar once over all of them; `axe_on_sources` loads each into a page that may run axe (the
served CSP forbids scripts) with the app's own stylesheet, so colour contrast is judged too.
"""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.browser.test_browser_accessibility import AXE, serious_violations
from tests.live import ROOT

sync_api = pytest.importorskip("playwright.sync_api")

VNU = Path(os.environ.get("KANAL_VNU_JAR", ROOT / ".cache" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"))


class Sources:
    """The pages a journey reached: name -> (the app's base URL, HTML as served)."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[str, str]] = {}

    def keep(self, name: str, base: str, response: "sync_api.Response | None") -> None:
        assert response is not None, name
        self.pages[name] = (base, response.text())

    def goto(self, page: "sync_api.Page", base: str, path: str, name: str, status: int = 200) -> None:
        response = page.goto(base + path)
        assert response is not None and response.status == status, (name, response and response.status)
        self.keep(name, base, response)

    def submit(self, page: "sync_api.Page", base: str, selector: str, name: str) -> "sync_api.Response":
        """Click a submit button; keep the page the POST answers with (also when it redirects)."""
        with page.expect_navigation() as navigation:
            page.click(selector)
        response = navigation.value
        self.keep(name, base, response)
        return response


def html_errors(pages: dict[str, str], directory: Path) -> list[str]:
    """The Nu HTML checker's errors on the pages' sources."""
    directory.mkdir(parents=True, exist_ok=True)
    files = []
    for name, html in pages.items():
        files.append(directory / f"{name}.html")
        files[-1].write_text(html)
    java = shutil.which("java")
    assert java and VNU.exists(), "the Nu HTML checker is missing: `make test` installs Java and vnu.jar"
    result = subprocess.run(
        [  # noqa: S603
            java,
            # A short run: the quick JIT and the simple collector start in a quarter of the time; its
            # larger frames need a larger stack than the default (or the schema check overflows)
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-Xss8m",
            "-jar",
            str(VNU),
            "--errors-only",
            "--format",
            "json",
            *map(str, files),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    messages = json.loads(result.stderr or result.stdout or '{"messages": []}')["messages"]
    return [
        f"{Path(m.get('url', '')).name}:{m.get('lastLine', '?')}: {m['message']} ({m.get('extract', '')!r})"
        for m in messages
        if m.get("type") == "error" or m.get("subType") == "fatal"
    ]


def axe_on_sources(browser: "sync_api.Browser", sources: Sources, viewport: dict[str, int]) -> list[str]:
    """axe-core's serious and critical findings on every kept page, at `viewport`."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` installs axe-core from npm")
    context = browser.new_context(viewport=viewport, bypass_csp=True)
    found = []
    try:
        page = context.new_page()
        for name, (base, html) in sources.pages.items():
            page.goto(base + "/axe-origin")  # an HTML page (a 404) of the same origin, so the stylesheet loads
            page.set_content(html.replace("<head>", f'<head><base href="{base}/">', 1))
            found += [f"{name}: {problem}" for problem in serious_violations(page)]
    finally:
        context.close()
    return found
