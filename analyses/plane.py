"""Plane: a classifier-labelled 2-D slice of latent space.

    result = plane(g, clf, anchors=[9, 4, 7], resolution=64)   # the plane through a 9, a 4 and a 7
    result = plane(g, clf, dims=[5, 25], extent=3)            # two coordinates of one base latent
    plot_plane(result)    # region map (colour = class, alpha = confidence) beside an image mosaic

With anchors, grid point (a, b) is z0 + a (z1 - z0) + b (z2 - z0): the anchors sit at
(0, 0), (1, 0) and (0, 1), and the grid runs from -`margin` to 1 + `margin`.
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
from latentkit.generator.sampling import (
    check_class,
    check_truncation,
    generate_and_classify,
)
from latentkit.limits import MAX_EXTENT, MAX_RESOLUTION, check_finite, check_seed, check_size
from latentkit.measure.reading import UNSURE, readings
from latentkit.models import Classifier
from latentkit.names import check_class_names
from latentkit.options import check_values
from latentkit.options.plane import DEFAULT_EXTENT, PLANE, PlaneOptions
from latentkit.progress import Phases
from latentkit.results.stored import StoredResult
from latentkit.results.tables import Columns, classified, grid

__all__ = ["PlaneResult", "plane"]  # what `latentkit.analyses` exports

ANALYSIS = "plane"


@dataclass
class PlaneResult(StoredResult):
    ANALYSIS: ClassVar[str] = ANALYSIS
    MEANINGS: ClassVar[dict[str, str]] = {
        "axis": "grid coordinate along each plane axis, (resolution,); see params for the plane",
        "probs": "class probabilities in [0, 1], (resolution, resolution, classes), [row=axis 2, col=axis 1]",
        "labels": "predicted class per grid point, (resolution, resolution)",
        "mosaic": "generated images on a coarser grid, uint8 0-255, (m, m, 28, 28)",
        "mosaic_axis": "grid coordinate of the mosaic's rows and columns, (m,)",
    }

    SHAPES: ClassVar[dict[str, tuple]] = {
        "axis": ("resolution",), "probs": ("resolution", "resolution", "classes"),
        "mosaic": ("mosaic", "mosaic", 28, 28), "mosaic_axis": ("mosaic",),
    }

    axis: np.ndarray  # (R,) grid coordinate along both axes
    probs: np.ndarray  # (R, R, C) class probabilities; [i, j] = row i (second axis), column j (first axis)
    mosaic: np.ndarray  # (M, M, 28, 28) uint8 images on an M x M subgrid
    mosaic_axis: np.ndarray  # (M,) grid coordinate of the mosaic's rows/columns
    class_names: list[str]
    params: dict = field(default_factory=dict)

    @property
    def labels(self) -> np.ndarray:
        return self.probs.argmax(-1)

    def derived(self) -> dict[str, np.ndarray]:
        return {"labels": self.labels}

    def tables(self) -> dict[str, Columns]:
        rows, cols = grid(len(self.axis), len(self.axis))  # probs[i, j]: row i follows the second axis
        return {"grid": {"a": self.axis[cols], "b": self.axis[rows],
                         **classified(self.probs.reshape(-1, self.probs.shape[-1]), self.class_names)}}

    def draw(self):
        return plot_plane(self)


def _plane_basis(models, anchors, dims, extent, margin, pool, seed, truncation):
    """(origin (d,), u (d,), v (d,), lo, hi): grid point (a, b) is origin + a u + b v."""
    d = models.latent_dim
    if anchors is not None and (dims is not None or extent is not None):
        raise ConfigError("give --anchors (a plane through three digits) or --dims with --extent "
                          "(two coordinates of one latent), not both")
    if anchors is not None:
        if len(anchors) != 3:
            raise ConfigError(f"a plane needs exactly three anchor classes (got {len(anchors)})")
        # A class named again gets its next most confident latent: 9,9,9 is a plane through three 9s.
        z = torch.cat([models.latents_for_class(c, n=anchors[:i].count(c) + 1, pool=pool, seed=seed,
                                                truncation=truncation)[-1:] for i, c in enumerate(anchors)])
        return z[0], z[1] - z[0], z[2] - z[0], -margin, 1 + margin
    if dims is None or len(dims) != 2:
        raise ConfigError("give three --anchors (e.g. 9,4,7) or two --dims (e.g. 5,25)")
    bad = [x for x in dims if not 0 <= x < d]
    if bad or dims[0] == dims[1]:
        raise ConfigError(f"dims must be two different coordinates in 0..{d - 1} (got {list(dims)})")
    extent = DEFAULT_EXTENT if extent is None else extent  # checked with the other options
    origin = models.prior(1, seed, truncation)[0]
    origin[list(dims)] = 0
    u, v = torch.zeros(d), torch.zeros(d)
    u[dims[0]], v[dims[1]] = 1, 1
    return origin, u, v, -extent, extent


def plane(
    generator: Models | GeneratorLike,
    classifier: Classifier | None = None,
    anchors: Sequence[int | str] | None = None,
    dims: Sequence[int] | None = None,
    resolution: int = PLANE.resolution,
    extent: float | None = PLANE.extent,
    margin: float = 0.25,
    mosaic: int = 12,
    pool: int = PLANE.pool,
    seed: int = 0,
    allow_mismatch: bool = False,
    truncation: float = 1.0,
) -> PlaneResult:
    """Classify a resolution x resolution grid on a latent plane; see the module docstring.
    `anchors` are classes by number or name (9 or "ankle-boot"), found among `pool` prior draws
    truncated by `truncation`, which also truncates the `dims` plane's base latent.
    `extent` (with `dims` only) defaults to DEFAULT_EXTENT."""
    check_values(PlaneOptions, {"resolution": resolution, "extent": extent, "pool": pool})
    check_size("mosaic", mosaic, 2, MAX_RESOLUTION)
    check_finite("margin", margin, 0, MAX_EXTENT)
    check_seed(seed)
    check_truncation(truncation)
    models = as_models(generator, classifier, allow_mismatch)
    generator, classifier, record = models.generator, models.classifier, models.record
    if anchors is not None:  # names -> numbers here: which names exist depends on the classifier's dataset
        anchors = [check_class(classifier, c) for c in anchors]
    origin, u, v, lo, hi = _plane_basis(models, anchors, dims, extent, margin, pool, seed, truncation)
    axis = torch.linspace(lo, hi, resolution)
    b, a = torch.meshgrid(axis, axis, indexing="ij")  # rows follow v, columns follow u
    z = origin + a.reshape(-1, 1) * u + b.reshape(-1, 1) * v  # (R*R, d)
    probs = generate_and_classify(generator, classifier, z, images=False).probs

    m_axis = torch.linspace(lo, hi, mosaic)
    mb, ma = torch.meshgrid(m_axis, m_axis, indexing="ij")
    images = generate_and_classify(generator, classifier, origin + ma.reshape(-1, 1) * u + mb.reshape(-1, 1) * v).images
    params = {"resolution": resolution, "seed": seed, "truncation": truncation, "lo": lo, "hi": hi,
              "anchors": list(anchors) if anchors is not None else None,
              "dims": list(dims) if anchors is None else None, **record}
    return PlaneResult(axis=axis.numpy(), probs=probs.reshape(resolution, resolution, -1).numpy(),
                       mosaic=images.reshape(mosaic, mosaic, 28, 28).numpy(),
                       mosaic_axis=m_axis.numpy(), class_names=classifier.classes, params=params)


def plot_plane(result: PlaneResult, fig=None):
    """Region map (colour = the class each point is read as, grey = unsure) beside the image mosaic."""
    from matplotlib.patches import Patch

    from latentkit.results.plotting import CLASS_COLORS, UNSURE_COLOR, new_figure, reading_rgb

    fig = fig or new_figure(figsize=(13, 6))
    regions, mosaic_ax = fig.subplots(1, 2)
    lo, hi = result.params["lo"], result.params["hi"]
    confident = result.confident
    read = readings(result.probs, confident)
    regions.imshow(reading_rgb(result.probs, confident), origin="lower", extent=(lo, hi, lo, hi),
                   interpolation="nearest")
    anchors, dims = result.params.get("anchors"), result.params.get("dims")
    if anchors:
        for (x, y), c in zip([(0, 0), (1, 0), (0, 1)], anchors, strict=True):
            regions.plot(x, y, "o", ms=9, mfc="white", mec="black")
            regions.annotate(result.class_names[c], (x, y), xytext=(6, 6), textcoords="offset points", fontsize=11)
        first, second, third = (result.class_names[c] for c in anchors)
        xlabel, ylabel = (f"from the {first} (0) toward the {other} (1)" for other in (second, third))
        title = f"Plane through {first}, {second}, {third}"
    else:
        xlabel, ylabel, title = f"z[{dims[0]}]", f"z[{dims[1]}]", f"Latent coordinates {dims[0]} and {dims[1]}"
    present = [c for c in np.unique(read) if c != UNSURE]
    handles = [Patch(color=CLASS_COLORS[c % len(CLASS_COLORS)], label=result.class_names[c]) for c in present]
    if (read == UNSURE).any():
        handles.append(Patch(color=UNSURE_COLOR, label=f"unsure ({(read == UNSURE).mean():.0%})"))
    regions.legend(handles=handles, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), title="read as")
    regions.set(xlabel=xlabel, ylabel=ylabel, title=f"{title}: class read (grey = unsure)")

    m = result.mosaic.shape[0]
    tiles = np.concatenate([np.concatenate(list(row), axis=1) for row in result.mosaic[::-1]], axis=0)
    mosaic_ax.imshow(255 - tiles, cmap="gray", vmin=0, vmax=255, extent=(lo, hi, lo, hi))
    mosaic_ax.set(xlabel=xlabel, ylabel=ylabel, title=f"Generated images on a {m}x{m} subgrid")
    fig.tight_layout()
    return fig


def run(
    model: str = DEFAULT_GENERATOR, classifier: str | None = None, device: str = "auto",
    out: str | os.PathLike | None = None, command: str | None = None, *,
    anchors: Sequence[int | str] | None = None, dims: Sequence[int] | None = None,
    resolution: int = PLANE.resolution, extent: float | None = PLANE.extent, pool: int = PLANE.pool,
    seed: int = 0, truncation: float = 1.0, allow_mismatch: bool = False, progress: bool = True,
) -> tuple[PlaneResult, list[Path]]:
    """Load models, classify the plane, write plane.h5 + plane.png into `out`."""
    from latentkit.results.output import output_dir, write_outputs

    options = {"resolution": resolution, "extent": extent, "pool": pool}
    check_values(PlaneOptions, options)  # before the models load
    folder = output_dir(out, ANALYSIS)
    check_class_names(anchors or (), "--anchors")
    with Phases(ANALYSIS, 3, enabled=progress) as bar:
        bar.start("loading models")
        models = Models.load(model, classifier, device, allow_mismatch)
        bar.start(f"classifying a {resolution} x {resolution} grid")
        result = plane(models, anchors=anchors, dims=dims, seed=seed, truncation=truncation, **options)
        bar.start("drawing the figure, writing files")
        return result, write_outputs(result, plot_plane(result), folder, ANALYSIS, models.provenance, seed, command)
