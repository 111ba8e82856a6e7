"""`latentkit sweep`'s options (analyses/sweep.py)."""

from __future__ import annotations

from dataclasses import dataclass

from latentkit.limits import MAX_SWEEP_SAMPLES
from latentkit.options import option


@dataclass(frozen=True)
class SweepOptions:
    samples: int = option(3, "Base latents.", low=1, high=MAX_SWEEP_SAMPLES)
    rank: bool = option(False, "Sweep every coordinate and rank them by effect.")


SWEEP = SweepOptions()
