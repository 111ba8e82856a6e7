"""Edit: follow a direction from chosen latents, step by step, and watch the class change.

Three ways to choose the direction:
- toward a class: `edit(g, clf, start=3, toward=8)` moves latents read as 3 along the
  normal of the 8-vs-rest boundary (InterFaceGAN), past the boundary; each path records the
  step where the classifier first reads 8. `boundary="pair"` uses the 3-vs-8 boundary
  instead, which benchmarks/edit_success.py found to stray into third classes more often.
- toward every class (the style grid): `edit(g, clf, toward="all")` moves each base latent
  toward each class, one column per class, and keeps the first step the classifier reads
  as that class (just across its boundary); it measures how much of the base's handwriting
  (ink, slant, width, height) each edit keeps.
- a stored direction: `edit(g, clf, direction=vector)`, e.g. from `load_direction`.

`z` replaces the sampled base latents with the user's own; `keep_norm` keeps each path on
its base latent's shell (|z|), which a straight move leaves.

    r = edit(g, clf, start=3, toward=8, samples=8)
    r.flip_step        # (8, 1): first step read as 8, -1 if never
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

from latentkit.analyses.directions import labelled_latents
from latentkit.errors import ConfigError
from latentkit.generator.contract import GeneratorLike
from latentkit.generator.handle import DEFAULT_GENERATOR, Models, as_models
from latentkit.generator.sampling import (
    BATCH,
    check_class,
    check_truncation,
    generate_and_classify,
    prior_latents,
)
from latentkit.limits import (
    MAX_EXTENT,
    MAX_IMAGES,
    MAX_SWEEP_SAMPLES,
    SEED_MAX,
    check_finite,
    check_seed,
    check_size,
)
from latentkit.measure.reading import UNSURE, readings
from latentkit.measure.style import STYLE_FEATURES, style_features, style_kept
from latentkit.models import Classifier
from latentkit.options import check_values
from latentkit.options.edit import DEFAULT_SAMPLES, EDIT, EditOptions
from latentkit.progress import Phases
from latentkit.results.stored import StoredResult
from latentkit.results.tables import Columns, classified, grid
from latentkit.space import boundaries

__all__ = ["EditResult", "edit"]  # what `latentkit.analyses` exports

ANALYSIS = "edit"
DEFAULT_STRENGTH = {"toward": (0.0, 6.0), "all": (0.0, 6.0), "direction": (-3.0, 3.0)}
NO_TARGET = -1  # targets entry of a stored direction, which aims at no class


@dataclass
class EditResult(StoredResult):
    ANALYSIS: ClassVar[str] = ANALYSIS
    MEANINGS: ClassVar[dict[str, str]] = {
        "base_z": "latents before editing, (samples, latent_dim)",
        "base_images": "images of the base latents, uint8 0-255, (samples, 28, 28)",
        "base_probs": "classifier probabilities of the base images, (samples, classes)",
        "vectors": "unit directions followed, one per target, (targets, latent_dim)",
        "targets": "class each direction aims at, -1 for a stored direction, (targets,)",
        "strengths": "distance moved along the direction at each step, latent units, (samples, targets, steps)",
        "z": "latents along each path, (samples, targets, steps, latent_dim)",
        "images": "images along each path, uint8 0-255, (samples, targets, steps, 28, 28)",
        "probs": "classifier probabilities along each path, (samples, targets, steps, classes)",
        "flip_step": "first step read as the target with probability >= params' confident (a stored direction: "
                     "first step read so as another class than the base), -1 if none, (samples, targets)",
        "latent_norm": "|z| along each path, (samples, targets, steps)",
        "base_style": "ink, slant, width, height of each base image, (samples, 4)",
        "edited_style": "the same for each path's first image read as its target (else its last), "
                        "(samples, targets, 4)",
    }
    SHAPES: ClassVar[dict[str, tuple]] = {
        "base_z": ("samples", "latent_dim"), "base_images": ("samples", 28, 28), "base_probs": ("samples", "classes"),
        "vectors": ("targets", "latent_dim"), "targets": ("targets",), "strengths": ("samples", "targets", "steps"),
        "z": ("samples", "targets", "steps", "latent_dim"), "images": ("samples", "targets", "steps", 28, 28),
        "probs": ("samples", "targets", "steps", "classes"),
    }

    base_z: np.ndarray  # (S, d)
    base_images: np.ndarray  # (S, 28, 28) uint8
    base_probs: np.ndarray  # (S, C)
    vectors: np.ndarray  # (T, d)
    targets: np.ndarray  # (T,) class or NO_TARGET
    strengths: np.ndarray  # (S, T, K)
    z: np.ndarray  # (S, T, K, d)
    images: np.ndarray  # (S, T, K, 28, 28) uint8
    probs: np.ndarray  # (S, T, K, C)
    mode: str  # "toward", "all" or "direction"
    direction: str  # what was followed, in words
    class_names: list[str]
    params: dict = field(default_factory=dict)

    @property
    def labels(self) -> np.ndarray:
        return self.probs.argmax(-1)  # (S, T, K)

    @property
    def readings(self) -> np.ndarray:
        """(S, T, K) the class each step is read as, UNSURE (-1) below the confident probability."""
        return readings(self.probs, self.confident)

    @property
    def flip_step(self) -> np.ndarray:
        """(S, T) the first step read as the target (a stored direction: as a class other than the
        base latent's reading), -1 if none is."""
        base = readings(self.base_probs, self.confident)[:, None, None]
        wanted = np.where(self.targets[None, :, None] >= 0, self.readings == self.targets[None, :, None],
                          (self.readings != base) & (self.readings != UNSURE))
        return np.where(wanted.any(-1), wanted.argmax(-1), -1)

    @property
    def success(self) -> np.ndarray:
        """(S, T): the last step is read as the target (False for a stored direction)."""
        return self.readings[:, :, -1] == self.targets[None, :]

    @property
    def flip_strength(self) -> np.ndarray:
        """(S, T): strength at the flip step, NaN where the label never flips."""
        step = self.flip_step
        picked = np.take_along_axis(self.strengths, np.maximum(step, 0)[..., None], -1)[..., 0]
        return np.where(step >= 0, picked, np.nan)

    @property
    def latent_norm(self) -> np.ndarray:
        return np.linalg.norm(self.z, axis=-1)

    @property
    def base_style(self) -> np.ndarray:
        return style_features(self.base_images)

    @property
    def crossed(self) -> np.ndarray:
        """(S, T) step index of each path's edit: the first step read as the target, else the last."""
        step = self.flip_step
        return np.where(step >= 0, step, self.strengths.shape[-1] - 1)

    @property
    def edited_images(self) -> np.ndarray:
        """(S, T, 28, 28): each path's image at its `crossed` step."""
        return np.take_along_axis(self.images, self.crossed[..., None, None, None], 2)[:, :, 0]

    @property
    def edited_style(self) -> np.ndarray:
        return style_features(self.edited_images)

    def style_kept(self) -> dict[str, float]:
        """Per style feature, the correlation across base latents between base and edit (measure/style.py)."""
        return dict(zip(STYLE_FEATURES, style_kept(self.base_style, self.edited_style).tolist(), strict=True))

    def derived(self) -> dict[str, np.ndarray]:
        return {m: getattr(self, m) for m in ("flip_step", "latent_norm", "base_style", "edited_style")}

    def tables(self) -> dict[str, Columns]:
        samples, targets, steps = self.labels.shape
        sample, target, step = grid(samples, targets, steps)
        flip = self.flip_step[sample, target]
        return {"steps": {"sample": sample, "target": self.targets[target], "step": step,
                          "strength": self.strengths.ravel(), "norm": self.latent_norm.ravel(),
                          **classified(self.probs.reshape(-1, self.probs.shape[-1]), self.class_names),
                          "base_label": self.base_probs.argmax(-1)[sample], "flipped": (flip >= 0) & (step >= flip)},
                "edits": {"sample": grid(samples, targets)[0], "target": np.tile(self.targets, samples),
                          "flip_step": self.flip_step.ravel(), "flip_strength": self.flip_strength.ravel(),
                          "success": self.success.ravel(),
                          **{f"{name}_base": np.repeat(self.base_style[:, i], targets)
                             for i, name in enumerate(STYLE_FEATURES)},
                          **{f"{name}_edited": self.edited_style[..., i].ravel()
                             for i, name in enumerate(STYLE_FEATURES)}}}

    def draw(self):
        return plot_edit(self)


def confident_latents(generator: GeneratorLike, classifier: Classifier, label: int, n: int, pool: int,
                      seed: int, truncation: float = 1.0) -> torch.Tensor:
    """The first n of `pool` prior latents (truncated by `truncation`) read as `label`
    (measure/reading.py): typical examples of the class, not only its most convincing ones."""
    z = prior_latents(generator, pool, seed, truncation)
    hits = torch.empty(0, dtype=torch.long)
    for start in range(0, pool, BATCH):  # stop as soon as n are found: the answer is the same, sooner
        probs = generate_and_classify(generator, classifier, z[start:start + BATCH], images=False).probs
        found = torch.from_numpy(np.flatnonzero(readings(probs.numpy()) == label))
        hits = torch.cat([hits, found + start])
        if len(hits) >= n:
            break
    if len(hits) < n:
        raise ConfigError(f"only {len(hits)} of {pool} samples read confidently as {classifier.classes[label]}; "
                          f"raise --pool or lower --samples")
    return z[hits[:n]]


def _mode(toward, direction) -> str:
    if (toward is None) == (direction is None):
        raise ConfigError("give --toward CLASS (or all) or --direction FILE.h5:KEY, one of them")
    if direction is not None:
        return "direction"
    return "all" if str(toward).strip().lower() == "all" else "toward"


def _base_latents(generator, classifier, start, z, samples, pool, seed, truncation) -> torch.Tensor:
    if z is not None:
        if start is not None or samples is not None:
            raise ConfigError("--z gives the base latents itself; drop --from and --samples")
        z, d = np.asarray(z), generator.latent_dim
        if z.dtype.kind not in "fiu" or z.size == 0 or z.size % d or (z.ndim > 1 and z.shape[-1] != d):
            raise ConfigError(f"--z holds {z.dtype} values of shape {z.shape}; this generator needs latents of "
                              f"shape ({d},) or (n, {d})")
        z = z.reshape(-1, d)
        check_size("latents in --z", len(z), 1, MAX_SWEEP_SAMPLES)
        if not np.isfinite(z).all():
            raise ConfigError("--z holds NaN or infinite values; give finite latents")
        return torch.as_tensor(z, dtype=torch.float32)
    samples = DEFAULT_SAMPLES if samples is None else samples
    # Fresh latents, not the ones the boundaries are fitted on.
    base_seed = (seed + 1) % (SEED_MAX + 1)
    if start is None:
        return prior_latents(generator, samples, base_seed, truncation)
    return confident_latents(generator, classifier, start, samples, pool, base_seed, truncation)


def _boundaries(z, labels, start, toward: list[int], boundary: str, condition_on, seed) -> np.ndarray:
    """Edit directions (T, d): one boundary normal per target class, conditioned."""
    fits = [boundaries.fit_boundary(z, labels, [t], [start] if boundary == "pair" else None, seed) for t in toward]
    one_vs_rest = dict(zip(toward, fits, strict=True)) if boundary == "one-vs-rest" else {}
    conditions = {c: (one_vs_rest.get(c) or boundaries.fit_boundary(z, labels, [c], seed=seed)).normal
                  for c in condition_on}  # a condition that is also a target is fitted once
    vectors = []
    for t, fit in zip(toward, fits, strict=True):
        others = np.array([n for c, n in conditions.items() if c not in (t, start)]).reshape(-1, z.shape[1])
        vectors.append(boundaries.project_out(fit.normal, others))
    return np.array(vectors)


def edit(
    generator: Models | GeneratorLike, classifier: Classifier | None = None, *, start: int | str | None = None,
    toward: int | str | None = None, direction: np.ndarray | None = None, direction_label: str = "a given direction",
    z: np.ndarray | None = None, samples: int | None = EDIT.samples, steps: int = EDIT.steps,
    strength: Sequence[float] | None = None, boundary: str | None = EDIT.boundary,
    condition_on: Sequence[int | str] = (), keep_norm: bool = EDIT.keep_norm,
    fit_samples: int = EDIT.fit_samples, pool: int = EDIT.pool, seed: int = 0, allow_mismatch: bool = False,
    truncation: float = 1.0,
) -> EditResult:
    """Follow a direction from base latents in `steps` steps; see the module docstring for the
    three modes. `strength` (lo, hi) is the distance range along the unit direction (default
    0..6 toward a class, -3..3 for a stored one). `boundary` is "one-vs-rest" (default) or
    "pair" (needs `start`). Boundaries are fitted on the confident ones of `fit_samples`
    prior latents. `truncation` truncates the prior (sampling.prior_latents) for the drawn base
    latents and the fitted ones; latents given as `z` are used as they are."""
    check_values(EditOptions, {"samples": samples, "steps": steps, "boundary": boundary, "keep_norm": keep_norm,
                               "fit_samples": fit_samples, "pool": pool})
    mode = _mode(toward, direction)
    models = as_models(generator, classifier, allow_mismatch)
    generator, classifier, record = models.generator, models.classifier, models.record
    classes = classifier.classes
    start = None if start is None else check_class(classifier, start)
    target = check_class(classifier, toward) if mode == "toward" else None
    condition_on = [check_class(classifier, c) for c in condition_on]
    boundary = boundary or "one-vs-rest"
    _check(mode, start, target, strength, boundary, condition_on, classes)
    check_seed(seed)
    check_truncation(truncation)
    lo, hi = DEFAULT_STRENGTH[mode] if strength is None else strength
    for value in (lo, hi):
        check_finite("strength", value, -MAX_EXTENT, MAX_EXTENT)
    base = _base_latents(generator, classifier, start, z, samples, pool, seed, truncation)
    d = generator.latent_dim
    if keep_norm and bool((base.norm(dim=1) < 1e-6).any()):
        raise ConfigError("--keep-norm keeps each path at its base latent's length, and a base latent here has "
                          "length 0 (all zeros): its path could not move; drop --keep-norm or give other latents")

    targets = {"toward": [target], "all": list(range(len(classes))), "direction": [NO_TARGET]}[mode]
    check_size("samples x targets x steps images", len(base) * len(targets) * steps, 1, MAX_IMAGES)
    if mode == "direction":
        vectors = _checked_direction(direction, d)[None]
    else:
        fit_z, fit_labels = labelled_latents(generator, classifier, fit_samples, seed, truncation)
        vectors = _boundaries(fit_z, fit_labels, start, targets, boundary, condition_on, seed)
    strengths = np.broadcast_to(np.linspace(lo, hi, steps, dtype=np.float32),
                                (len(base), len(targets), steps)).copy()  # a writable array, not a view

    v = torch.as_tensor(vectors, dtype=torch.float32)
    path = base[:, None, None] + torch.as_tensor(strengths)[..., None] * v[None, :, None]  # (S, T, K, d)
    if keep_norm:
        path = path * (base.norm(dim=1)[:, None, None, None] / path.norm(dim=-1, keepdim=True).clamp_min(1e-12))
    images, probs, _ = generate_and_classify(generator, classifier, torch.cat([base, path.reshape(-1, d)]))
    n = len(base)
    shape = path.shape[:3]
    return EditResult(
        base_z=base.numpy(), base_images=images[:n].numpy(), base_probs=probs[:n].numpy(),
        vectors=vectors.astype(np.float32), targets=np.array(targets), strengths=strengths, z=path.numpy(),
        images=images[n:].reshape(*shape, 28, 28).numpy(), probs=probs[n:].reshape(*shape, -1).numpy(),
        mode=mode, direction=_describe(mode, start, target, boundary, direction_label, classes),
        class_names=classes,
        params={"start": start, "toward": target, "boundary": None if mode == "direction" else boundary,
                "condition_on": condition_on, "keep_norm": keep_norm,
                "fit_samples": None if mode == "direction" else fit_samples, "seed": seed,
                "truncation": truncation,
                "user_latents": z is not None, **record},
    )


def _check(mode, start, target, strength, boundary, condition_on, classes) -> None:
    if mode == "toward" and start == target:
        raise ConfigError(f"--from {classes[start]} --toward {classes[target]} edits a class into itself; "
                          "give two different classes")
    if boundary == "pair" and (mode != "toward" or start is None):
        raise ConfigError("a pair boundary needs --from and a single --toward class; use one-vs-rest")
    if mode == "direction" and condition_on:
        raise ConfigError("--condition-on conditions a class boundary; a stored direction is followed as it is")
    for c in condition_on:
        if c in (start, target):
            role = "starts from" if c == start else "moves toward"
            raise ConfigError(f"--condition-on {classes[c]} is the class the edit {role}: a direction that crosses "
                              f"the {classes[c]} boundary cannot hold it fixed; drop it from --condition-on")
    if strength is not None and len(strength) != 2:
        raise ConfigError(f"strength is (start, stop), got {strength!r}")


def _checked_direction(direction, d: int) -> np.ndarray:
    v = np.asarray(direction, dtype=np.float64).reshape(-1)
    if v.shape != (d,) or not np.isfinite(v).all() or not np.linalg.norm(v) > 0:
        raise ConfigError(f"the direction must be {d} finite numbers, not all zero; got shape {np.shape(direction)}")
    return v / np.linalg.norm(v)


def _describe(mode, start, target, boundary, direction_label, classes) -> str:
    if mode == "direction":
        return direction_label
    if mode == "all":
        return "each class's one-vs-rest boundary normal"
    if boundary == "pair":
        return f"the {classes[start]}-vs-{classes[target]} boundary normal"
    return f"the {classes[target]}-vs-rest boundary normal"


def plot_edit(result: EditResult, max_rows: int = 12, fig=None):
    """The style grid for `--toward all`, else one row of steps per base latent with the
    flip step framed. Returns the figure."""
    return (_plot_grid if result.mode == "all" else _plot_paths)(result, max_rows, fig)


def _tile(ax, image, title: str, color: str) -> None:
    ax.imshow(image, cmap="gray_r", vmin=0, vmax=255)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=7, color=color, pad=1)


