"""Explore: one latent, moved by hand, drawn and read at every move; the model behind
`latentkit explore` (latentkit/web/explore_page.py is its page).

    setup = prepare(g, clf)                     # directions, confident latents, a plane
    state = Explorer(setup)
    state.set_offset("sefa0", 2.0)              # move along a slider's direction
    image, probs = state.render()               # (28, 28) uint8, (C,)
    state.pick(7); state.scrub(3, 8, 0.5); state.plane_point(0.2, 0.6)
    state.save("out/")                          # explore-001.h5 + explore-001.png

The latent shown is base + sum_k offset_k * vector_k: a slider moves along one unit vector (a
found direction or a coordinate axis); "random", "pick", the scrubber and a plane click set
the base and put every slider back to 0.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

from latentkit.data.pixels import to_uint8
from latentkit.errors import ConfigError, LatentkitError, first_line
from latentkit.generator.contract import GeneratorLike
from latentkit.generator.handle import DEFAULT_GENERATOR, Models, as_models
from latentkit.generator.sampling import (
    check_class,
    check_truncation,
    generate_and_classify,
    prior_latents,
)
from latentkit.limits import MAX_POOL, check_seed, check_size
from latentkit.measure.reading import describe_reading
from latentkit.models import Classifier
from latentkit.names import check_class_names
from latentkit.options import check_values
from latentkit.options.explore import DEFAULT_ANCHORS, DEFAULT_DIMS, EXPLORE, SLIDER_RANGE, ExploreOptions
from latentkit.results.stored import StoredResult
from latentkit.results.tables import Columns
from latentkit.space.geometry import slerp

__all__ = ["ExploreResult"]  # what `latentkit.analyses` exports

ANALYSIS = "explore"
PLANE_RESOLUTION = 48  # plane grid side: 2,304 images, under a second on 2 CPU cores
PICKS = 8  # confident latents kept per class; "pick a class" cycles through them
UPLOAD_BYTES = 50 * 2**20  # a file handed to the page: a picture or a latents file is far smaller
PATH_STEPS = 16  # frames of an exported path


@dataclass
class ExploreResult(StoredResult):
    ANALYSIS: ClassVar[str] = ANALYSIS
    MEANINGS: ClassVar[dict[str, str]] = {
        "z": "the latent shown, base + sum of offsets x vectors, (latent_dim,)",
        "base": "the latent the sliders move from, (latent_dim,)",
        "vectors": "unit vector of each slider in z, (sliders, latent_dim)",
        "offsets": "each slider's value, latent units, (sliders,)",
        "image": "the generated image, uint8 0-255, (28, 28)",
        "probs": "classifier class probabilities in [0, 1], (classes,)",
    }
    SHAPES: ClassVar[dict[str, tuple]] = {
        "z": ("latent_dim",), "base": ("latent_dim",), "vectors": ("sliders", "latent_dim"), "offsets": ("sliders",),
        "image": (28, 28), "probs": ("classes",),
    }

    z: np.ndarray  # (d,)
    base: np.ndarray  # (d,)
    vectors: np.ndarray  # (k, d)
    offsets: np.ndarray  # (k,)
    keys: list[str]  # slider handles: direction keys ("7", "sefa0") and coordinates ("z4")
    image: np.ndarray  # (28, 28) uint8
    probs: np.ndarray  # (C,)
    class_names: list[str]
    params: dict = field(default_factory=dict)

    def tables(self) -> dict[str, Columns]:
        """"sliders": each slider's key and offset; "classes": the shown image's class probabilities."""
        return {"sliders": {"key": np.array(self.keys, dtype=object), "offset": self.offsets},
                "classes": {"label": np.arange(len(self.class_names)),
                            "class": np.array(self.class_names, dtype=object), "probability": self.probs}}

    def draw(self):
        return plot_explore(self)


@dataclass
class Slider:
    key: str  # "7", "sefa0" or "z4"
    label: str  # what moving it does, measured, or the coordinate's name
    vector: torch.Tensor  # (d,) unit
    title: str = ""  # what the page calls it: the class's name for a class's direction ("Shirt"), else the key
    group: str = "coordinates"  # the set it belongs to, which the page's picker shows: a method's name, "file"


@dataclass
class Setup:
    """What every browser session shares, computed once before the server starts."""

    generator: GeneratorLike  # inference copy
    classifier: Classifier  # inference copy
    sliders: list[Slider]
    confident: torch.Tensor  # (C, PICKS, d) most confident latents of each class, best first
    anchors: tuple[int, ...]  # the plane's three classes
    plane_axis: np.ndarray  # (R,) plane coordinate of the grid's rows and columns
    plane_probs: np.ndarray  # (R, R, C) class probabilities; [i, j] = row i (along v), column j (along u)
    plane_basis: tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # origin, u, v: point (a, b) = origin + a u + b v
    provenance: dict = field(default_factory=dict)
    seed: int = 0
    truncation: float = 1.0  # ψ of the prior the picks and "random" draw from (sampling.prior_latents)
    # A test-set image's index -> its latent (inverted), and how many test images there are; None
    # when the explorer was prepared without them (prepare() alone, in Python).
    real_latent: Callable[[int], torch.Tensor] | None = None
    test_size: int = 0
    # Real images (N, 28, 28) uint8 -> the latent of the first, inverted as `latentkit invert` does;
    # None when prepared without (prepare() alone, in Python): an uploaded picture then is refused.
    image_latent: Callable[[np.ndarray], torch.Tensor] | None = None
    # Held while a save picks its number and writes: every tab of the server saves through it.
    saves_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


def short_name(name: str) -> str:
    """A direction's measured name without its per-class breakdown: "+: →7 52%; -: →5 20%"."""
    return re.sub(r"\s*\([^)]*\)", "", name)


