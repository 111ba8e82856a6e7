"""The architecture registry: every GAN's generator/discriminator pair and every VAE's
decoder/encoder pair, by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from latentkit.errors import ConfigError
from latentkit.models import dcgan, vae
from latentkit.models import references as ref
from latentkit.models.config import GANConfig

Builder = Callable[[GANConfig], nn.Module]


@dataclass(frozen=True)
class Arch:
    name: str
    generator: Builder  # a VAE's decoder
    discriminator: Builder | None  # a GAN's; None for a VAE
    image_size: int  # native resolution the pair works at
    value_range: str  # "unit" ([0, 1], Sigmoid) or "symmetric" ([-1, 1], Tanh)
    dcgan_init: bool  # N(0, 0.02) conv / N(1, 0.02) BN init, as the DCGAN paper
    source: str  # where it comes from, for `latentkit models` and cards
    default_width: int = 64  # 64 = the reference shapes; dcgan's is chosen by benchmarks/default_arch.py
    default_ema: float = 0.0  # generator weight averaging; 0 keeps the references' recipes as published
    default_lr: float = 2e-4  # Adam's, as all five references; dcgan's is chosen by benchmarks/recipe_race.py
    default_beta1: float = 0.5  # Adam's, as the DCGAN paper; a VAE's is Adam's own 0.9
    encoder: Builder | None = None  # a VAE's: images -> (mu, logvar) of the posterior

    @property
    def kind(self) -> str:
        """"vae" (trained by training/vae.py) or "gan" (training/gan.py)."""
        return "vae" if self.encoder is not None else "gan"


ARCHS: dict[str, Arch] = {
    a.name: a
    for a in [
        Arch("dcgan", dcgan.dcgan_generator, dcgan.dcgan_discriminator, 28, "symmetric", True,
             "latentkit default: 28x28 DCGAN built for CPU training", default_width=32, default_ema=0.9995,
             default_lr=4e-4),
        Arch("r000-dcgan28", ref.r000_generator, ref.r000_discriminator, 28, "unit", False,
             "R000 GAN-MNIST DCGAN, 28x28, Sigmoid output"),
        Arch("r001-mlp", ref.r001_mlp_generator, ref.mlp_discriminator, 28, "symmetric", False,
             "R001 plain GAN (FashionMNIST write-up), MLP 100-128-784"),
        Arch("r001-dcgan32", ref.r001_dcgan32_generator, ref.r001_dcgan32_discriminator, 32, "symmetric", False,
             "R001 DCGAN at 32x32"),
        Arch("r002-dcgan64", ref.r002_generator, ref.r002_discriminator, 64, "symmetric", True,
             "R002 PyTorch DCGAN tutorial adapted to MNIST, 64x64"),
        Arch("r003-dcgan32", ref.r003_generator, ref.r003_discriminator, 32, "symmetric", False,
             "R003 small 3-layer DCGAN, 32x32"),
        Arch("r004-mlp", ref.r004_mlp_generator, ref.mlp_discriminator, 28, "symmetric", False,
             "R004 minimal GAN tutorial, MLP 100-128-784 Tanh"),
        Arch("vae", vae.vae_decoder, None, 28, "unit", False,
             "pytorch/examples vae/main.py: fc 784-400-d, Bernoulli decoder", default_width=400, default_lr=1e-3,
             default_beta1=0.9, encoder=vae.vae_encoder),
        Arch("conv-vae", vae.conv_vae_decoder, None, 28, "unit", False,
             "latentkit's small convolutional VAE, 28x28, Bernoulli decoder", default_width=32, default_lr=1e-3,
             default_beta1=0.9, encoder=vae.conv_vae_encoder),
    ]
}


def get_arch(name: str) -> Arch:
    """Look an architecture up by name, or raise ConfigError listing the known ones."""
    if name not in ARCHS:
        raise ConfigError(f"unknown architecture {name!r}; choose one of: {', '.join(ARCHS)}")
    return ARCHS[name]


def dcgan_init_(module: nn.Module) -> None:
    """DCGAN paper init: conv weights ~ N(0, 0.02), BatchNorm scale ~ N(1, 0.02), shift 0."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)
