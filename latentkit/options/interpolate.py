"""`latentkit interpolate`'s options (analyses/interpolate.py)."""

from __future__ import annotations

from dataclasses import dataclass

from latentkit.limits import MAX_PAIRS, MAX_POOL, MAX_REFINE, MAX_STEPS
from latentkit.options import option


@dataclass(frozen=True)
class InterpolateOptions:
    steps: int = option(10, "Frames per segment, both ends included.", low=2, high=MAX_STEPS)
    method: str = option("slerp", "Spherical (slerp) or straight (lerp) paths.", choices=("slerp", "lerp"))
    pairs: int = option(1, "Rows: the n most confident examples of each class.", low=1, high=MAX_PAIRS)
    pool: int = option(2048, "Prior samples searched for each class.", low=1, high=MAX_POOL)
    refine: int = option(0, "Gradient steps polishing each endpoint's class probability.", low=0, high=MAX_REFINE)


INTERPOLATE = InterpolateOptions()
