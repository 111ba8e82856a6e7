"""Which generator gives the best MNIST samples per CPU-minute? (the default-`dcgan` decision)

Trains each candidate with latentkit's own train_step for the same wall-clock budget
and, every `--every` seconds of training, scores 2,000 samples with the bundled
classifier: confident fraction (max prob >= 0.9) and the smallest class share.

    python benchmarks/default_arch.py --budget 240 --every 60 --data-dir ../shared/data
"""

from __future__ import annotations

import argparse
import json
import time

from latentkit.data.datasets import load_images
from latentkit.generator.registry import load_classifier
from latentkit.measure.metrics import classify_samples, sample_quality
from latentkit.training.gan import GANTrainer
from latentkit.training.trainer import TrainConfig, epoch_permutation

CANDIDATES = [
    dict(arch="dcgan", width=32, batch_size=64),
    dict(arch="dcgan", width=64, batch_size=64),
    dict(arch="dcgan", width=32, batch_size=128),
    dict(arch="r000-dcgan28", width=64, batch_size=64),
    dict(arch="r003-dcgan32", width=64, batch_size=64),
    dict(arch="r004-mlp", width=64, batch_size=64),
]


def run(candidate: dict, budget: float, every: float, data, out: str) -> list[dict]:
    cfg = TrainConfig(**candidate, eval_samples=0, seed=0)
    trainer = GANTrainer(cfg, out)
    clf = load_classifier()
    steps, trained, checkpoints, epoch = len(data) // cfg.batch_size, 0.0, [], 0
    next_eval = every
    while trained < budget:
        epoch += 1
        perm = epoch_permutation(len(data), cfg.seed, epoch)
        for step in range(steps):
            t = time.perf_counter()
            trainer.train_step(data.images[perm[step * cfg.batch_size:(step + 1) * cfg.batch_size]])
            trained += time.perf_counter() - t
            if trained >= next_eval:
                trainer.G.eval()
                q = sample_quality(classify_samples(trainer.G, clf, 2000, seed=1))
                trainer.G.train()
                checkpoints.append({"seconds": round(trained), "epochs": round(epoch - 1 + (step + 1) / steps, 2),
                                    "confident": q["confident_fraction"], "min_share": q["min_class_share"]})
                print(json.dumps({**candidate, **checkpoints[-1]}), flush=True)
                next_eval += every
                if trained >= budget:
                    break
    return checkpoints


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--budget", type=float, default=240, help="training seconds per candidate")
    p.add_argument("--every", type=float, default=60, help="score every this many training seconds")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--out", default="runs/default-arch-bench")
    args = p.parse_args()
    data = load_images("mnist", data_dir=args.data_dir)
    for i, candidate in enumerate(CANDIDATES):
        run(candidate, args.budget, args.every, data, f"{args.out}/{i}")


if __name__ == "__main__":
    main()
