"""Datasets: where they live, and reading one into memory once.

MNIST and FashionMNIST are small (47 MB of uint8 each), so training reads the whole
split into one uint8 tensor on the target device and batches by indexing: no
DataLoader workers and no per-sample PIL transforms in the hot loop.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch

from latentkit.errors import ConfigError, DataError
from latentkit.names import CLASSES

DATA_ENV = "LATENTKIT_DATA"

_TORCHVISION_NAME = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}


@dataclass
class ImageSet:
    """A whole dataset split held in memory."""

    images: torch.Tensor  # (N, 28, 28) uint8
    labels: torch.Tensor  # (N,) int64
    dataset: str
    train: bool

    def __len__(self) -> int:
        return len(self.labels)

    def to(self, device: torch.device | str) -> ImageSet:
        return ImageSet(self.images.to(device), self.labels.to(device), self.dataset, self.train)


def check_dataset(name: str) -> str:
    """Return `name` if it is a dataset latentkit knows, else raise ConfigError."""
    if name not in CLASSES:
        raise ConfigError(f"unknown dataset {name!r}; choose one of: {', '.join(CLASSES)}")
    return name


def data_root(data_dir: str | os.PathLike | None = None) -> Path:
    """Resolve the data folder: the argument, then $LATENTKIT_DATA, then a per-user cache dir."""
    if data_dir is not None:
        return Path(data_dir).expanduser()
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV]).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("latentkit")) / "data"


def load_images(
    dataset: str = "mnist",
    train: bool = True,
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
    limit: int | None = None,
) -> ImageSet:
    """Read a whole split as uint8 tensors, downloading it first if it is missing.

        train = load_images("mnist", train=True)   # train.images: (60000, 28, 28) uint8
        test = load_images("fashion-mnist", train=False, data_dir="../shared/data")

    `limit` keeps the first `limit` images (for quick runs and tests).
    """
    import torchvision

    check_dataset(dataset)
    root = data_root(data_dir)
    folder = _TORCHVISION_NAME[dataset]
    cls = getattr(torchvision.datasets, folder)
    try:
        ds = cls(root=str(root), train=train, download=download)
    except Exception as err:  # torchvision raises RuntimeError/URLError/OSError here
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DataError(
            f"{dataset} not found in {root / folder / 'raw'} and could not be downloaded ({reason}). "
            f"Put the four *-ubyte files in {folder}/raw/ under a folder and pass it with "
            f"--data-dir or ${DATA_ENV}."
        ) from None
    images, labels = ds.data, ds.targets.long()
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    return ImageSet(images.contiguous(), labels.contiguous(), dataset, train)
