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
    neighbors: int = option(15, "UMAP's n_neighbors: larger keeps more of the global layout, smaller more local "
                            "detail.", low=2, high=500)
    min_dist: float = option(0.1, "UMAP's min_dist: how tightly points may pack.", low=0, high=1)
    metric: str = option("euclidean", "UMAP's distance between points.",
                         choices=("euclidean", "cosine", "manhattan", "correlation"))
    perplexity: float = option(30.0, "t-SNE's perplexity (at most a third of the samples).", low=2, high=500)


MAP = MapOptions()


def projection_text(params: dict) -> str:
    """The projection as a title says it: "UMAP (15 neighbors, min_dist 0.1, euclidean)"."""
    method = str(params.get("method", "")).upper().replace("TSNE", "t-SNE")
    if "neighbors" in params:
        return f"{method} ({params['neighbors']} neighbors, min_dist {params['min_dist']:g}, {params['metric']})"
    if "perplexity" in params:
        return f"{method} (perplexity {params['perplexity']:g})"
    return method
