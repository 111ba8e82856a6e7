"""How fast `latentkit explore` answers a slider move, on this machine.

Two figures, alternated round by round (this machine's speed swings) and reported as medians:
- server: Explorer.render() + the PNG data URI, i.e. generate + classify + encode, in-process;
- browser: a slider's value set in Chromium until the new image is in the page and the next
  frame is painted (websocket there and back, the server's work, BokehJS's update).

    python benchmarks/explore_latency.py --rounds 5 --moves 40
    python benchmarks/explore_latency.py --load 2     # beside two processes keeping every core busy
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BUSY = "import torch\na = torch.randn(512, 512)\nwhile True:\n    a @ a"  # all cores, as a training run keeps them

MOVE_JS = """async ([key, value]) => {
    const doc = Bokeh.documents[0];
    const image = doc.get_model_by_name('image');
    const before = image.text;
    const t0 = performance.now();
    doc.get_model_by_name('slider-' + key).value = value;
    while (image.text === before) await new Promise((r) => setTimeout(r, 0));
    await new Promise((r) => requestAnimationFrame(() => r()));
    return performance.now() - t0;
}"""


def server_times(setup, moves: int, rng) -> list[float]:
    from latentkit.analyses.explore import Explorer
    from latentkit.web.map_page import png_data_uri

    state = Explorer(setup)
    times = []
    for _ in range(moves):
        state.set_offset("sefa0", float(rng.uniform(-4, 4)))
        t0 = time.perf_counter()
        image, _ = state.render()
        png_data_uri(image)
        times.append((time.perf_counter() - t0) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--moves", type=int, default=40, help="slider moves per round and side")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--load", type=int, default=0, help="busy processes running beside it (matmul loops)")
    args = parser.parse_args()

    import torch
    from playwright.sync_api import sync_playwright

    from latentkit import load_classifier, load_generator
    from latentkit.analyses.explore import prepare

    setup = prepare(load_generator("mnist-dcgan"), load_classifier("mnist-classifier"), top=2, dims=(4,))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    folder = Path(tempfile.mkdtemp())
    log = (folder / "out.txt").open("w")
    server = subprocess.Popen([sys.executable, "-m", "latentkit", "explore", "--no-browser", "--port", str(port),
                               "--top", "2", "--dims", "4", "--out", str(folder)], stdout=log, stderr=log)
    while "running at" not in (folder / "out.txt").read_text():
        time.sleep(0.2)
    rng = np.random.default_rng(0)
    server_ms, browser_ms, every_move = [], [], []
    busy = [subprocess.Popen([sys.executable, "-c", BUSY]) for _ in range(args.load)]
    try:
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_function("() => window.Bokeh && Bokeh.documents.length > 0")
            page.wait_for_timeout(1000)
            for i in range(args.rounds):
                server_ms.append(statistics.median(server_times(setup, args.moves, rng)))
                moves = [page.evaluate(MOVE_JS, ["sefa0", round(float(v), 2)]) for v in rng.uniform(-4, 4, args.moves)]
                browser_ms.append(statistics.median(moves))
                every_move += moves
                print(f"round {i + 1}: server {server_ms[-1]:.2f} ms, browser round trip {browser_ms[-1]:.1f} ms")
            browser.close()
    finally:
        for process in busy:
            process.kill()
        server.send_signal(signal.SIGINT)
        server.wait(30)
    row = {"cpus": os.cpu_count(), "load": args.load, "torch_threads": torch.get_num_threads(), "rounds": args.rounds,
           "moves": args.moves, "server_ms_median": round(statistics.median(server_ms), 2),
           "browser_ms_median": round(statistics.median(browser_ms), 1),
           "browser_ms_max": round(max(every_move), 1),
           "server_ms_rounds": [round(x, 2) for x in server_ms], "browser_ms_rounds": [round(x, 1) for x in browser_ms]}
    print(json.dumps(row))


if __name__ == "__main__":
    main()
