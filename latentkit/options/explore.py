"""`latentkit explore`'s options (analyses/explore.py)."""

from __future__ import annotations

from dataclasses import dataclass

from latentkit.options import option

DEFAULT_DIMS = (4, 24, 44)  # R001's coordinates 5, 25, 45 (counted from 1)
DEFAULT_ANCHORS = (9, 4, 7)  # the plane the README shows
SLIDER_RANGE = 4.0  # sliders run from -4 to 4 latent units: beyond |z_i| = 4 the prior has no mass


@dataclass(frozen=True)
class ExploreOptions:
    port: int = option(8765, "Port to listen on.", low=1, high=65_535)
    host: str = option("127.0.0.1", "Address to listen on; the default lets only this computer in.")
    top: int = option(4, "SeFa directions found at start (or directions taken from --directions).", low=1,
                      high=64)


EXPLORE = ExploreOptions()
