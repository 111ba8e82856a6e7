"""Handwriting style measured on images: how much ink, how slanted, how wide and tall.

The measures are image moments, as MNIST's own deskewing used them: the slant is the
shear mu11 / mu02 that deskewing removes; width and height are the ink's standard
deviation across and down, in pixels.

    style_features(images)      # (..., 4): ink, slant, width, height
"""

from __future__ import annotations

import numpy as np

STYLE_FEATURES = ("ink", "slant", "width", "height")


def style_features(images: np.ndarray) -> np.ndarray:
    """uint8 images (..., H, W) -> (..., 4): ink (mean intensity in [0, 1]), slant (x shift per
    pixel down; positive leans right), width and height (ink spread in pixels). A blank
    image gets zeros."""
    x = images.astype(np.float64) / 255
    h, w = x.shape[-2:]
    rows, cols = np.arange(h, dtype=np.float64)[:, None], np.arange(w, dtype=np.float64)[None, :]
    mass = x.sum((-2, -1))
    safe = np.where(mass > 0, mass, 1)
    cy, cx = (x * rows).sum((-2, -1)) / safe, (x * cols).sum((-2, -1)) / safe
    dy = rows - cy[..., None, None]
    dx = cols - cx[..., None, None]
    mu20, mu02 = (x * dx**2).sum((-2, -1)) / safe, (x * dy**2).sum((-2, -1)) / safe
    mu11 = (x * dx * dy).sum((-2, -1)) / safe
    # Rows count down, so ink leaning right (top further right) has negative mu11.
    slant = np.where(mu02 > 0, -mu11 / np.where(mu02 > 0, mu02, 1), 0)
    features = np.stack([mass / (h * w), slant, np.sqrt(mu20), np.sqrt(mu02)], -1)
    return np.where((mass > 0)[..., None], features, 0)


def style_kept(base: np.ndarray, edited: np.ndarray) -> np.ndarray:
    """How well edits keep each base's style: for each feature, the correlation across base
    latents between the base's value and the edit's, averaged over targets.
    base (S, F), edited (S, T, F) -> (F,), in [-1, 1]; NaN where a feature does not vary."""
    out = np.full(base.shape[1], np.nan)
    for f in range(base.shape[1]):
        per_target = [np.corrcoef(base[:, f], edited[:, t, f])[0, 1] for t in range(edited.shape[1])
                      if base[:, f].std() > 0 and edited[:, t, f].std() > 0]
        if per_target:
            out[f] = float(np.mean(per_target))
    return out
