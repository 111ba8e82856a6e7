"""Time to quality: wall-clock training seconds until the default recipe's samples reach a
classifier score >= 9 and a confident fraction >= 0.85 (10,000 samples, bundled classifier).

Trains `latentkit train`'s default recipe one epoch at a time (each call resumes the last),
scoring after every epoch; the seconds are the card's `train_seconds` (wall) and
`train_cpu_seconds`, training steps only. `--set field=value` tries another recipe
(any TrainConfig field); `--threads 1` lets two probes share the machine fairly (compare
their CPU seconds then, not wall).

    python benchmarks/time_to_quality.py --max-minutes 15
    python benchmarks/time_to_quality.py --set width=64 --threads 1 --out runs/ttq-w64
"""

from __future__ import annotations

import argparse
import ast
import json
import shutil

import torch

from latentkit.metrics import classifier_score, classify_samples, sample_quality
from latentkit.registry import load_classifier, load_generator
from latentkit.training import TrainConfig, train_gan

SCORE, CONFIDENT = 9.0, 0.85


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
    clf = load_classifier()
    for epoch in range(1, 1000):
        cfg = TrainConfig(**{"eval_samples": 0, "data_dir": args.data_dir, **overrides, "epochs": epoch})
        card = train_gan(cfg, args.out, resume=epoch > 1, progress=False, log=lambda s: None)
        probs = classify_samples(load_generator(args.out), clf, 10_000, seed=0)
        score, confident = classifier_score(probs)[0], sample_quality(probs)["confident_fraction"]
        reached = score >= SCORE and confident >= CONFIDENT
        print(json.dumps({"recipe": overrides, "threads": torch.get_num_threads(), "epoch": epoch,
                          "train_seconds": card["train_seconds"], "train_cpu_seconds": card["train_cpu_seconds"],
                          "score": round(score, 3), "confident": confident, "reached": reached}), flush=True)
        if reached or card["train_seconds"] >= 60 * args.max_minutes:
            break


if __name__ == "__main__":
    main()
