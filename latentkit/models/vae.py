"""Variational autoencoders: the decoder is the generator every analysis reads, the encoder
gives each image's posterior N(mu, exp(logvar)).

`vae` is pytorch/examples' `vae/main.py` layer for layer at `width=400` (fc1 784-400, fc21 and
fc22 400-d, fc3 d-400, fc4 400-784, Sigmoid): the same names, so that script's state_dict loads
into an encoder and a decoder by splitting it. `conv-vae` is a small convolutional one at
MNIST's 28x28. Both decode to Bernoulli means in [0, 1]; the loss is the reference's:
binary cross-entropy summed over pixels plus the KL divergence to N(0, I).
"""

from __future__ import annotations

import torch
from torch import nn

from latentkit.models.config import GANConfig


class _FCEncoder(nn.Module):
    def __init__(self, c: GANConfig):
        super().__init__()
        self.fc1 = nn.Linear(784, c.width)
        self.fc21 = nn.Linear(c.width, c.latent_dim)
        self.fc22 = nn.Linear(c.width, c.latent_dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h1 = torch.relu(self.fc1(x.reshape(-1, 784)))
        return self.fc21(h1), self.fc22(h1)


class _FCDecoder(nn.Module):
    def __init__(self, c: GANConfig):
        super().__init__()
        self.fc3 = nn.Linear(c.latent_dim, c.width)
        self.fc4 = nn.Linear(c.width, 784)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.fc4(torch.relu(self.fc3(z)))).view(-1, 1, 28, 28)


class _ConvEncoder(nn.Module):
    def __init__(self, c: GANConfig):
        super().__init__()
        w = c.width
        self.features = nn.Sequential(
            nn.Conv2d(1, w, 4, 2, 1), nn.ReLU(True),  # (B, w, 14, 14)
            nn.Conv2d(w, 2 * w, 4, 2, 1), nn.ReLU(True),  # (B, 2w, 7, 7)
            nn.Flatten(), nn.Linear(2 * w * 49, 8 * w), nn.ReLU(True),
        )
        self.mu = nn.Linear(8 * w, c.latent_dim)
        self.logvar = nn.Linear(8 * w, c.latent_dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.features(x)
        return self.mu(h), self.logvar(h)


def conv_vae_decoder(c: GANConfig) -> nn.Module:
    w = c.width
    return nn.Sequential(
        nn.Linear(c.latent_dim, 8 * w), nn.ReLU(True),
        nn.Linear(8 * w, 2 * w * 49), nn.ReLU(True), nn.Unflatten(1, (2 * w, 7, 7)),
        nn.ConvTranspose2d(2 * w, w, 4, 2, 1), nn.ReLU(True),  # (B, w, 14, 14)
        nn.ConvTranspose2d(w, 1, 4, 2, 1), nn.Sigmoid(),  # (B, 1, 28, 28)
    )


def vae_encoder(c: GANConfig) -> nn.Module:
    return _FCEncoder(c)


def vae_decoder(c: GANConfig) -> nn.Module:
    return _FCDecoder(c)


def conv_vae_encoder(c: GANConfig) -> nn.Module:
    return _ConvEncoder(c)


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """z = mu + sigma * eps for eps ~ N(0, I) drawn by the caller (from its own seeded stream):
    the reparameterisation trick."""
    return mu + torch.exp(0.5 * logvar) * eps


def kl_per_dim(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, exp(logvar)) || N(0, 1)) of each image and dimension (B, d), in nats."""
    return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp())


def reconstruction_nats(recon: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log p(x | z) of each image (B,) under a Bernoulli decoder with means `recon`, x in [0, 1]:
    the reference's binary cross-entropy, summed over pixels."""
    bce = nn.functional.binary_cross_entropy(recon.flatten(1), x.flatten(1), reduction="none")
    return bce.sum(1)