def _plot_paths(result: EditResult, max_rows: int, fig):
    from latentkit.results.plotting import new_figure, reading_label

    rows = min(len(result.base_z), max_rows)
    steps = result.strengths.shape[-1]
    fig = fig or new_figure(figsize=(0.95 * steps + 1.2, 1.05 * rows + 1.3), layout="constrained")
    axes = fig.subplots(rows, steps, squeeze=False)
    flips = result.flip_step[:, 0]
    confident = result.confident
    for (s, k), ax in np.ndenumerate(axes):
        _tile(ax, result.images[s, 0, k], *reading_label(result.probs[s, 0, k], result.class_names, confident))
        if k == flips[s]:
            for spine in ax.spines.values():
                spine.set(color="#d62728", linewidth=2.5)
        if s == rows - 1:
            ax.set_xlabel(f"{result.strengths[s, 0, k]:+.2f}", fontsize=8)
        if k == 0:
            ax.set_ylabel(f"|z| {result.latent_norm[s, 0, 0]:.1f}→{result.latent_norm[s, 0, -1]:.1f}", fontsize=7)
    fig.suptitle(_path_title(result), fontsize=10)
    fig.supxlabel("strength along the direction (latent units); red frame: first step read as the target", fontsize=8)
    return fig


def _path_title(result: EditResult) -> str:
    target = int(result.targets[0])
    strengths = result.flip_strength[:, 0]
    flipped = np.isfinite(strengths)
    mean = f", at strength {np.nanmean(strengths):.2f} on average" if flipped.any() else ""
    start = result.params.get("start")
    origin = f"{result.class_names[start]}s" if start is not None else "latents"
    if target == NO_TARGET:
        what = f"{flipped.sum()} of {len(flipped)} change class{mean}"
    else:
        what = (f"{result.success[:, 0].sum()} of {len(flipped)} read as {result.class_names[target]} at the end; "
                f"{flipped.sum()} reach it{mean}")
    norm = " (kept at |z|)" if result.params.get("keep_norm") else ""
    return f"{origin} moved along {result.direction}{norm}: {what}"


