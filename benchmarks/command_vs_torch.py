"""How long a whole command takes beside `python -c "import torch"`, which every command pays.

Runs the two in turn, A B A B ..., so a machine whose speed drifts slows both alike, and prints
each one's median wall time and the median of the per-round ratios:

    python benchmarks/command_vs_torch.py                       # latentkit interpolate --from 9 --to 4
    python benchmarks/command_vs_torch.py --rounds 9 -- latentkit sweep --dims 5,25,45

The house issue's target: `latentkit interpolate --from 9 --to 4` at most 1.4 times `import torch`.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time

DEFAULT = ["latentkit", "interpolate", "--from", "9", "--to", "4"]


def wall(command: list[str], cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("command", nargs="*", default=DEFAULT, help="the command to time [default: %(default)s]")
    args = p.parse_args()
    baseline = [sys.executable, "-c", "import torch"]
    with tempfile.TemporaryDirectory() as cwd:  # each run writes its result under ./latentkit-out there
        wall(args.command, cwd), wall(baseline, cwd)  # warm the file cache
        commands, torches = [], []
        for _ in range(args.rounds):
            commands.append(wall(args.command, cwd))
            torches.append(wall(baseline, cwd))
    ratios = [c / t for c, t in zip(commands, torches, strict=True)]
    print(f"command: {' '.join(args.command)}")
    print(f"rounds: {args.rounds}; command median {statistics.median(commands):.2f} s "
          f"(min {min(commands):.2f}, max {max(commands):.2f}); import torch median {statistics.median(torches):.2f} s "
          f"(min {min(torches):.2f}, max {max(torches):.2f})")
    print(f"ratio command / import torch: median {statistics.median(ratios):.2f} "
          f"(min {min(ratios):.2f}, max {max(ratios):.2f})")


if __name__ == "__main__":
    main()
