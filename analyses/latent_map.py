"""Map: sample the latent space, label every sample with the classifier, embed in 2-D.

    result = latent_map(g, clf, samples=10_000, method="umap", space="latent")
    plot_map(result)            # scatter coloured by class, unsure samples in grey

`space="features"` embeds the classifier's penultimate features of the generated
images instead of z: neighbours there look alike, rather than having been drawn
from nearby latents.
"""

from __future__ import annotations

import os
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

from latentkit.errors import ConfigError
from latentkit.generator.contract import GeneratorLike
from latentkit.generator.handle import DEFAULT_GENERATOR, Models, as_models
from latentkit.generator.sampling import check_truncation, generate_and_classify, prior_latents
from latentkit.limits import MAX_IMAGES, check_seed, check_size
from latentkit.models import Classifier
from latentkit.names import CONFIDENT
from latentkit.options import check_values
from latentkit.options.latent_map import MAP, MapOptions, projection_text
from latentkit.progress import Phases
from latentkit.results.stored import StoredResult
from latentkit.results.tables import Columns, classified
from latentkit.web.map_page import MAX_HOVER_IMAGES, write_map_html

__all__ = ["MapResult", "latent_map"]  # what `latentkit.analyses` exports

ANALYSIS = "map"
EXACT_KNN_MAX = 50_000  # above this, umap's approximate kNN is cheaper than exact search


@dataclass
class MapResult(StoredResult):
    ANALYSIS: ClassVar[str] = ANALYSIS
    MEANINGS: ClassVar[dict[str, str]] = {
        "z": "sampled latents, (samples, latent_dim), from N(0, I) with the file's seed",
        "probs": "classifier class probabilities in [0, 1], (samples, classes)",
        "labels": "predicted class (argmax of probs), (samples,)",
        "confidence": "max class probability in [0, 1], (samples,)",
        "embedding": "2-D projection (params: method) of the latent or feature space (params: space), "
                     "(samples, 2), arbitrary units",
        "images": "generated images, uint8 0-255, (samples, 28, 28); only with --store-images/--thumbnails",
        "real_images": "real test digits drawn on the same map (--with-real), uint8 0-255, (real, 28, 28)",
        "real_z": "their latents, found by inversion (latentkit invert), (real, latent_dim)",
        "real_probs": "classifier probabilities of the real images, (real, classes)",
        "real_embedding": "where they land in the same 2-D projection, (real, 2)",
        "real_reconstructions": "the generator's images of their latents, uint8 0-255, (real, 28, 28)",
    }

    SHAPES: ClassVar[dict[str, tuple]] = {
        "z": ("samples", "latent_dim"), "probs": ("samples", "classes"), "embedding": ("samples", 2),
        "images": ("samples", 28, 28), "real_images": ("real", 28, 28), "real_z": ("real", "latent_dim"),
        "real_probs": ("real", "classes"), "real_embedding": ("real", 2), "real_reconstructions": ("real", 28, 28),
    }

    z: np.ndarray  # (N, d) sampled latents
    probs: np.ndarray  # (N, C) class probabilities
    embedding: np.ndarray  # (N, 2) the 2-D projection
    class_names: list[str]
    images: np.ndarray | None = None  # (N, 28, 28) uint8, when stored
    real_images: np.ndarray | None = None  # (M, 28, 28) uint8 real digits on the same map (--with-real)
    real_z: np.ndarray | None = None  # (M, d) their inverted latents
    real_probs: np.ndarray | None = None  # (M, C)
    real_embedding: np.ndarray | None = None  # (M, 2)
    real_reconstructions: np.ndarray | None = None  # (M, 28, 28) uint8: the generator's images of real_z
    params: dict = field(default_factory=dict)

    @property
    def labels(self) -> np.ndarray:
        return self.probs.argmax(-1)

    @property
    def confidence(self) -> np.ndarray:
        return self.probs.max(-1)

    def derived(self) -> dict[str, np.ndarray]:
        return {"labels": self.labels, "confidence": self.confidence}

    def tables(self) -> dict[str, Columns]:
        return {"samples": {"sample": np.arange(len(self.probs)), "x": self.embedding[:, 0], "y": self.embedding[:, 1],
                            **classified(self.probs, self.class_names)}}

    def draw(self):
        return plot_result(self)


def sample_points(
    generator: GeneratorLike, classifier: Classifier, n: int, seed: int = 0, space: str = "latent",
    keep_images: bool = False, bar: Phases | None = None, truncation: float = 1.0,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, np.ndarray | None]:
    """(z (n, d), probs (n, C), the points to embed (z, or features (n, F)), uint8 images or None)
    for n prior samples truncated by `truncation`; `bar` (if given) advances as they are generated."""
    z = prior_latents(generator, n, seed, truncation)
    images, probs, feats = generate_and_classify(generator, classifier, z, bar=bar, images=keep_images,
                                                  features=space == "features")
    return z, probs, feats if space == "features" else z, None if images is None else images.numpy()


