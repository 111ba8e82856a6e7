"""README screenshots of map.html (with a hover) and of `latentkit explore` after a few moves,
taken in the system Chromium: python docs/explore_screenshots.py MAP.h5 OUT_DIR"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from latentkit.analyses.latent_map import MapResult
from latentkit.results.replot import replot_html


def main(map_file: str, out: str) -> None:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    page_file = replot_html(map_file, Path(tempfile.mkdtemp()) / "map.html")
    result = MapResult.load(map_file)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = Path(tempfile.mkdtemp()) / "log.txt"
    with log.open("w") as f:
        server = subprocess.Popen([sys.executable, "-m", "latentkit", "explore", "--no-browser", "--port", str(port),
                                   "--top", "3", "--out", tempfile.mkdtemp()], stdout=f, stderr=f)
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1250, "height": 820})
        page.goto(page_file.as_uri())
        page.wait_for_function("() => window.Bokeh && Object.keys(Bokeh.index).length > 0")
        i = int(result.confidence.argmax())
        page.mouse.move(*page.evaluate("""([x, y]) => {
            const views = []; const walk = (v) => { views.push(v); (v.child_views ?? []).forEach(walk); };
            Object.values(Bokeh.index).forEach(walk);
            const pv = views.find((v) => v.model.name === 'map'); const r = pv.el.getBoundingClientRect();
            return [r.left + pv.frame.x_scale.compute(x), r.top + pv.frame.y_scale.compute(y)];
        }""", result.embedding[i].tolist()))
        page.wait_for_timeout(500)
        page.screenshot(path=out / "map-html.png")

        while "running at" not in log.read_text():
            time.sleep(0.2)
        page.set_viewport_size({"width": 1250, "height": 1000})
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0")
        page.get_by_role("button", name="3", exact=True).click()
        page.wait_for_timeout(500)
        page.evaluate("() => Bokeh.documents[0].get_model_by_name('slider-8').value = 2.5")
        page.wait_for_timeout(1000)
        page.screenshot(path=out / "explore.png")
        browser.close()
    server.send_signal(signal.SIGINT)
    server.wait(30)


if __name__ == "__main__":
    main(*sys.argv[1:])
