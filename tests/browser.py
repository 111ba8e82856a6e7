"""A real Chromium for the browser tests: Debian's `chromium` driven by Playwright (no browser
download; .ci/run installs the package). Tests using `page` skip, saying why, without either."""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("LATENTKIT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture
def page():
    """A Playwright page (1200x900) in a headless system Chromium; closed after the test."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("no chromium on PATH: apt-get install chromium (.ci/run does) to run the browser tests")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[dev]'")
    with sync_api.sync_playwright() as driver:
        # --no-sandbox: CI and this machine run as root, where Chromium's sandbox refuses to start.
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser.new_page(viewport={"width": 1200, "height": 900})
        finally:
            browser.close()


def bokeh_ready(page) -> None:
    """Wait until BokehJS has rendered the page's root views."""
    page.wait_for_function("() => window.Bokeh && Object.keys(Bokeh.index).length > 0", timeout=30_000)


def _views_js() -> str:
    return """const views = []; const walk = (v) => { views.push(v); (v.child_views ?? []).forEach(walk); };
        Object.values(Bokeh.index).forEach(walk);"""


def on_screen(page, figure_name: str, x: float, y: float) -> tuple[float, float]:
    """Page coordinates of data point (x, y) in the Bokeh figure named `figure_name`."""
    return tuple(page.evaluate("""([name, x, y]) => {""" + _views_js() + """
        const pv = views.find((v) => v.model.name === name);
        const rect = pv.el.getBoundingClientRect();
        return [rect.left + pv.frame.x_scale.compute(x), rect.top + pv.frame.y_scale.compute(y)];
    }""", [figure_name, x, y]))