def _plot_grid(result: EditResult, max_rows: int, fig):
    from latentkit.results.plotting import class_color, new_figure

    rows, cols = min(len(result.base_z), max_rows), len(result.targets) + 1
    fig = fig or new_figure(figsize=(0.95 * cols + 0.6, 1.1 * rows + 1.3), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    for s in range(rows):
        base = result.base_probs[s].argmax()
        _tile(axes[s, 0], result.base_images[s], f"base: {result.class_names[base]}", "#333333")
        for t, target in enumerate(result.targets):
            k = result.crossed[s, t]
            read = result.readings[s, t, k]
            mark = f"✓ {result.strengths[s, t, k]:.2g}" if read == target else \
                f"✗ {'unsure' if read == UNSURE else result.class_names[read]}"
            _tile(axes[s, t + 1], result.images[s, t, k], f"{result.class_names[target]} {mark}",
                  class_color(target) if read == target else "#555555")
    kept = ", ".join(f"{k} {v:.2f}" for k, v in result.style_kept().items())
    reached = (result.flip_step >= 0).mean()
    fig.suptitle(f"Each row one base latent (its handwriting) moved toward each class until the classifier reads it "
                 f"(✓ strength): {reached:.0%} reached within {result.strengths.max():.2g}\n"
                 f"style kept (correlation of base and edit across rows): {kept}", fontsize=10)
    return fig


def run(
    model: str = DEFAULT_GENERATOR, classifier: str | None = None, device: str = "auto",
    out: str | os.PathLike | None = None, command: str | None = None, *, start: int | str | None = None,
    toward: int | str | None = None, direction: str | None = None, z: str | os.PathLike | None = None,
    image: str | os.PathLike | None = None, samples: int | None = EDIT.samples, steps: int = EDIT.steps,
    strength: Sequence[float] | None = None, boundary: str | None = EDIT.boundary,
    condition_on: Sequence[int | str] = (), keep_norm: bool = EDIT.keep_norm, fit_samples: int = EDIT.fit_samples,
    pool: int = EDIT.pool, seed: int = 0, truncation: float = 1.0, allow_mismatch: bool = False,
    progress: bool = True,
) -> tuple[EditResult, list[Path]]:
    """Load models (and a `--direction FILE.h5:KEY`, `--z FILE.npy` or `--image` pictures, which
    are inverted first), edit, write edit.h5 + edit.png into `out`."""
    from latentkit.analyses.directions import load_direction
    from latentkit.analyses.interpolate import load_latent
    from latentkit.results.output import output_dir, refuse_overwriting_inputs, write_outputs

    options = {"samples": samples, "steps": steps, "boundary": boundary, "keep_norm": keep_norm,
               "fit_samples": fit_samples, "pool": pool}
    check_values(EditOptions, options)  # before the models load
    if z is not None and image is not None:
        raise ConfigError("give --z (latents) or --image (pictures to invert), not both")
    folder = output_dir(out, ANALYSIS)
    refuse_overwriting_inputs(folder, ANALYSIS, [z, image, direction and str(direction).partition(".h5:")[0] + ".h5"])
    vector, label, made = load_direction(direction) if direction is not None else (None, "a given direction", {})
    latents = load_latent(z).numpy() if z is not None else None  # flat; edit() reshapes it to (n, d)
    real = None
    if image is not None:
        from latentkit.data.images import load_image_files

        real = load_image_files([image])
    with Phases(ANALYSIS, 3 + (real is not None), enabled=progress) as bar:
        bar.start("loading models")
        models = Models.load(model, classifier, device, allow_mismatch)
        if direction is not None:
            models.check_made_for(str(direction).partition(".h5:")[0] + ".h5", made.get("generator"),
                                  made.get("generator_sha256"))
        if real is not None:
            from latentkit.analyses.invert import invert_real

            bar.start(f"inverting {len(real.images)} image(s)")
            latents = invert_real(models, model, real.images).numpy()
        what = "the given direction" if direction is not None else f"boundaries fitted on {fit_samples} latents"
        bar.start(f"editing along {what}")
        result = edit(models, start=start, toward=toward, direction=vector, direction_label=label, z=latents,
                      strength=strength, condition_on=condition_on, seed=seed, truncation=truncation, **options)
        if real is not None:
            result.params.update(images=real.names)
        bar.start("drawing the figure, writing files")
        return result, write_outputs(result, plot_edit(result), folder, ANALYSIS, models.provenance, seed, command)