def embed(points: np.ndarray, method: str = MAP.method, seed: int = 0, progress: bool = False,
          neighbors: int = MAP.neighbors, min_dist: float = MAP.min_dist, metric: str = MAP.metric,
          perplexity: float = MAP.perplexity) -> np.ndarray:
    """(N, D) -> (N, 2) with UMAP (umap-learn: `neighbors`, `min_dist`, `metric`), PCA or t-SNE
    (scikit-learn: `perplexity`, at most (N - 1) / 3), seeded. `progress` shows UMAP's own bar
    over its layout epochs on stderr."""
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=seed).fit_transform(points).astype(np.float32)
    if method == "tsne":
        from sklearn.manifold import TSNE

        perplexity = min(perplexity, max(2.0, (len(points) - 1) / 3))
        return TSNE(n_components=2, random_state=seed, perplexity=perplexity, init="pca").fit_transform(points)
    umap = _umap_with_cache()
    n_neighbors = min(neighbors, len(points) - 1)
    knn = _exact_knn(points, n_neighbors, metric) if len(points) <= EXACT_KNN_MAX else (None, None, None)
    with warnings.catch_warnings():  # "transform will be unavailable": we never call transform
        warnings.filterwarnings("ignore", message=r"precomputed_knn\[2\]")
        # A random_state makes umap single-threaded; saying n_jobs=1 keeps it from warning about it.
        reducer = umap.UMAP(n_components=2, n_neighbors=n_neighbors, min_dist=min_dist, metric=metric,
                            random_state=seed, n_jobs=1, precomputed_knn=knn,
                            tqdm_kwds={"disable": not progress, "desc": "UMAP layout", "leave": False,
                                       "file": sys.stderr})
        return reducer.fit_transform(points)


def _umap_with_cache():
    """umap-learn, its numba functions compiled once per machine, not once per process.

    umap compiles its layout code with numba in every new process, most of a cold `map`'s time
    (benchmarks/map_timing.py). numba keeps compiled code on disk for the functions that ask
    (cache=True), which umap's own do not; turning their caches on (Dispatcher.enable_caching,
    into storage.user_cache("numba")) lets a second process load what the first compiled."""
    import numba

    from latentkit.storage import user_cache

    if not os.environ.get("NUMBA_CACHE_DIR"):
        numba.config.CACHE_DIR = str(user_cache("numba"))
    import umap
    import umap.layouts
    import umap.umap_

    for module in (umap.umap_, umap.layouts, umap.utils, umap.distances, umap.sparse, umap.spectral):
        for value in vars(module).values():
            if isinstance(value, numba.core.dispatcher.Dispatcher) and type(value._cache).__name__ == "NullCache":
                value.enable_caching()
    return umap


def _exact_knn(points: np.ndarray, k: int, metric: str = MAP.metric) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest neighbours (self first), from scikit-learn.

    umap's own approximate search (pynndescent) is compiled by numba in every new process:
    on 2 cores a first 10k-point fit took 64-70 s with it and 22 s with this
    (benchmarks/map_timing.py). Exact search costs O(N^2), hence EXACT_KNN_MAX.
    """
    from sklearn.neighbors import NearestNeighbors

    dist, idx = NearestNeighbors(n_neighbors=k, metric=metric).fit(points).kneighbors(points)
    return idx, dist.astype(np.float32)


def latent_map(
    generator: Models | GeneratorLike,
    classifier: Classifier | None = None,
    samples: int = MAP.samples,
    method: str = MAP.method,
    space: str = MAP.space,
    store_images: bool = MAP.store_images,
    seed: int = 0,
    allow_mismatch: bool = False,
    progress: bool = True,
    real_images: np.ndarray | None = None,
    real_z: np.ndarray | None = None,
    truncation: float = 1.0,
    neighbors: int = MAP.neighbors,
    min_dist: float = MAP.min_dist,
    metric: str = MAP.metric,
    perplexity: float = MAP.perplexity,
) -> MapResult:
    """Sample, classify and embed `samples` latents; see the module docstring. `progress` shows
    a bar on stderr for generation and the projection. `real_images` (M, 28, 28) uint8 with
    their inverted latents `real_z` (M, d) are embedded with the samples and drawn apart: in
    latent space by their latents, in feature space by the real images' own features."""
    projection = {"neighbors": neighbors, "min_dist": min_dist, "metric": metric, "perplexity": perplexity}
    check_values(MapOptions, {"samples": samples, "method": method, "space": space, "store_images": store_images,
                              **projection})
    check_projection(method, projection)
    if store_images:
        check_size("samples with stored images", samples, 10, MAX_IMAGES)
    check_seed(seed)
    check_truncation(truncation)
    models = as_models(generator, classifier, allow_mismatch)
    generator, classifier, record = models.generator, models.classifier, models.record
    with Phases("map", 2, enabled=progress) as bar:
        bar.start(f"generating {samples} samples")
        z, probs, points, images = sample_points(generator, classifier, samples, seed, space, store_images, bar,
                                                  truncation)
        real = None if real_images is None else _real_points(classifier, real_images, real_z, space,
                                                             generator.latent_dim)
        everything = points.numpy() if real is None else np.concatenate([points.numpy(), real["points"]])
        bar.start(f"{method} of {len(everything)} points")
        embedding = np.asarray(embed(everything, method, seed, progress, **projection), dtype=np.float32)
    with_real = {} if real_images is None else {
        "real_images": real_images, "real_z": np.asarray(real_z, dtype=np.float32), "real_probs": real["probs"],
        "real_embedding": embedding[samples:]}
    return MapResult(z=z.numpy(), probs=probs.numpy(), embedding=embedding[:samples], class_names=classifier.classes,
                     images=images, **with_real,
                     params={"samples": samples, "method": method, "space": space, "seed": seed,
                             "truncation": truncation, "real": 0 if real_images is None else len(real_images),
                             **_used(method, projection, len(everything)), **record})


