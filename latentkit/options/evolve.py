"""`latentkit evolve`'s options (analyses/evolve.py)."""

from __future__ import annotations

from dataclasses import dataclass

from latentkit.limits import MAX_EPOCHS, MAX_SAMPLES
from latentkit.options import option

MAP_METHODS = ("umap", "pca", "tsne")


@dataclass(frozen=True)
class EvolveOptions:
    samples: int = option(2000, "Fixed latents read at every snapshot: class shares, stability, boundaries.",
                          low=50, high=MAX_SAMPLES)
    map_samples: int = option(400, "Of those, how many the map follows through the snapshots (0 = no map).",
                              low=0, high=20_000)
    method: str = option("umap", "The map's 2-D projection, one for every snapshot together.", choices=MAP_METHODS)
    real: int = option(500, "Real test images placed on the map (grey), so its regions can be read.",
                       low=0, high=10_000)
    shown: int = option(64, "Latents drawn at every snapshot in the grid and the GIF.", low=1, high=400)
    every: int = option(1, "Use every Nth snapshot (the first and last always).", low=1, high=MAX_EPOCHS)


EVOLVE = EvolveOptions()
