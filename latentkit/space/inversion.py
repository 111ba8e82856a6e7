"""Inversion: find the latent z whose image G(z) matches a real image.

All images and all random starts are optimised at once, as one batch: StyleGAN2-ADA's
projector does one image at a time, which on a CPU is hundreds of times slower for a
test set. The loss is the pixel MSE, plus `feature_weight` times the squared distance of
the classifier's features (so the reconstruction is the same digit, not only the same
blur), plus `prior_weight` times (|z| / sqrt(d) - 1)^2, which keeps z on the shell where the
N(0, I) prior puts its mass. Adam's learning rate warms up and decays on a cosine, as the
projector's does. Each image keeps its best start.

    z, recon, loss = invert_images(g, clf, targets, InvertConfig(steps=100))
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from latentkit.data.pixels import to_native
from latentkit.errors import ConfigError
from latentkit.generator.contract import GeneratorLike, module_device
from latentkit.generator.inference import inference_copy
from latentkit.models import Classifier
from latentkit.options.invert import INITS, INVERT


@dataclass(frozen=True)
class InvertConfig:
    # The options a user sets are stated (default, bound, help) in latentkit/options/invert.py.
    steps: int = INVERT.steps  # Adam steps for every image at once
    restarts: int = INVERT.restarts  # starts per image (the first is the encoder's when init is encoder)
    lr: float = INVERT.lr  # peak learning rate
    feature_weight: float = INVERT.feature_weight  # the classifier-feature distance's (per feature) against pixel MSE
    prior_weight: float = INVERT.prior_weight  # of (|z| / sqrt(d) - 1)^2
    warmup: float = 0.05  # share of the steps the learning rate ramps up over
    rampdown: float = 0.25  # share of the steps it decays over, on a cosine
    batch: int = 512  # images x restarts per optimisation step: the fastest per image on 2 CPU cores
    init: str = INVERT.init  # "encoder" (its guess, then refined), "random" (prior samples), "auto" (encoder if any)
    seed: int = 0


def learning_rate(config: InvertConfig, step: int) -> float:
    """StyleGAN2-ADA projector's schedule: linear warm-up, cosine ramp-down at the end."""
    t = step / max(config.steps, 1)
    down = 0.5 - 0.5 * math.cos(min(1.0, (1.0 - t) / config.rampdown) * math.pi)
    return config.lr * down * min(1.0, t / config.warmup if config.warmup > 0 else 1.0)


def _losses(generator, classifier, z, target_px, target_features, config: InvertConfig):
    """(per-row loss, per-row pixel MSE, images) for latents z (B, d) against targets."""
    images = generator(z)  # (B, 1, 28, 28) in [0, 1]
    pixel = ((images - target_px) ** 2).flatten(1).mean(1)
    loss = pixel + config.prior_weight * (z.norm(dim=1) / math.sqrt(z.shape[1]) - 1) ** 2
    if config.feature_weight > 0:
        loss = loss + config.feature_weight * ((classifier.features(images) - target_features) ** 2).mean(1)
    return loss, pixel, images


def _frozen(module: torch.nn.Module) -> torch.nn.Module:
    for p in module.parameters():
        p.requires_grad_(False)
    return module


def invert_images(
    generator: GeneratorLike, classifier: Classifier, targets: torch.Tensor, config: InvertConfig = InvertConfig(),
    start: torch.Tensor | None = None, progress=None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """uint8 targets (N, 28, 28) -> (z (N, d), reconstructions uint8 (N, 28, 28), final loss (N,)).

    Works on inference copies of both models (made here unless given), never on the originals.
    `start` (N, d) replaces the first restart's random start (an encoder's guess). `progress`,
    if given, is called with the fraction done."""
    from latentkit.data.pixels import to_uint8

    if config.init not in INITS:
        raise ConfigError(f"init must be one of {', '.join(INITS)}, got {config.init!r}")
    generator, classifier = _frozen(inference_copy(generator)), _frozen(inference_copy(classifier))
    device = module_device(generator)
    n, d, r = len(targets), generator.latent_dim, config.restarts
    starts = generator.sample_latents(n * r, seed=config.seed).to(device).view(r, n, d)
    if start is not None:
        starts[0] = start.to(device)
    best_z = torch.empty(n, d)
    best_loss = torch.full((n,), math.inf)
    per_batch = max(1, config.batch // r)
    for lo in range(0, n, per_batch):
        hi = min(n, lo + per_batch)
        z, loss = _optimise(generator, classifier, targets[lo:hi], starts[:, lo:hi].reshape(-1, d), config,
                            progress and (lambda f, lo=lo, hi=hi: progress((lo + f * (hi - lo)) / n)))
        z, loss = z.view(r, hi - lo, d), loss.view(r, hi - lo)
        pick = loss.argmin(0)  # each image's best start
        best_z[lo:hi] = z[pick, torch.arange(hi - lo)].cpu()
        best_loss[lo:hi] = loss[pick, torch.arange(hi - lo)].cpu()
    with torch.inference_mode():
        recon = torch.cat([to_uint8(generator(zb.to(device))[:, 0]).cpu() for zb in best_z.split(config.batch)])
    return best_z, recon, best_loss


def _optimise(generator, classifier, targets: torch.Tensor, z0: torch.Tensor, config: InvertConfig, progress):
    """Adam on z0 (R*B, d) against uint8 targets (B, 28, 28) repeated per restart; (z, final loss)."""
    device = module_device(generator)
    restarts = len(z0) // len(targets)
    target_px = to_native(targets.to(device)).repeat(restarts, 1, 1, 1)  # (R*B, 1, 28, 28) in [0, 1]
    with torch.no_grad():
        target_features = classifier.features(target_px) if config.feature_weight > 0 else None
    z = z0.clone().requires_grad_(True)
    adam = torch.optim.Adam([z], lr=config.lr, betas=(0.9, 0.999))
    for step in range(config.steps):
        for group in adam.param_groups:
            group["lr"] = learning_rate(config, step)
        loss, _, _ = _losses(generator, classifier, z, target_px, target_features, config)
        adam.zero_grad(set_to_none=True)
        loss.sum().backward()  # rows are independent: the sum's gradient is each row's own
        adam.step()
        if progress:
            progress((step + 1) / config.steps)
    with torch.no_grad():
        loss, _, _ = _losses(generator, classifier, z, target_px, target_features, config)
    return z.detach(), loss
