"""Differentiable augmentation (DiffAugment, Zhao et al. 2020): the same random translation and
cutout applied to every image D sees, real and generated, in D's step and in G's, so D cannot
learn the training images by heart and G's gradient passes through the augmentation.

As the authors' DiffAugment_pytorch.py: "translation" shifts each image by up to 1/8 of its size
in each direction (a whole pixel, uniformly), "cutout" blanks a square half the image's side at
a uniformly drawn centre (clipped at the border), "color" jitters brightness, saturation and
contrast; each image draws its own, in that order. Two differences: every draw comes from the
`generator` passed in (the run's seeded noise, so a resumed run repeats them), and what is shifted
in or cut out takes `fill` (the data's background: -1 for images on [-1, 1]) where the reference
uses 0 (mid-grey on [-1, 1], black only on [0, 1]).
"""

from __future__ import annotations

import torch


def diff_augment(x: torch.Tensor, policy: str, generator: torch.Generator | None = None,
                 fill: float = 0.0) -> torch.Tensor:
    """Augment images x (B, C, H, W) by `policy`, comma-separated parts applied in the order
    given ("translation,cutout"; TrainConfig checks the names); differentiable in x."""
    for part in filter(None, policy.split(",")):
        x = _AUGMENTS[part](x, generator, fill)
    return x


def _per_image(x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """One uniform [0, 1) draw per image, shaped to broadcast over (C, H, W)."""
    return torch.rand(x.shape[0], 1, 1, 1, generator=generator, device=x.device, dtype=x.dtype)


def color(x: torch.Tensor, generator: torch.Generator | None, fill: float) -> torch.Tensor:
    x = x + (_per_image(x, generator) - 0.5)  # brightness
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * (_per_image(x, generator) * 2) + mean  # saturation (none with one channel)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (_per_image(x, generator) + 0.5) + mean  # contrast


def translation(x: torch.Tensor, generator: torch.Generator | None, fill: float) -> torch.Tensor:
    b, _, h, w = x.shape
    shifts = [torch.randint(-(s // 8), s // 8 + 1, (b, 1, 1), generator=generator, device=x.device)
              for s in (h, w)]
    # Each output pixel reads input pixel (i + dy, j + dx), or the one-pixel border of `fill`.
    rows = (torch.arange(h, device=x.device).view(1, h, 1) + shifts[0] + 1).clamp(0, h + 1)
    cols = (torch.arange(w, device=x.device).view(1, 1, w) + shifts[1] + 1).clamp(0, w + 1)
    padded = torch.nn.functional.pad(x, (1, 1, 1, 1), value=fill)
    batch = torch.arange(b, device=x.device).view(b, 1, 1)
    return padded.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2)


def cutout(x: torch.Tensor, generator: torch.Generator | None, fill: float) -> torch.Tensor:
    b, _, h, w = x.shape
    size = (h // 2, w // 2)
    centres = [torch.randint(0, s + (1 - c % 2), (b, 1, 1), generator=generator, device=x.device)
               for s, c in zip((h, w), size, strict=True)]
    rows = (torch.arange(h, device=x.device).view(1, h, 1) - centres[0] + size[0] // 2)
    cols = (torch.arange(w, device=x.device).view(1, 1, w) - centres[1] + size[1] // 2)
    # A pixel is cut when it lies in the square [centre - size//2, centre - size//2 + size).
    cut = ((rows >= 0) & (rows < size[0]) & (cols >= 0) & (cols < size[1])).unsqueeze(1)
    return torch.where(cut, torch.full_like(x, fill), x)


_AUGMENTS = {"color": color, "translation": translation, "cutout": cutout}
