"""`latentkit invert`'s options (analyses/invert.py, latentkit/space/inversion.py)."""

from __future__ import annotations

from dataclasses import dataclass

from latentkit.options import option

INITS = ("auto", "encoder", "random")


@dataclass(frozen=True)
class InvertOptions:
    init: str = option("auto", "encoder: start from an encoder's guess, then refine; random: from prior samples; "
                       "auto: the encoder when there is one.", choices=INITS)
    steps: int = option(100, "Adam steps.", low=0, high=100_000)
    restarts: int = option(1, "Starts per image (the first is the encoder's); each image keeps its best.", low=1,
                           high=1_000)
    lr: float = option(0.1, "Peak learning rate.", low=0, high=10, low_open=True)
    feature_weight: float = option(0.05, "Weight of the classifier-feature distance beside pixel MSE.", low=0,
                                   high=1e6)
    prior_weight: float = option(0.01, "Weight of (|z|/sqrt(d) - 1)^2, keeping z where the prior is.", low=0,
                                 high=1e6)


INVERT = InvertOptions()
