"""The config every GAN in the zoo is built from, saved beside its weights."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class GANConfig:
    arch: str = "dcgan"  # a name from latentkit.models.ARCHS
    latent_dim: int = 100  # length of z; every reference uses 100
    width: int = 64  # channel/hidden multiplier; 64 reproduces the reference shapes
    dataset: str = "mnist"  # what the generator was trained to draw; picks the classifier that reads it

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> GANConfig:
        return cls(**json.loads(text))
