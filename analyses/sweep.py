"""Sweep: set one latent coordinate to a range of values, the rest fixed, and measure
what changes.

    result = sweep(g, clf, dims=[5, 25, 45], values=[-3, 0, 3], samples=3)
    result.pixel_change       # (3,) mean |image change| per dim, in [0, 1] pixel units
    plot_sweep(result)        # R001's figure: a row per base sample, grouped by dim

`sweep(..., dims=None)` sweeps every coordinate: the measures then rank the latent
dimensions by how much each one controls (`plot_ranking`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

from latentkit.errors import ConfigError
from latentkit.generator.contract import GeneratorLike
from latentkit.generator.handle import DEFAULT_GENERATOR, Models, as_models
from latentkit.generator.sampling import check_truncation, generate_and_classify, prior_latents
from latentkit.limits import MAX_EXTENT, MAX_IMAGES, MAX_VALUES, check_finite, check_seed, check_size
from latentkit.measure.reading import changed, readings
from latentkit.models import Classifier
from latentkit.options import check_values
from latentkit.options.sweep import SWEEP, SweepOptions
from latentkit.progress import Phases
from latentkit.results.stored import StoredResult
from latentkit.results.tables import Columns, classified, grid

__all__ = ["SweepResult", "sweep"]  # what `latentkit.analyses` exports

ANALYSIS = "sweep"
MEASURES = {
    "pixel_change": "mean |image(value) - image(base)| over samples and values, pixels in [0, 1]",
    "prob_shift": "mean total-variation distance between class probabilities at value and at base, in [0, 1]",
    "flip_rate": "share of (sample, value) whose predicted class differs from the base sample's, in [0, 1]",
}
AXIS_LABELS = {"pixel_change": "mean |pixel change| (0-1)", "prob_shift": "mean TV distance of p(class)",
               "flip_rate": "share of samples whose class flips"}


@dataclass
class SweepResult(StoredResult):
    ANALYSIS: ClassVar[str] = ANALYSIS
    MEANINGS: ClassVar[dict[str, str]] = {
        "dims": "0-based latent coordinates swept, (dims,)",
        "values": "values each coordinate was set to, (values,)",
        "base_z": "base latents before any change, (samples, latent_dim)",
        "base_images": "images of the base latents, uint8 0-255, (samples, 28, 28)",
        "base_probs": "classifier probabilities of the base images, (samples, classes)",
        "images": "images with one coordinate set, uint8 0-255, (dims, samples, values, 28, 28)",
        "probs": "classifier probabilities in [0, 1], (dims, samples, values, classes)",
        **MEASURES,
    }

    SHAPES: ClassVar[dict[str, tuple]] = {
        "dims": ("dims",), "values": ("values",), "base_z": ("samples", "latent_dim"),
        "base_images": ("samples", 28, 28), "base_probs": ("samples", "classes"),
        "images": ("dims", "samples", "values", 28, 28), "probs": ("dims", "samples", "values", "classes"),
    }

    dims: np.ndarray  # (D,) 0-based coordinates swept
    values: np.ndarray  # (V,) values each coordinate was set to
    base_z: np.ndarray  # (S, d) the unmodified base latents
    base_images: np.ndarray  # (S, 28, 28) uint8
    base_probs: np.ndarray  # (S, C)
    images: np.ndarray  # (D, S, V, 28, 28) uint8
    probs: np.ndarray  # (D, S, V, C)
    class_names: list[str]
    params: dict = field(default_factory=dict)

    @property
    def labels(self) -> np.ndarray:
        return self.probs.argmax(-1)  # (D, S, V)

    @property
    def pixel_change(self) -> np.ndarray:
        diff = np.abs(self.images.astype(np.float32) - self.base_images[None, :, None].astype(np.float32)) / 255
        return diff.mean(axis=(1, 2, 3, 4))

    @property
    def prob_shift(self) -> np.ndarray:
        return 0.5 * np.abs(self.probs - self.base_probs[None, :, None]).sum(-1).mean(axis=(1, 2))

    @property
    def flip_rate(self) -> np.ndarray:
        """(D,) share of swept images read as a class other than their base image's reading."""
        confident = self.confident
        base = readings(self.base_probs, confident)[None, :, None]
        return changed(readings(self.probs, confident), base).mean(axis=(1, 2))

    def ranking(self, measure: str = "pixel_change") -> np.ndarray:
        """Indices into `dims`, strongest effect first."""
        return np.argsort(-getattr(self, measure), kind="stable")

    def derived(self) -> dict[str, np.ndarray]:
        return {m: getattr(self, m) for m in MEASURES}

    def tables(self) -> dict[str, Columns]:
        n_dims, samples, n_values = self.labels.shape
        dim, sample, value = grid(n_dims, samples, n_values)
        change = np.abs(self.images.astype(np.float32) - self.base_images[None, :, None].astype(np.float32)) / 255
        base_labels = self.base_probs.argmax(-1)
        images = {"dim": self.dims[dim], "sample": sample, "value": self.values[value],
                  "pixel_change": change.mean(axis=(-2, -1)).ravel(),
                  **classified(self.probs.reshape(-1, self.probs.shape[-1]), self.class_names),
                  "base_label": base_labels[sample]}
        confident = self.confident
        images["flipped"] = changed(readings(self.probs, confident).ravel(),
                                    readings(self.base_probs, confident)[sample])
        return {"dims": {"dim": self.dims, "pixel_change": self.pixel_change, "prob_shift": self.prob_shift,
                         "flip_rate": self.flip_rate},
                "images": images}

    def draw(self):
        return plot_result(self)


