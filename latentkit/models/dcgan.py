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

