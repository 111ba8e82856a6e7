"""Interpolate: walk the latent space between digits the classifier asked for.

    result = interpolate(g, clf, [9, 4], steps=10, method="slerp")
    result.changes[0]          # step indices where the predicted digit changes
    plot_interpolation(result)

Endpoints are the most confident latents of each class among `pool` prior draws
(deterministic under `seed`); `refine` polishes them with gradient steps on the
class log-probability while holding the latent near the prior's typical norm.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

from latentkit.errors import ConfigError
from latentkit.generator.contract import GeneratorLike, module_device
from latentkit.generator.handle import DEFAULT_GENERATOR, Models, as_models
from latentkit.generator.sampling import (
    check_class,
    check_truncation,
    generate_and_classify,
)
from latentkit.limits import MAX_IMAGES, check_seed, check_size
from latentkit.measure.reading import readings
from latentkit.models import Classifier
from latentkit.options import check_values
from latentkit.options.interpolate import INTERPOLATE, InterpolateOptions
from latentkit.progress import Phases
from latentkit.results.stored import StoredResult
from latentkit.results.tables import Columns, classified, grid
from latentkit.space.geometry import lerp, slerp

__all__ = ["InterpolationResult", "interpolate"]  # what `latentkit.analyses` exports

METHODS = {"lerp": lerp, "slerp": slerp}
ANALYSIS = "interpolate"


@dataclass
class InterpolationResult(StoredResult):
    """P paths of S steps each through the waypoint classes."""

    ANALYSIS: ClassVar[str] = ANALYSIS
    MEANINGS: ClassVar[dict[str, str]] = {
        "z": "latent vectors along each path, (paths, steps, latent_dim)",
        "images": "generated images, uint8 0-255, (paths, steps, 28, 28)",
        "probs": "classifier class probabilities in [0, 1], (paths, steps, classes)",
        "labels": "predicted class (argmax of probs), (paths, steps)",
        "norms": "L2 norm of each latent, (paths, steps); the prior's typical norm is sqrt(latent_dim)",
        "real_start": "the real image inverted for the start (--from-image/--from-test), uint8 0-255, (28, 28)",
        "real_end": "the real image inverted for the end (--to-image/--to-test), uint8 0-255, (28, 28)",
    }

    SHAPES: ClassVar[dict[str, tuple]] = {
        "z": ("paths", "steps", "latent_dim"), "images": ("paths", "steps", 28, 28),
        "probs": ("paths", "steps", "classes"), "norms": ("paths", "steps"), "real_start": (28, 28),
        "real_end": (28, 28),
    }

    waypoints: list[int]  # requested classes, e.g. [3, 8, 0]; -1 marks an explicit latent
    method: str  # "lerp" or "slerp"
    steps: int  # frames per segment, both ends included
    class_names: list[str]
    z: np.ndarray  # (P, S, d) latents along each path
    images: np.ndarray  # (P, S, 28, 28) uint8
    probs: np.ndarray  # (P, S, C) classifier probabilities
    norms: np.ndarray  # (P, S) latent L2 norm
    real_start: np.ndarray | None = None  # (28, 28) uint8, the real image the path starts from, if any
    real_end: np.ndarray | None = None
    params: dict = field(default_factory=dict)

    @property
    def labels(self) -> np.ndarray:
        """(P, S) predicted class per frame."""
        return self.probs.argmax(-1)

    @property
    def changes(self) -> list[list[int]]:
        """Per path, the frame indices whose predicted class differs from the frame before."""
        return [(np.flatnonzero(row[1:] != row[:-1]) + 1).tolist() for row in self.labels]

    def derived(self) -> dict[str, np.ndarray]:
        return {"labels": self.labels}

    def tables(self) -> dict[str, Columns]:
        paths, frames = self.labels.shape
        path, frame = grid(paths, frames)
        confident = self.confident
        return {"frames": {"path": path, "frame": frame, "norm": self.norms.ravel(),
                           **classified(self.probs.reshape(paths * frames, -1), self.class_names, confident)},
                "changes": self._change_table(confident)}

    def _change_table(self, confident: float) -> Columns:
        """Each change of the likeliest class, with how sure the classifier is on either side: a
        change between frames it is unsure of is no boundary between two digits."""
        at = np.array([(p, f) for p, row in enumerate(self.changes) for f in row], dtype=int).reshape(-1, 2)
        path, frame = at[:, 0], at[:, 1]
        names, read = np.array(self.class_names, dtype=object), readings(self.probs, confident)
        return {"path": path, "frame": frame, "from_class": names[self.labels[path, frame - 1]],
                "to_class": names[self.labels[path, frame]], "confidence_before": self.probs[path, frame - 1].max(-1),
                "confidence_after": self.probs[path, frame].max(-1),
                "both_read": (read[path, frame - 1] >= 0) & (read[path, frame] >= 0)}

    def draw(self):
        return plot_interpolation(self)


def refine_latent(
    generator: GeneratorLike, classifier: Classifier, z: torch.Tensor, label: int, steps: int = 20, lr: float = 0.05,
    truncation: float = 1.0,
) -> torch.Tensor:
    """Gradient steps on z (n, d) raising log p(label), with a penalty holding |z| near sqrt(d),
    the prior's typical norm (times `truncation`, so refining keeps a truncated latent truncated).
    Runs on the generator's device; returns z on the device it came from."""
    target = truncation * math.sqrt(z.shape[-1])
    start_device = z.device
    z = z.to(module_device(generator)).clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr)
    labels = torch.full((z.shape[0],), label, dtype=torch.long, device=module_device(classifier))
    for _ in range(steps):
        logp = classifier(generator(z).to(labels.device)).log_softmax(-1)
        prior = ((z.norm(dim=-1) - target) ** 2).mean().to(logp.device)
        loss = torch.nn.functional.nll_loss(logp, labels) + 0.1 * prior
        opt.zero_grad()
        loss.backward()
        opt.step()
    return z.detach().to(start_device)


