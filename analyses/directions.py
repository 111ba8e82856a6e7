"""Directions: find the meaningful directions of a latent space, and name each by what it does.

Four methods, each from the work that introduced it:
- "classifier" (InterFaceGAN): linear SVM boundaries on latents the classifier labels,
  one-vs-rest per class and optionally per class pair; optionally conditioned on other classes.
- "sefa" (SeFa): closed form, the top singular vectors of the generator's first linear map.
- "pca" (GANSpace): principal components of a layer's activations, mapped back to z.
- "mean" (White 2016): per class, the mean confident latent minus the mean of all latents.

Every direction is then measured the same way: each of `probes` base latents is moved from
-strength to +strength along it and classified; what changes (pixels, class probabilities,
which class becomes which) ranks the directions and names them ("+: →8 62% (3→8 20%, ...)").

    result = find_directions(g, clf, method="sefa", top=5)
    result.names[result.ranking()[0]]      # the strongest direction, named by measurement
    result.vector("sefa0")                 # (d,) unit vector, for latentkit.analyses.edit
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

from latentkit.errors import ConfigError, ResultFileError
from latentkit.generator.contract import GeneratorLike, module_device
from latentkit.generator.handle import DEFAULT_GENERATOR, Models, as_models
from latentkit.generator.sampling import (
    check_class,
    check_truncation,
    generate_and_classify,
    prior_latents,
)
from latentkit.limits import (
    MAX_IMAGES,
    SEED_MAX,
    check_seed,
    check_size,
)
from latentkit.measure.reading import UNSURE, changed, readings
from latentkit.models import Classifier
from latentkit.options import check_values
from latentkit.options.directions import DEFAULT_SAMPLES, DEFAULT_TOP, DIRECTIONS, DirectionsOptions
from latentkit.progress import Phases
from latentkit.results.stored import StoredResult, damaged
from latentkit.results.tables import Columns
from latentkit.space import boundaries, layers

__all__ = ["DirectionsResult", "find_directions"]  # what `latentkit.analyses` exports

ANALYSIS = "directions"
SAMPLED = ("classifier", "pca", "mean")  # methods that label or trace prior samples
NAMED_TRANSITIONS = 2  # class changes a direction's name lists per end


@dataclass
class DirectionsResult(StoredResult):
    ANALYSIS: ClassVar[str] = ANALYSIS
    MEANINGS: ClassVar[dict[str, str]] = {
        "vectors": "unit directions in z, (directions, latent_dim)",
        "accuracy": "classifier method: held-out share of latents on their label's side of the boundary, (directions,)",
        "offsets": "classifier method: signed distance of z to the (unconditioned) boundary is normal·z + offset, "
                   "(directions,)",
        "singular_values": "sefa method: singular value of the first linear map along each direction, (directions,)",
        "explained_variance": "pca method: share of the layer's activation variance of each component, (directions,)",
        "lengths": "mean method: length of the class-mean difference before normalising, latent units, (directions,)",
        "strengths": "distances moved along each direction to measure it, latent units, (steps,)",
        "base_z": "base latents each direction is measured from, (probes, latent_dim)",
        "images": "traversal images, uint8 0-255, (directions, probes, steps, 28, 28)",
        "probs": "classifier probabilities of the traversal images, (directions, probes, steps, classes)",
        "pixel_change": "mean |image(strength) - image(0)| over probes and strengths, pixels in [0, 1], (directions,)",
        "prob_shift": "mean total-variation distance of p(class) from strength 0, in [0, 1], (directions,)",
        "flip_rate": "share of (probe, strength) read as a class other than the base's reading (probability >= "
                     "params' confident), in [0, 1], (directions,)",
        "transitions": "counts of probes going from reading a (strength 0) to reading b at the -strength end [0] "
                       "and the +strength end [1]; the last index is unsure, (directions, 2, classes + 1, classes + 1)",
    }
    SHAPES: ClassVar[dict[str, tuple]] = {
        "vectors": ("directions", "latent_dim"), "accuracy": ("directions",), "offsets": ("directions",),
        "singular_values": ("directions",), "explained_variance": ("directions",), "lengths": ("directions",),
        "strengths": ("steps",), "base_z": ("probes", "latent_dim"),
        "images": ("directions", "probes", "steps", 28, 28), "probs": ("directions", "probes", "steps", "classes"),
    }

    vectors: np.ndarray  # (k, d) unit directions
    keys: list[str]  # short handles: "8" (one-vs-rest), "3:8" (pair), "sefa0", "pc0", "mean8"
    names: list[str]  # what each direction does, measured: "+: 3→8 62%; -: 8→3 40%"
    method: str
    strengths: np.ndarray  # (K,) from -strength to +strength, 0 in the middle
    base_z: np.ndarray  # (M, d)
    images: np.ndarray  # (k, M, K, 28, 28) uint8
    probs: np.ndarray  # (k, M, K, C)
    class_names: list[str]
    accuracy: np.ndarray | None = None
    offsets: np.ndarray | None = None
    singular_values: np.ndarray | None = None
    explained_variance: np.ndarray | None = None
    lengths: np.ndarray | None = None
    params: dict = field(default_factory=dict)

    @property
    def _base(self) -> int:
        return int(np.argmin(np.abs(self.strengths)))

    @property
    def labels(self) -> np.ndarray:
        return self.probs.argmax(-1)  # (k, M, K)

    @property
    def pixel_change(self) -> np.ndarray:
        base = self.images[:, :, self._base, None].astype(np.float32)
        return (np.abs(self.images.astype(np.float32) - base) / 255).mean(axis=(1, 2, 3, 4))

    @property
    def prob_shift(self) -> np.ndarray:
        return 0.5 * np.abs(self.probs - self.probs[:, :, self._base, None]).sum(-1).mean(axis=(1, 2))

    @property
    def readings(self) -> np.ndarray:
        """(k, M, K) what each traversal image is read as, UNSURE (-1) below the confident probability."""
        return readings(self.probs, self.confident)

    @property
    def flip_rate(self) -> np.ndarray:
        read = self.readings
        return changed(read, read[:, :, self._base, None]).mean(axis=(1, 2))

    @property
    def transitions(self) -> np.ndarray:
        """(k, 2, C + 1, C + 1) probes going from their base reading to their reading at each end;
        index C is "unsure"."""
        k, classes = len(self.vectors), len(self.class_names)
        counts = np.zeros((k, 2, classes + 1, classes + 1), dtype=np.int64)
        read = np.where(self.readings == UNSURE, classes, self.readings)
        for end, step in enumerate((0, -1)):
            for i in range(k):
                np.add.at(counts[i, end], (read[i, :, self._base], read[i, :, step]), 1)
        return counts

    def unit_vector(self, i: int, source: str) -> np.ndarray:
        """Direction i as a float64 unit vector (d,); ResultFileError naming `source` if it is not
        one (NaN, infinite, or another length: the file was damaged)."""
        vector = self.vectors[i].astype(np.float64)
        norm = float(np.linalg.norm(vector))
        if not np.isfinite(norm) or abs(norm - 1) > 1e-3:
            raise ResultFileError(f"{source}: direction {self.keys[i]} is not a unit vector (length {norm:.3g}); "
                                  "re-run the analysis that wrote it")
        return vector / norm

    def ranking(self) -> np.ndarray:
        """Indices of the directions, the one that shifts class probabilities most first."""
        return np.lexsort((-self.pixel_change, -self.prob_shift))

    def index(self, key: str | int) -> int:
        """The position of a direction given by key ("3:8", "sefa0") or index ("2")."""
        text = str(key).strip()
        if text in self.keys:
            return self.keys.index(text)
        if text.isdigit() and self.method != "classifier":  # a classifier key "8" is class 8
            i = int(text)
            if 0 <= i < len(self.vectors):
                return i
        raise ConfigError(f"no direction {text!r} in this {self.method} result; its directions are "
                          f"{', '.join(self.keys[:30])}{' ...' if len(self.keys) > 30 else ''}")

    def vector(self, key: str | int) -> np.ndarray:
        return self.vectors[self.index(key)]

    def derived(self) -> dict[str, np.ndarray]:
        return {m: getattr(self, m) for m in ("pixel_change", "prob_shift", "flip_rate", "transitions")}

    def tables(self) -> dict[str, Columns]:
        scores = {name: getattr(self, name) for name in ("accuracy", "offsets", "singular_values", "explained_variance",
                                                      "lengths") if getattr(self, name) is not None}
        return {"directions": {"key": np.array(self.keys, dtype=object), "name": np.array(self.names, dtype=object),
                               "rank": np.argsort(self.ranking()), **scores, "pixel_change": self.pixel_change,
                               "prob_shift": self.prob_shift, "flip_rate": self.flip_rate}}

    def draw(self):
        return plot_directions(self)


def name_direction(transitions: np.ndarray, class_names: list[str], probes: int) -> str:
    """A readable name from one direction's transition counts (2, C, C): at each end, the class
    most probes change into, the share of probes that do, and the commonest changes into it,
    e.g. "+: →8 62% (3→8 20%, 5→8 9%); -: →1 30% (7→1 11%, 4→1 8%)"."""
    parts, names = [], [*class_names, "unsure"]
    for end, sign in ((1, "+"), (0, "-")):
        counts = (transitions[end] * (1 - np.eye(len(names), dtype=np.int64)))[:, :-1]  # changes into a class only
        into = counts.sum(0)
        b = int(np.argmax(into))
        if into[b] == 0:
            continue
        sources = [a for a in np.argsort(-counts[:, b], kind="stable")[:NAMED_TRANSITIONS] if counts[a, b] > 0]
        detail = ", ".join(f"{names[a]}→{names[b]} {counts[a, b] / probes:.0%}" for a in sources)
        parts.append(f"{sign}: →{class_names[b]} {into[b] / probes:.0%} ({detail})")
    return "; ".join(parts) or "no class change"


def labelled_latents(generator: GeneratorLike, classifier: Classifier, samples: int, seed: int,
                     truncation: float = 1.0):
    """(z (n, d), labels (n,)) of the prior samples (truncated by `truncation`) the classifier reads
    as a class (measure/reading.py)."""
    z = prior_latents(generator, samples, seed, truncation)
    read = readings(generate_and_classify(generator, classifier, z, images=False).probs.numpy())
    sure = read != UNSURE
    return z[torch.from_numpy(sure)].double().numpy(), read[sure]


def scored_latents(generator: GeneratorLike, classifier: Classifier, samples: int, seed: int,
                   truncation: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """(z (n, d), logits (n, C)) of prior samples (truncated by `truncation`), both float64: the
    scores InterFaceGAN's extremes are ranked by, unsaturated where probabilities round to 1."""
    z = prior_latents(generator, samples, seed, truncation)
    features = generate_and_classify(generator, classifier, z, images=False, features=True).features
    with torch.inference_mode():
        logits = classifier.head(features.to(module_device(classifier))).cpu()
    return z.double().numpy(), logits.double().numpy()


