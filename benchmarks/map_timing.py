"""How long does `latentkit map` take at 10,000 samples? Cold (first UMAP fit in a fresh
process, numba compiling) and warm (a second fit in the same process), and each stage.

    python benchmarks/map_timing.py --samples 10000
"""

from __future__ import annotations

import argparse
import json
import time

t_start = time.perf_counter()

import latentkit  # noqa: E402
from latentkit.analyses.latent_map import embed, sample_points  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--samples", type=int, default=10_000)
    p.add_argument("--space", default="latent", choices=["latent", "features"])
    args = p.parse_args()
    figures = {"samples": args.samples, "space": args.space}

    t = time.perf_counter()
    g, clf = latentkit.load_generator(), latentkit.load_classifier()
    figures["load_models_s"] = time.perf_counter() - t

    t = time.perf_counter()
    _, _, points, _ = sample_points(g, clf, args.samples, 0, args.space, keep_images=False)
    figures["generate_classify_s"] = time.perf_counter() - t

    for run in ("cold", "warm"):
        t = time.perf_counter()
        embed(points.numpy(), "umap", seed=0)
        figures[f"umap_{run}_s"] = time.perf_counter() - t
    figures["process_total_s"] = time.perf_counter() - t_start
    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in figures.items()}))


if __name__ == "__main__":
    main()
