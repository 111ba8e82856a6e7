"""What every analysis command shares: load models with provenance, pick the output
folder, write the HDF5 result and its figure.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from latentkit.device import pick_device
from latentkit.models import Classifier, Generator
from latentkit.registry import DEFAULT_CLASSIFIER, DEFAULT_GENERATOR, load_classifier, load_generator, resolve
from latentkit.weights import sha256


def load_models(
    model: str | os.PathLike = DEFAULT_GENERATOR,
    classifier: str | os.PathLike = DEFAULT_CLASSIFIER,
    device: str = "auto",
) -> tuple[Generator, Classifier, dict[str, Any]]:
    """(generator, classifier, provenance) where provenance names both and hashes their weights."""
    dev = pick_device(device)
    g_path, c_path = resolve(model, "generator"), resolve(classifier, "classifier")
    g, clf = load_generator(g_path, device=dev), load_classifier(c_path, device=dev)
    provenance = {"generator": str(model), "generator_sha256": sha256(g_path),
                  "classifier": str(classifier), "classifier_sha256": sha256(c_path)}
    return g, clf, provenance


def output_dir(out: str | os.PathLike | None, analysis: str) -> Path:
    """`out`, or ./latentkit-out/<analysis>-<timestamp>/ (created when first written to)."""
    return Path(out) if out else Path("latentkit-out") / f"{analysis}-{time.strftime('%Y%m%d-%H%M%S')}"


def write_outputs(
    result, figure, out: str | os.PathLike | None, analysis: str, provenance: dict[str, Any],
    seed: int, command: str | None,
) -> list[Path]:
    """Save `result` as OUT/ANALYSIS.h5 (with provenance, seed, command) and `figure` as OUT/ANALYSIS.png.

    `out` None means ./latentkit-out/ANALYSIS-TIMESTAMP/.
    """
    from latentkit.plotting import save_figure

    folder = output_dir(out, analysis)
    return [result.save(folder / f"{analysis}.h5", {**provenance, "seed": seed, "command": command}),
            save_figure(figure, folder / f"{analysis}.png")]