def check_projection(method: str, projection: dict) -> None:
    """ConfigError for a setting of another method than `method` (it would be silently ignored)."""
    owners = {"neighbors": "umap", "min_dist": "umap", "metric": "umap", "perplexity": "tsne"}
    stray = [k for k, owner in owners.items() if owner != method and projection[k] != getattr(MAP, k)]
    if stray:
        names = ", ".join(f"--{k.replace('_', '-')}" for k in stray)
        raise ConfigError(f"{names} set{'s' if len(stray) == 1 else ''} {owners[stray[0]]}'s projection, but --method "
                          f"is {method}: add --method {owners[stray[0]]}, or drop {names}")


def _used(method: str, projection: dict, points: int) -> dict:
    """The projection's settings that `method` used (t-SNE's perplexity as clamped), for params."""
    if method == "umap":
        return {k: projection[k] for k in ("neighbors", "min_dist", "metric")} | {
            "neighbors": min(projection["neighbors"], points - 1)}
    if method == "tsne":
        return {"perplexity": min(projection["perplexity"], max(2.0, (points - 1) / 3))}
    return {}


def _real_points(classifier: Classifier, images: np.ndarray, z: np.ndarray | None, space: str,
                 latent_dim: int) -> dict[str, np.ndarray]:
    """The real digits' points to embed (their latents, or their images' features) and probabilities."""
    from latentkit.generator.sampling import classify_images

    if z is None or len(z) != len(images) or np.shape(z)[1:] != (latent_dim,):
        raise ConfigError(f"real_z must hold one {latent_dim}-d latent per real image")
    seen = classify_images(classifier, torch.as_tensor(images))
    points = np.asarray(z, np.float32) if space == "latent" else seen.features.numpy()
    return {"points": points, "probs": seen.probs.numpy()}


def plot_map(result: MapResult, min_confidence: float = CONFIDENT, thumbnails: bool = False, ax=None):
    """Scatter of the embedding coloured by the class each sample is read as; samples below
    `min_confidence` (unsure) in grey. `thumbnails` lays generated images over a coarse grid. Returns the ax."""
    from latentkit.results.plotting import UNSURE_COLOR, class_color, new_figure

    # Constrained layout keeps the legend outside the axes in the saved figure, however it is saved.
    ax = ax or new_figure(figsize=(9.5, 7.5), layout="constrained").subplots()
    xy, labels, sure = result.embedding, result.labels, result.confidence >= min_confidence
    size = max(1.5, min(12.0, 40_000 / len(xy)))
    unsure = f"unsure, p < {min_confidence:g} ({(~sure).mean():.0%})"
    ax.scatter(*xy[~sure].T, s=size, c=UNSURE_COLOR, lw=0, label=unsure)
    for c, name in enumerate(result.class_names):
        pick = sure & (labels == c)
        ax.scatter(*xy[pick].T, s=size, color=class_color(c), lw=0, label=f"{name} ({pick.mean():.0%})")
    if result.real_embedding is not None:
        real_labels = result.real_probs.argmax(1)
        ax.scatter(*result.real_embedding.T, s=60, marker="*", c=[class_color(c) for c in real_labels],
                   edgecolors="black", linewidths=0.6, zorder=4)
        ax.scatter([], [], s=60, marker="*", facecolors="white", edgecolors="black", linewidths=0.6,
                   label=f"real test digits ({len(real_labels)}), by class")  # the legend's star has no class
    if thumbnails:
        if result.images is None:
            raise ConfigError("this map has no stored images; run map with --store-images (or --thumbnails)")
        _thumbnails(ax, xy, result.images)
    p = result.params
    real = f" and {len(result.real_embedding)} real test images" if result.real_embedding is not None else ""
    title = f"{p.get('samples')} generated samples{real}, {projection_text(p)} of the {p.get('space')} space"
    if p.get("space") == "latent":  # users expect clusters; say why there are none, and where to find them
        title += ("\nz ~ N(0, I) has no clusters of its own: each class is spread over the prior;"
                  "\n--space features groups the images as the classifier sees them")
    ax.set(title=title, xlabel=f"{p.get('method')} 1", ylabel=f"{p.get('method')} 2")
    ax.legend(markerscale=max(1.0, 8 / size), fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5),
              title="read as")
    return ax