def _endpoint(models, label_or_z, pairs, pool, seed, refine, truncation, repeat=0) -> torch.Tensor:
    """(pairs, d) latents of a waypoint; the `repeat`-th time a class comes back it gets its next
    most confident latents, so `--from 9 --to 9` walks between two different 9s."""
    if isinstance(label_or_z, torch.Tensor):
        return label_or_z.reshape(1, -1).expand(pairs, -1).to(torch.float32)
    z = models.latents_for_class(label_or_z, n=pairs * (repeat + 1), pool=pool, seed=seed,
                                 truncation=truncation)[repeat * pairs:]
    if refine:
        with torch.inference_mode(False), torch.enable_grad():
            z = refine_latent(models.generator, models.classifier, z, label_or_z, steps=refine,
                              truncation=truncation)
    return z


def interpolate(
    generator: Models | GeneratorLike,
    classifier: Classifier | None = None,
    waypoints: Sequence[int | str | torch.Tensor] = (),
    steps: int = INTERPOLATE.steps,
    method: str = INTERPOLATE.method,
    pairs: int = INTERPOLATE.pairs,
    pool: int = INTERPOLATE.pool,
    refine: int = INTERPOLATE.refine,
    seed: int = 0,
    allow_mismatch: bool = False,
    truncation: float = 1.0,
) -> InterpolationResult:
    """Paths through `waypoints` (classes by number or name, e.g. 9 or "ankle-boot", or explicit
    latents of shape (d,)): one row per pair.

    Row p uses the p-th most confident latent of each class among `pool` prior draws, truncated
    by `truncation` (sampling.prior_latents; given latents are used as they are), so rows are different
    examples of the same transition. Each segment has `steps` frames, ends included;
    a path through k waypoints has (k - 1) * (steps - 1) + 1 frames.
    """
    check_values(InterpolateOptions, {"steps": steps, "method": method, "pairs": pairs, "pool": pool,
                                      "refine": refine})
    if len(waypoints) < 2:
        raise ConfigError("an interpolation needs at least two waypoints (--from and --to)")
    if pool < pairs:
        raise ConfigError(f"--pool {pool} cannot hold --pairs {pairs} examples of a class; give a --pool of at "
                          "least --pairs")
    check_seed(seed)
    check_truncation(truncation)
    check_size("pairs x frames", pairs * (len(waypoints) - 1) * steps, 1, MAX_IMAGES)
    models = as_models(generator, classifier, allow_mismatch)
    generator, classifier, record = models.generator, models.classifier, models.record
    for w in waypoints:
        if isinstance(w, torch.Tensor):
            check_latent(w, generator.latent_dim)
    # Names become class numbers only now: which names exist depends on the classifier's dataset.
    waypoints = [w if isinstance(w, torch.Tensor) else check_class(classifier, w) for w in waypoints]

    classes = [None if isinstance(w, torch.Tensor) else w for w in waypoints]
    ends = [_endpoint(models, w, pairs, pool, seed, refine, truncation,
                      repeat=0 if c is None else classes[:i].count(c))
            for i, (w, c) in enumerate(zip(waypoints, classes, strict=True))]  # each (P, d)
    t = torch.linspace(0, 1, steps)
    segments = [METHODS[method](a, b, t) for a, b in zip(ends[:-1], ends[1:], strict=True)]  # each (P, steps, d)
    z = torch.cat([segments[0]] + [s[:, 1:] for s in segments[1:]], dim=1)  # (P, S, d)
    images, probs, _ = generate_and_classify(generator, classifier, z.reshape(-1, z.shape[-1]))
    P, S = z.shape[:2]
    return InterpolationResult(
        waypoints=[-1 if isinstance(w, torch.Tensor) else w for w in waypoints],
        method=method, steps=steps, class_names=classifier.classes,
        z=z.numpy(), images=images.reshape(P, S, 28, 28).numpy(),
        probs=probs.reshape(P, S, -1).numpy(), norms=z.norm(dim=-1).numpy(),
        params={"pairs": pairs, "pool": pool, "refine": refine, "seed": seed, "truncation": truncation, **record},
    )