def slider_title(key: str, class_names: list[str]) -> str:
    """A direction key as the page names it: a class's name for "6", "3→8" for "3:8", else the key."""
    parts = key.split(":")
    if all(p.isdigit() and int(p) < len(class_names) for p in parts):
        return "→".join(class_names[int(p)] for p in parts)
    return key


def _found_directions(models: Models, top: int, seed: int, truncation: float, cache: Path | None,
                      log: Callable[[str], None]) -> list:
    """The classifier's one-vs-rest directions and the top SeFa and PCA ones, measured on few
    probes (the names need only the commonest changes), read from `cache` when this generator's
    were found before with the same settings, and written there after."""
    from latentkit.analyses.directions import DirectionsResult, find_directions

    sha = models.provenance.get("generator_sha256")
    stem = None if cache is None or not sha else cache / f"{sha[:20]}-seed{seed}-psi{truncation:g}-top{top}"
    found = []
    for method, options in (("classifier", {"samples": 4000}), ("sefa", {"top": top}),
                            ("pca", {"top": top, "samples": 4000})):
        path = None if stem is None else stem.with_name(f"{stem.name}-{method}.h5")
        if path is not None and path.is_file():
            try:
                found.append(DirectionsResult.load(path))
                log(f"{method} directions: read from {path}")
                continue
            except LatentkitError:
                pass  # a damaged cache file is found again, and replaced
        log(f"finding the {method} directions" + (f" ({options['samples']} samples)" if "samples" in options else ""))
        try:
            result = find_directions(models, method=method, probes=16, seed=seed, truncation=truncation, **options)
        except ConfigError:
            if method != "classifier":  # no first layer linear in z, no layer to trace (e.g. your own generator)
                continue
            raise
        found.append(result)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                result.save(path)
            except (OSError, LatentkitError):
                pass  # a cache that cannot be written only costs the next start its time
    return found


