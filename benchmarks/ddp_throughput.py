"""Training images/second: one process against torchrun with N ranks, on this machine.

Each variant is a real `latentkit train` run of one epoch on the first `--images` training
images (no final scoring); the card's images_per_second is read back. The variants take turns,
`--rounds` times, and each keeps its median, since this machine's speed swings within seconds.

    python benchmarks/ddp_throughput.py --ranks 2 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


def one_epoch(launcher: list[str], folder: Path, images: int, batch: int, data_dir: str | None) -> float:
    """Train one epoch with `launcher` (a python -m latentkit, or torchrun) and return its images/s."""
    shutil.rmtree(folder, ignore_errors=True)
    args = ["train", "--limit", str(images), "--batch-size", str(batch), "--epochs", "1", "--eval-samples", "0",
            "-q", "--out", str(folder), *(["--data-dir", data_dir] if data_dir else [])]
    subprocess.run([*launcher, "-m", "latentkit", *args], check=True, capture_output=True)
    return json.loads((folder / "card.json").read_text())["images_per_second"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ranks", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--images", type=int, default=19_200, help="training images per epoch")
    p.add_argument("--batch-size", type=int, default=64, help="per process; torchrun's global batch is ranks x this")
    p.add_argument("--data-dir", default=None)
    args = p.parse_args()
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(args.ranks)]
    variants = {"one process": [sys.executable], f"torchrun, {args.ranks} ranks": torchrun}
    rates: dict[str, list[float]] = {name: [] for name in variants}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.rounds):
            for name, launcher in variants.items():
                rates[name].append(one_epoch(launcher, Path(tmp) / "run", args.images, args.batch_size,
                                             args.data_dir))
    for name, values in rates.items():
        print(json.dumps({"variant": name, "images": args.images, "batch_size": args.batch_size,
                          "rounds": values, "median_images_per_second": statistics.median(values),
                          "machine": f"{platform.machine()} {os.cpu_count()} cpus"}))


if __name__ == "__main__":
    main()
