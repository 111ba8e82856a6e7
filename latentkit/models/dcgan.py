"""latentkit's default generator: a two-upsampling DCGAN made for 28x28 on a CPU.

Why this shape (measured numbers are in trained/mnist-dcgan.json and the README):
- it works at MNIST's own 28x28, so no compute goes into padding (R001/R003 at 32)
  or 4x more pixels (R002 at 64);
- one linear layer to 7x7 then two stride-2 transposed convs, like R000, but without
  R000's 6.4M-parameter 1024->6272 linear: most of R000's weights and none of its
  spatial structure;
- BatchNorm in G and in D's middle layer, no biases before BN, DCGAN's N(0, 0.02)
  init, Tanh output on [-1, 1] data (the R003 lesson: normalise deliberately).
"""

from __future__ import annotations

from torch import nn

from latentkit.models.config import GANConfig


def dcgan_generator(c: GANConfig) -> nn.Module:
    w = c.width
    return nn.Sequential(
        nn.Linear(c.latent_dim, 2 * w * 7 * 7, bias=False), nn.BatchNorm1d(2 * w * 7 * 7), nn.ReLU(True),
        nn.Unflatten(1, (2 * w, 7, 7)),  # (B, 128, 7, 7)
        nn.ConvTranspose2d(2 * w, w, 4, 2, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU(True),  # (B, 64, 14, 14)
        nn.ConvTranspose2d(w, 1, 4, 2, 1), nn.Tanh(),  # (B, 1, 28, 28)
    )


def dcgan_discriminator(c: GANConfig) -> nn.Module:
    w = c.width
    return nn.Sequential(
        nn.Conv2d(1, w, 4, 2, 1), nn.LeakyReLU(0.2, True),  # (B, 64, 14, 14)
        nn.Conv2d(w, 2 * w, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * w), nn.LeakyReLU(0.2, True),  # 7x7
        nn.Flatten(), nn.Linear(2 * w * 7 * 7, 1),
    )
