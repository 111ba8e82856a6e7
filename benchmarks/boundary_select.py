"""Which latents should fit a class boundary: every confident reading (latentkit's default) or
InterFaceGAN's extremes (the top and bottom --ratio by score)? Measured by what the boundary is
for, editing: for every pair of classes a != b, 20 latents read as a are moved along b's
one-vs-rest normal from strength 0 to 6 in 25 steps, and an edit succeeds when its last image is
read as b (probability >= names.CONFIDENT). Also the cosine between the two selections' normals.

    python benchmarks/boundary_select.py                          # mnist-dcgan, 20,000 latents, seed 0
    python benchmarks/boundary_select.py --model fashion-mnist-dcgan --ratio 0.1

Prints one JSON line per selection, then one comparing them.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch

from latentkit.analyses.directions import boundary_fitter, classifier_directions, traverse
from latentkit.generator.handle import Models
from latentkit.measure.reading import readings

PER_CLASS = 20
STRENGTHS = np.linspace(0, 6, 25)


def edit_success(models: Models, normals: np.ndarray, base: dict[int, torch.Tensor]) -> np.ndarray:
    """(C, C) share of a's latents read as b at the end of the walk along b's normal; NaN on the diagonal."""
    classes = len(normals)
    table = np.full((classes, classes), np.nan)
    for a, z in base.items():
        _, probs = traverse(models.generator, models.classifier, normals.astype(np.float32), z, STRENGTHS)
        end = readings(probs[:, :, -1])  # (C, M)
        for b in range(classes):
            if b != a:
                table[a, b] = float((end[b] == b).mean())
    return table


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="mnist-dcgan")
    p.add_argument("--classifier", default=None)
    p.add_argument("--samples", type=int, default=20_000)
    p.add_argument("--ratio", type=float, default=0.02)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    models = Models.load(args.model, args.classifier)
    classes = len(models.classifier.classes)
    base = {a: models.latents_for_class(a, n=PER_CLASS, pool=8192, seed=args.seed + 1) for a in range(classes)}
    normals = {}
    for select in ("confident", "extremes"):
        fit, labelled = boundary_fitter(models.generator, models.classifier, args.samples, args.seed, 1.0, select,
                                        args.ratio)
        found = classifier_directions(fit, classes)
        order = [found["keys"].index(str(c)) for c in range(classes)]
        normals[select] = found["vectors"][order]
        table = edit_success(models, normals[select], base)
        print(json.dumps({"model": args.model, "select": select, "ratio": args.ratio if select == "extremes" else None,
                          "latents": labelled, "edit_success_mean": round(float(np.nanmean(table)), 4),
                          "edit_success_min": round(float(np.nanmin(table)), 4),
                          "boundary_accuracy_mean": round(float(np.mean(found["accuracy"])), 4)}))
    cosines = np.sum(normals["confident"] * normals["extremes"], axis=1)
    print(json.dumps({"model": args.model, "cosine_confident_vs_extremes": np.round(cosines, 3).tolist()}))


if __name__ == "__main__":
    main()