def sweep(
    generator: Models | GeneratorLike,
    classifier: Classifier | None = None,
    dims: Sequence[int] | None = None,
    values: Sequence[float] = (-3.0, 0.0, 3.0),
    samples: int = SWEEP.samples,
    seed: int = 0,
    allow_mismatch: bool = False,
    truncation: float = 1.0,
) -> SweepResult:
    """Set each coordinate in `dims` (0-based; None = all) to each value for `samples` base latents,
    drawn from the prior truncated by `truncation` (sampling.prior_latents)."""
    models = as_models(generator, classifier, allow_mismatch)
    generator, classifier, record = models.generator, models.classifier, models.record
    d = generator.latent_dim
    dims = list(range(d)) if dims is None else [int(x) for x in dims]
    bad = [x for x in dims if not 0 <= x < d]
    if bad:
        raise ConfigError(f"dims {bad} are outside the latent; this generator's dims are 0..{d - 1}")
    if len(set(dims)) != len(dims):
        raise ConfigError(f"dims {dims} repeat a coordinate; give each once")
    if not dims or not len(values):
        raise ConfigError("give at least one dim and one value")
    check_values(SweepOptions, {"samples": samples})
    check_size("number of values", len(values), 1, MAX_VALUES)
    check_size("dims x samples x values images", len(dims) * samples * len(values), 1, MAX_IMAGES)
    check_seed(seed)
    check_truncation(truncation)
    for v in values:
        check_finite("every value", v, -MAX_EXTENT, MAX_EXTENT)

    base = prior_latents(generator, samples, seed, truncation)  # (S, d)
    vals = torch.tensor(values, dtype=torch.float32)
    z = base[None, :, None].repeat(len(dims), 1, len(vals), 1)  # (D, S, V, d)
    for i, dim in enumerate(dims):
        z[i, :, :, dim] = vals
    images, probs, _ = generate_and_classify(generator, classifier, torch.cat([base, z.reshape(-1, d)]))
    shape = (len(dims), samples, len(vals))
    return SweepResult(
        dims=np.array(dims), values=vals.numpy(), base_z=base.numpy(),
        base_images=images[:samples].numpy(), base_probs=probs[:samples].numpy(),
        images=images[samples:].reshape(*shape, 28, 28).numpy(), probs=probs[samples:].reshape(*shape, -1).numpy(),
        class_names=classifier.classes,
        params={"samples": samples, "seed": seed, "truncation": truncation,
                "rank": dims == list(range(d)) and len(dims) > 1, **record},
    )


def plot_sweep(result: SweepResult, max_dims: int = 8, fig=None):
    """R001's figure: for each dim a block of rows (one per base sample), values as columns,
    each tile titled with its predicted class and confidence; the first column is the base
    sample itself, unchanged (its own value of the coordinate under it), so "sample 1" is the
    same image in every block. Shows the first `max_dims` dims."""
    from latentkit.results.plotting import new_figure, reading_label

    D, S, V = result.labels.shape
    shown, confident = min(D, max_dims), result.confident
    fig = fig or new_figure(figsize=(1.2 * (V + 1) + 1.0, (1.3 * S + 0.7) * shown + 0.4), layout="constrained")
    blocks = fig.subfigures(shown, 1, squeeze=False)[:, 0]
    for i, block in enumerate(blocks):
        axes = block.subplots(S, V + 1, squeeze=False)
        dim = result.dims[i]
        for (s, v), ax in np.ndenumerate(axes):
            base = v == 0
            image, probs = (result.base_images[s], result.base_probs[s]) if base else \
                (result.images[i, s, v - 1], result.probs[i, s, v - 1])
            ax.imshow(image, cmap="gray_r", vmin=0, vmax=255)
            ax.set_xticks([])
            ax.set_yticks([])
            text, color = reading_label(probs, result.class_names, confident)
            ax.set_title(text, fontsize=8, color=color, pad=2)
            if base:
                ax.set_xlabel(f"base: z[{dim}] = {result.base_z[s, dim]:.2f}", fontsize=7)
                for side in ax.spines.values():
                    side.set(linestyle="--", edgecolor="grey")
            elif s == S - 1:
                ax.set_xlabel(f"z[{dim}] = {result.values[v - 1]:g}", fontsize=8)
            if v == 0:
                ax.set_ylabel(f"sample {s + 1}", fontsize=8)
        block.suptitle(f"dim {result.dims[i]}: pixel change {result.pixel_change[i]:.3f}, "
                       f"class flips {result.flip_rate[i]:.0%}", fontsize=10)
    fig.suptitle("One latent coordinate set to each value, the rest fixed", fontsize=11)
    return fig


