"""End-to-end time of `latentkit directions` and `latentkit edit`, each a fresh process as a user
runs it (imports, model loading, work, HDF5 and PNG), the variants interleaved and repeated
because this machine's speed swings within seconds; then the same work called in one warm
process (the library functions, no files), to separate the work from Python's start-up.
Prints medians with the work done.

    python benchmarks/directions_speed.py --repeats 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time

COMMANDS = {  # name -> (arguments, images generated and classified)
    "directions sefa": (["directions", "--method", "sefa"], 10 * 64 * 7),
    "directions classifier 20000": (["directions", "--method", "classifier"], 20_000 + 10 * 64 * 7),
    "edit --from 3 --toward 8": (["edit", "--from", "3", "--toward", "8"], 10_000 + 8 * 9),
    "edit --toward all --samples 6": (["edit", "--toward", "all", "--samples", "6"], 10_000 + 6 * 10 * 9),
    "--help (imports only)": (["--help"], 0),
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeats", type=int, default=5)
    args = p.parse_args()
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeats):
            for name, (argv, _) in COMMANDS.items():
                out = [] if argv == ["--help"] else ["--out", f"{tmp}/out"]
                t = time.perf_counter()
                subprocess.run([sys.executable, "-m", "latentkit", *argv, *out], check=True, capture_output=True)
                times[name].append(time.perf_counter() - t)
    for name, (_, images) in COMMANDS.items():
        print(json.dumps({"command": f"latentkit {name}", "images": images, "median_s": round(statistics.median(
            times[name]), 2), "min_s": round(min(times[name]), 2), "max_s": round(max(times[name]), 2),
            "repeats": args.repeats}))
    in_process(args.repeats)


def in_process(repeats: int) -> None:
    import latentkit
    from latentkit.analyses import edit, find_directions

    g, clf = latentkit.load_generator(), latentkit.load_classifier()
    calls = {
        "find_directions(method='sefa')": lambda: find_directions(g, clf, method="sefa"),
        "find_directions(method='classifier')": lambda: find_directions(g, clf, method="classifier"),
        "edit(start=3, toward=8)": lambda: edit(g, clf, start=3, toward=8),
        "edit(toward='all', samples=6)": lambda: edit(g, clf, toward="all", samples=6),
    }
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            t = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - t)
    for name, values in times.items():
        print(json.dumps({"call": name, "median_s": round(statistics.median(values), 2),
                          "min_s": round(min(values), 2), "repeats": repeats}))


if __name__ == "__main__":
    main()
