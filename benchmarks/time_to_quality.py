"""Time to quality: wall-clock training seconds until the default recipe's samples reach a
classifier score >= 9 and a confident fraction >= 0.85 (10,000 samples, bundled classifier).

Trains `latentkit train`'s default recipe one epoch at a time (each call resumes the last),
scoring after every epoch; the seconds are the card's `train_seconds`, training steps only.

    python benchmarks/time_to_quality.py --max-minutes 15
"""

from __future__ import annotations

import argparse
import json
import shutil

from latentkit.metrics import classifier_score, classify_samples, sample_quality
from latentkit.registry import load_classifier, load_generator
from latentkit.training import TrainConfig, train_gan

SCORE, CONFIDENT = 9.0, 0.85


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--max-minutes", type=float, default=15, help="give up after this much training")
    p.add_argument("--lr", type=float, default=TrainConfig.lr, help="try another recipe")
    p.add_argument("--batch-size", type=int, default=TrainConfig.batch_size)
    p.add_argument("--data-dir", default=None)
    p.add_argument("--out", default="runs/time-to-quality")
    args = p.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    clf = load_classifier()
    for epoch in range(1, 1000):
        card = train_gan(TrainConfig(epochs=epoch, lr=args.lr, batch_size=args.batch_size, eval_samples=0,
                                           data_dir=args.data_dir), args.out,
                         resume=epoch > 1, progress=False, log=lambda s: None)
        probs = classify_samples(load_generator(args.out), clf, 10_000, seed=0)
        score, confident = classifier_score(probs)[0], sample_quality(probs)["confident_fraction"]
        reached = score >= SCORE and confident >= CONFIDENT
        print(json.dumps({"lr": args.lr, "batch_size": args.batch_size,
                          "epoch": epoch, "train_seconds": card["train_seconds"], "score": round(score, 3),
                          "confident": confident, "reached": reached}), flush=True)
        if reached or card["train_seconds"] >= 60 * args.max_minutes:
            break


if __name__ == "__main__":
    main()