def plot_ranking(result: SweepResult, top: int = 15, shown: int = 5, fig=None):
    """The `top` coordinates with the strongest effect under each of the three measures, as
    horizontal bars (every coordinate's value is in the result's arrays), and below them the
    `shown` strongest by pixel change: the first base sample with each one set to each value
    (at most 5 values). Returns the figure."""
    from latentkit.results.plotting import class_color, new_figure

    rows = min(top, len(result.dims))
    fig = fig or new_figure(figsize=(11, 0.28 * rows + 3.3), layout="constrained")
    bars, strip = fig.subfigures(2, 1, height_ratios=[0.28 * rows + 1.6, 1.5])
    axes = bars.subplots(1, 3)
    for ax, measure in zip(axes, MEASURES, strict=True):
        effect = getattr(result, measure)
        order = result.ranking(measure)[:top][::-1]  # strongest at the top
        ax.barh(np.arange(len(order)), effect[order], color="#4c72b0")
        ax.set_yticks(np.arange(len(order)), [f"z[{result.dims[i]}]" for i in order], fontsize=8)
        ax.set(title=measure.replace("_", " "), xlabel=AXIS_LABELS[measure])
        ax.axvline(np.median(effect), color="grey", ls="--", lw=1, label="median of all dims")
    axes[0].legend(fontsize=8, loc="lower right")

    strongest = result.ranking("pixel_change")[:shown]
    values = np.unique(np.linspace(0, len(result.values) - 1, min(5, len(result.values))).round().astype(int))
    blocks = strip.subfigures(1, len(strongest), squeeze=False)[0]
    for block, i in zip(blocks, strongest, strict=True):
        for ax, v in zip(block.subplots(1, len(values), squeeze=False)[0], values, strict=True):
            label = result.labels[i, 0, v]
            ax.imshow(result.images[i, 0, v], cmap="gray_r", vmin=0, vmax=255)
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_title(result.class_names[label], fontsize=8, color=class_color(label), pad=1)
            ax.set_xlabel(f"= {result.values[v]:g}", fontsize=7)
        block.suptitle(f"z[{result.dims[i]}]", fontsize=9, y=0.98)
    strip.suptitle(f"The {len(strongest)} strongest by pixel change: sample 1 with the coordinate set to each value "
                   "(the same base sample in every block)", fontsize=9)
    fig.suptitle(f"The {rows} most influential of {len(result.dims)} latent coordinates "
                 f"(values {', '.join(f'{v:g}' for v in result.values)}; {result.base_z.shape[0]} base samples)",
                 fontsize=11)
    return fig


def plot_result(result: SweepResult):
    """The figure that fits the result: the ranking for a full sweep, else the image grid."""
    return plot_ranking(result) if result.params.get("rank") else plot_sweep(result)


def run(
    model: str = DEFAULT_GENERATOR, classifier: str | None = None, device: str = "auto",
    out: str | os.PathLike | None = None, command: str | None = None, *,
    dims: Sequence[int] | None = None, values: Sequence[float] = (-3.0, 0.0, 3.0), samples: int = SWEEP.samples,
    rank: bool = SWEEP.rank, seed: int = 0, truncation: float = 1.0, allow_mismatch: bool = False,
    progress: bool = True,
) -> tuple[SweepResult, list[Path]]:
    """Load models, sweep (`rank` = every coordinate), write sweep.h5 + sweep.png into `out`."""
    from latentkit.results.output import output_dir, write_outputs

    check_values(SweepOptions, {"samples": samples, "rank": rank})  # before the models load
    if rank and dims:
        raise ConfigError("give --dims or --rank (which sweeps every coordinate), not both")
    if not rank and not dims:
        raise ConfigError("give --dims (e.g. --dims 5,25,45) or --rank to sweep every coordinate")
    folder = output_dir(out, ANALYSIS)
    with Phases(ANALYSIS, 3, enabled=progress) as bar:
        bar.start("loading models")
        models = Models.load(model, classifier, device, allow_mismatch)
        bar.start("every coordinate swept" if rank else f"{len(dims)} coordinate(s) swept")
        result = sweep(models, dims=None if rank else dims, values=values, samples=samples, seed=seed,
                       truncation=truncation)
        bar.start("drawing the figure, writing files")
        return result, write_outputs(result, plot_result(result), folder, ANALYSIS, models.provenance, seed, command)
