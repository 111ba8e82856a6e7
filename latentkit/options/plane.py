"""`latentkit plane`'s options (analyses/plane.py)."""

from __future__ import annotations

from dataclasses import dataclass

from latentkit.limits import MAX_EXTENT, MAX_POOL, MAX_RESOLUTION
from latentkit.options import option


@dataclass(frozen=True)
class PlaneOptions:
    extent: float | None = option(None, "With --dims: the grid runs from -E to E.", kind="float", low=0,
                                  high=MAX_EXTENT, low_open=True, shown_default="3")
    resolution: int = option(64, "Grid side: points classified along each axis.", low=2, high=MAX_RESOLUTION)
    pool: int = option(2048, "With --anchors: prior samples searched for each anchor class.", low=1, high=MAX_POOL)


PLANE = PlaneOptions()
DEFAULT_EXTENT = 3.0  # with --dims: the grid runs from -3 to 3, where nearly all of N(0, 1) lies
