"""Upper bounds on every size a user can ask for, in one place: the library checks them
and the CLI offers them as its ranges, so 10**12 gets one line instead of an allocation
traceback. Each is far above what the analyses are meant for, and low enough that a
run stays within a laptop's memory. Torch-free, so `latentkit --help` stays instant.
"""

from __future__ import annotations

import math

from latentkit.errors import ConfigError

SEED_MAX = 2**32 - 1  # numpy's and scikit-learn's random_state range; torch takes it too
MAX_LATENT_DIM = 4096
MAX_WIDTH = 1024  # channel/hidden multiplier of a zoo network
MAX_EPOCHS = 100_000
MAX_BATCH = 65_536
MAX_STEPS = 1_000  # frames per interpolation segment
MAX_PAIRS = 1_000  # interpolation rows
MAX_POOL = 1_000_000  # prior samples searched for a class
MAX_REFINE = 100_000  # gradient steps per endpoint
MAX_SAMPLES = 1_000_000  # map points, eval-samples at the end of training
MAX_SWEEP_SAMPLES = 10_000  # base latents of a sweep
MAX_VALUES = 1_000  # values per swept coordinate
MAX_RESOLUTION = 1_024  # plane grid side
MAX_PPL_PATHS = 1_000_000
MAX_IMAGES = 2_000_000  # images one analysis keeps in memory (1.5 GB as uint8)
MAX_EXTENT = 1e6  # plane half-width in latent units
MAX_FILE_BYTES = 4 * 2**30  # bytes of arrays read from one file a user hands in (a result, a .npy)


def check_size(name: str, value: int, lo: int, hi: int) -> int:
    """`value` if lo <= value <= hi, else ConfigError naming the option and its limit."""
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise ConfigError(f"{name} must be an integer from {lo} to {hi} (latentkit's limit), got {value!r}")
    return value


def check_finite(name: str, value: float, lo: float = -math.inf, hi: float = math.inf) -> float:
    """`value` if it is a finite number in [lo, hi], else ConfigError naming the option."""
    try:
        ok = math.isfinite(value) and lo <= value <= hi
    except TypeError:
        ok = False
    if not ok:
        raise ConfigError(f"{name} must be a finite number from {lo:g} to {hi:g}, got {value!r}")
    return float(value)


def check_seed(seed: int) -> int:
    return check_size("seed", seed, 0, SEED_MAX)
