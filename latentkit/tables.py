"""The tabular parts of each analysis result, as named columns of equal length.

`StoredResult.to_dataframe()` and `to_csv()` read these; each table is one row per thing
measured (a frame, a grid point, a swept image, a metric), in long form, so it filters and
groups in pandas or a spreadsheet without reshaping. Images and latents stay in the HDF5
file (see docs/results-schema.md for reading them with h5py).

Class-probability columns are named `p_<class>` with the names `--from` accepts
(`p_0`..`p_9`, `p_t-shirt`, `p_ankle-boot`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from latentkit.names import class_keys
from latentkit.style import STYLE_FEATURES as STYLE

Columns = dict[str, np.ndarray]  # column name -> (rows,) values


def _classified(probs: np.ndarray, class_names: list[str]) -> Columns:
    """label, class, confidence and one p_<class> column per class, from probs (rows, classes)."""
    labels = probs.argmax(-1)
    return {"label": labels, "class": np.array(class_names, dtype=object)[labels], "confidence": probs.max(-1),
            **{f"p_{class_keys(name)[0]}": probs[:, c] for c, name in enumerate(class_names)}}


def _grid(*sizes: int) -> list[np.ndarray]:
    """Row-major indices of every cell of an array of shape `sizes`, one (rows,) array per axis."""
    return [axis.ravel() for axis in np.indices(sizes)]


def _interpolate(r: Any) -> dict[str, Columns]:
    paths, frames = r.labels.shape
    path, frame = _grid(paths, frames)
    return {"frames": {"path": path, "frame": frame, "norm": r.norms.ravel(),
                       **_classified(r.probs.reshape(paths * frames, -1), r.class_names)}}


def _sweep(r: Any) -> dict[str, Columns]:
    n_dims, samples, n_values = r.labels.shape
    dim, sample, value = _grid(n_dims, samples, n_values)
    change = np.abs(r.images.astype(np.float32) - r.base_images[None, :, None].astype(np.float32)) / 255
    base_labels = r.base_probs.argmax(-1)
    images = {"dim": r.dims[dim], "sample": sample, "value": r.values[value],
              "pixel_change": change.mean(axis=(-2, -1)).ravel(),
              **_classified(r.probs.reshape(-1, r.probs.shape[-1]), r.class_names),
              "base_label": base_labels[sample]}
    images["flipped"] = images["label"] != images["base_label"]
    return {"dims": {"dim": r.dims, "pixel_change": r.pixel_change, "prob_shift": r.prob_shift,
                     "flip_rate": r.flip_rate},
            "images": images}


def _map(r: Any) -> dict[str, Columns]:
    return {"samples": {"sample": np.arange(len(r.probs)), "x": r.embedding[:, 0], "y": r.embedding[:, 1],
                        **_classified(r.probs, r.class_names)}}


def _plane(r: Any) -> dict[str, Columns]:
    rows, cols = _grid(len(r.axis), len(r.axis))  # probs[i, j]: row i follows the second axis
    return {"grid": {"a": r.axis[cols], "b": r.axis[rows],
                     **_classified(r.probs.reshape(-1, r.probs.shape[-1]), r.class_names)}}


def _eval(r: Any) -> dict[str, Columns]:
    def column(key: str) -> np.ndarray:
        values = [r.metrics[m].get(key) for m in r.metrics]
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)

    return {"metrics": {"metric": np.array(list(r.metrics), dtype=object),
                        **{key: column(key) for key in ("generated", "generated_error", "real", "real_error")}},
            "classes": {"label": np.arange(len(r.class_names)), "class": np.array(r.class_names, dtype=object),
                        "share": r.class_shares, "real_share": r.real_class_shares},
            "samples": {"sample": np.arange(len(r.probs)), **_classified(r.probs, r.class_names),
                        "nn_distance": r.nn_distance, "nn_index": r.nn_index}}


def _truncation(r: Any) -> dict[str, Columns]:
    return {"psis": {"psi": r.psis, **{name: r.curve(name) for name in r.metrics}},
            "classes": {"psi": np.repeat(r.psis, len(r.class_names)),
                        "label": np.tile(np.arange(len(r.class_names)), len(r.psis)),
                        "class": np.array(r.class_names * len(r.psis), dtype=object),
                        "share": r.class_shares.ravel()}}


def _directions(r: Any) -> dict[str, Columns]:
    scores = {name: getattr(r, name) for name in ("accuracy", "offsets", "singular_values", "explained_variance",
                                                  "lengths") if getattr(r, name) is not None}
    return {"directions": {"key": np.array(r.keys, dtype=object), "name": np.array(r.names, dtype=object),
                           "rank": np.argsort(r.ranking()), **scores, "pixel_change": r.pixel_change,
                           "prob_shift": r.prob_shift, "flip_rate": r.flip_rate}}


def _edit(r: Any) -> dict[str, Columns]:
    samples, targets, steps = r.labels.shape
    sample, target, step = _grid(samples, targets, steps)
    flip = r.flip_step[sample, target]
    return {"steps": {"sample": sample, "target": r.targets[target], "step": step,
                      "strength": r.strengths.ravel(), "norm": r.latent_norm.ravel(),
                      **_classified(r.probs.reshape(-1, r.probs.shape[-1]), r.class_names),
                      "base_label": r.base_probs.argmax(-1)[sample], "flipped": (flip >= 0) & (step >= flip)},
            "edits": {"sample": _grid(samples, targets)[0], "target": np.tile(r.targets, samples),
                      "flip_step": r.flip_step.ravel(), "flip_strength": r.flip_strength.ravel(),
                      "success": r.success.ravel(),
                      **{f"{name}_base": np.repeat(r.base_style[:, i], targets) for i, name in enumerate(STYLE)},
                      **{f"{name}_edited": r.edited_style[..., i].ravel() for i, name in enumerate(STYLE)}}}


def _invert(r: Any) -> dict[str, Columns]:
    n = len(r.targets)
    true = r.true_labels if r.true_labels is not None else np.full(n, -1)
    reach = r.reachability()
    return {"images": {"image": np.arange(n), "name": np.array(r.names, dtype=object), "true_label": true,
                       "target_label": r.target_probs.argmax(1), "recon_label": r.recon_probs.argmax(1),
                       "recon_confidence": r.recon_probs.max(1), "agrees": r.agrees, "mse": r.mse, "psnr": r.psnr,
                       "nearest_label": r.nearest_probs.argmax(1), "nearest_mse": r.nearest_mse},
            "classes": {"label": np.arange(len(r.class_names)), "class": np.array(r.class_names, dtype=object),
                        **reach}}


# analysis name (a result's ANALYSIS) -> its tables; the first table is the default.
TABLES: dict[str, Callable[[Any], dict[str, Columns]]] = {
    "interpolate": _interpolate, "sweep": _sweep, "map": _map, "plane": _plane, "eval": _eval,
    "truncation": _truncation,
    "directions": _directions, "edit": _edit, "invert": _invert,
}
