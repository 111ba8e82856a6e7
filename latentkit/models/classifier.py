"""The classifier that labels what generators make (MNIST digits, FashionMNIST items)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import torch
from torch import nn

from latentkit.data.datasets import check_dataset
from latentkit.names import CLASSES


@dataclass(frozen=True)
class ClassifierConfig:
    dataset: str = "mnist"  # which label set it predicts ("mnist" or "fashion-mnist")
    width: int = 32  # channels of the first conv block; the second has 2x
    feature_dim: int = 128  # size of the penultimate embedding returned by features()

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ClassifierConfig:
        return cls(**json.loads(text))


def _conv_block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(True),
        nn.Conv2d(c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(True),
        nn.MaxPool2d(2),
    )


class Classifier(nn.Module):
    """Images (B, 1, 28, 28) in [0, 1] -> logits (B, 10); `features` gives the embedding.

        clf = latentkit.load_classifier()
        probs = clf(images).softmax(-1)     # (B, 10)
        emb = clf.features(images)          # (B, 128)
    """

    def __init__(self, config: ClassifierConfig = ClassifierConfig()):
        super().__init__()
        check_dataset(config.dataset)
        self.config = config
        w = config.width
        self.body = nn.Sequential(
            _conv_block(1, w),  # (B, w, 14, 14)
            _conv_block(w, 2 * w),  # (B, 2w, 7, 7)
            nn.Flatten(),
            nn.Linear(2 * w * 49, config.feature_dim, bias=False), nn.BatchNorm1d(config.feature_dim), nn.ReLU(True),
        )
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(config.feature_dim, len(self.classes)))

    @property
    def classes(self) -> list[str]:
        return CLASSES[self.config.dataset]

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate embedding (B, feature_dim) of [0, 1] images (B, 1, 28, 28)."""
        return self.body((x - 0.5) / 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))
