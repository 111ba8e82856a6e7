"""How fast and how well `latentkit invert` inverts real test digits, and what each start buys.

Inverts the first `--images` MNIST test digits with the bundled generator, once per start
(random prior samples; the bundled encoder's guess; the encoder's guess alone, 0 steps),
the variants interleaved over `--repeats` rounds because this machine's speed swings.
Prints, per variant, the median seconds and the quality: the share the classifier reads as
the true digit, pixel MSE and median PSNR, beside the nearest of 10,000 generated samples.

    python benchmarks/invert_benchmark.py --images 1000 --repeats 2
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import latentkit
from latentkit.analyses import invert
from latentkit.analyses.invert import default_encoder
from latentkit.data.images import load_dataset_images
from latentkit.space.inversion import InvertConfig


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--images", type=int, default=1000)
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--model", default="mnist-dcgan")
    p.add_argument("--data-dir", default=None)
    args = p.parse_args()
    g = latentkit.load_generator(args.model)
    clf = latentkit.load_classifier(f"{g.dataset}-classifier")
    real = load_dataset_images(g.dataset, "test", f"0:{args.images}", args.data_dir)
    encoder = default_encoder(args.model, required=False)
    variants = {"random start (defaults)": (InvertConfig(init="random"), None)}
    if encoder is not None:
        variants["encoder start (defaults)"] = (InvertConfig(init="encoder"), encoder)
        variants["encoder guess only (0 steps)"] = (InvertConfig(init="encoder", steps=0, restarts=1), encoder)
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    quality = {}
    for _ in range(args.repeats):
        for name, (config, enc) in variants.items():
            t = time.perf_counter()
            result = invert(g, clf, real, config, encoder=enc)
            seconds[name].append(time.perf_counter() - t)
            quality[name] = result.summary()
    for name in variants:
        print(json.dumps({"variant": name, "images": args.images, "repeats": args.repeats,
                          "median_s": round(statistics.median(seconds[name]), 1),
                          **{k: round(v, 4) for k, v in quality[name].items()}}))


if __name__ == "__main__":
    main()
