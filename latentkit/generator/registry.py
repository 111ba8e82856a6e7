"""Finding models: bundled names, run folders, .safetensors paths and your own generators.

`--model` and `--classifier` accept any of
    mnist-dcgan                       a bundled model (see `latentkit models`)
    runs/my-run                       a run folder from `latentkit train` / `train-classifier`
    path/to/generator.safetensors     a weights file
and `--model` also
    path/to/mygen.py:make             a Python function returning a generator module (your code, imported)
    path/to/generator.pt              a TorchScript archive (torch.jit.save)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from latentkit.errors import CheckpointError
from latentkit.generator.cards import read_card
from latentkit.generator.quality import card_verdict, summary

# Listing models and completing their names read only JSON cards: torch (and everything that
# imports it) is imported by the functions that load weights, so `latentkit models` is instant.
if TYPE_CHECKING:
    import torch

    from latentkit.generator.contract import GeneratorLike
    from latentkit.models import Classifier

DEFAULT_GENERATOR = "mnist-dcgan"
DEFAULT_CLASSIFIER = "mnist-classifier"
RUN_FILES = {"generator": "generator.safetensors", "classifier": "classifier.safetensors"}


def bundled_dir() -> Path:
    """Folder holding the bundled weights (installed as package data `latentkit.trained`)."""
    return Path(str(resources.files("latentkit.trained")))


def bundled_names() -> list[str]:
    """The bundled generators and classifiers; encoders (NAME-encoder, for `invert`) are not models to analyse."""
    return sorted(p.stem for p in bundled_dir().glob("*.safetensors") if not p.stem.endswith("-encoder"))


def default_classifier(dataset: str) -> str:
    """The bundled classifier that reads `dataset`."""
    return f"{dataset}-classifier"


def resolve(name_or_path: str | os.PathLike, kind: str) -> Path:
    """Turn a bundled name, run folder or file path into the file to load (for a
    `file.py:function` generator, the Python file)."""
    from latentkit.generator.contract import is_python_spec

    text = str(name_or_path)
    if not text.strip():
        raise CheckpointError(f"the {kind} name is empty; give a bundled name, run folder or file "
                              "(`latentkit models` lists them)")
    if kind == "generator" and is_python_spec(text):
        path = Path(text.rpartition(":")[0]).expanduser()
        if not path.is_file():
            raise CheckpointError(f"no Python file {path} (from {text!r}); give --model path/to/file.py:function")
        return path
    if text.endswith(".py"):
        fix = (f"name the function in it that returns the generator, --model {text}:make" if kind == "generator"
               else f"a {kind} is a bundled name, run folder or .safetensors file")
        raise CheckpointError(f"{text} is a Python file: {fix}")
    bundled = bundled_dir() / f"{text}.safetensors"
    if os.sep not in text and "/" not in text and bundled.is_file():
        return bundled
    path = Path(text).expanduser()
    if path.is_dir():
        path = path / RUN_FILES[kind]
        if not path.is_file():
            raise CheckpointError(f"{name_or_path} has no {RUN_FILES[kind]}: is the training finished?")
        return path
    if path.is_file():
        return path
    raise CheckpointError(
        f"no {kind} named {text!r}: not a bundled model, run folder or file; "
        "`latentkit models` lists what is available"
    )


def load_generator(
    name_or_path: str | os.PathLike = DEFAULT_GENERATOR, device: str | torch.device = "cpu"
) -> GeneratorLike:
    """A generator in eval mode: bundled name, run folder, .safetensors path, `file.py:function`
    or TorchScript archive (see the module docstring).

        g = latentkit.load_generator()                  # bundled MNIST dcgan
        images = g(g.sample_latents(16, seed=0))        # (16, 1, 28, 28) in [0, 1]
    """
    from latentkit.generator.contract import (
        is_python_spec,
        is_torchscript,
        load_python_generator,
        load_torchscript_generator,
    )
    from latentkit.generator.weights import load_weights

    path = resolve(name_or_path, "generator")
    if is_python_spec(str(name_or_path)):
        return load_python_generator(str(name_or_path), device)
    if is_torchscript(path):
        return load_torchscript_generator(path, device)
    return load_weights(path, expect="generator", device=device)


def load_classifier(
    name_or_path: str | os.PathLike = DEFAULT_CLASSIFIER, device: str | torch.device = "cpu"
) -> Classifier:
    """A classifier in eval mode: bundled name, run folder or .safetensors path.

        clf = latentkit.load_classifier("fashion-mnist-classifier")
        labels = clf(images).argmax(1)
    """
    from latentkit.generator.weights import load_weights

    return load_weights(resolve(name_or_path, "classifier"), expect="classifier", device=device)


@dataclass
class ModelEntry:
    name: str  # bundled name or run folder
    kind: str  # "generator" or "classifier"
    source: str  # "bundled" or "run"
    card: dict


def list_models(runs_dir: str | os.PathLike | None = "runs") -> list[ModelEntry]:
    """Bundled models, then finished runs found one level under `runs_dir`."""
    entries = []
    for name in bundled_names():
        card = read_card(bundled_dir() / f"{name}.json") or {}
        entries.append(ModelEntry(name, card.get("kind", "?"), "bundled", card))
    runs = Path(runs_dir) if runs_dir else None
    if runs and runs.is_dir():
        for card_path in sorted(runs.glob("*/card.json")):
            card = read_card(card_path)
            if card and (card_path.parent / RUN_FILES.get(card.get("kind"), "")).is_file():
                entries.append(ModelEntry(str(card_path.parent), card["kind"], "run", card))
    return entries


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    """Left-aligned columns; the last one is not padded (it may be long)."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    return "\n".join("  ".join(v.ljust(w) for v, w in zip(r[:-1], widths, strict=True)) + "  " + r[-1]
                     for r in [header, *rows])


