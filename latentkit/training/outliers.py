"""Images that are neither digits nor garments, for outlier exposure.

Outlier exposure (Hendrycks, Mazeika and Dietterich, "Deep Anomaly Detection with Outlier
Exposure", ICLR 2019; github.com/hendrycks/outlier-exposure) trains the classifier to spread
its probability evenly over the classes on such images, beside the usual cross-entropy on
real ones; its maximum probability then tells a digit from junk. The junk here is what a
generator that has not learned yet draws: noise of every smoothness, sparsity and contrast,
blobs, flat fields, and the outputs of untrained networks of every zoo architecture.

    gen = torch.Generator().manual_seed(1)
    junk = outlier_images(512, gen, untrained_pool(gen))     # (512, 1, 28, 28) in [0, 1]
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

KINDS = ("uniform", "smooth", "sparse", "blobs", "flat", "untrained")


def _rand(n: int, gen: torch.Generator, *shape: int) -> torch.Tensor:
    return torch.rand(n, *shape, generator=gen)


def _contrast(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Each image stretched to [0, 1], then given a random gamma, level and span, so junk comes
    in every brightness, from faint to saturated."""
    n = len(x)
    lo, hi = x.amin((1, 2, 3), keepdim=True), x.amax((1, 2, 3), keepdim=True)
    x = (x - lo) / (hi - lo).clamp_min(1e-6)
    x = x ** (4 ** (2 * _rand(n, gen, 1, 1, 1) - 1))  # gamma from 1/4 to 4
    span = 0.2 + 0.8 * _rand(n, gen, 1, 1, 1)
    return (x * span + (1 - span) * _rand(n, gen, 1, 1, 1)).clamp(0, 1)


def uniform(n: int, gen: torch.Generator) -> torch.Tensor:
    return _rand(n, gen, 1, 28, 28)


def smooth(n: int, gen: torch.Generator) -> torch.Tensor:
    """Noise drawn at a random coarse resolution (2 to 14 pixels across) and upsampled: from
    large soft clouds to fine grain."""
    side = int(torch.randint(2, 15, (1,), generator=gen))
    coarse = _rand(n, gen, 1, side, side)
    return _contrast(F.interpolate(coarse, size=(28, 28), mode="bilinear", align_corners=False), gen)


def sparse(n: int, gen: torch.Generator) -> torch.Tensor:
    """Scattered bright pixels (1% to 30% of them), some slightly blurred: speckle."""
    density = 0.01 + 0.29 * _rand(n, gen, 1, 1, 1)
    x = (_rand(n, gen, 1, 28, 28) < density).float()
    blurred = F.avg_pool2d(x, 3, stride=1, padding=1)
    return torch.where(_rand(n, gen, 1, 1, 1) < 0.5, x, _contrast(blurred, gen))


def blobs(n: int, gen: torch.Generator) -> torch.Tensor:
    """One to six Gaussian blobs of random place, size and weight."""
    k = 6
    yy, xx = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    centre = 4 + 20 * _rand(n, gen, k, 2)
    sigma = 1.5 + 5 * _rand(n, gen, k)
    weight = _rand(n, gen, k) * (torch.arange(k) < torch.randint(1, k + 1, (n, 1), generator=gen))
    d2 = (yy - centre[..., 0, None, None]) ** 2 + (xx - centre[..., 1, None, None]) ** 2  # (n, k, 28, 28)
    x = (weight[..., None, None] * torch.exp(-d2 / (2 * sigma[..., None, None] ** 2))).sum(1, keepdim=True)
    return _contrast(x, gen)


def flat(n: int, gen: torch.Generator) -> torch.Tensor:
    """Plain grey fields and linear ramps: what a collapsed or saturated generator draws."""
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, 28), torch.linspace(-1, 1, 28), indexing="ij")
    slope = (_rand(n, gen, 2) - 0.5) * (_rand(n, gen, 1) < 0.5)
    x = _rand(n, gen, 1, 1) + slope[:, :1, None] * yy + slope[:, 1:, None] * xx
    return x.clamp(0, 1).unsqueeze(1)


@torch.no_grad()
def untrained_pool(gen: torch.Generator, inits: int = 4, per_init: int = 256) -> torch.Tensor:
    """Samples (N, 1, 28, 28) of freshly initialised generators: `inits` random initialisations of
    every zoo GAN architecture, each run with batch statistics (as in a training step) and with its
    running ones (as an analysis runs it): what every training run starts from. Made once, as
    building the larger networks costs far more than drawing from them."""
    from latentkit.models import ARCHS, GANConfig, Generator

    images = []
    for arch in sorted(a for a in ARCHS if ARCHS[a].kind == "gan"):
        for _ in range(inits):
            seed = int(torch.randint(2**31 - 1, (1,), generator=gen))
            with torch.random.fork_rng():  # the init's draws leave the caller's random stream as it was
                torch.manual_seed(seed)
                g = Generator(GANConfig(arch, 100, ARCHS[arch].default_width))
            for training in (True, False):
                images.append(g.train(training)(torch.randn(per_init // 2, 100, generator=gen)))
    return torch.cat(images)


MAKERS = {"uniform": uniform, "smooth": smooth, "sparse": sparse, "blobs": blobs, "flat": flat}


def outlier_images(n: int, gen: torch.Generator, pool: torch.Tensor) -> torch.Tensor:
    """n junk images (n, 1, 28, 28) in [0, 1], an even mix of KINDS (the untrained generators'
    drawn from `pool`, untrained_pool's), shuffled."""
    per = -(-n // len(KINDS))
    parts = [MAKERS[kind](per, gen) for kind in KINDS if kind in MAKERS]
    parts.append(pool[torch.randint(len(pool), (per,), generator=gen)])
    x = torch.cat(parts)
    return x[torch.randperm(len(x), generator=gen)[:n]]
