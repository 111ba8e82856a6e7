"""Time to quality: wall-clock training seconds until the default recipe's samples reach a
classifier score >= 9 and a confident fraction >= 0.85 (10,000 samples, bundled classifier).

Trains `latentkit train`'s default recipe in one run, scoring the run's generator after
every epoch (GANTrainer.fit's on_epoch_end hook); the seconds are the run's training wall
and CPU seconds so far, training steps only. `--set field=value` tries another recipe
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
from latentkit.registry import load_classifier
from latentkit.training import GANTrainer, TrainConfig, train_gan

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

    def score_epoch(epoch: int, trainer: GANTrainer) -> bool:
        """Score the generator the run would save now; True (stop) once the target or the time limit is hit."""
        probs = classify_samples(trainer.final_generator(), clf, 10_000, seed=0)
        score, confident = classifier_score(probs)[0], sample_quality(probs)["confident_fraction"]
        reached = score >= SCORE and confident >= CONFIDENT
        st = trainer.state
        print(json.dumps({"recipe": overrides, "threads": torch.get_num_threads(), "epoch": epoch,
                          "train_seconds": round(st.seconds, 1), "train_cpu_seconds": round(st.cpu_seconds, 1),
                          "score": round(score, 3), "confident": confident, "reached": reached}), flush=True)
        return reached or st.seconds >= 60 * args.max_minutes

    cfg = TrainConfig(**{"eval_samples": 0, "data_dir": args.data_dir, **overrides, "epochs": 1000})
    train_gan(cfg, args.out, progress=False, log=lambda s: None, on_epoch_end=score_epoch)


if __name__ == "__main__":
    main()