def models_table(runs_dir: str | os.PathLike | None = "runs") -> str:
    """What `latentkit models` prints: every model with its one-line quality (quality.summary).

    Classifiers first, then generators: bundled before runs, and collapsed or noise generators
    last, so a run whose confident fraction is high because it draws one digit is not read as
    better than the bundled model. Reads JSON cards only (no torch).
    """
    entries = sorted(list_models(runs_dir), key=lambda e: (
        e.kind != "classifier", card_verdict(e.card) is not None, e.source != "bundled", e.name))
    if not entries:
        return "(no models found)"
    rows = [(e.name, e.kind, e.source, str(e.card.get("arch", "?")), str(e.card.get("dataset", "?")),
             summary(e.card)) for e in entries]
    return _table(("name", "kind", "source", "arch", "dataset", "metrics"), rows)


def archs_table() -> str:
    """What `latentkit models --archs` prints: each `--arch` with its kind, native size, default
    width and latent length, parameter counts of G and D (a VAE's decoder and encoder) at those,
    and the write-up it reproduces."""
    import torch

    from latentkit.models import ARCHS, Discriminator, GANConfig, Generator, VAEEncoder
    from latentkit.names import default_latent_dim

    rows = []
    for arch in ARCHS.values():
        config = GANConfig(arch.name, default_latent_dim(arch.name), arch.default_width)
        with torch.device("meta"):  # shapes only: counting parameters needs no memory or init
            g, d = Generator(config), (VAEEncoder if arch.kind == "vae" else Discriminator)(config)
        rows.append((arch.name, arch.kind, f"{arch.image_size}x{arch.image_size}", str(arch.default_width),
                     str(config.latent_dim),
                     f"{sum(p.numel() for p in g.parameters()):,}", f"{sum(p.numel() for p in d.parameters()):,}",
                     arch.source))
    return _table(("arch", "kind", "native", "width", "z", "G params", "D / encoder params", "source"), rows)