def _thumbnails(ax, xy: np.ndarray, images: np.ndarray, cells: int = 14) -> None:
    """Draw the sample nearest each occupied cell centre of a cells x cells grid over the points,
    black ink on a half-transparent white tile, so the digit reads and the points still show
    around it; the axes take in the outer tiles whole."""
    lo, hi = xy.min(0), xy.max(0)
    step = (hi - lo) / cells
    for i in range(cells):
        for j in range(cells):
            centre = lo + step * (np.array([i, j]) + 0.5)
            k = int(np.argmin(((xy - centre) ** 2).sum(1)))
            if np.abs(xy[k] - centre).max() < step.max() / 2:
                ink = images[k] / 255
                rgba = np.stack([1 - ink] * 3 + [0.55 + 0.45 * ink], axis=-1).astype(np.float32)
                x0, y0 = centre - step * 0.4
                ax.imshow(rgba, zorder=3, extent=(x0, x0 + step[0] * 0.8, y0, y0 + step[1] * 0.8))
    ax.set(xlim=(lo[0] - step[0] * 0.1, hi[0] + step[0] * 0.1), ylim=(lo[1] - step[1] * 0.1, hi[1] + step[1] * 0.1),
           aspect="auto")


def plot_result(result: MapResult):
    """The figure `run` drew for this result."""
    return plot_map(result, thumbnails=bool(result.params.get("thumbnails")))


def run(
    model: str = DEFAULT_GENERATOR, classifier: str | None = None, device: str = "auto",
    out: str | os.PathLike | None = None, command: str | None = None, *,
    samples: int = MAP.samples, method: str = MAP.method, space: str = MAP.space,
    store_images: bool = MAP.store_images, thumbnails: bool = MAP.thumbnails, with_real: int = MAP.with_real,
    neighbors: int = MAP.neighbors, min_dist: float = MAP.min_dist, metric: str = MAP.metric,
    perplexity: float = MAP.perplexity, seed: int = 0, truncation: float = 1.0, allow_mismatch: bool = False,
    progress: bool = True, data_dir: str | os.PathLike | None = None,
) -> tuple[MapResult, list[Path]]:
    """Load models, map, and write map.h5, map.png and map.html into `out`. `with_real` N
    inverts the first N test digits of the generator's dataset and draws them on the map."""
    from latentkit.results.output import output_dir, write_outputs

    options = {"samples": samples, "method": method, "space": space, "store_images": store_images or thumbnails,
               "neighbors": neighbors, "min_dist": min_dist, "metric": metric, "perplexity": perplexity}
    check_values(MapOptions, {**options, "thumbnails": thumbnails, "with_real": with_real})  # before the models load
    check_projection(method, {k: options[k] for k in ("neighbors", "min_dist", "metric", "perplexity")})
    folder = output_dir(out, ANALYSIS)
    models = Models.load(model, classifier, device, allow_mismatch)
    provenance = models.provenance
    real = {}
    if with_real:
        from latentkit.analyses.invert import invert_real
        from latentkit.data.images import load_dataset_images

        images = load_dataset_images(models.dataset, "test", f"0:{with_real}", data_dir).images
        real = {"real_images": images, "real_z": invert_real(models, model, images).numpy()}
    result = latent_map(models, seed=seed, truncation=truncation, progress=progress, **options, **real)
    result.params["thumbnails"] = thumbnails  # so `latentkit plot` redraws the same figure
    if with_real:  # what each real digit's latent draws, for map.html's hover
        result.real_reconstructions = models.generate(torch.from_numpy(result.real_z)).images.numpy()
    # map.html shows every sample's image on hover, also when the file keeps none.
    images = result.images
    if images is None and len(result.z) <= MAX_HOVER_IMAGES:
        images = models.generate(torch.from_numpy(result.z)).images.numpy()
    html = {".html": lambda path: write_map_html(result, path, images)}
    return result, write_outputs(result, plot_result(result), folder, ANALYSIS, provenance, seed, command, extras=html)
