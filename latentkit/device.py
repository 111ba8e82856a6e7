"""Choosing the torch device: CUDA when present, then Apple MPS, then CPU."""

from __future__ import annotations

import torch

from latentkit.errors import ConfigError
from latentkit.names import DEVICES


def pick_device(name: str = "auto") -> torch.device:
    """'auto' -> the best available device; 'cuda'/'mps' are checked, not assumed."""
    if name not in DEVICES:
        raise ConfigError(f"unknown device {name!r}; choose one of: {', '.join(DEVICES)}")
    mps = getattr(torch.backends, "mps", None)
    has_mps = bool(mps and mps.is_available())
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "mps" if has_mps else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("--device cuda was asked for but torch sees no CUDA GPU; use --device auto or cpu")
    if name == "mps" and not has_mps:
        raise ConfigError("--device mps was asked for but this machine has no MPS; use --device auto or cpu")
    return torch.device(name)
