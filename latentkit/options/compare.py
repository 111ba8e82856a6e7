"""`latentkit compare`'s options (analyses/compare.py)."""

from __future__ import annotations

from dataclasses import dataclass

from latentkit.options import option
from latentkit.options.evaluate import VALIDATION_START


@dataclass(frozen=True)
class CompareOptions:
    samples: int = option(2_000, "Generated samples per model and seed for eval's metrics.", low=10,
                          high=VALIDATION_START)
    seeds: int = option(3, "Seeds every sampled figure is measured with (0, 1, ...): its spread over them is the "
                           "noise a difference must beat.", low=1, high=100)
    ppl_paths: int = option(500, "Latent pairs per perceptual-path-length figure.", low=2, high=100_000)
    reachability: int = option(100, "Real test digits inverted per model and seed (0 = none).", low=0, high=10_000)
    paths: int = option(8, "Interpolations and edits per class pair and seed.", low=1, high=1_000)
    steps: int = option(16, "Frames per interpolation.", low=3, high=1_000)


COMPARE = CompareOptions()
DEFAULT_PAIRS = ((9, 4), (3, 8), (1, 7))  # class pairs interpolated and edited: the issues' examples