def prepare(
    generator: Models | GeneratorLike, classifier: Classifier | None = None,
    dims: tuple[int, ...] = DEFAULT_DIMS, top: int = EXPLORE.top,
    anchors: tuple[int | str, ...] = DEFAULT_ANCHORS, directions: str | os.PathLike | None = None,
    pool: int = 2048, seed: int = 0, allow_mismatch: bool = False, truncation: float = 1.0,
    cache: str | os.PathLike | None = None, log: Callable[[str], None] | None = None,
) -> Setup:
    """Sliders (the classifier's one-vs-rest directions and the top SeFa and PCA ones, or the
    `top` strongest of a `latentkit directions` file, then the coordinates `dims`), each in its set
    (Slider.group) for the page's picker, the PICKS most
    confident latents of each class among `pool` prior draws (truncated by `truncation`), and the
    plane through `anchors`. Found directions are kept in the folder `cache` (if given) and read
    from it next time; `log` is told what each step is doing."""
    from latentkit.analyses.directions import DirectionsResult

    log = log or (lambda line: None)
    check_seed(seed)
    check_truncation(truncation)
    check_size("pool", pool, 10, MAX_POOL)
    check_values(ExploreOptions, {"top": top})
    models = as_models(generator, classifier, allow_mismatch)
    fast_g, fast_c, record = models.generator, models.classifier, models.record
    d = fast_g.latent_dim
    bad = [x for x in dims if not 0 <= x < d]
    if bad:
        raise ConfigError(f"--dims {','.join(map(str, bad))}: coordinates run from 0 to {d - 1}")
    if len(anchors) != 3:
        raise ConfigError(f"the plane needs exactly three anchor classes (got {len(anchors)})")
    anchors = tuple(check_class(fast_c, a) for a in anchors)
    if directions is not None:
        found = [DirectionsResult.load(directions)]
        made = found[0].provenance
        models.check_made_for(str(directions), made.get("generator"), made.get("generator_sha256"))
        if found[0].vectors.shape[1] != d:
            raise ConfigError(f"{directions} holds directions of {found[0].vectors.shape[1]} values; this generator's "
                              f"latents have {d}: use directions found for it")
    else:
        found = _found_directions(models, top, seed, truncation, None if cache is None else Path(cache), log)
    names = fast_c.classes
    sliders = []
    for result in found:
        order = result.ranking()[:top] if directions is not None else range(len(result.keys))
        sliders += [Slider(result.keys[i], short_name(result.names[i]),
                           torch.from_numpy(result.unit_vector(i, str(directions or "found directions"))).float(),
                           slider_title(result.keys[i], names), "file" if directions is not None else result.method)
                    for i in order]
    sliders += [Slider(f"z{j}", f"coordinate {j}", torch.eye(d)[j], f"z{j}") for j in dims]

    log(f"reading {pool} prior draws for the class picks")
    z = prior_latents(fast_g, pool, seed, truncation)
    probs = generate_and_classify(fast_g, fast_c, z, images=False).probs  # (pool, C)
    score = torch.where(probs.argmax(1, keepdim=True) == torch.arange(probs.shape[1]), probs, -1.0)  # (pool, C)
    confident = z[score.argsort(dim=0, descending=True, stable=True)[:PICKS].T]  # (C, PICKS, d)
    # As `latentkit plane` lays it out: anchors at (0, 0), (1, 0), (0, 1), a 0.25 margin around them.
    # A class named again takes its next most confident latent, so 9,9,9 is a plane through three 9s.
    log(f"classifying the plane through {', '.join(names[a] for a in anchors)}")
    a0, a1, a2 = (confident[c, anchors[:i].count(c)] for i, c in enumerate(anchors))
    axis = torch.linspace(-0.25, 1.25, PLANE_RESOLUTION)
    b, a = torch.meshgrid(axis, axis, indexing="ij")  # rows follow v, columns follow u
    grid = a0 + a.reshape(-1, 1) * (a1 - a0) + b.reshape(-1, 1) * (a2 - a0)  # (R*R, d)
    plane_probs = generate_and_classify(fast_g, fast_c, grid, images=False).probs.reshape(len(axis), len(axis), -1)
    return Setup(fast_g, fast_c, sliders, confident, anchors, axis.numpy(), plane_probs.numpy(),
                 (a0, a1 - a0, a2 - a0), record, seed, truncation)


