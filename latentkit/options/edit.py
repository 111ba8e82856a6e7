"""`latentkit edit`'s options (analyses/edit.py)."""

from __future__ import annotations

from dataclasses import dataclass

from latentkit.limits import MAX_POOL, MAX_SAMPLES, MAX_SWEEP_SAMPLES
from latentkit.options import option

BOUNDARIES = ("one-vs-rest", "pair")
DEFAULT_SAMPLES = 8


@dataclass(frozen=True)
class EditOptions:
    samples: int | None = option(None, "Base latents, one row each.", kind="int", low=1, high=MAX_SWEEP_SAMPLES,
                                 shown_default=f"{DEFAULT_SAMPLES}")
    steps: int = option(9, "Points along each path.", low=2, high=1000)
    boundary: str | None = option(None, "Toward a class: its one-vs-rest normal or the FROM-vs-TOWARD pair's.",
                                  kind="str", choices=BOUNDARIES, shown_default="one-vs-rest")
    keep_norm: bool = option(False, "Rescale every step to the base latent's |z| (the prior's shell).")
    fit_samples: int = option(10_000, "Prior latents labelled to fit the boundaries.", low=100, high=MAX_SAMPLES)
    pool: int = option(4096, "Prior latents searched for --from examples.", low=1, high=MAX_POOL)


EDIT = EditOptions()