CHAR_WIDTH_IN = 0.065  # inches one character of the 8-point frame labels takes, with a little air


def frame_label(name: str, chars: int) -> str:
    """A class name broken into lines of at most `chars` characters at spaces and after "/"
    ("Ankle boot" -> "Ankle\nboot", "T-shirt/top" -> "T-shirt/\ntop"), a word too long for a line
    cut with ".", so neighbouring frames' labels never run together."""
    import re

    chars = max(chars, 2)
    words = [w if len(w) <= chars else w[:chars - 1] + "." for w in re.findall(r"[^ /]+/?", name)]
    lines = [words[0]]
    for word in words[1:]:
        joined = lines[-1] + ("" if lines[-1].endswith("/") else " ") + word
        if len(joined) <= chars:
            lines[-1] = joined
        else:
            lines.append(word)
    return "\n".join(lines)


def waypoint_frames(result: InterpolationResult) -> list[int]:
    """Frame index of each waypoint along a path: segment k ends at frame k * (steps - 1)."""
    return [k * (result.steps - 1) for k in range(len(result.waypoints))]


def plot_interpolation(result: InterpolationResult, fig=None):
    """For each path: an image strip labelled with each frame's class and confidence, over
    its probability curves and latent norm; waypoints passed through (--via) are boxed in
    the strip and drawn as solid lines. Returns the figure."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle
    from matplotlib.ticker import MaxNLocator

    from latentkit.results.plotting import class_color, new_figure

    P, S = result.labels.shape
    confident = result.confident
    width = max(8.0, 0.8 * S)
    frame = 0.72 * width / S  # inches per frame, so frames stay about square
    labels = [[frame_label(result.class_names[c], int(frame / CHAR_WIDTH_IN)) for c in row] for row in result.labels]
    label_lines = max(text.count("\n") + 1 for row in labels for text in row)
    fig = fig or new_figure(figsize=(width, P * (frame + 3.4 + 0.12 * label_lines)), layout="constrained")
    rows = fig.subfigures(P, 1, squeeze=False)[:, 0]
    x = np.arange(S)
    names = ["z" if w < 0 else result.class_names[w] for w in result.waypoints]
    real_names = result.params.get("real_names", {})  # {"start": "mnist test 17", "end": "four.png"}
    names[0] = real_names.get("start", "real digit") if result.real_start is not None else names[0]
    names[-1] = real_names.get("end", "real digit") if result.real_end is not None else names[-1]
    via = list(zip(waypoint_frames(result)[1:-1], names[1:-1], strict=True))
    for p, row in enumerate(rows):
        strip, curves = row.subplots(2, 1, height_ratios=[frame, 1.8])
        strip.imshow(np.concatenate(list(result.images[p]), axis=1), cmap="gray_r", vmin=0, vmax=255,
                     extent=(-0.5, S - 0.5, 0, 1), aspect="auto")
        strip.set(xticks=[], yticks=[], xlim=(-0.5, S - 0.5))
        for s in range(S):
            label, sure = int(result.labels[p, s]), result.probs[p, s].max() >= confident
            strip.text(s, 1.04, f"{labels[p][s] if sure else 'unsure'}\n{result.probs[p, s, label]:.2f}", ha="center",
                       va="bottom", fontsize=8, color=class_color(label) if sure else "grey", transform=strip.transData)
        for s, _ in via:
            strip.add_patch(Rectangle((s - 0.5, 0), 1, 1, fill=False, ec="black", lw=2.5, clip_on=False))
        for real, side, end in ((result.real_start, -1.0, "start"), (result.real_end, 1.0, "end")):
            if real is not None:  # the real digit beside the end inverted from it
                x0 = -1.1 / S if side < 0 else 1 + 0.1 / S
                inset = strip.inset_axes((x0, 0, 1 / S, 1), transform=strip.transAxes)
                inset.imshow(real, cmap="gray_r", vmin=0, vmax=255)
                inset.set(xticks=[], yticks=[])
                inset.set_xlabel(real_names.get(end, "real").replace("mnist ", "").replace("fashion-mnist ", ""),
                                 fontsize=8, color="#c00000")
                for spine in inset.spines.values():
                    spine.set(color="#c00000", lw=2)
        strip.set_title(f"{' → '.join(names)} ({result.method}, row {p + 1})", pad=6 + 11 * (label_lines + 1),
                        fontsize=11)

        shown = np.flatnonzero(result.probs[p].max(0) >= 0.05)
        for c in shown:
            curves.plot(x, result.probs[p, :, c], color=class_color(c), lw=2, label=result.class_names[c])
        for change in result.changes[p]:
            curves.axvline(change - 0.5, color="grey", ls=":", lw=1)
        for s, name in via:
            curves.axvline(s, color="black", lw=1)
            curves.text(s, 1.01, f"via {name}", ha="center", va="bottom", fontsize=8,
                        transform=curves.get_xaxis_transform())
        curves.set(xlim=(-0.5, S - 0.5), ylim=(0, 1.02), ylabel="p(class)", xlabel="frame")
        curves.xaxis.set_major_locator(MaxNLocator(integer=True))
        norm_ax = curves.twinx()
        norm_ax.plot(x, result.norms[p], color="black", ls="--", lw=1)
        norm_ax.set_ylabel("|z|")
        # Below the axes, not beside them: at the side the legend covered the |z| axis label.
        handles = [*curves.get_legend_handles_labels()[0], Line2D([], [], color="black", ls="--", lw=1)]
        curves.legend(handles, [*(result.class_names[c] for c in shown), "|z| (right axis)"], fontsize=8,
                      loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=min(len(handles), 6), frameon=False)
    return fig


def check_latent(z: torch.Tensor, latent_dim: int) -> None:
    """ConfigError if the latent z has another size than latent_dim or non-finite values."""
    if z.numel() != latent_dim:
        raise ConfigError(f"the latent has {z.numel()} values; this generator needs {latent_dim}")
    if not torch.isfinite(z).all():
        raise ConfigError("the latent holds NaN or infinite values; pass finite numbers")


def load_latent(path: str | os.PathLike) -> torch.Tensor:
    """One latent vector from a .npy file (any shape holding d real numbers), checked finite."""
    from latentkit.data.images import load_npy

    array = load_npy(path, "pass a .npy file holding one vector (np.save('z.npy', z))", what="a latent")
    if array.dtype.kind not in "biuf":
        raise ConfigError(f"{path} holds {array.dtype} values, not numbers; save a float vector with np.save")
    z = torch.from_numpy(array.astype(np.float32)).flatten()
    if not torch.isfinite(z).all():
        raise ConfigError(f"{path} holds NaN or infinite values; a latent must be finite")
    return z


def run(
    model: str = DEFAULT_GENERATOR, classifier: str | None = None, device: str = "auto",
    out: str | os.PathLike | None = None, command: str | None = None, *,
    start: int | str | None = None, end: int | str | None = None, via: Sequence[int | str] = (),
    start_z: str | None = None, end_z: str | None = None, start_image: str | None = None,
    end_image: str | None = None, start_test: int | None = None, end_test: int | None = None,
    steps: int = INTERPOLATE.steps, method: str = INTERPOLATE.method, pairs: int = INTERPOLATE.pairs,
    pool: int = INTERPOLATE.pool, refine: int = INTERPOLATE.refine, gif: bool = False, seed: int = 0,
    truncation: float = 1.0, allow_mismatch: bool = False, data_dir: str | os.PathLike | None = None,
    progress: bool = True,
) -> tuple[InterpolationResult, list[Path]]:
    """Load models, interpolate, and write interpolate.h5 + interpolate.png (+ .gif) into `out`.

    Each end is one of: a class (`start`/`end`, number or name), a .npy latent (`start_z`), a
    real image file (`start_image`) or a test-split index (`start_test`), which are inverted
    (latentkit invert's defaults) and drawn beside the path. Returns the paths written.
    """
    from latentkit.results.output import output_dir, refuse_overwriting_inputs, write_outputs
    from latentkit.results.plotting import save_frames_gif

    options = {"steps": steps, "method": method, "pairs": pairs, "pool": pool, "refine": refine}
    check_values(InterpolateOptions, options)  # before the models load
    check_truncation(truncation)
    for name, ways in (("from", (start, start_z, start_image, start_test)), ("to", (end, end_z, end_image, end_test))):
        given = sum(w is not None for w in ways)
        if given != 1:
            raise ConfigError(f"give {'one' if given else 'where to ' + ('start' if name == 'from' else 'end')}: "
                              f"--{name} (a class), --{name}-z (a .npy latent), --{name}-image (a picture) or "
                              f"--{name}-test (a test-set index){', not several' if given else ''}")
    folder = output_dir(out, ANALYSIS)
    refuse_overwriting_inputs(folder, ANALYSIS, [start_z, end_z, start_image, end_image])
    first = load_latent(start_z) if start_z else start
    last = load_latent(end_z) if end_z else end
    with Phases(ANALYSIS, 3, enabled=progress) as bar:
        bar.start("loading models")
        models = Models.load(model, classifier, device, allow_mismatch)
        provenance = models.provenance
        bar.start(f"finding the ends among {pool} draws and walking {pairs} path(s) of {steps} steps")
        real = _real_ends(models, model, (start_image, start_test), (end_image, end_test), data_dir)
        first = real["start"][0] if "start" in real else first
        last = real["end"][0] if "end" in real else last
        result = interpolate(models, waypoints=[first, *via, last], seed=seed, truncation=truncation, **options)
        result.real_start, result.real_end = real.get("start", (None, None))[1], real.get("end", (None, None))[1]
        if real:
            result.params["real_names"] = {side: name for side, (_, _, name) in real.items()}
        extras = {".gif": lambda path: save_frames_gif(result.images.reshape(-1, 28, 28), path)} if gif else {}
        bar.start("drawing the figure, writing files")
        paths = write_outputs(result, plot_interpolation(result), folder, ANALYSIS, provenance, seed, command, extras)
    return result, paths


def _real_ends(models: Models, model: str, start: tuple, end: tuple, data_dir) -> dict:
    """{"start"/"end": (latent (d,), real image (28, 28), its name)} for the ends given as an image
    file or a test index ("mnist test 17"), all inverted in one batch."""
    from latentkit.analyses.invert import invert_real
    from latentkit.data.images import load_dataset_images, load_image_files

    wanted = {side: spec for side, spec in (("start", start), ("end", end)) if any(v is not None for v in spec)}
    if not wanted:
        return {}
    images, names = [], []
    for path, index in wanted.values():
        real = load_image_files([path]) if path is not None else load_dataset_images(models.dataset, "test", [index],
                                                                                     data_dir)
        if len(real) != 1:
            raise ConfigError(f"{path} holds {len(real)} images; give one picture per end")
        images.append(real.images[0])
        names.append(real.names[0])
    z = invert_real(models, model, np.stack(images))
    return {side: (z[i], images[i], names[i]) for i, side in enumerate(wanted)}
