"""The model zoo: reference GANs, latentkit's default DCGAN, VAEs and the classifier."""

from latentkit.models.classifier import Classifier, ClassifierConfig
from latentkit.models.config import GANConfig
from latentkit.models.gan import Discriminator, Generator, VAEEncoder
from latentkit.models.zoo import ARCHS, Arch, get_arch

__all__ = [
    "ARCHS", "Arch", "Classifier", "ClassifierConfig", "Discriminator", "GANConfig", "Generator", "VAEEncoder",
    "get_arch",
]
