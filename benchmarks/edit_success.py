"""How often does an edit toward class b turn a latent read as a into b, and how far must it go?

For every class a, `--samples` latents read confidently as a are moved toward every class b
along b's one-vs-rest boundary normal (what `latentkit edit --from a --toward b` does; or the
a-vs-b boundary's with `--boundary pair`) from
strength 0 to `--strength` in `--steps` steps. Per (a, b): the share read as b at the last
step (the success rate), the share that is read as b at some step, and the mean strength at
the first step read as b. Also each bundled generator's linear separability (StyleGAN's,
as `latentkit eval` reports it). Writes a heatmap and JSON.

    python benchmarks/edit_success.py --out docs/gallery/edit-success
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

import latentkit
from latentkit.analyses import edit
from latentkit.generator.handle import Models
from latentkit.generator.sampling import generate_and_classify
from latentkit.space import boundaries


def success_table(g, clf, samples: int, strength: float, steps: int, fit_samples: int, seed: int,
                  boundary: str) -> dict:
    classes = len(clf.classes)
    end, reached, needed = (np.full((classes, classes), np.nan) for _ in range(3))
    common = {"start": None, "samples": samples, "steps": steps, "strength": (0, strength),
              "fit_samples": fit_samples, "seed": seed}
    for a in range(classes):
        common["start"] = a
        # One-vs-rest normals do not depend on a: one style-grid edit covers every b.
        grid = edit(g, clf, toward="all", **common) if boundary == "one-vs-rest" else None
        for b in range(classes):
            if a == b:
                continue
            r, t = (grid, b) if grid is not None else (edit(g, clf, toward=b, boundary="pair", **common), 0)
            end[a, b] = r.success[:, t].mean()
            reached[a, b] = (r.flip_step[:, t] >= 0).mean()
            needed[a, b] = np.nanmean(r.flip_strength[:, t]) if reached[a, b] > 0 else np.nan
    return {"read_as_b_at_end": end, "read_as_b_at_some_step": reached, "mean_strength_to_b": needed}


def separability(g, clf, samples: int, seed: int) -> float:
    models = Models.of(g, clf)
    g, clf = models.generator, models.classifier
    z = g.sample_latents(samples, seed=seed)
    features = generate_and_classify(g, clf, z, images=False, features=True).features
    with torch.inference_mode():
        logits = clf.head(features).numpy()
    return boundaries.linear_separability(z.double().numpy(), logits, seed=seed).value


def heatmap(table: dict, class_names: list[str], title: str, path: Path) -> None:
    import matplotlib.pyplot as plt

    from latentkit.results.plotting import save_figure

    fig, axes = plt.subplots(1, 2, figsize=(12.5, 5.4), layout="constrained")
    for ax, key, label, cmap in ((axes[0], "read_as_b_at_end", "share read as b at the end", "viridis"),
                                 (axes[1], "mean_strength_to_b", "mean strength at first read as b", "magma_r")):
        values = table[key]
        image = ax.imshow(values, cmap=cmap, vmin=0, vmax=1 if key.startswith("read") else np.nanmax(values))
        for (i, j), v in np.ndenumerate(values):
            if np.isfinite(v):
                ax.text(j, i, f"{v:.0%}" if key.startswith("read") else f"{v:.1f}", ha="center", va="center",
                        fontsize=7, color="white" if (v < 0.5 if key.startswith("read") else v > 1.8) else "black")
        long = max(map(len, class_names)) > 2
        ax.set_xticks(range(len(class_names)), class_names, rotation=40 if long else 0,
                      ha="right" if long else "center")
        ax.set_yticks(range(len(class_names)), class_names)
        ax.set(xlabel="toward class b", ylabel="from class a", title=label)
        fig.colorbar(image, ax=ax, shrink=0.8)
    fig.suptitle(title, fontsize=11)
    save_figure(fig, path)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default="mnist-dcgan")
    p.add_argument("--samples", type=int, default=20, help="latents per from-class")
    p.add_argument("--strength", type=float, default=6.0)
    p.add_argument("--steps", type=int, default=25)
    p.add_argument("--fit-samples", type=int, default=10_000)
    p.add_argument("--separability-samples", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--boundary", default="one-vs-rest", choices=["one-vs-rest", "pair"])
    p.add_argument("--out", default="docs/gallery/edit-success")
    args = p.parse_args()

    g = latentkit.load_generator(args.model)
    clf = latentkit.load_classifier(f"{g.dataset}-classifier")
    t = time.perf_counter()
    table = success_table(g, clf, args.samples, args.strength, args.steps, args.fit_samples, args.seed,
                          args.boundary)
    seconds = time.perf_counter() - t
    score = separability(g, clf, args.separability_samples, args.seed)
    off = ~np.eye(len(clf.classes), dtype=bool)
    summary = {"model": args.model, "samples_per_class": args.samples, "strength": args.strength, "steps": args.steps,
               "fit_samples": args.fit_samples, "seed": args.seed, "boundary": args.boundary,
               "seconds": round(seconds, 1),
               "mean_read_as_b_at_end": round(float(table["read_as_b_at_end"][off].mean()), 4),
               "mean_read_as_b_at_some_step": round(float(table["read_as_b_at_some_step"][off].mean()), 4),
               "mean_strength_needed": round(float(np.nanmean(table["mean_strength_to_b"][off])), 3),
               "linear_separability": round(score, 3),
               **{k: np.round(v, 4).tolist() for k, v in table.items()}}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "edit_success.json").write_text(json.dumps(summary, indent=1).replace("NaN", "null"))
    heatmap(table, clf.classes, f"{args.model}: edits from a toward b along the {args.boundary} normal, "
            f"{args.samples} latents per a, strength 0-{args.strength:g}: {summary['mean_read_as_b_at_end']:.0%} "
            f"read as b at the end; linear separability {score:.2f}", out / "edit_success.png")
    print(json.dumps({k: v for k, v in summary.items() if not isinstance(v, list)}))


if __name__ == "__main__":
    main()
