"""Pixel range and image size conversion: the one place where it happens.

Datasets come as uint8 in [0, 255] at 28x28. Each architecture works in its own
"native" space: a value range (`unit` = [0, 1] for Sigmoid outputs, `symmetric` =
[-1, 1] for Tanh) and a size (28, 32 or 64). Everything outside a model (the
classifier, analyses, plots) sees float images in [0, 1] at 28x28.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

RANGES = ("unit", "symmetric")
SIZES = (28, 32, 64)


def to_native(images: torch.Tensor, value_range: str = "unit", size: int = 28) -> torch.Tensor:
    """uint8 (B, 28, 28) or (B, 1, 28, 28) -> float (B, 1, size, size) in the native range.

    32x32 pads 2 pixels of background on each side (exact, and undone exactly by
    `to_unit28`); 64x64 resizes bilinearly, as the R002 tutorial did.
    """
    x = images.float().div(255.0)
    if x.dim() == 3:
        x = x.unsqueeze(1)  # (B, 1, 28, 28)
    if size == 32:
        x = F.pad(x, (2, 2, 2, 2))
    elif size == 64:
        x = F.interpolate(x, size=(64, 64), mode="bilinear", align_corners=False)
    elif size != 28:
        raise ValueError(f"unsupported image size {size}; use one of {SIZES}")
    return x * 2 - 1 if value_range == "symmetric" else x


def to_unit28(x: torch.Tensor, value_range: str = "unit", size: int = 28) -> torch.Tensor:
    """Native (B, 1, size, size) -> (B, 1, 28, 28) in [0, 1]; the inverse of `to_native`."""
    x = to_unit_range(x, value_range)
    if size == 32:
        x = x[..., 2:30, 2:30]
    elif size == 64:
        # Plain bilinear, no antialiasing: it samples where `to_native`'s upsampling put the
        # pixels, so a dataset image survives the round trip (mean error 3/255 on MNIST test digits).
        x = F.interpolate(x, size=(28, 28), mode="bilinear", align_corners=False)
    elif size != 28:
        raise ValueError(f"unsupported image size {size}; use one of {SIZES}")
    return x


def to_unit_range(x: torch.Tensor, value_range: str = "unit") -> torch.Tensor:
    """Native values -> [0, 1], size kept (for native-resolution sample grids)."""
    if value_range == "symmetric":
        x = (x + 1) / 2
    # Unbounded outputs (R001's MLP has no output activation) are clipped for display.
    return x.clamp(0.0, 1.0)


def to_uint8(x: torch.Tensor) -> torch.Tensor:
    """[0, 1] float images -> uint8, rounding to nearest; shape kept."""
    return (x.clamp(0, 1) * 255).round().to(torch.uint8)
