"""`latentkit eval`'s options (analyses/evaluate.py, and analyses/truncation.py's --truncation-sweep)."""

from __future__ import annotations

from dataclasses import dataclass

from latentkit.limits import MAX_PPL_PATHS
from latentkit.options import option

VALIDATION_START = 50_000  # train[50000:] is the validation split, as in Goodfellow et al. 2014


@dataclass(frozen=True)
class EvalOptions:
    samples: int = option(10_000, "Generated samples (and training images for the real-data yardstick).",
                          low=10, high=VALIDATION_START)
    ppl_paths: int = option(2_000, "Latent pairs per perceptual-path-length variant.", low=2, high=MAX_PPL_PATHS)
    reachability: int = option(0, "Also invert this many real test digits (as many per class) and score which "
                                  "the generator can draw.", low=0, high=10_000)


EVAL = EvalOptions()
