"""The generators and discriminators of the five reference write-ups, layer for layer.

Shapes follow shared/REFERENCE_SYSTEMS.md exactly at `width=64`; `width` scales every
channel/hidden count in proportion so tests can build tiny copies. Discriminators
end in a logit: the Sigmoid of the originals lives in the loss
(BCE-with-logits), which is the same function, numerically safer, with no parameters.
"""

from __future__ import annotations

from torch import nn

from latentkit.models.config import GANConfig


def _lrelu() -> nn.LeakyReLU:
    return nn.LeakyReLU(0.2, inplace=True)


# --- R000: "GAN-MNIST" DCGAN, 28x28, Sigmoid output -------------------------------

def r000_generator(c: GANConfig) -> nn.Module:
    w = c.width
    return nn.Sequential(
        nn.Linear(c.latent_dim, 16 * w), nn.BatchNorm1d(16 * w), nn.ReLU(True),
        nn.Linear(16 * w, 2 * w * 7 * 7), nn.BatchNorm1d(2 * w * 7 * 7), nn.ReLU(True),
        nn.Unflatten(1, (2 * w, 7, 7)),  # (B, 128, 7, 7)
        nn.ConvTranspose2d(2 * w, w, 4, 2, 1), nn.BatchNorm2d(w), nn.ReLU(True),  # (B, 64, 14, 14)
        nn.ConvTranspose2d(w, 1, 4, 2, 1), nn.Sigmoid(),  # (B, 1, 28, 28)
    )


def r000_discriminator(c: GANConfig) -> nn.Module:
    w = c.width
    return nn.Sequential(
        nn.Conv2d(1, w // 2, 5), _lrelu(), nn.MaxPool2d(2),  # (B, 32, 12, 12)
        nn.Conv2d(w // 2, w, 5), _lrelu(), nn.MaxPool2d(2),  # (B, 64, 4, 4)
        nn.Flatten(),
        nn.Linear(w * 16, 16 * w), _lrelu(),
        nn.Linear(16 * w, 1),
    )


# --- R001 and R004: one-hidden-layer MLP GANs, 28x28 flattened --------------------

def r001_mlp_generator(c: GANConfig) -> nn.Module:
    # R001's generator has no output activation; pixels.to_unit28 clips for display.
    return nn.Sequential(
        nn.Linear(c.latent_dim, 2 * c.width), _lrelu(),
        nn.Linear(2 * c.width, 784), nn.Unflatten(1, (1, 28, 28)),
    )


def r004_mlp_generator(c: GANConfig) -> nn.Module:
    return nn.Sequential(
        nn.Linear(c.latent_dim, 2 * c.width), nn.ReLU(True),
        nn.Linear(2 * c.width, 784), nn.Tanh(), nn.Unflatten(1, (1, 28, 28)),
    )


def mlp_discriminator(c: GANConfig) -> nn.Module:
    """R001 and R004 share this discriminator: Linear(784,128)-LReLU(0.2)-Linear(128,1)."""
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 2 * c.width), _lrelu(), nn.Linear(2 * c.width, 1))


# --- R001: DCGAN at 32x32 ---------------------------------------------------------

def r001_dcgan32_generator(c: GANConfig) -> nn.Module:
    w = c.width
    return nn.Sequential(
        nn.Unflatten(1, (c.latent_dim, 1, 1)),
        nn.ConvTranspose2d(c.latent_dim, 8 * w, 4, 1, 0), nn.ReLU(True),  # (B, 512, 4, 4)
        nn.ConvTranspose2d(8 * w, 4 * w, 4, 2, 1), nn.BatchNorm2d(4 * w), nn.ReLU(True),  # 8x8
        nn.ConvTranspose2d(4 * w, 2 * w, 4, 2, 1), nn.BatchNorm2d(2 * w), nn.ReLU(True),  # 16x16
        nn.ConvTranspose2d(2 * w, 1, 4, 2, 1), nn.Tanh(),  # (B, 1, 32, 32)
    )


