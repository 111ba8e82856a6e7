"""The reference leaderboard: every architecture trained with latentkit's trainer for the
same CPU budget, then scored by `latentkit eval`.

Each run uses the architecture's recipe in latentkit's trainer (batch 64, Adam with beta1
0.5 at the architecture's default rate, width and EMA: 2e-4 and none for the write-ups'
architectures, as published) on MNIST, one torch thread, and stops after `--minutes` of that
process's CPU time (`TrainConfig(clock="cpu")`), so runs that share the machine with other
work still get equal compute. `dcgan` rows with its first recipe (2e-4, EMA 0.999), and
without the weight average, show what the recipe and EMA are worth.

    python benchmarks/leaderboard.py train --minutes 7      # ~1 hour on 1 core; resumable
    python benchmarks/leaderboard.py train --entry r004-mlp --entry r002-dcgan64   # a second process
    python benchmarks/leaderboard.py eval --samples 10000   # writes results/leaderboard.jsonl + .md
    python benchmarks/leaderboard.py eval --entry dcgan --entry "dcgan (bundled)"   # re-score those rows only
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from latentkit.training.train import TrainConfig, train_generator

ENTRIES = {  # row name -> TrainConfig overrides
    "dcgan": dict(arch="dcgan"),
    "dcgan (first recipe)": dict(arch="dcgan", lr=2e-4, ema=0.999),
    "dcgan (first recipe, no EMA)": dict(arch="dcgan", lr=2e-4, ema=0.0),
    "r000-dcgan28": dict(arch="r000-dcgan28"),
    "r001-mlp": dict(arch="r001-mlp"),
    "r001-dcgan32": dict(arch="r001-dcgan32"),
    "r002-dcgan64": dict(arch="r002-dcgan64"),
    "r003-dcgan32": dict(arch="r003-dcgan32"),
    "r004-mlp": dict(arch="r004-mlp"),
}
# What the write-ups themselves trained for (REFERENCE_SYSTEMS.md), for the "trained longer" column.
PUBLISHED_EPOCHS = {"r000-dcgan28": 50, "r002-dcgan64": 10, "r003-dcgan32": 50, "r004-mlp": 100}
RESULTS = Path(__file__).parent / "results"
BUNDLED, YARDSTICK = "dcgan (bundled)", "MNIST training images (yardstick)"


def run_dir(out: Path, name: str) -> Path:
    return out / name.replace(" ", "-").replace("(", "").replace(")", "")


def train_all(out: Path, minutes: float, data_dir: str | None, entries: list[str]) -> None:
    for name in entries:
        overrides = ENTRIES[name]
        folder = run_dir(out, name)
        if (folder / "card.json").exists():
            print(f"{name}: done already ({folder})", flush=True)
            continue
        cfg = TrainConfig(**overrides, epochs=1000, max_minutes=minutes, clock="cpu", seed=0, data_dir=data_dir,
                          eval_samples=0)
        resume = (folder / "checkpoint.pt").exists()
        train_generator(cfg, folder, resume=resume, progress=False,
                  command=f"python benchmarks/leaderboard.py train --minutes {minutes:g}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("phase", choices=["train", "eval", "table"], help="table: re-render leaderboard.md from the .jsonl")
    p.add_argument("--minutes", type=float, default=7.0, help="CPU minutes of training per entry")
    p.add_argument("--samples", type=int, default=10_000, help="samples per evaluation")
    p.add_argument("--reachability", type=int, default=500,
                   help="real test digits inverted per entry (random starts for every entry alike)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (1 keeps CPU time = wall time)")
    p.add_argument("--entry", action="append", choices=[*ENTRIES, BUNDLED],
                   help="train (or eval) only these (repeatable), e.g. to run two processes side by side")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--out", type=Path, default=Path("runs/leaderboard"))
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    if args.phase == "train":
        train_all(args.out, args.minutes, args.data_dir, [e for e in args.entry or ENTRIES if e in ENTRIES])
    elif args.phase == "eval":
        evaluate_all(args.out, args.samples, args.data_dir, args.reachability, args.entry or [*ENTRIES, BUNDLED])
    else:
        rows = [json.loads(line) for line in (RESULTS / "leaderboard.jsonl").read_text().splitlines()]
        (RESULTS / "leaderboard.md").write_text(markdown_table(rows))


def evaluate_all(out: Path, samples: int, data_dir: str | None, reachability: int, names: list[str]) -> None:
    """Score `names` (entries, or BUNDLED), replacing their rows in results/leaderboard.jsonl and
    keeping the others (an earlier bundled model's row too); the yardstick row is measured with the
    `dcgan` entry."""
    from latentkit.analyses.evaluate import evaluate
    from latentkit.generator.cards import read_card
    from latentkit.generator.registry import bundled_dir, load_classifier, load_generator

    clf = load_classifier("mnist-classifier")
    models = {name: (run_dir(out, name), run_dir(out, name) / "card.json") for name in ENTRIES}
    models[BUNDLED] = ("mnist-dcgan", bundled_dir() / "mnist-dcgan.json")
    kept = {}
    if (RESULTS / "leaderboard.jsonl").exists():
        kept = {r["entry"]: r for line in (RESULTS / "leaderboard.jsonl").read_text().splitlines()
                for r in [json.loads(line)]}
    for name in names:
        model, card_path = models[name]
        card = read_card(card_path)
        result = evaluate(load_generator(model), clf, samples=samples, seed=0, data_dir=data_dir,
                          yardstick=name == "dcgan", reachability=reachability)
        images = card["steps"] * card.get("global_batch_size", card["batch_size"])
        kept[name] = {"entry": name, "arch": card["arch"], "parameters": card["parameters"],
                      "train_cpu_seconds": None if name == BUNDLED else card.get("train_cpu_seconds"),
                      "train_seconds": card["train_seconds"], "epochs": round(images / card["train_images"], 2),
                      "images": images, "published_epochs": PUBLISHED_EPOCHS.get(card["arch"]),
                      **{k: v["generated"] for k, v in result.metrics.items()}}
        print(json.dumps(kept[name]), flush=True)
        if "real" in result.metrics["fid"]:
            kept[YARDSTICK] = {"entry": YARDSTICK, **{k: v["real"] for k, v in result.metrics.items() if "real" in v}}
    known = [*ENTRIES, BUNDLED]
    rows = ([kept[n] for n in known if n in kept] + [r for n, r in kept.items() if n not in (*known, YARDSTICK)]
            + [kept[n] for n in [YARDSTICK] if n in kept])  # rows of earlier models stay, above the yardstick
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "leaderboard.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (RESULTS / "leaderboard.md").write_text(markdown_table(rows))
    print(markdown_table(rows))


COLUMNS = [  # (key, header, format)
    ("entry", "entry", "{}"), ("parameters", "G params", "{:,}"), ("train_cpu_seconds", "CPU s", "{:.0f}"),
    ("epochs", "epochs", "{:.2f}"), ("fid", "FID ↓", "{:.2f}"), ("kid", "KID ↓", "{:.3f}"),
    ("classifier_score", "score ↑", "{:.2f}"), ("confident_fraction", "confident ↑", "{:.3f}"),
    ("class_entropy", "class entropy ↑", "{:.3f}"), ("precision", "precision ↑", "{:.3f}"),
    ("recall", "recall ↑", "{:.3f}"), ("density", "density", "{:.3f}"), ("coverage", "coverage ↑", "{:.3f}"),
    ("ppl_slerp_full", "PPL slerp ↓", "{:.0f}"), ("near_copies", "near copies", "{:.4f}"),
    ("parzen_ll", "Parzen LL ↑", "{:.0f}"), ("linear_separability", "separability ↓", "{:.2f}"),
    ("reachability", "reachability ↑", "{:.3f}"),
]


def markdown_table(rows: list[dict]) -> str:
    def cell(row: dict, key: str, fmt: str) -> str:
        return "" if row.get(key) is None else fmt.format(row[key] + 0 if isinstance(row[key], float) else row[key])

    lines = ["| " + " | ".join(h for _, h, _ in COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cell(r, k, f) for k, _, f in COLUMNS) + " |" for r in rows]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
