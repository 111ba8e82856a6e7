"""Evolve: how a latent space forms during training, the same latents followed through a run's snapshots.

    result = evolve_run("runs/dcgan-mnist")      # a run trained with --snapshot-every
    result.class_shares      # (snapshots, classes + 1) share read as each class, last column unsure
    result.stability         # (snapshots - 1,) share of latents read the same as at the snapshot before
    result.boundary_cosine   # (snapshots - 1, classes) how far each class's boundary turned
    result.plot()

At every snapshot the same `samples` prior latents are drawn and read by the classifier
(measure/reading.py: a class at names.CONFIDENT, else unsure). From those readings:
- class shares over time: a mode that drops shows as its class's share going to zero;
- stability: of the latents read as a class at a snapshot or the one before, the share read as
  the same class at both; 1 when the space has settled, lower while regions form, move or
  dissolve (a latent that turns unsure, or becomes a class, has changed); undefined (NaN)
  while fewer than MIN_COUNTED latents are read as a class;
- each class's one-vs-rest boundary in z (InterFaceGAN's linear SVM on the confident readings,
  space/boundaries.py) and the cosine between consecutive snapshots' normals: 1 when the
  class's region stays where it was, lower while it turns;
- SeFa's spectrum of the first layer (space/layers.py), for zoo-shaped generators.
The map follows the first `map_samples` latents: one embedding (UMAP, PCA or t-SNE) of their
images' classifier features at every snapshot together, with `real` test images. The
classifier does not change during training, so its feature space is one space for every
snapshot; embedding them together places all snapshots in the same coordinates and a point
can be followed from frame to frame. (umap-learn's AlignedUMAP fits one embedding per frame and
pulls them together; that suits spaces that differ per frame, which these do not.)
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
from latentkit.generator.handle import Models
from latentkit.limits import check_seed
from latentkit.measure.reading import UNSURE, readings
from latentkit.models import Classifier
from latentkit.options import check_values
from latentkit.options.evolve import EVOLVE, EvolveOptions
from latentkit.progress import Phases
from latentkit.results.stored import StoredResult
from latentkit.results.tables import Columns
from latentkit.space.layers import sefa_spectrum

__all__ = ["EvolveResult", "evolve", "evolve_run"]  # what `latentkit.analyses` exports

ANALYSIS = "evolve"
SPECTRUM_TOP = 20  # SeFa singular values kept per snapshot
FRAMES_SHOWN = 6  # snapshots drawn as grids and maps in the figure
DROPPED = 0.01  # a class read for less than this share of latents has dropped, if it was once ROSE or more
ROSE = 0.05  # half a balanced share of ten classes: below it a class was never a mode to drop
MIN_COUNTED = 20  # latents read as a class at either of two snapshots for their stability to mean anything


@dataclass
class EvolveResult(StoredResult):
    ANALYSIS: ClassVar[str] = ANALYSIS
    MEANINGS: ClassVar[dict[str, str]] = {
        "epochs": "epochs completed at each snapshot (a fraction mid-epoch), (snapshots,)",
        "images_seen": "training images seen at each snapshot, -1 where unknown, (snapshots,)",
        "z": "the fixed prior latents drawn at every snapshot, (samples, latent_dim)",
        "grid": "images of the first latents at every snapshot, uint8 0-255, (snapshots, shown, 28, 28)",
        "probs": "classifier probabilities of every latent's image at every snapshot, (snapshots, samples, classes)",
        "normals": "unit normal of each class's one-vs-rest boundary in z (linear SVM on the confident readings) "
                   "at each snapshot, NaN where too few latents were read as the class, (snapshots, classes, "
                   "latent_dim)",
        "spectrum": "SeFa singular values of the first layer, scaled to sum 1, (snapshots, top)",
        "embedding": "2-D map of the first map_samples latents' image features at every snapshot, one embedding "
                     "for all, (snapshots, map_samples, 2)",
        "real_embedding": "real test images' features on the same map, (real, 2)",
        "real_labels": "the real test images' true classes, (real,)",
        "class_shares": "share of latents read as each class at each snapshot, last column unsure, "
                        "(snapshots, classes + 1)",
        "stability": "of the latents read as a class at a snapshot or the one before, the share read as the same "
                     f"class at both, NaN where fewer than {MIN_COUNTED} are, (snapshots - 1,)",
        "boundary_cosine": "cosine between consecutive snapshots' boundary normals per class, (snapshots - 1, classes)",
    }
    SHAPES: ClassVar[dict[str, tuple]] = {
        "epochs": ("snapshots",), "images_seen": ("snapshots",), "z": ("samples", "latent_dim"),
        "grid": ("snapshots", "shown", 28, 28), "probs": ("snapshots", "samples", "classes"),
        "normals": ("snapshots", "classes", "latent_dim"), "spectrum": ("snapshots", "top"),
        "embedding": ("snapshots", "map_samples", 2), "real_embedding": ("real", 2), "real_labels": ("real",),
    }

    epochs: np.ndarray  # (S,)
    images_seen: np.ndarray  # (S,)
    z: np.ndarray  # (N, d)
    grid: np.ndarray  # (S, shown, 28, 28) uint8
    probs: np.ndarray  # (S, N, C)
    normals: np.ndarray  # (S, C, d)
    class_names: list[str]
    spectrum: np.ndarray | None = None  # (S, top)
    embedding: np.ndarray | None = None  # (S, M, 2)
    real_embedding: np.ndarray | None = None  # (R, 2)
    real_labels: np.ndarray | None = None  # (R,)
    training_scores: list = field(default_factory=list)  # the run card's `progress`, as training scored it
    params: dict = field(default_factory=dict)

    @property
    def readings(self) -> np.ndarray:
        """(S, N) the class each latent is read as at each snapshot, UNSURE (-1) below the threshold."""
        return readings(self.probs, self.confident)

    @property
    def class_shares(self) -> np.ndarray:
        read, classes = self.readings, len(self.class_names)
        return np.stack([(read == c).mean(1) for c in [*range(classes), UNSURE]], axis=1)

    @property
    def stability(self) -> np.ndarray:
        read = self.readings
        now, before = read[1:], read[:-1]
        counted = (now != UNSURE) | (before != UNSURE)
        same = ((now == before) & counted).sum(1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(counted.sum(1) >= MIN_COUNTED, same / counted.sum(1), np.nan)

    @property
    def boundary_cosine(self) -> np.ndarray:
        return np.sum(self.normals[1:] * self.normals[:-1], axis=-1)

    def dropped(self) -> list[tuple[str, str]]:
        """(class, snapshot label) for each class whose share fell under DROPPED after reaching ROSE."""
        shares, found = self.class_shares, []
        for c, name in enumerate(self.class_names):
            above = np.flatnonzero(shares[:, c] >= ROSE)
            after = np.flatnonzero(shares[:, c] < DROPPED)
            later = after[after > above[0]] if len(above) else []
            if len(later):
                found.append((name, self.label(int(later[0]))))
        return found

    def label(self, i: int) -> str:
        epoch = float(self.epochs[i])
        return f"epoch {epoch:g}" if epoch.is_integer() else f"epoch {epoch:.2f}"

    def derived(self) -> dict[str, np.ndarray]:
        return {"class_shares": self.class_shares, "stability": self.stability,
                "boundary_cosine": self.boundary_cosine}

    def summary(self) -> dict:
        shares = self.class_shares
        return {**self.params, "snapshots": len(self.epochs), "epochs": self.epochs.tolist(),
                "confident_share": (1 - shares[:, -1]).round(4).tolist(),
                "stability": self.stability.round(4).tolist(), "dropped": self.dropped()}

    def tables(self) -> dict[str, Columns]:
        shares, S = self.class_shares, len(self.epochs)
        cosine = np.nanmean(self.boundary_cosine, axis=1) if np.isfinite(self.boundary_cosine).any() else \
            np.full(S - 1, np.nan)
        snapshots: Columns = {
            "snapshot": np.arange(S), "epoch": self.epochs, "images_seen": self.images_seen,
            "confident_share": 1 - shares[:, -1], "stability": np.r_[np.nan, self.stability],
            "mean_boundary_cosine": np.r_[np.nan, cosine],
            **{f"share_{name}": shares[:, c] for c, name in enumerate(self.class_names)},
            "share_unsure": shares[:, -1]}
        read = self.readings
        snapshot, latent = np.meshgrid(np.arange(S), np.arange(read.shape[1]), indexing="ij")
        names = np.array([*self.class_names, "unsure"], dtype=object)
        latents: Columns = {"snapshot": snapshot.ravel(), "latent": latent.ravel(),
                            "read_as": names[np.where(read == UNSURE, len(self.class_names), read)].ravel(),
                            "confidence": self.probs.max(-1).ravel()}
        return {"snapshots": snapshots, "latents": latents}

    def draw(self):
        return plot_evolve(self)


def _class_normals(z: np.ndarray, read: np.ndarray, classes: int, seed: int) -> np.ndarray:
    """(C, d) one-vs-rest boundary normals on the confident readings; NaN rows where a class has too few."""
    from latentkit.space.boundaries import fit_boundary

    sure = read != UNSURE
    normals = np.full((classes, z.shape[1]), np.nan)
    for c in range(classes):
        try:
            normals[c] = fit_boundary(z[sure], read[sure], [c], seed=seed).normal
        except ConfigError:  # too few latents read as c (or as anything else) at this snapshot
            continue
    return normals


def evolve(
    generators: Sequence[GeneratorLike], classifier: Classifier, epochs: Sequence[float] | None = None,
    images_seen: Sequence[int] | None = None, samples: int = EVOLVE.samples, map_samples: int = EVOLVE.map_samples,
    method: str = EVOLVE.method, real: int = EVOLVE.real, shown: int = EVOLVE.shown, seed: int = 0,
    allow_mismatch: bool = False, progress: bool = True, data_dir: str | os.PathLike | None = None,
    training_scores: list | None = None,
) -> EvolveResult:
    """Read the same `samples` latents at every generator of `generators` (a run's snapshots,
    earliest first, taken at `epochs` and `images_seen`); see the module docstring."""
    check_values(EvolveOptions, {"samples": samples, "map_samples": map_samples, "method": method, "real": real,
                                 "shown": shown})
    check_seed(seed)
    if len(generators) < 2:
        raise ConfigError(f"evolve follows latents from snapshot to snapshot and got {len(generators)}; give at "
                          "least 2 (train with --snapshot-every 1, or a smaller --every)")
    epochs = np.arange(len(generators), dtype=np.float64) if epochs is None else np.asarray(epochs, np.float64)
    images_seen = np.full(len(generators), -1) if images_seen is None else np.asarray(images_seen, np.int64)
    if not len(epochs) == len(images_seen) == len(generators):
        raise ConfigError(f"{len(generators)} generators but {len(epochs)} epochs and {len(images_seen)} image counts")
    shapes = {(g.latent_dim, g.dataset) for g in generators}
    if len(shapes) > 1:
        raise ConfigError(f"the snapshots differ in latent size or dataset ({sorted(shapes)}); "
                          "give snapshots of one run")
    map_samples = min(map_samples, samples)
    with Phases("evolve", len(generators) + bool(map_samples), enabled=progress) as bar:
        first = Models.of(generators[0], classifier, allow_mismatch)
        z = first.prior(samples, seed)
        probs, grids, normals, spectra, features = [], [], [], [], []
        for i, generator in enumerate(generators):
            bar.start(f"snapshot {i + 1} of {len(generators)}: reading {samples} latents")
            models = first if i == 0 else Models.of(generator, classifier, allow_mismatch)
            seen = models.generate(z, images=False, features=bool(map_samples))
            probs.append(seen.probs.numpy())
            grids.append(models.generate(z[:shown]).images.numpy())
            normals.append(_class_normals(z.double().numpy(), readings(probs[-1]), len(models.classes), seed))
            spectra.append(sefa_spectrum(models.loaded, SPECTRUM_TOP))
            if map_samples:
                features.append(seen.features[:map_samples].numpy())
        mapped = {}
        if map_samples:
            bar.start(f"{method} of {len(generators)} x {map_samples} latents and {real} real images")
            mapped = _embed_together(np.stack(features), classifier, first.dataset, real, method, seed, data_dir,
                                     progress)
    spectrum = np.stack(spectra) if all(s is not None for s in spectra) else None
    return EvolveResult(
        epochs=epochs, images_seen=images_seen, z=z.numpy(), grid=np.stack(grids), probs=np.stack(probs),
        normals=np.stack(normals).astype(np.float32), class_names=first.classes, spectrum=spectrum, **mapped,
        training_scores=list(training_scores or []),
        params={"samples": samples, "map_samples": map_samples, "method": method, "real": real if map_samples else 0,
                "shown": shown, "seed": seed, **first.record})


def _embed_together(features: np.ndarray, classifier: Classifier, dataset: str, real: int, method: str, seed: int,
                    data_dir, progress: bool) -> dict[str, np.ndarray]:
    """One embedding of every snapshot's features (S, M, F) and `real` test images' features."""
    from latentkit.analyses.latent_map import embed
    from latentkit.data.datasets import load_images
    from latentkit.generator.sampling import classify_images

    S, M, F = features.shape
    points, mapped = features.reshape(S * M, F), {}
    if real:
        test = load_images(dataset, train=False, data_dir=data_dir, limit=real)
        real_features = classify_images(classifier, test.images).features.numpy()
        points = np.concatenate([points, real_features])
        mapped["real_labels"] = test.labels.numpy()
    xy = np.asarray(embed(points, method, seed, progress), dtype=np.float32)
    mapped["embedding"] = xy[:S * M].reshape(S, M, 2)
    if real:
        mapped["real_embedding"] = xy[S * M:]
    return mapped


def frames_shown(count: int, most: int = FRAMES_SHOWN) -> list[int]:
    """Indices of at most `most` snapshots spread over `count`, the first and last included."""
    return sorted({int(round(i)) for i in np.linspace(0, count - 1, min(most, count))})


def plot_evolve(result: EvolveResult, fig=None):
    """The run's story: sample grids and the map at a few snapshots, then class shares,
    stability, boundary turning, SeFa's spectrum and training's own scores over time."""
    from latentkit.results.plotting import new_figure

    has_map = result.embedding is not None
    picks = frames_shown(len(result.epochs))
    fig = fig or new_figure(figsize=(3.0 * max(len(picks), 4), 9.6 + 3.0 * has_map), layout="constrained")
    rows = fig.subfigures(2 + has_map, 1, height_ratios=[3.2] + [3.0] * has_map + [6.4])
    _plot_grids(result, picks, rows[0])
    if has_map:
        _plot_maps(result, picks, rows[1])
    _plot_curves(result, rows[-1])
    dropped = result.dropped()
    note = "; dropped: " + ", ".join(f"{c} at {at}" for c, at in dropped) if dropped else ""
    fig.suptitle(f"How the latent space formed: {result.probs.shape[1]} fixed latents read at "
                 f"{len(result.epochs)} snapshots{note}", fontsize=12)
    return fig


def _plot_grids(result: EvolveResult, picks: list[int], sub) -> None:
    from latentkit.results.plotting import grid_image

    axes = sub.subplots(1, len(picks), squeeze=False)[0]
    shown = min(64, result.grid.shape[1])
    nrow = int(np.ceil(np.sqrt(shown)))
    for ax, i in zip(axes, picks, strict=True):
        ink = torch.from_numpy(result.grid[i, :shown]).float()[:, None] / 255
        ax.imshow(grid_image(ink, nrow), cmap="gray", vmin=0, vmax=255)
        ax.set_axis_off()
        ax.set_title(f"{result.label(i)}: {1 - result.class_shares[i, -1]:.0%} confident", fontsize=9)
    sub.suptitle("The same latents at each snapshot", fontsize=10)


def _plot_maps(result: EvolveResult, picks: list[int], sub) -> None:
    from latentkit.results.plotting import UNSURE_COLOR, class_color, reading_rgb

    axes = sub.subplots(1, len(picks), squeeze=False, sharex=True, sharey=True)[0]
    M = result.embedding.shape[1]
    for ax, i in zip(axes, picks, strict=True):
        if result.real_embedding is not None:  # faint, in their true classes' colours: where each class lies
            ax.scatter(*result.real_embedding.T, s=4, c=[class_color(c) for c in result.real_labels], alpha=0.15,
                       linewidths=0)
        ax.scatter(*result.embedding[i].T, s=9, c=reading_rgb(result.probs[i, :M], result.confident),
                   edgecolors="black", linewidths=0.3)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(result.label(i), fontsize=9)
    handles = [axes[-1].scatter([], [], s=12, c=class_color(c), label=name) for c, name in
               enumerate(result.class_names)]
    handles.append(axes[-1].scatter([], [], s=12, c=UNSURE_COLOR, label="unsure"))
    sub.legend(handles=handles, loc="outside right center", fontsize=7, title="read as", title_fontsize=8)
    sub.suptitle(f"The first {M} latents on one {result.params.get('method', '')} map of the classifier's features "
                 "(faint: real test images in their true class's colour)", fontsize=10)


def _plot_curves(result: EvolveResult, sub) -> None:
    from latentkit.results.plotting import UNSURE_COLOR, class_color

    x, shares = result.epochs, result.class_shares
    (a, b, c), (d, e, f) = sub.subplots(2, 3)
    colors = [class_color(k) for k in range(len(result.class_names))] + [UNSURE_COLOR]
    a.stackplot(x, shares.T, colors=colors, labels=[*result.class_names, "unsure"])
    a.set(title="Share read as each class", xlabel="epoch", ylim=(0, 1), xlim=(x[0], x[-1]))
    a.legend(fontsize=6, ncol=2, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    b.plot(x[1:], result.stability, marker="o", ms=3, label="stability (read as before)")
    b.plot(x, 1 - shares[:, -1], marker="o", ms=3, label="confident share")
    b.set(title="Stability and confidence", xlabel="epoch", ylim=(0, 1.02))
    b.legend(fontsize=7)
    for k, name in enumerate(result.class_names):
        c.plot(x[1:], result.boundary_cosine[:, k], color=class_color(k), lw=1, label=name)
    c.set(title="Each class's boundary: cosine to the snapshot before", xlabel="epoch", ylim=(-1.02, 1.02))
    c.axhline(1, color="grey", lw=0.5)
    if not np.isfinite(result.boundary_cosine).any():
        c.text(0.5, 0.5, "no class was read confidently\nat two snapshots in a row", ha="center", va="center",
               transform=c.transAxes)
    if result.spectrum is not None:
        import matplotlib as mpl

        cmap = mpl.colormaps["viridis"]
        for i, row in enumerate(result.spectrum):
            d.plot(np.arange(1, len(row) + 1), row, color=cmap(i / max(1, len(x) - 1)), lw=1)
        d.figure.colorbar(mpl.cm.ScalarMappable(mpl.colors.Normalize(x[0], x[-1]), cmap), ax=d, label="epoch")
        d.set(title="SeFa spectrum (first layer)", xlabel="direction", ylabel="share of singular values")
    else:
        d.text(0.5, 0.5, "no first linear layer of z:\nno SeFa spectrum", ha="center", va="center",
               transform=d.transAxes)
        d.set_axis_off()
    _plot_training_scores(result, e, f)


def _plot_training_scores(result: EvolveResult, fid_ax, share_ax) -> None:
    """The card's own per-epoch scores (train --score-every), where the run has them."""
    scores = [s for s in result.training_scores if isinstance(s, dict) and "epoch" in s]
    if not scores:
        for ax in (fid_ax, share_ax):
            ax.text(0.5, 0.5, "the run scored no epochs\n(train --score-every 1)", ha="center", va="center",
                    transform=ax.transAxes)
            ax.set_axis_off()
        return
    epoch = [s["epoch"] for s in scores]
    fid_ax.plot(epoch, [s["fid"] for s in scores], marker="o", ms=3)
    fid_ax.set(title="Classifier-FID (training's scores)", xlabel="epoch", yscale="log")
    for key in ("precision", "recall", "confident"):
        share_ax.plot(epoch, [s[key] for s in scores], marker="o", ms=3, label=key)
    share_ax.set(title="Precision, recall, confident (training's)", xlabel="epoch", ylim=(0, 1))
    share_ax.legend(fontsize=7)


