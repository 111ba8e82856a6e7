"""Invert: real digits into the latent space, and how well the generator can draw them.

Every image is inverted (latentkit/space/inversion.py) and then compared three ways: the
reconstruction's pixel error and PSNR; whether the classifier reads the reconstruction as
the real digit (its true label when known, else the classifier's reading of the real
image); and a yardstick, the nearest of 10,000 generated samples in pixels, which
inversion must beat. Per class, the same numbers are the generator's **reachability**:
which real digits it cannot draw, a mode-coverage diagnosis the sample metrics miss.

    real = load_dataset_images("mnist", "test", "0:500")
    r = invert(g, clf, real)
    r.summary()            # agreement, MSE, PSNR, and the nearest-sample yardstick
    r.reachability()       # per class
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

from latentkit.data.images import RealImages
from latentkit.errors import ConfigError
from latentkit.generator.contract import GeneratorLike, module_device
from latentkit.generator.handle import DEFAULT_GENERATOR, Models, as_models
from latentkit.generator.sampling import (
    check_truncation,
    classify_images,
    generate_and_classify,
    prior_latents,
)
from latentkit.limits import MAX_SAMPLES, check_seed, check_size
from latentkit.measure.reading import readings
from latentkit.models import Classifier
from latentkit.options import check_values, values_of
from latentkit.options.invert import INVERT, InvertOptions
from latentkit.results.stored import StoredResult
from latentkit.results.tables import Columns
from latentkit.space.inversion import InvertConfig, invert_images

__all__ = ["InvertResult", "invert"]  # what `latentkit.analyses` exports

ANALYSIS = "invert"
NEAREST_POOL = 10_000  # generated samples the nearest-sample yardstick searches
SHOWN = 12  # pairs the figure shows first, and again the worst


@dataclass
class InvertResult(StoredResult):
    ANALYSIS: ClassVar[str] = ANALYSIS
    MEANINGS: ClassVar[dict[str, str]] = {
        "targets": "the real images, uint8 0-255, light ink on black, (images, 28, 28)",
        "true_labels": "their true classes when known (dataset splits), (images,)",
        "z": "the latents found, (images, latent_dim)",
        "reconstructions": "G(z), uint8 0-255, (images, 28, 28)",
        "target_probs": "classifier probabilities of the real images, (images, classes)",
        "recon_probs": "classifier probabilities of the reconstructions, (images, classes)",
        "loss": "final inversion loss (pixel MSE + feature and prior terms), (images,)",
        "nearest_images": "the nearest (pixel L2) of the generated samples, uint8 0-255, (images, 28, 28)",
        "nearest_probs": "classifier probabilities of those samples, (images, classes)",
        "mse": "pixel mean squared error of the reconstruction, pixels in [0, 1], (images,)",
        "psnr": "peak signal-to-noise ratio of the reconstruction, dB, (images,)",
        "nearest_mse": "the same error for the nearest generated sample, (images,)",
    }
    SHAPES: ClassVar[dict[str, tuple]] = {
        "targets": ("images", 28, 28), "true_labels": ("images",), "z": ("images", "latent_dim"),
        "reconstructions": ("images", 28, 28), "target_probs": ("images", "classes"),
        "recon_probs": ("images", "classes"), "loss": ("images",), "nearest_images": ("images", 28, 28),
        "nearest_probs": ("images", "classes"),
    }

    targets: np.ndarray
    z: np.ndarray
    reconstructions: np.ndarray
    target_probs: np.ndarray
    recon_probs: np.ndarray
    loss: np.ndarray
    nearest_images: np.ndarray
    nearest_probs: np.ndarray
    names: list[str]
    notes: list[str]
    class_names: list[str]
    true_labels: np.ndarray | None = None
    params: dict = field(default_factory=dict)

    @property
    def reference_labels(self) -> np.ndarray:
        """What each real image is: its true label when known, else the classifier's reading."""
        return self.true_labels if self.true_labels is not None else self.target_probs.argmax(1)

    @property
    def mse(self) -> np.ndarray:
        return _mse(self.reconstructions, self.targets)

    @property
    def psnr(self) -> np.ndarray:
        return 10 * np.log10(1 / np.maximum(self.mse, 1e-10))

    @property
    def nearest_mse(self) -> np.ndarray:
        return _mse(self.nearest_images, self.targets)

    @property
    def agrees(self) -> np.ndarray:
        """(N,) the classifier reads the reconstruction as the real digit (probability >= params' confident)."""
        return readings(self.recon_probs, self.confident) == self.reference_labels

    @property
    def nearest_agrees(self) -> np.ndarray:
        return readings(self.nearest_probs, self.confident) == self.reference_labels

    def summary(self) -> dict[str, float]:
        """Label agreement, pixel MSE and PSNR of the inversions beside the nearest-sample yardstick."""
        return {"images": len(self.targets), "agreement": float(self.agrees.mean()),
                "nearest_agreement": float(self.nearest_agrees.mean()), "mse": float(self.mse.mean()),
                "nearest_mse": float(self.nearest_mse.mean()), "psnr_median": float(np.median(self.psnr))}

    def reachability(self) -> dict[str, np.ndarray]:
        """Per class of the real images: count, label agreement, mean MSE, and the yardstick's."""
        labels, classes = self.reference_labels, len(self.class_names)
        count = np.bincount(labels, minlength=classes)

        def per_class(values: np.ndarray) -> np.ndarray:
            sums = np.bincount(labels, weights=values.astype(np.float64), minlength=classes)
            return np.where(count > 0, sums / np.maximum(count, 1), np.nan)

        return {"count": count, "agreement": per_class(self.agrees), "mse": per_class(self.mse),
                "nearest_agreement": per_class(self.nearest_agrees), "nearest_mse": per_class(self.nearest_mse)}

    def derived(self) -> dict[str, np.ndarray]:
        return {"mse": self.mse, "psnr": self.psnr, "nearest_mse": self.nearest_mse}

    def tables(self) -> dict[str, Columns]:
        n = len(self.targets)
        true = self.true_labels if self.true_labels is not None else np.full(n, -1)
        reach = self.reachability()
        return {"images": {"image": np.arange(n), "name": np.array(self.names, dtype=object), "true_label": true,
                           "target_label": self.target_probs.argmax(1), "recon_label": self.recon_probs.argmax(1),
                           "recon_confidence": self.recon_probs.max(1), "agrees": self.agrees, "mse": self.mse,
                           "psnr": self.psnr,
                           "nearest_label": self.nearest_probs.argmax(1), "nearest_mse": self.nearest_mse},
                "classes": {"label": np.arange(len(self.class_names)),
                            "class": np.array(self.class_names, dtype=object), **reach}}

    def draw(self):
        return plot_invert(self)


