"""latentkit's default generator: a small DCGAN made for 28x28 on a CPU.

Why this shape (measured with benchmarks/default_arch.py on 2 CPU cores; README):
- it works at MNIST's own 28x28, so no compute goes into padding (R001/R003 at 32)
  or 4x more pixels (R002 at 64);
- narrow transposed convs (64 -> 32 channels at width 32) keep a step cheap;
- an MLP front-end in G (z -> 256 -> 7x7 map) and a hidden fully-connected layer in
  D give both a global view of the digit. R000 has this (with 6.4M weights in one
  linear) and learned the most per epoch; our first design without it drew crisp
  strokes in wrong shapes and stalled at 68% confident samples, while this one
  passed that in 150 s of training;
- BatchNorm, no biases before BN, DCGAN's N(0, 0.02) init, Tanh output on [-1, 1]
  data (R003's lesson: normalise deliberately).
"""

from __future__ import annotations

import torch
from torch import nn

from latentkit.models.config import GANConfig


def dcgan_generator(c: GANConfig) -> nn.Module:
    w = c.width
    return nn.Sequential(
        nn.Linear(c.latent_dim, 8 * w, bias=False), nn.BatchNorm1d(8 * w), nn.ReLU(True),  # (B, 256)
        nn.Linear(8 * w, 2 * w * 7 * 7, bias=False), nn.BatchNorm1d(2 * w * 7 * 7), nn.ReLU(True),
        nn.Unflatten(1, (2 * w, 7, 7)),  # (B, 64, 7, 7)
        nn.ConvTranspose2d(2 * w, w, 4, 2, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU(True),  # (B, 32, 14, 14)
        nn.ConvTranspose2d(w, 1, 4, 2, 1), nn.Tanh(),  # (B, 1, 28, 28)
    )


def dcgan_discriminator(c: GANConfig) -> nn.Module:
    w = c.width
    return nn.Sequential(
        nn.Conv2d(1, w, 4, 2, 1), nn.LeakyReLU(0.2, True),  # (B, 32, 14, 14)
        nn.Conv2d(w, 2 * w, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * w), nn.LeakyReLU(0.2, True),  # 7x7
        nn.Flatten(),
        nn.Linear(2 * w * 7 * 7, 8 * w), nn.LeakyReLU(0.2, True),  # (B, 256): a global view of the digit
        nn.Linear(8 * w, 1),
    )


class MinibatchStd(nn.Module):
    """Appends one channel: the features' standard deviation across groups of `group` samples,
    averaged to one number per group (ProGAN, Karras et al. 2018; StyleGAN's grouping).

    A batch of near-identical fakes gets a low value where real batches do not, so D can see
    a lack of variety that no single image shows: against mode dropping and class imbalance.
    (B, C, H, W) -> (B, C + 1, H, W); a batch not divisible by `group` is one group.
    """

    def __init__(self, group: int = 4):
        super().__init__()
        self.group = group

    def forward(self, x):
        b, c, h, w = x.shape
        g = self.group if b % self.group == 0 else b
        y = x.reshape(g, -1, c, h, w)  # sample i and i + B/g share a group
        y = (y.var(0, unbiased=False) + 1e-8).sqrt().mean((1, 2, 3))  # (B/g,)
        y = y.reshape(-1, 1, 1, 1).repeat(g, 1, h, w)  # (B, 1, H, W)
        return torch.cat([x, y], 1)


def mbstd_discriminator(c: GANConfig) -> nn.Module:
    """dcgan's D with a minibatch-std channel before the fully-connected layers."""
    w = c.width
    return nn.Sequential(
        nn.Conv2d(1, w, 4, 2, 1), nn.LeakyReLU(0.2, True),  # (B, 32, 14, 14)
        nn.Conv2d(w, 2 * w, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * w), nn.LeakyReLU(0.2, True),  # 7x7
        MinibatchStd(),  # (B, 65, 7, 7)
        nn.Flatten(),
        nn.Linear((2 * w + 1) * 7 * 7, 8 * w), nn.LeakyReLU(0.2, True),
        nn.Linear(8 * w, 1),
    )