def evolve_run(run: str | os.PathLike, classifier: str | os.PathLike | None = None, device: str = "auto",
               every: int = EVOLVE.every, **options) -> EvolveResult:
    """`evolve` on the snapshots of a run folder (training/snapshots.py), every `every`-th (the
    first and last always), with the run card's scores; `classifier` None is the bundled one of
    the run's dataset. `options` are evolve's."""
    from latentkit.device import pick_device
    from latentkit.generator.cards import read_card
    from latentkit.generator.registry import default_classifier, load_classifier, load_generator
    from latentkit.training.snapshots import read_snapshots

    check_values(EvolveOptions, {"every": every})
    snapshots = read_snapshots(run)
    keep = sorted({*range(0, len(snapshots), every), len(snapshots) - 1})
    snapshots = [snapshots[i] for i in keep]
    dev = pick_device(device)
    generators = [load_generator(s.path, device=dev) for s in snapshots]
    clf = load_classifier(default_classifier(generators[0].dataset) if classifier is None else classifier,
                          device=dev)
    card_path = Path(run) / "card.json"
    card = read_card(card_path) if card_path.is_file() else {}
    result = evolve(generators, clf, [s.epoch for s in snapshots], [s.images for s in snapshots],
                    training_scores=card.get("progress", []) if isinstance(card, dict) else [], **options)
    result.params.update(run=str(run), every=every)
    return result


