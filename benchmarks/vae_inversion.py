"""Inverting real test digits into a VAE: from its own encoder's mean, against from random starts.

A VAE's encoder predicts each image's latent in one forward pass; `latentkit invert` starts from
it (init "auto" finds RUN/encoder.safetensors, or trained/NAME-encoder.safetensors) and refines
it with the usual optimisation. This times three ways on the same images, alternated over
rounds (the machine's speed swings; medians are reported), and measures what each finds: the
reconstruction's pixel MSE and whether the classifier reads it as the image's true label.

    python benchmarks/vae_inversion.py --model mnist-vae --images 1000 --rounds 3
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from latentkit.analyses.invert import default_encoder, invert, load_real
from latentkit.generator.handle import Models
from latentkit.space.inversion import InvertConfig

WAYS = {  # name -> (init, steps)
    "encoder, then 100 steps": ("encoder", 100),
    "encoder, then 20 steps": ("encoder", 20),
    "random start, 100 steps": ("random", 100),
    "encoder alone (0 steps)": ("encoder", 0),
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="mnist-vae")
    p.add_argument("--images", type=int, default=1000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "vae_inversion.jsonl")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    models = Models.load(args.model)
    encoder = default_encoder(args.model)
    real = load_real([], models.dataset, "test", f"0:{args.images}")
    seconds, found = {w: [] for w in WAYS}, {}
    for _ in range(args.rounds):
        for way, (init, steps) in WAYS.items():
            started = time.perf_counter()
            result = invert(models, real=real, config=InvertConfig(init=init, steps=steps), encoder=encoder,
                            nearest_pool=1)
            seconds[way].append(time.perf_counter() - started)
            found[way] = result
    rows = []
    for way, result in found.items():
        right = (result.recon_probs.argmax(1) == result.true_labels).mean()
        row = {"model": args.model, "way": way, "images": args.images, "rounds": args.rounds,
               "threads": args.threads, "median_seconds": round(statistics.median(seconds[way]), 2),
               "pixel_mse": round(float(result.mse.mean()), 5), "read_as_true_label": round(float(right), 4)}
        rows.append(row)
        print(json.dumps(row))
    args.out.parent.mkdir(exist_ok=True)
    with open(args.out, "a") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows)


if __name__ == "__main__":
    main()