def _mse(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (((a.astype(np.float32) - b.astype(np.float32)) / 255) ** 2).mean(axis=(1, 2))


def encoder_start(encoder_path: str | os.PathLike, generator: GeneratorLike, targets: torch.Tensor) -> torch.Tensor:
    """An encoder's guess of each target's latent (N, d), for InvertConfig(init="encoder")."""
    from latentkit.data.pixels import to_native
    from latentkit.training.encoder import load_encoder

    encoder = load_encoder(encoder_path, latent_dim=generator.latent_dim)  # refuses another latent size
    with torch.inference_mode():
        return torch.cat([encoder(to_native(x)) for x in targets.split(1024)])


def invert(
    generator: Models | GeneratorLike, classifier: Classifier | None = None,
    real: RealImages | None = None, config: InvertConfig | None = None,
    encoder: str | os.PathLike | None = None, nearest_pool: int = NEAREST_POOL, allow_mismatch: bool = False,
    progress=None, truncation: float = 1.0,
) -> InvertResult:
    """Invert every image of `real` (see the module docstring). `encoder` is the encoder file
    `config.init="encoder"` starts from; `progress(fraction)` is called while optimising. The
    yardstick's `nearest_pool` samples come from the prior truncated by `truncation`
    (sampling.prior_latents); the inversion itself searches all of z."""
    config = config or InvertConfig()
    if config.init == "auto":
        config = replace(config, init="random" if encoder is None else "encoder")
    if config.init == "encoder" and encoder is None:
        raise ConfigError("init 'encoder' needs an encoder: pass one (--encoder PATH, made by latentkit "
                          "train-encoder) or use --init random")
    if real is None:
        raise ConfigError("give the real images to invert: invert(models, real=RealImages(...))")
    check_size("images", len(real.images), 1, MAX_SAMPLES)
    check_values(InvertOptions, values_of(InvertOptions, config))
    check_size("nearest pool", nearest_pool, 1, MAX_SAMPLES)
    check_seed(config.seed)
    check_truncation(truncation)
    models = as_models(generator, classifier, allow_mismatch)
    generator, classifier, record = models.generator, models.classifier, models.record
    targets = torch.as_tensor(real.images)
    start = encoder_start(encoder, generator, targets) if config.init == "encoder" else None
    z, recon, loss = invert_images(generator, classifier, targets, config, start=start, progress=progress)
    target_probs = classify_images(classifier, targets).probs
    recon_probs = classify_images(classifier, recon).probs

    pool = generate_and_classify(generator, classifier, prior_latents(generator, nearest_pool, config.seed,
                                                                        truncation))
    from latentkit.measure.metrics import nearest_neighbours

    device = module_device(classifier)
    flat = lambda x: x.to(device).flatten(1).float() / 255  # noqa: E731
    nearest = nearest_neighbours(flat(targets), flat(pool.images))[1].cpu()
    return InvertResult(
        targets=real.images, z=z.numpy(), reconstructions=recon.numpy(), target_probs=target_probs.numpy(),
        recon_probs=recon_probs.numpy(), loss=loss.numpy(), nearest_images=pool.images[nearest].numpy(),
        nearest_probs=pool.probs[nearest].numpy(), names=real.names, notes=real.notes,
        class_names=classifier.classes, true_labels=real.labels,
        params={**{k: getattr(config, k) for k in config.__dataclass_fields__}, "encoder": encoder and str(encoder),
                "nearest_pool": nearest_pool, "truncation": truncation, **record},
    )


def plot_invert(result: InvertResult, fig=None):
    """Targets over reconstructions over the nearest generated sample: the first images and
    the worst by pixel error, with labels and errors; beside them, per-class reachability."""
    from latentkit.results.plotting import class_color, new_figure

    n = len(result.targets)
    first = list(range(min(SHOWN, n)))
    worst = [int(i) for i in np.argsort(-result.mse, kind="stable")[:SHOWN] if n > SHOWN]
    groups = [("first images", first)] + ([("worst by pixel error", worst)] if worst else [])
    fig = fig or new_figure(figsize=(max(12, 0.95 * SHOWN + 4), 3.6 * len(groups) + 0.8), layout="constrained")
    left, right = fig.subfigures(1, 2, width_ratios=[0.95 * SHOWN, 4.0])
    for block, (title, picks) in zip(left.subfigures(len(groups), 1, squeeze=False)[:, 0], groups, strict=True):
        axes = block.subplots(3, SHOWN, squeeze=False)
        for col in range(SHOWN):
            for row, (images, probs) in enumerate(((result.targets, result.target_probs),
                                                   (result.reconstructions, result.recon_probs),
                                                   (result.nearest_images, result.nearest_probs))):
                ax = axes[row, col]
                ax.set_xticks([])
                ax.set_yticks([])
                if col >= len(picks):
                    ax.axis("off")
                    continue
                i = picks[col]
                label = probs[i].argmax()
                ax.imshow(images[i], cmap="gray_r", vmin=0, vmax=255)
                text = result.class_names[label] if row == 0 else \
                    f"{result.class_names[label]} {(result.mse if row == 1 else result.nearest_mse)[i]:.3f}"
                ax.set_title(text, fontsize=7, color=class_color(label), pad=1)
        for row, name in enumerate(("real", "inverted", "nearest")):
            axes[row, 0].set_ylabel(name, fontsize=8)
        block.suptitle(title, fontsize=9)
    _plot_reachability(result, right.subplots())
    s = result.summary()
    fig.suptitle(f"{s['images']} real images inverted: read as the real digit {s['agreement']:.0%} "
                 f"(nearest of {result.params.get('nearest_pool', NEAREST_POOL):,} samples "
                 f"{s['nearest_agreement']:.0%}); "
                 f"pixel MSE {s['mse']:.4f} (nearest {s['nearest_mse']:.4f}); median PSNR {s['psnr_median']:.1f} dB",
                 fontsize=10)
    return fig


def _plot_reachability(result: InvertResult, ax) -> None:
    table = result.reachability()
    x = np.arange(len(result.class_names))
    ax.bar(x - 0.2, table["agreement"], 0.4, label="inverted", color="#4c72b0")
    ax.bar(x + 0.2, table["nearest_agreement"], 0.4, label="nearest sample", color="#bbbbbb")
    long = max(map(len, result.class_names)) > 2
    # Each class with its number of images: a class with none says so instead of an empty slot.
    names = [f"{name}\nn={n}" for name, n in zip(result.class_names, table["count"], strict=True)]
    ax.set_xticks(x, names, rotation=40 if long else 0, ha="right" if long else "center", fontsize=8)
    for c in np.flatnonzero(table["count"] == 0):
        ax.text(c, 0.02, "no images", rotation=90, ha="center", va="bottom", fontsize=8, color="grey")
    ax.set(ylim=(0, 1.05), ylabel="read as the real class", title="Reachability per class")
    ax.legend(fontsize=8, loc="lower right")


def run(
    model: str = DEFAULT_GENERATOR, classifier: str | None = None, device: str = "auto",
    out: str | os.PathLike | None = None, command: str | None = None, *, seed: int = 0,
    files: Sequence[str] = (), dataset: str | None = None, split: str | None = None, indices: str | None = None,
    data_dir: str | os.PathLike | None = None, encoder: str | os.PathLike | None = None,
    init: str = INVERT.init, steps: int = INVERT.steps, restarts: int = INVERT.restarts, lr: float = INVERT.lr,
    feature_weight: float = INVERT.feature_weight, prior_weight: float = INVERT.prior_weight,
    allow_mismatch: bool = False, progress: bool = True, truncation: float = 1.0,
) -> tuple[InvertResult, list[Path]]:
    """Load models and the real images (files, or a dataset split by `indices`; the generator's
    dataset by default), invert them, write invert.h5, invert.png and invert.npy (the latents,
    for `edit --z` and `interpolate --from-z`) into `out`."""
    from latentkit.progress import Phases
    from latentkit.results.output import output_dir, refuse_overwriting_inputs, write_outputs

    cfg = InvertConfig(steps=steps, restarts=restarts, lr=lr, feature_weight=feature_weight,
                       prior_weight=prior_weight, init=init, seed=seed)
    check_values(InvertOptions, values_of(InvertOptions, cfg))  # before the models load
    folder = output_dir(out, ANALYSIS)
    refuse_overwriting_inputs(folder, ANALYSIS, list(files))
    if files and (dataset is not None or split is not None):
        raise ConfigError("--dataset and --split pick images by --indices; image files are read as they are: "
                          "drop them, or give --indices instead of files")
    real = load_real(files, "", "", indices, data_dir) if files else None  # a bad file is named before the models load
    models = Models.load(model, classifier, device, allow_mismatch)
    provenance = models.provenance
    if dataset is not None and dataset != models.dataset and not allow_mismatch:
        raise ConfigError(f"the generator draws {models.dataset}, so it cannot draw {dataset} images: drop --dataset "
                          "(or --allow-mismatch to invert them anyway)")
    real = real or load_real(files, dataset or models.dataset, split or "test", indices, data_dir)
    if encoder is None and cfg.init != "random":
        encoder = default_encoder(model, required=cfg.init == "encoder")
    if encoder is not None:  # a bad encoder file is named before the work, not after
        from latentkit.training.encoder import load_encoder

        made = load_encoder(encoder, latent_dim=models.latent_dim).config
        models.check_made_for(str(encoder), made.generator, made.generator_sha256)
    with Phases("invert", 1, enabled=progress) as bar:
        bar.start(f"{len(real)} images, {cfg.steps} steps")
        result = invert(models, real=real, config=cfg, encoder=encoder, truncation=truncation,
                        progress=lambda done: bar.advance(done - bar.done))
    extras = {".npy": lambda path: _save_npy(path, result.z)}
    return result, write_outputs(result, plot_invert(result), folder, ANALYSIS, provenance, seed, command, extras)


def invert_real(models: Models, model: str, images: np.ndarray) -> torch.Tensor:
    """Latents (N, d) of uint8 real images (N, 28, 28) with `latentkit invert`'s defaults (the
    bundled encoder of `model` when there is one): for the analyses that start from real digits."""
    real = RealImages(images, [f"image {i}" for i in range(len(images))], None, [])
    result = invert(models, real=real, config=InvertConfig(), encoder=default_encoder(model, required=False),
                    nearest_pool=1)
    return torch.from_numpy(result.z)


def _save_npy(path: Path, array: np.ndarray) -> None:
    with open(path, "wb") as f:  # a file object: np.save would add .npy to the temporary name
        np.save(f, array)


def load_real(files: Sequence[str], dataset: str, split: str, indices: str | None,
              data_dir: str | os.PathLike | None = None) -> RealImages:
    """The real images a command names: files, or a dataset split by indices (not both)."""
    from latentkit.data.images import load_dataset_images, load_image_files

    if files and indices is not None:
        raise ConfigError("give image files or --indices of a dataset split, not both")
    if files:
        return load_image_files(list(files))
    if indices is None:
        raise ConfigError("give image files (PNG, JPEG, .npy, IDX, or a folder) or --indices, e.g. --indices 0:500")
    return load_dataset_images(dataset, split, indices, data_dir)


def default_encoder(model: str | os.PathLike, required: bool = True) -> Path | None:
    """The encoder made with generator `model`: a bundled generator's (trained/NAME-encoder.safetensors),
    or a run folder's (RUN/encoder.safetensors: a VAE's own, or one written there); None, or a
    ConfigError when `required`, if there is none."""
    from latentkit.generator.registry import bundled_dir

    given = Path(model)
    folder = given if given.is_dir() else given.parent if given.name == "generator.safetensors" else None
    for path in [bundled_dir() / f"{model}-encoder.safetensors", *([folder / "encoder.safetensors"] if folder else [])]:
        if path.is_file():
            return path
    if required:
        raise ConfigError(f"no bundled encoder for {model}: train one (latentkit train-encoder --model {model}) "
                          "and pass --encoder PATH, or use --init random")
    return None
