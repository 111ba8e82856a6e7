"""How good a generator is, read through the classifier."""

from __future__ import annotations

import math

import torch

from latentkit.models import Classifier, Generator
from latentkit.sampling import generate_and_classify


def classify_samples(
    generator: Generator, classifier: Classifier, n: int, seed: int = 0, batch_size: int = 1000
) -> torch.Tensor:
    """Class probabilities (n, C) of n samples drawn from the prior with `seed`."""
    z = generator.sample_latents(n, seed=seed)
    return generate_and_classify(generator, classifier, z, batch_size, images=False).probs


def sample_quality(probs: torch.Tensor, threshold: float = 0.9) -> dict:
    """Confident fraction, per-class shares and their normalised entropy from (n, C) probabilities.

    confident_fraction: share of samples whose top class probability is >= threshold.
    class_shares: share of argmax predictions per class (mode collapse shows as zeros).
    class_entropy: entropy of class_shares / log(C); 1.0 = perfectly balanced.
    """
    conf, label = probs.max(1)
    shares = torch.bincount(label, minlength=probs.shape[1]).double() / len(label)
    nz = shares[shares > 0]
    return {
        "samples": len(label),
        "confident_fraction": round(float((conf >= threshold).double().mean()), 4),
        "mean_confidence": round(float(conf.double().mean()), 4),
        "class_shares": [round(float(s), 4) for s in shares],
        "min_class_share": round(float(shares.min()), 4),
        "class_entropy": round(float(-(nz * nz.log()).sum() / math.log(probs.shape[1])), 4),
    }
