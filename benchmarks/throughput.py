"""Analysis speed: generate + classify throughput, and each command end to end.

Prints one JSON line per measurement:
- generate_classify: images/s of the bundled generator + classifier, the plain modules
  against `latentkit.generator.sampling.generate_and_classify`, at several batch sizes;
- each command's wall time and peak memory (max RSS), run as a fresh process the way a
  user runs it: `latentkit --help` (best of 5), interpolate, sweep --rank, map at 10k and
  100k samples (UMAP, and PCA to see sampling's own share), eval.

    python benchmarks/throughput.py                 # about 10 minutes on 2 cores
    python benchmarks/throughput.py --skip-commands # only the in-process throughput
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import subprocess
import sys
import tempfile
import time

# Runs a command and reports its peak RSS (kB on Linux) and wall seconds on the last line.
_MEASURE = """
import resource, subprocess, sys, time
t = time.perf_counter()
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
print(rc, time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""
COMMANDS = {
    "interpolate": ["interpolate", "--from", "9", "--to", "4"],
    "sweep --rank": ["sweep", "--rank"],
    "map 10k": ["map", "--samples", "10000"],
    "map 100k": ["map", "--samples", "100000"],
    # PCA instead of UMAP: what sampling, classifying and storing alone cost in memory
    "map 10k --method pca": ["map", "--samples", "10000", "--method", "pca"],
    "map 100k --method pca": ["map", "--samples", "100000", "--method", "pca"],
    "eval 10k": ["eval"],
}


def measure(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, "-c", _MEASURE, *args], capture_output=True, text=True, check=True)
    rc, seconds, max_rss_kb = out.stdout.split()
    if rc != "0":
        raise RuntimeError(f"{' '.join(args)} exited with {rc}")
    return {"seconds": round(float(seconds), 2), "max_rss_mb": round(int(max_rss_kb) / 1024)}


def generate_classify(n: int = 20_000, batch_sizes: tuple[int, ...] = (128, 256, 1000), rounds: int = 3) -> dict:
    """Images/s of the plain modules and of generate_and_classify at each batch size."""
    import torch

    import latentkit
    from latentkit.generator.sampling import generate_and_classify

    g, clf = latentkit.load_generator().eval(), latentkit.load_classifier().eval()
    z = g.sample_latents(n, seed=0)

    def plain(batch_size: int) -> None:
        with torch.inference_mode():
            for zb in z.split(batch_size):
                clf(g(zb)).softmax(-1)

    def latentkit_path(batch_size: int) -> None:
        generate_and_classify(g, clf, z, batch_size=batch_size, images=False)

    runs = {f"{name} batch {b}": functools.partial(fn, b)
            for b in batch_sizes for name, fn in (("plain", plain), ("latentkit", latentkit_path))}
    for fn in runs.values():
        fn()  # warm-up: allocator, oneDNN primitive caches
    seconds = {name: [] for name in runs}
    for _ in range(rounds):  # take turns and keep medians: the machine's speed drifts
        for name, fn in runs.items():
            t = time.perf_counter()
            fn()
            seconds[name].append(time.perf_counter() - t)
    rates = {name: round(n / statistics.median(s)) for name, s in seconds.items()}
    return {"measure": "generate_classify_img_s", "threads": torch.get_num_threads(), "rounds": rounds, **rates}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--skip-commands", action="store_true")
    args = p.parse_args()
    print(json.dumps(generate_classify()), flush=True)
    if args.skip_commands:
        return
    latentkit = [sys.executable, "-m", "latentkit"]
    best = min(measure([*latentkit, "--help"])["seconds"] for _ in range(5))
    print(json.dumps({"measure": "latentkit --help", "seconds": best}), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name, command in COMMANDS.items():
            row = measure([*latentkit, *command, "--out", f"{tmp}/{name.replace(' ', '-')}"])
            print(json.dumps({"measure": f"latentkit {name}", **row}), flush=True)


if __name__ == "__main__":
    main()
