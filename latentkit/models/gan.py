"""One generator interface for every architecture.

`Generator.forward(z)` always returns (B, 1, 28, 28) images in [0, 1], so the
classifier, analyses and plots never special-case an architecture;
`Generator.native(z)` keeps the architecture's own size and range for sample grids
and for the discriminator.
"""

from __future__ import annotations

import torch
from torch import nn

from latentkit.data.datasets import check_dataset
from latentkit.data.pixels import to_native, to_unit28
from latentkit.errors import ConfigError
from latentkit.models.config import GANConfig
from latentkit.models.zoo import dcgan_init_, get_arch


class ZooNet(nn.Module):
    """A generator or discriminator of one zoo architecture, built from its config."""

    part: str  # "generator" or "discriminator": which builder of the Arch to use

    def __init__(self, config: GANConfig):
        super().__init__()
        self.arch = get_arch(config.arch)
        check_dataset(config.dataset)
        if config.latent_dim < 1 or config.width < 2:
            raise ConfigError(
                f"latent_dim must be >= 1 and width >= 2 (got {config.latent_dim}, {config.width})"
            )
        self.config = config
        build = getattr(self.arch, self.part)
        if build is None:
            raise ConfigError(f"{config.arch} is a {self.arch.kind.upper()}: it has no {self.part}")
        self.net = build(config)
        if self.arch.dcgan_init:
            dcgan_init_(self.net)


class Generator(ZooNet):
    """z (B, latent_dim) -> images (B, 1, 28, 28) in [0, 1].

        g = Generator(GANConfig("dcgan", latent_dim=100))
        images = g(torch.randn(16, g.latent_dim))
    """

    part = "generator"

    @property
    def latent_dim(self) -> int:
        return self.config.latent_dim

    @property
    def dataset(self) -> str:
        return self.config.dataset

    @property
    def latent_mean(self) -> torch.Tensor:
        """The prior's mean (latent_dim,): zero, as the prior is N(0, I)."""
        return torch.zeros(self.latent_dim)

    def native(self, z: torch.Tensor) -> torch.Tensor:
        """(B, latent_dim) -> (B, 1, S, S) at the architecture's own size S and value range."""
        return self.net(z)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return to_unit28(self.native(z), self.arch.value_range, self.arch.image_size)

    def sample_latents(self, n: int, seed: int | None = None, device: torch.device | str = "cpu") -> torch.Tensor:
        """n latents from the N(0, I) prior, reproducible from `seed`: (n, latent_dim)."""
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        return torch.randn(n, self.latent_dim, generator=gen).to(device)


class VAEEncoder(ZooNet):
    """A VAE's encoder: images (B, 1, 28, 28) in [0, 1] -> the posterior's (mu, logvar), each (B, latent_dim)."""

    part = "encoder"

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.net(x)


class Discriminator(ZooNet):
    """Native images (B, 1, S, S) -> logits (B,); sigmoid(logit) is D's 'real' probability."""

    part = "discriminator"

    def prepare(self, images_uint8: torch.Tensor) -> torch.Tensor:
        """Dataset uint8 (B, 28, 28) -> this architecture's native input."""
        return to_native(images_uint8, self.arch.value_range, self.arch.image_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).view(-1)