ORDINALS = ("most", "2nd most", "3rd most", *(f"{i}th most" for i in range(4, PICKS + 1)))


class Explorer:
    """One browser session's latent: a base (where it came from is `origin`) plus slider moves.
    Every method that moves it returns nothing; `render` draws it, `describe` says what the base
    is, and `query`/`restore` turn the whole state into URL parameters and back.

    Origins: ("pick", class, i), ("random", seed), ("scrub", from, to, t), ("plane", a, b),
    ("test", index), ("file", name) (an uploaded picture or latents file; not in the URL). The
    session starts at the most confident latent of class 0, which "reset"
    returns to."""

    def __init__(self, setup: Setup):
        self.setup = setup
        self.offsets = {s.key: 0.0 for s in setup.sliders}
        self.picked = {c: -1 for c in range(setup.confident.shape[0])}  # index of the last pick per class
        self.seed = setup.seed  # the seed of the last "random" draw
        self.path_ends = (3 % len(self.picked), 8 % len(self.picked))  # the scrubber's classes
        self.origin: tuple = ()
        self.pick(0)

    @property
    def z(self) -> torch.Tensor:
        """(d,) base + sum offset * vector."""
        z = self.base.clone()
        for s in self.setup.sliders:
            z += self.offsets[s.key] * s.vector
        return z

    @torch.inference_mode()
    def render(self) -> tuple[np.ndarray, np.ndarray]:
        """((28, 28) uint8 image, (C,) class probabilities) of the current latent."""
        x = self.setup.generator(self.z[None])  # (1, 1, 28, 28)
        probs = self.setup.classifier(x).softmax(-1)[0]
        return to_uint8(x[0, 0]).numpy(), probs.numpy()

    def set_offset(self, key: str, value: float) -> None:
        self.offsets[key] = float(value)

    def _set_base(self, z: torch.Tensor, origin: tuple) -> None:
        self.base, self.origin = z.clone(), origin
        self.offsets = dict.fromkeys(self.offsets, 0.0)

    def zero(self) -> None:
        """Every slider back to 0; the base stays."""
        self.offsets = dict.fromkeys(self.offsets, 0.0)

    def reset(self) -> None:
        """Back to where the session started: the most confident latent of class 0, sliders at 0."""
        self.picked = dict.fromkeys(self.picked, -1)
        self.pick(0)

    def random(self, seed: int | None = None) -> None:
        """A prior draw from `seed` (default: one past the last draw's seed), reproducible."""
        self.seed = self.seed + 1 if seed is None else check_seed(int(seed))
        self._set_base(prior_latents(self.setup.generator, 1, self.seed, self.setup.truncation)[0],
                       ("random", self.seed))

    def pick(self, label: int, index: int | None = None) -> None:
        """The next (or the `index`-th) of the class's most confident latents."""
        self.picked[label] = (self.picked[label] + 1) % PICKS if index is None else int(index) % PICKS
        self._set_base(self.setup.confident[label, self.picked[label]], ("pick", label, self.picked[label]))

    def scrub(self, start: int, end: int, t: float) -> None:
        """The point at t in [0, 1] on the slerp path between the most confident latents of two classes."""
        a, b = self.setup.confident[start, 0], self.setup.confident[end, 0]
        self.path_ends = (start, end)
        self._set_base(slerp(a, b, torch.tensor([float(t)]))[0], ("scrub", start, end, float(t)))

    def plane_point(self, a: float, b: float) -> None:
        """Plane coordinates (a, b) -> origin + a u + b v, as the plane view draws them."""
        origin, u, v = self.setup.plane_basis
        self._set_base(origin + a * u + b * v, ("plane", float(a), float(b)))

    def test_image(self, index: int) -> None:
        """The latent of test image `index` of the generator's dataset, found by inverting it."""
        if self.setup.real_latent is None:
            raise ConfigError("this explorer was prepared without real images (latentkit explore loads them)")
        if not 0 <= int(index) < self.setup.test_size:
            raise ConfigError(f"test images are numbered 0 to {self.setup.test_size - 1}; got {index}")
        self._set_base(self.setup.real_latent(int(index)), ("test", int(index)))

    def upload(self, name: str, data: bytes) -> None:
        """The base from a file handed to the page: latents saved as .npy ((d,) or (N, d), as
        `latentkit invert` writes invert.npy: the first row), or a picture of a digit (any file
        `latentkit invert` reads), inverted."""
        import tempfile

        from latentkit.data.images import load_image_files

        if len(data) > UPLOAD_BYTES:
            raise ConfigError(f"{name} is {len(data) / 2**20:.0f} MB; a picture or a latents file is far smaller "
                              f"(at most {UPLOAD_BYTES // 2**20} MB)")
        d = self.setup.generator.latent_dim
        suffix = Path(name).suffix.lower()
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / f"upload{suffix}"
            path.write_bytes(data)
            if suffix == ".npy":
                try:
                    array = np.load(path, allow_pickle=False)
                except (OSError, ValueError) as err:
                    raise ConfigError(f"{name} is not a readable .npy file ({first_line(err)})") from None
                if array.ndim in (1, 2) and array.shape[-1] == d and array.size and np.issubdtype(array.dtype,
                                                                                                  np.floating):
                    z = torch.from_numpy(np.asarray(array, dtype=np.float32).reshape(-1, d)[0].copy())
                    if not torch.isfinite(z).all():
                        raise ConfigError(f"{name} holds NaN or infinite values; give finite latents")
                    self._set_base(z, ("file", name))
                    return
            if self.setup.image_latent is None:
                raise ConfigError("this explorer was prepared without an inverter (latentkit explore has one)")
            try:
                images = load_image_files([path]).images  # (N, 28, 28) uint8
            except ConfigError as err:  # named by the name it was handed in with, not the temporary one
                raise ConfigError(str(err).replace(str(path), name)) from None
        self._set_base(self.setup.image_latent(images[:1]), ("file", name))

    def describe(self) -> str:
        """What the base is, in words."""
        names, kind, *args = self.setup.classifier.classes, *self.origin
        if kind == "pick":
            return f"the {ORDINALS[args[1]]} confident {names[args[0]]} of the prior draws"
        if kind == "random":
            return f"a prior draw, seed {args[0]}"
        if kind == "scrub":
            return f"on the slerp path {names[args[0]]} → {names[args[1]]}, t = {args[2]:.2f}"
        if kind == "plane":
            return f"plane point ({args[0]:.2f}, {args[1]:.2f})"
        if kind == "file":
            return f"{args[0]}, uploaded"
        return f"test image #{args[0]}, inverted"

    def query(self) -> dict[str, str]:
        """The state as URL parameters: base=KIND:ARGS and one s.KEY=VALUE per moved slider."""
        base = ":".join(str(round(v, 4) if isinstance(v, float) else v) for v in self.origin)
        return {"base": base, **{f"s.{k}": f"{v:g}" for k, v in self.offsets.items() if v != 0}}

    def restore(self, query: dict[str, str]) -> list[str]:
        """Apply URL parameters (as `query` writes them); returns what could not be used, in words."""
        problems = []
        base = query.get("base")
        if base:
            kind, *args = base.split(":")
            actions = {"pick": (self.pick, (int, int)), "random": (self.random, (int,)),
                       "scrub": (self.scrub, (int, int, float)), "plane": (self.plane_point, (float, float)),
                       "test": (self.test_image, (int,))}
            try:
                action, types = actions[kind]
                if len(args) != len(types):
                    raise ValueError
                values = [t(a) for t, a in zip(types, args, strict=True)]
                if kind in ("pick", "scrub") and not all(0 <= v < len(self.picked) for v in values[:2]):
                    raise ValueError
                if any(isinstance(v, float) and not np.isfinite(v) for v in values):
                    raise ValueError
                action(*values)
            except (KeyError, ValueError, ConfigError):
                problems.append(f"base={base}")
        for name, text in query.items():
            if not name.startswith("s."):
                continue
            try:
                value = float(text)
                if name[2:] not in self.offsets or not np.isfinite(value):
                    raise ValueError
                self.set_offset(name[2:], float(np.clip(value, -SLIDER_RANGE, SLIDER_RANGE)))
            except ValueError:
                problems.append(f"{name}={text}")
        return problems

    def result(self) -> ExploreResult:
        image, probs = self.render()
        sliders = self.setup.sliders
        return ExploreResult(
            z=self.z.numpy(), base=self.base.numpy(), vectors=torch.stack([s.vector for s in sliders]).numpy(),
            offsets=np.array([self.offsets[s.key] for s in sliders], dtype=np.float32), keys=[s.key for s in sliders],
            image=image, probs=probs, class_names=self.setup.classifier.classes,
            params={"seed": self.setup.seed, "truncation": self.setup.truncation, "base": self.describe(),
                    "query": self.query(), **self.setup.provenance})

    def export_path(self, folder: str | os.PathLike, command: str | None = None,
                    steps: int = PATH_STEPS) -> list[Path]:
        """The scrubber's path (slerp between the most confident latents of its two classes) with
        the sliders' moves added to both ends, as `latentkit interpolate` writes one:
        FOLDER/explore-path-NNN .h5, .png and .gif, numbered past any already there."""
        from latentkit.analyses.interpolate import interpolate, plot_interpolation
        from latentkit.results.output import write_outputs
        from latentkit.results.plotting import save_frames_gif
        from latentkit.storage import next_free_name

        setup, (a, b) = self.setup, self.path_ends
        moved = self.z - self.base
        ends = [setup.confident[a, 0] + moved, setup.confident[b, 0] + moved]
        models = Models.of(setup.generator, setup.classifier, bool(setup.provenance.get("allow_mismatch")))
        result = interpolate(models, waypoints=ends, steps=steps, method="slerp")
        names = setup.classifier.classes
        result.params.update(explore={"from": names[a], "to": names[b], **self.query()})
        gif = {".gif": lambda path: save_frames_gif(result.images.reshape(-1, 28, 28), path)}
        with setup.saves_lock:
            name = next_free_name(folder, f"{ANALYSIS}-path", (".h5", ".png", ".gif"))
            return write_outputs(result, plot_interpolation(result), Path(folder), name, setup.provenance, setup.seed,
                                 command, extras=gif)

    def save(self, folder: str | os.PathLike, command: str | None = None) -> list[Path]:
        """Write the current state as FOLDER/explore-NNN.h5 + .png, NNN one past the highest in the
        folder: saves from any tab, or a server started again, never replace one another."""
        from latentkit.results.output import write_outputs
        from latentkit.storage import next_free_name

        result = self.result()
        with self.setup.saves_lock:
            name = next_free_name(folder, ANALYSIS)
            return write_outputs(result, plot_explore(result), Path(folder), name, self.setup.provenance,
                                 self.setup.seed, command)