def r001_dcgan32_discriminator(c: GANConfig) -> nn.Module:
    w = c.width
    return nn.Sequential(
        nn.Conv2d(1, w, 4, 2, 1), _lrelu(),  # (B, 64, 16, 16)
        nn.Conv2d(w, 2 * w, 4, 2, 1), nn.BatchNorm2d(2 * w), _lrelu(),  # 8x8
        nn.Conv2d(2 * w, 4 * w, 4, 2, 1), nn.BatchNorm2d(4 * w), _lrelu(),  # 4x4
        nn.Conv2d(4 * w, 1, 4, 2, 0), nn.Flatten(),  # (B, 1)
    )


# --- R002: the PyTorch DCGAN tutorial at 64x64, no biases --------------------------

def r002_generator(c: GANConfig) -> nn.Module:
    w = c.width
    return nn.Sequential(
        nn.Unflatten(1, (c.latent_dim, 1, 1)),
        nn.ConvTranspose2d(c.latent_dim, 8 * w, 4, 1, 0, bias=False), nn.BatchNorm2d(8 * w), nn.ReLU(True),  # 4x4
        nn.ConvTranspose2d(8 * w, 4 * w, 4, 2, 1, bias=False), nn.BatchNorm2d(4 * w), nn.ReLU(True),  # 8x8
        nn.ConvTranspose2d(4 * w, 2 * w, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * w), nn.ReLU(True),  # 16x16
        nn.ConvTranspose2d(2 * w, w, 4, 2, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU(True),  # 32x32
        nn.ConvTranspose2d(w, 1, 4, 2, 1, bias=False), nn.Tanh(),  # (B, 1, 64, 64)
    )


def r002_discriminator(c: GANConfig) -> nn.Module:
    w = c.width
    return nn.Sequential(
        nn.Conv2d(1, w, 4, 2, 1, bias=False), _lrelu(),  # (B, 64, 32, 32)
        nn.Conv2d(w, 2 * w, 4, 2, 1, bias=False), nn.BatchNorm2d(2 * w), _lrelu(),  # 16x16
        nn.Conv2d(2 * w, 4 * w, 4, 2, 1, bias=False), nn.BatchNorm2d(4 * w), _lrelu(),  # 8x8
        nn.Conv2d(4 * w, 8 * w, 4, 2, 1, bias=False), nn.BatchNorm2d(8 * w), _lrelu(),  # 4x4
        nn.Conv2d(8 * w, 1, 4, 1, 0, bias=False), nn.Flatten(),  # (B, 1)
    )


# --- R003: small 3-layer DCGAN at 32x32 -------------------------------------------

def r003_generator(c: GANConfig) -> nn.Module:
    w = c.width
    return nn.Sequential(
        nn.Linear(c.latent_dim, 4 * w * 16), _lrelu(),
        nn.Unflatten(1, (4 * w, 4, 4)),  # (B, 256, 4, 4)
        nn.ConvTranspose2d(4 * w, 2 * w, 4, 2, 1), nn.BatchNorm2d(2 * w), _lrelu(),  # 8x8
        nn.ConvTranspose2d(2 * w, w, 4, 2, 1), nn.BatchNorm2d(w), _lrelu(),  # 16x16
        nn.ConvTranspose2d(w, 1, 4, 2, 1), nn.Tanh(),  # (B, 1, 32, 32)
    )


def r003_discriminator(c: GANConfig) -> nn.Module:
    w = c.width
    return nn.Sequential(
        nn.Conv2d(1, w, 4, 2, 1), nn.BatchNorm2d(w), _lrelu(),  # (B, 64, 16, 16)
        nn.Conv2d(w, 2 * w, 4, 2, 1), nn.BatchNorm2d(2 * w), _lrelu(),  # 8x8
        nn.Conv2d(2 * w, 4 * w, 4, 2, 1), _lrelu(),  # (B, 256, 4, 4)
        nn.Flatten(), nn.Linear(4 * w * 16, 1),
    )
