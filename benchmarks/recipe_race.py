"""Recipe race: training recipes take turns, one epoch each, in one process, and are scored
on the leaderboard's sample metrics after every epoch.

This machine's speed swings several-fold within seconds, so recipes trained one after the
other cannot be compared by their minutes. Taking turns epoch by epoch gives every recipe
the same machine on average; each is also reported by the work it did (training images
seen) and by its own CPU seconds (training steps only, this process's time while it ran).
Each entry is a real run folder (runs/race/NAME): the race resumes where it was killed, and
a winner continues with `latentkit train --out runs/race/NAME --resume --epochs N`.

Scores, from 10,000 samples of the run's saved generator (its weight average) read by the
bundled classifier, as `latentkit eval` computes them against the test set: classifier-FID,
precision and recall (k = 3), the share read with confidence >= 0.9, the classifier score,
and the rarest and commonest class's share.

    python benchmarks/recipe_race.py --epochs 4 --entry dcgan --entry mbstd-r1
    python benchmarks/recipe_race.py --list
    python benchmarks/recipe_race.py --time-to-quality results/recipe_race_long_1cpu.jsonl

--time-to-quality reads a race's printed rows and tabulates, for each entry, the training images
and CPU seconds it took to first reach each of QUALITY's figures (markdown, for the README).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from latentkit.generator.registry import default_classifier, load_classifier
from latentkit.measure.scoring import Scorer
from latentkit.training.gan import GANTrainer
from latentkit.training.trainer import TrainConfig

DEFAULT = dict(arch="dcgan", lr=4e-4, ema=0.9995)  # the default recipe since 2026-12-01
ENTRIES = {  # name -> TrainConfig overrides of the race's runs
    "dcgan": dict(arch="dcgan", lr=2e-4, ema=0.999),  # the first default recipe
    "dcgan-lr4e-4-ema.9995": DEFAULT,
    "dcgan-w48-lr4e-4-ema.9995": dict(DEFAULT, width=48),
    "dcgan-lr4e-4-ema.9995-b128": dict(DEFAULT, batch_size=128),
    # SNGAN's loss alone, D keeping its BatchNorm
    "hinge": dict(DEFAULT, loss="hinge"),
    # SNGAN (Miyato et al. 2018), its standard-CNN setting: hinge, spectrally normalised D without
    # BatchNorm, Adam 2e-4 with betas (0.5, 0.999), one D step per G step
    "sngan": dict(DEFAULT, loss="hinge", spectral_norm=True, lr=2e-4),
    # SAGAN/BigGAN's two time-scale rates on SNGAN: G 1e-4, D 4e-4, betas (0, 0.9)
    "sngan-ttur": dict(DEFAULT, loss="hinge", spectral_norm=True, lr=1e-4, lr_d=4e-4, beta1=0.0, beta2=0.9),
    # two time scales on the default: D four times G's rate
    "ttur": dict(DEFAULT, lr=2e-4, lr_d=8e-4),
    # DiffAugment (Zhao et al. 2020): its translation policy, then translation with cutout
    "diffaug-t": dict(DEFAULT, diffaugment="translation"),
    "diffaug-tc": dict(DEFAULT, diffaugment="translation,cutout"),
    # the default with both rates falling linearly to 0 at the race's last epoch
    "decay": dict(DEFAULT, lr_decay="linear"),
}


# (score key, threshold): the figures of time_to_quality's table, the bundled default's targets
# (FID <= 1, confident >= 0.95, precision and recall >= 0.8) last in each
QUALITY = [("fid", 5.0), ("fid", 3.0), ("fid", 2.5), ("fid", 2.0), ("fid", 1.0),
           ("confident", 0.86), ("confident", 0.88), ("confident", 0.89), ("confident", 0.9), ("confident", 0.95),
           ("precision", 0.7), ("precision", 0.72), ("precision", 0.8),
           ("recall", 0.75), ("recall", 0.78), ("recall", 0.8), ("min_share", 0.07), ("min_share", 0.08)]
LOWER_IS_BETTER = {"fid"}


def time_to_quality(rows: list[dict]) -> str:
    """A markdown table: per QUALITY figure, each entry's images and CPU seconds when its scores
    first reached it ("not by N" when they never did within its N images)."""
    entries = list(dict.fromkeys(r["entry"] for r in rows))
    lines = ["| figure | " + " | ".join(f"`{e}`" for e in entries) + " |", "|---|" + "---|" * len(entries)]
    for key, threshold in QUALITY:
        lower = key in LOWER_IS_BETTER
        cells = []
        for entry in entries:
            runs = sorted((r for r in rows if r["entry"] == entry), key=lambda r: r["epoch"])
            hit = next((r for r in runs if (r[key] <= threshold if lower else r[key] >= threshold)), None)
            cells.append(f"{hit['images'] / 1e6:.2f}M images, {hit['train_cpu_seconds']:,.0f} CPU s (epoch "
                         f"{hit['epoch']})" if hit else f"not by {runs[-1]['images'] / 1e6:.2f}M")
        lines.append(f"| {key} {'<=' if lower else '>='} {threshold:g} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--entry", action="append", choices=list(ENTRIES), help="recipes to race (default: all)")
    p.add_argument("--epochs", type=int, default=4, help="epochs each recipe trains in all")
    p.add_argument("--dataset", default="mnist")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: all cores)")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--limit", type=int, default=None, help="train on the first N images (a quick trial)")
    p.add_argument("--out", default="runs/race")
    p.add_argument("--list", action="store_true", help="print the entries and exit")
    p.add_argument("--time-to-quality", metavar="JSONL", help="tabulate a race's rows (see above) and exit")
    args = p.parse_args()
    if args.time_to_quality:
        print(time_to_quality([json.loads(line) for line in Path(args.time_to_quality).read_text().splitlines()]))
        return
    if args.list:
        for name, overrides in ENTRIES.items():
            print(name, overrides)
        return
    if args.threads:
        torch.set_num_threads(args.threads)
    scorer = Scorer(load_classifier(default_classifier(args.dataset)), args.dataset, data_dir=args.data_dir)
    trainers = {}
    for name in args.entry or list(ENTRIES):
        folder = Path(args.out) / args.dataset / name
        # Every run is told the race's length (a decaying rate needs it) and handed back after each epoch.
        cfg = TrainConfig(**ENTRIES[name], dataset=args.dataset, epochs=args.epochs, seed=0, eval_samples=0,
                          data_dir=args.data_dir, limit=args.limit)
        trainers[name] = GANTrainer(cfg, folder, resume=(folder / "checkpoint.pt").exists(),
                                    command=f"python benchmarks/recipe_race.py --entry {name}")
    for epoch in range(1, args.epochs + 1):
        for name, trainer in trainers.items():
            if trainer.state.epoch >= epoch:
                continue  # done before the race was resumed
            trainer.fit(log=lambda line: None, progress=False, on_epoch_end=lambda *_: True)
            st = trainer.state
            row = {"entry": name, "recipe": ENTRIES[name], "dataset": args.dataset, "epoch": st.epoch,
                   "images": len(st.history["loss_D"]) * trainer.cfg.batch_size,
                   "train_cpu_seconds": round(st.cpu_seconds, 1), "train_seconds": round(st.seconds, 1),
                   "threads": torch.get_num_threads(), **scorer(trainer.final_generator())}
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
