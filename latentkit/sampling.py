"""Generating and classifying in batches, and finding latents the classifier reads as a class."""

from __future__ import annotations

import torch

from latentkit.errors import ConfigError
from latentkit.models import Classifier, Generator


def model_device(module: torch.nn.Module) -> torch.device:
    return next(module.parameters()).device


@torch.inference_mode()
def generate_and_classify(
    generator: Generator, classifier: Classifier, z: torch.Tensor, batch_size: int = 1000
) -> tuple[torch.Tensor, torch.Tensor]:
    """Latents (N, d) -> images (N, 1, 28, 28) in [0, 1] and class probabilities (N, C), on CPU."""
    device = model_device(generator)
    images, probs = [], []
    for zb in z.split(batch_size):
        x = generator(zb.to(device))
        images.append(x.cpu())
        probs.append(classifier(x.to(model_device(classifier))).softmax(-1).cpu())
    return torch.cat(images), torch.cat(probs)


def check_class(classifier: Classifier, label: int) -> int:
    if not 0 <= label < len(classifier.classes):
        raise ConfigError(
            f"class {label} is outside 0..{len(classifier.classes) - 1} of the {classifier.config.dataset} classifier"
        )
    return label


def latents_for_class(
    generator: Generator, classifier: Classifier, label: int, n: int = 1, pool: int = 2048, seed: int = 0
) -> torch.Tensor:
    """The n latents, out of `pool` prior samples, that the classifier reads as `label` most confidently.

        z9 = latents_for_class(g, clf, 9)        # (1, d): the most convincing 9 of 2048 draws

    Deterministic under `seed`; raises ConfigError if the pool holds fewer than n of the class.
    """
    check_class(classifier, label)
    z = generator.sample_latents(pool, seed=seed)
    _, probs = generate_and_classify(generator, classifier, z)
    is_class = probs.argmax(1) == label
    if int(is_class.sum()) < n:
        raise ConfigError(
            f"only {int(is_class.sum())} of {pool} samples read as class {label}; "
            "raise the pool size or use a better-trained generator"
        )
    score = torch.where(is_class, probs[:, label], torch.full_like(probs[:, label], -1.0))
    return z[score.argsort(descending=True, stable=True)[:n]]