Fit = Callable[[list[int], list[int] | None], boundaries.Boundary]  # fit(positive, negative)


def boundary_fitter(generator: GeneratorLike, classifier: Classifier, samples: int, seed: int, truncation: float,
                    select: str, ratio: float) -> tuple[Fit, int]:
    """fit(positive, negative) -> Boundary for the `select` way of choosing latents, and how many
    latents it chooses from. "confident": the confident readings, one-vs-rest or a pair (fit_boundary).
    "extremes": InterFaceGAN's top and bottom `ratio` of all latents by score (fit_extremes), the score
    being a class's one-vs-rest logit, or logit(b) - logit(a) for the pair a -> b."""
    if select == "confident":
        z, labels = labelled_latents(generator, classifier, samples, seed, truncation)
        return (lambda positive, negative: boundaries.fit_boundary(z, labels, positive, negative, seed=seed)), len(z)
    z, logits = scored_latents(generator, classifier, samples, seed, truncation)
    one_vs_rest = boundaries.one_vs_rest_logits(logits)

    def fit(positive: list[int], negative: list[int] | None) -> boundaries.Boundary:
        score = one_vs_rest[:, positive[0]] if negative is None else logits[:, positive[0]] - logits[:, negative[0]]
        return boundaries.fit_extremes(z, score, ratio, seed)

    return fit, len(z)