def plot_explore(result: ExploreResult, fig=None):
    """The saved state: the image beside its class probabilities, the sliders that moved listed."""
    from latentkit.results.plotting import class_color, new_figure

    fig = fig or new_figure(figsize=(8, 3.6))
    ax_image, ax_bars = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.6]})
    ax_image.imshow(255 - result.image, cmap="gray", vmin=0, vmax=255)
    ax_image.set_axis_off()
    ax_image.set_title(describe_reading(result.probs, result.class_names, result.confident))
    classes = range(len(result.class_names))
    ax_bars.barh(list(classes), result.probs, color=[class_color(c) for c in classes])
    ax_bars.set(yticks=list(classes), yticklabels=result.class_names, xlim=(0, 1), xlabel="p(class)")
    ax_bars.invert_yaxis()
    moved = [f"{k} {v:+.2f}" for k, v in zip(result.keys, result.offsets, strict=True) if v != 0]
    fig.suptitle("latentkit explore: " + (", ".join(moved) if moved else "no slider moved"), fontsize=9)
    return fig


def run(
    model: str = DEFAULT_GENERATOR, classifier: str | None = None, device: str = "auto",
    out: str | os.PathLike | None = None, command: str | None = None, *, port: int = EXPLORE.port,
    host: str = EXPLORE.host, open_browser: bool = True, dims: tuple[int, ...] = DEFAULT_DIMS, top: int = EXPLORE.top,
    anchors: tuple[int | str, ...] = DEFAULT_ANCHORS, directions: str | os.PathLike | None = None,
    seed: int = 0, truncation: float = 1.0, allow_mismatch: bool = False,
    ready: Callable[[str], None] | None = None, log: Callable[[str], None] | None = None,
    data_dir: str | os.PathLike | None = None,
) -> Path:
    """Load and check the models, prepare the sliders and plane, then serve the explorer until
    Ctrl-C; `log` is told each start-up step, `ready(url)` is called once it listens. Saves go to
    `out` (default ./latentkit-out/explore-TIMESTAMP/), which is returned. Found directions are
    cached per generator (storage.user_cache), so a second start skips finding them."""
    from latentkit.generator.handle import Models
    from latentkit.results.output import output_dir
    from latentkit.storage import user_cache
    from latentkit.web.explore_page import check_port, serve

    check_values(ExploreOptions, {"port": port, "host": host, "top": top})  # before the models load
    check_port(host, port)  # a taken port is known at once
    if len(anchors) != 3:
        raise ConfigError(f"the plane needs exactly three anchor classes (got {len(anchors)})")
    check_class_names(anchors, "--anchors")
    folder = output_dir(out, ANALYSIS)
    log = log or (lambda line: None)
    models = Models.load(model, classifier, device, allow_mismatch)
    provenance = models.provenance
    setup = prepare(models, dims=dims, top=top, anchors=anchors, directions=directions, seed=seed,
                    truncation=truncation, cache=user_cache("explore"), log=log)
    setup.provenance = {**provenance, **setup.provenance}
    setup.image_latent = _image_latents(models, model)
    setup.real_latent, setup.test_size = _test_latents(setup.image_latent, models.dataset, data_dir)
    serve(setup, lambda: Explorer(setup), folder, host, port, open_browser, command, ready)
    return folder


def _image_latents(models: Models, model: str) -> Callable[[np.ndarray], torch.Tensor]:
    """Images (N, 28, 28) uint8 -> the first one's latent, inverted as `latentkit invert` does."""
    from latentkit.analyses.invert import invert_real

    return lambda images: invert_real(models, model, images[:1])[0]


def _test_latents(image_latent: Callable[[np.ndarray], torch.Tensor], dataset: str,
                  data_dir: str | os.PathLike | None) -> tuple[Callable[[int], torch.Tensor] | None, int]:
    """(index -> latent of that test image of `dataset`, inverted by `image_latent`; the test
    set's size), or (None, 0) when the dataset is not on this machine. Each image is inverted once."""
    from latentkit.data.datasets import load_images
    from latentkit.errors import DataError

    try:
        test = load_images(dataset, train=False, data_dir=data_dir, download=False)
    except DataError:
        return None, 0
    found: dict[int, torch.Tensor] = {}

    def latent(index: int) -> torch.Tensor:
        if index not in found:
            found[index] = image_latent(test.images[index:index + 1].numpy())
        return found[index]

    return latent, len(test)
