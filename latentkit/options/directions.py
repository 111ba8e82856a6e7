"""`latentkit directions`'s options (analyses/directions.py)."""

from __future__ import annotations

from dataclasses import dataclass

from latentkit.limits import MAX_EXTENT, MAX_LATENT_DIM, MAX_SAMPLES, MAX_SWEEP_SAMPLES
from latentkit.options import option

METHODS = ("classifier", "sefa", "pca", "mean")
DEFAULT_SAMPLES = 20_000
DEFAULT_TOP = 10  # sefa and pca directions kept


@dataclass(frozen=True)
class DirectionsOptions:
    method: str = option("classifier", "classifier: SVM boundaries on labelled latents (InterFaceGAN); sefa: closed "
                         "form from the first layer; pca: principal components of a layer (GANSpace); mean: "
                         "class-mean differences.", choices=METHODS)
    samples: int | None = option(None, "Prior latents labelled (classifier, mean) or traced (pca).", kind="int",
                                 low=100, high=MAX_SAMPLES, shown_default=f"{DEFAULT_SAMPLES}")
    top: int | None = option(None, "sefa, pca: directions kept, strongest first.", kind="int", low=1,
                             high=MAX_LATENT_DIM, shown_default=f"{DEFAULT_TOP}")
    select: str = option("confident", "classifier: the latents each boundary is fitted on: every confident reading "
                         "(class vs the rest, or vs the pair's other class), or InterFaceGAN's extremes, the --ratio "
                         "share scoring highest and lowest.", choices=("confident", "extremes"))
    ratio: float = option(0.02, "classifier --select extremes: the share taken from each end (InterFaceGAN's 0.02).",
                          low=0, high=0.5, low_open=True)
    fold_batchnorm: bool = option(False, "sefa: fold the BatchNorm after the first layer into it and skip SeFa's "
                                  "per-feature normalisation (latentkit 0.1's variant).")
    probes: int = option(64, "Base latents each direction is followed from to measure and name it.", low=1,
                         high=MAX_SWEEP_SAMPLES)
    strength: float = option(3.0, "Follow each direction from -strength to +strength (latent units).", low=0,
                             high=MAX_EXTENT, low_open=True)
    steps: int = option(7, "Odd number of points along each traversal.", low=3, high=101)


DIRECTIONS = DirectionsOptions()