def classifier_directions(fit: Fit, classes: int, pairs: Sequence[tuple[int, int]] = (),
                          condition_on: Sequence[int] = ()) -> dict:
    """InterFaceGAN's boundaries, each fitted by `fit` (boundary_fitter): one-vs-rest for every
    class with enough latents, then each pair (a, b) pointing from a to b; each normal conditioned
    on the one-vs-rest normals of `condition_on` classes other than its own. Returns keys,
    vectors, accuracy, offsets, skipped."""
    fits, skipped = {}, []
    for c in range(classes):
        try:
            fits[(c,)] = fit([c], None)
        except ConfigError:
            if c in condition_on or any(c in p for p in pairs):
                raise
            skipped.append(c)
    for a, b in pairs:
        fits[(a, b)] = fit([b], [a])
    if not fits:
        raise ConfigError(f"no class has {boundaries.MIN_PER_SIDE} confident latents on each side of a boundary; "
                          "sample more (--samples) or use a better-trained generator")
    vectors = []
    for own, found in fits.items():
        normal = found.normal
        others = np.array([fits[(c,)].normal for c in condition_on if c not in own]).reshape(-1, len(normal))
        vectors.append(boundaries.project_out(normal, others))
    return {"keys": [":".join(map(str, own)) for own in fits], "vectors": np.array(vectors),
            "accuracy": np.array([f.accuracy for f in fits.values()]),
            "offsets": np.array([f.offset for f in fits.values()]), "skipped": skipped}


