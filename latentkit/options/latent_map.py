"""`latentkit map`'s options (analyses/latent_map.py)."""

from __future__ import annotations

from dataclasses import dataclass

from latentkit.limits import MAX_SAMPLES
from latentkit.options import option


@dataclass(frozen=True)
class MapOptions:
    samples: int = option(10_000, "Prior samples drawn, labelled and embedded.", low=10, high=MAX_SAMPLES)
    method: str = option("umap", "2-D projection; umap compiles for about a minute in each new process.",
                         choices=("umap", "pca", "tsne"))
    space: str = option("latent", "Embed z, or the classifier's penultimate features of the images.",
                        choices=("latent", "features"))
    store_images: bool = option(False, "Keep every generated image in the .h5 file.")
    thumbnails: bool = option(False, "Lay generated images over the scatter (stores images).")
    with_real: int = option(0, "Also invert this many real test digits and draw them on the map (stars).",
                            low=0, high=10_000)


MAP = MapOptions()