def run(
    run_folder: str | os.PathLike, classifier: str | None = None, device: str = "auto",
    out: str | os.PathLike | None = None, command: str | None = None, *,
    samples: int = EVOLVE.samples, map_samples: int = EVOLVE.map_samples, method: str = EVOLVE.method,
    real: int = EVOLVE.real, shown: int = EVOLVE.shown, every: int = EVOLVE.every, seed: int = 0,
    allow_mismatch: bool = False, progress: bool = True, data_dir: str | os.PathLike | None = None,
) -> tuple[EvolveResult, list[Path]]:
    """evolve_run, then write evolve.h5, evolve.png, evolve.gif (the grid at every snapshot)
    and evolve.html (the map with a slider through the snapshots) into `out`."""
    from latentkit.results.output import output_dir, write_outputs
    from latentkit.results.plotting import save_evolution_gif
    from latentkit.web.evolve_page import write_evolve_html

    options = {"samples": samples, "map_samples": map_samples, "method": method, "real": real, "shown": shown}
    check_values(EvolveOptions, {**options, "every": every})  # before anything loads
    folder = output_dir(out, ANALYSIS)
    result = evolve_run(run_folder, classifier, device, every, seed=seed, allow_mismatch=allow_mismatch,
                        progress=progress, data_dir=data_dir, **options)
    extras = {".gif": lambda path: save_evolution_gif(result.grid, [result.label(i) for i in range(len(result.epochs))],
                                                      path)}
    if result.embedding is not None:
        extras[".html"] = lambda path: write_evolve_html(result, path)
    provenance = {"run": str(run_folder), "classifier": str(classifier or ""), **result.params}
    return result, write_outputs(result, plot_evolve(result), folder, ANALYSIS, provenance, seed, command,
                                 extras=extras)