def traverse(generator: GeneratorLike, classifier: Classifier, vectors: np.ndarray, base_z: torch.Tensor,
             strengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Images (k, M, K, 28, 28) uint8 and probs (k, M, K, C) of base_z (M, d) moved by each
    strength (K,) along each vector (k, d)."""
    v = torch.as_tensor(vectors, dtype=torch.float32)
    s = torch.as_tensor(strengths, dtype=torch.float32)
    z = base_z[None, :, None] + s[None, None, :, None] * v[:, None, None]  # (k, M, K, d)
    images, probs, _ = generate_and_classify(generator, classifier, z.reshape(-1, z.shape[-1]))
    return images.reshape(*z.shape[:3], 28, 28).numpy(), probs.reshape(*z.shape[:3], -1).numpy()


def _check(method: str, samples: int | None, top: int | None, pairs, condition_on, layer) -> None:
    if samples is not None and method not in SAMPLED:
        raise ConfigError("sefa is closed-form and samples nothing; drop --samples")
    if top is not None and method not in ("sefa", "pca"):
        raise ConfigError(f"--top caps sefa and pca; {method} finds one direction per class (and pair)")
    if (pairs or condition_on) and method != "classifier":
        raise ConfigError("--pairs and --condition-on fit classifier boundaries; use them with --method classifier")
    if layer is not None and method != "pca":
        raise ConfigError("--layer picks the layer whose activations pca decomposes; use it with --method pca")
    for a, b in pairs:
        if a == b:
            raise ConfigError(f"pair {a}:{b} goes from a class to itself; give two different classes, e.g. 3:8")
    for c in condition_on:
        crossing = [f"{a}:{b}" for a, b in pairs if c in (a, b)]
        if crossing:
            raise ConfigError(f"--condition-on {c} is a class of --pairs {crossing[0]}: that direction crosses the {c} "
                              "boundary, so it cannot hold it fixed; drop one of them")
    if len(set(pairs)) != len(pairs) or len(set(condition_on)) != len(condition_on):
        raise ConfigError("a pair or a --condition-on class is repeated; give each once")


def find_directions(
    generator: Models | GeneratorLike, classifier: Classifier | None = None,
    method: str = DIRECTIONS.method, samples: int | None = DIRECTIONS.samples, top: int | None = DIRECTIONS.top,
    pairs: Sequence[tuple[int | str, int | str]] = (), condition_on: Sequence[int | str] = (),
    layer: str | None = None, select: str = DIRECTIONS.select, ratio: float = DIRECTIONS.ratio,
    fold_batchnorm: bool = DIRECTIONS.fold_batchnorm, probes: int = DIRECTIONS.probes,
    strength: float = DIRECTIONS.strength, steps: int = DIRECTIONS.steps, seed: int = 0, allow_mismatch: bool = False,
    truncation: float = 1.0,
) -> DirectionsResult:
    """Find directions with `method` and measure each on `probes` base latents moved from
    -strength to +strength in `steps` (odd) steps. `samples` (default 20,000) prior latents
    are labelled (classifier, mean) or traced (pca); `truncation` truncates them and the probes
    (sampling.prior_latents); `top` (default 10) caps sefa and pca's
    directions. A direction's key selects it later: "8" (one-vs-rest), "3:8", "sefa0", "pc0", "mean8"."""
    check_values(DirectionsOptions, {"method": method, "samples": samples, "top": top, "select": select,
                                     "ratio": ratio, "fold_batchnorm": fold_batchnorm, "probes": probes,
                                     "strength": strength, "steps": steps})
    models = as_models(generator, classifier, allow_mismatch)
    generator, classifier, record = models.generator, models.classifier, models.record
    classes = classifier.classes
    pairs = [(check_class(classifier, a), check_class(classifier, b)) for a, b in pairs]
    condition_on = [check_class(classifier, c) for c in condition_on]
    _check(method, samples, top, pairs, condition_on, layer)
    if (select != DIRECTIONS.select or ratio != DIRECTIONS.ratio) and method != "classifier":
        raise ConfigError("--select and --ratio choose the latents classifier boundaries are fitted on; use them "
                          "with --method classifier")
    if ratio != DIRECTIONS.ratio and select != "extremes":
        raise ConfigError("--ratio sets how many extremes --select extremes takes; add --select extremes or drop it")
    if fold_batchnorm and method != "sefa":
        raise ConfigError("--fold-batchnorm changes how sefa reads the first layer; use it with --method sefa")
    samples_used = DEFAULT_SAMPLES if samples is None and method in SAMPLED else samples
    taken = int(samples_used * ratio) if method == "classifier" and select == "extremes" else None
    if taken is not None and taken < boundaries.MIN_PER_SIDE:
        raise ConfigError(f"--ratio {ratio:g} of {samples_used} latents takes {taken} from each end; a boundary "
                          f"needs {boundaries.MIN_PER_SIDE}: raise --samples or --ratio")
    top = min(DEFAULT_TOP, generator.latent_dim) if top is None else check_size("top", top, 1, generator.latent_dim)
    if steps % 2 == 0:
        raise ConfigError(f"steps must be odd so the traversal passes through the base latent, got {steps}")
    check_seed(seed)
    check_truncation(truncation)
    extra = len(pairs) if method == "classifier" else 0
    k = {"classifier": len(classes) + extra, "mean": len(classes)}.get(method, top)
    check_size("directions x probes x steps images", k * probes * steps, 1, MAX_IMAGES)

    found: dict = {}
    params: dict = {"samples": samples_used, "seed": seed, "truncation": truncation}
    if method == "classifier":
        fitter, labelled = boundary_fitter(generator, classifier, samples_used, seed, truncation, select, ratio)
        fit = classifier_directions(fitter, len(classes), pairs, condition_on)
        found = {k: fit[k] for k in ("keys", "vectors", "accuracy", "offsets")}
        params.update(pairs=[list(p) for p in pairs], condition_on=condition_on, skipped_classes=fit["skipped"],
                      labelled=labelled, select=select, **({"ratio": ratio} if select == "extremes" else {}))
    elif method == "mean":
        z, labels = labelled_latents(generator, classifier, samples_used, seed, truncation)
        vectors, lengths = boundaries.class_mean_directions(z, labels, len(classes))
        present = lengths > 0
        if not present.any():
            raise ConfigError(f"the confident ones of {samples_used} samples are all one class (or none), so no class "
                              "mean differs from the whole's: use a better-trained generator or --method sefa/pca")
        found = {"keys": [f"mean{c}" for c in np.flatnonzero(present)], "vectors": vectors[present],
                 "lengths": lengths[present]}
        params.update(skipped_classes=np.flatnonzero(~present).tolist(), labelled=len(z))
    elif method == "sefa":
        vectors, singular, where = layers.sefa_directions(models.loaded, top, fold_batchnorm)
        found = {"keys": [f"sefa{i}" for i in range(len(vectors))], "vectors": vectors, "singular_values": singular}
        params.update(layer=where, fold_batchnorm=fold_batchnorm)
    else:
        vectors, explained, where = layers.pca_directions(models.loaded, layer, samples_used, top, seed, truncation)
        found = {"keys": [f"pc{i}" for i in range(len(vectors))], "vectors": vectors, "explained_variance": explained}
        params.update(layer=where)

    strengths = np.linspace(-strength, strength, steps)
    # Probes are fresh latents, not the labelled ones the boundaries were fitted on.
    base_z = prior_latents(generator, probes, (seed + 1) % (SEED_MAX + 1), truncation)
    vectors = found.pop("vectors").astype(np.float32)
    images, probs = traverse(generator, classifier, vectors, base_z, strengths)
    result = DirectionsResult(
        vectors=vectors, names=[], method=method, strengths=strengths, base_z=base_z.numpy(), images=images,
        probs=probs, class_names=classes, params={**params, "top": top, "probes": probes, **record}, **found)
    result.names = [name_direction(t, classes, probes) for t in result.transitions]
    return result


def load_direction(spec: str | os.PathLike) -> tuple[np.ndarray, str, dict]:
    """`FILE.h5:KEY` (a key such as 8, 3:8, sefa0, or an index) -> (unit vector (d,), a label, the
    file's provenance: which generator it was found in)."""
    text = str(spec)
    path, sep, key = text.partition(".h5:")
    if not sep or not key:
        raise ConfigError(f"--direction {text!r} is not FILE.h5:KEY; e.g. directions.h5:3:8 or directions.h5:sefa0")
    result = DirectionsResult.load(path + ".h5")
    if len(result.keys) != len(result.vectors) or len(result.names) != len(result.vectors):
        raise damaged(path + ".h5", f"it lists {len(result.keys)} keys for {len(result.vectors)} directions")
    i = result.index(key)
    return result.unit_vector(i, path + ".h5"), f"{result.method} {result.keys[i]}: {result.names[i]}", \
        result.provenance


def plot_directions(result: DirectionsResult, top: int = 12, probes: int = 3, fig=None):
    """One block per direction (strongest first, at most `top`): its first `probes` probes,
    a row each, moved from -strength to +strength, each frame labelled with its class and
    confidence, under the direction's key and measured name; beside it the ranking of every
    direction by class-probability shift. Returns the figure."""
    from latentkit.results.plotting import new_figure, reading_label

    order = result.ranking()
    shown, confident = order[:top], result.confident
    steps, probes = len(result.strengths), min(probes, result.images.shape[1])
    cell, gap, label, head = 28, 4, 12, 16  # pixels: a frame, the white between frames, a row's labels, the name
    row_px, block_px = cell + label, head + probes * (cell + label)
    # One image for the whole grid (one axes, not one per frame): drawing and saving stay fast.
    grid = np.zeros((len(shown) * block_px, steps * (cell + gap) - gap), np.uint8)
    for block, i in enumerate(shown):
        for p in range(probes):
            for col in range(steps):
                y, x = block * block_px + head + p * row_px + label, col * (cell + gap)
                grid[y:y + cell, x:x + cell] = result.images[i, p, col]
    fig = fig or new_figure(figsize=(0.9 * steps + 6.8, (0.75 * probes + 0.35) * len(shown) + 1.2),
                            layout="constrained")
    ax_grid, ax = fig.subplots(1, 2, width_ratios=[0.9 * steps + 0.3, 6.2])
    ax_grid.imshow(grid, cmap="gray_r", vmin=0, vmax=255, interpolation="nearest")
    for block, i in enumerate(shown):
        top_edge = block * block_px
        ax_grid.text(0, top_edge + 1, f"{result.keys[i]}: {result.names[i]}", fontsize=9, va="top",
                     fontweight="bold")
        for p in range(probes):
            for col in range(steps):
                text, color = reading_label(result.probs[i, p, col], result.class_names, confident)
                ax_grid.text(col * (cell + gap) + cell / 2, top_edge + head + p * row_px + label - 1, text,
                             fontsize=6, ha="center", va="bottom", color=color)
    ax_grid.set_xticks([col * (cell + gap) + cell / 2 for col in range(steps)],
                       [f"{v:+.3g}" for v in result.strengths], fontsize=8)
    ax_grid.set_yticks([])
    ax_grid.set(xlabel="strength along the direction (latent units)")
    for side in ("top", "right", "left"):
        ax_grid.spines[side].set_visible(False)
    ax_grid.set_title(f"{probes} probe(s) moved along each direction, strongest first", fontsize=10)

    ranked = order[::-1]
    ax.barh(np.arange(len(order)), result.prob_shift[ranked], color="#4c72b0")
    ax.set_yticks(np.arange(len(order)), [result.keys[i] for i in ranked], fontsize=9)
    ax.set(xlabel="mean shift of p(class) (TV distance)",
           title=f"{result.method} directions ranked, {len(result.base_z)} probes")
    for y, i in enumerate(ranked):
        ax.text(result.prob_shift[i], y, f"  {result.flip_rate[i]:.0%} flip", va="center", fontsize=6, color="#555555")
    fig.suptitle(_title(result), fontsize=11)
    return fig


def _title(result: DirectionsResult) -> str:
    p = result.params
    where = {"classifier": f"linear boundaries on {p.get('labelled', '?')} confident latents",
             "mean": f"class means of {p.get('labelled', '?')} confident latents",
             "sefa": f"closed form from {p.get('layer', '?')}",
             "pca": f"PCA of {p.get('layer', '?')} over {p.get('samples', '?')} samples"}[result.method]
    condition = f", conditioned on {p['condition_on']}" if p.get("condition_on") else ""
    return f"{result.method} directions: {where}{condition}"


def run(
    model: str = DEFAULT_GENERATOR, classifier: str | None = None, device: str = "auto",
    out: str | os.PathLike | None = None, command: str | None = None, *, method: str = DIRECTIONS.method,
    samples: int | None = DIRECTIONS.samples, top: int | None = DIRECTIONS.top,
    pairs: Sequence[tuple[int | str, int | str]] = (), condition_on: Sequence[int | str] = (),
    layer: str | None = None, select: str = DIRECTIONS.select, ratio: float = DIRECTIONS.ratio,
    fold_batchnorm: bool = DIRECTIONS.fold_batchnorm, probes: int = DIRECTIONS.probes,
    strength: float = DIRECTIONS.strength, steps: int = DIRECTIONS.steps, seed: int = 0, truncation: float = 1.0,
    allow_mismatch: bool = False, progress: bool = True,
) -> tuple[DirectionsResult, list[Path]]:
    """Load models, find and measure directions, write directions.h5 + directions.png into `out`."""
    from latentkit.results.output import output_dir, write_outputs

    options = {"method": method, "samples": samples, "top": top, "select": select, "ratio": ratio,
               "fold_batchnorm": fold_batchnorm, "probes": probes, "strength": strength, "steps": steps}
    check_values(DirectionsOptions, options)  # before the models load
    folder = output_dir(out, ANALYSIS)
    with Phases(ANALYSIS, 3, enabled=progress) as bar:
        bar.start("loading models")
        models = Models.load(model, classifier, device, allow_mismatch)
        bar.start(f"finding {method} directions and measuring each on {probes} probes")
        result = find_directions(models, pairs=pairs, condition_on=condition_on, layer=layer, seed=seed,
                                 truncation=truncation, **options)
        bar.start("drawing the figure, writing files")
        return result, write_outputs(result, plot_directions(result), folder, ANALYSIS, models.provenance, seed,
                                     command)
