"""Time to quality: how much training the default recipe needs before its samples reach a
classifier score >= 9 and a confident fraction >= 0.9 (10,000 samples, bundled classifier).

Trains `latentkit train`'s default recipe with `score_every=1` (latentkit/measure/scoring.py: the
run's saved generator scored after every epoch) and stops once the target or the time limit
is reached. Each row reports the work done, in training images seen, and the run's training
wall and CPU seconds (steps only, not the scoring). `--set field=value` tries another recipe
(any TrainConfig field); `--threads 1` lets two probes share the machine fairly (compare
their CPU seconds then, not wall).

    python benchmarks/time_to_quality.py --max-minutes 15
    python benchmarks/time_to_quality.py --set width=48 --threads 1 --out runs/ttq-w48
"""

from __future__ import annotations

import argparse
import ast
import json
import shutil

import torch

from latentkit.training.gan import GANTrainer
from latentkit.training.train import TrainConfig, train_generator

SCORE, CONFIDENT, IMAGES = 9.0, 0.9, 600_000


def parse_overrides(pairs: list[str]) -> dict:
    """["width=64", "lr=4e-4", "clock=cpu"] -> {"width": 64, "lr": 0.0004, "clock": "cpu"}:
    values read as Python literals, anything else kept as a string."""
    out = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        try:
            out[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out[key] = value
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--max-minutes", type=float, default=15, help="give up after this much training (wall)")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="TrainConfig override")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores)")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--out", default="runs/time-to-quality")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    overrides = parse_overrides(args.set)
    shutil.rmtree(args.out, ignore_errors=True)

    def report(epoch: int, trainer: GANTrainer) -> bool:
        """Print the epoch's score; True (stop) once the target or the time limit is hit."""
        s = trainer.state.scores[-1]
        reached = s["score"] >= SCORE and s["confident"] >= CONFIDENT
        print(json.dumps({"recipe": overrides, "threads": torch.get_num_threads(), **s, "reached": reached,
                          "within_images": reached and s["images"] <= IMAGES}), flush=True)
        return reached or trainer.state.seconds >= 60 * args.max_minutes

    cfg = TrainConfig(**{"score_every": 1, "data_dir": args.data_dir, **overrides, "epochs": 1000})
    train_generator(cfg, args.out, progress=False, log=lambda s: None, on_epoch_end=report)


if __name__ == "__main__":
    main()
