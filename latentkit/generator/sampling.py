"""Generating and classifying in batches, and finding latents the classifier reads as a class."""

from __future__ import annotations

from typing import NamedTuple

import torch

from latentkit.data.pixels import to_native, to_uint8
from latentkit.errors import ConfigError
from latentkit.generator.contract import GeneratorLike, check_images, module_device
from latentkit.generator.inference import inference_copy
from latentkit.models import Classifier
from latentkit.names import CONFIDENT, class_choices, class_index

# Images per forward pass. On 2 CPU cores generate + classify ran at 5,500-5,900 images/s with
# 200-384 and 4,250 with 1,000, whose activations overflow the cache (benchmarks/README.md).
BATCH = 256
MEAN_DRAWS = 10_000  # prior draws that estimate the mean of a prior that does not state it


class Generated(NamedTuple):
    images: torch.Tensor | None  # (N, 28, 28) uint8, or None when not kept
    probs: torch.Tensor  # (N, C) class probabilities
    features: torch.Tensor | None  # (N, F) classifier penultimate features, or None


@torch.inference_mode()
def generate_and_classify(
    generator: GeneratorLike, classifier: Classifier, z: torch.Tensor, batch_size: int = BATCH,
    images: bool = True, features: bool = False, bar=None,
) -> Generated:
    """Latents (N, d) -> uint8 images, class probabilities and (optionally) features, on CPU.

    Works in batches and keeps images only as uint8, so memory stays small; every batch is
    checked finite (a generator can be fine on a few latents and NaN on others); `bar`
    (progress.Phases), if given, advances by each batch's share of `z`:

        images, probs, _ = generate_and_classify(g, clf, g.sample_latents(16, seed=0))
    """
    generator, classifier = inference_copy(generator), inference_copy(classifier)
    kept_images, probs, feats = [], [], []
    for zb in z.split(batch_size):
        x = generator(zb.to(module_device(generator))).to(module_device(classifier))
        check_images(generator, x, len(zb))
        f = classifier.features(x)
        probs.append(classifier.head(f).softmax(-1).cpu())
        if features:
            feats.append(f.cpu())
        if images:
            kept_images.append(to_uint8(x[:, 0]).cpu())
        if bar is not None:
            bar.advance(len(zb) / len(z))
    return Generated(torch.cat(kept_images) if images else None, torch.cat(probs),
                     torch.cat(feats) if features else None)


@torch.inference_mode()
def classify_images(classifier: Classifier, images: torch.Tensor, batch_size: int = BATCH) -> Generated:
    """uint8 images (N, 28, 28) -> Generated(None, probs, features), on CPU; for real data."""
    classifier = inference_copy(classifier)
    device = module_device(classifier)
    probs, feats = [], []
    for xb in images.split(batch_size):
        f = classifier.features(to_native(xb.to(device)))
        probs.append(classifier.head(f).softmax(-1).cpu())
        feats.append(f.cpu())
    return Generated(None, torch.cat(probs), torch.cat(feats))


def check_class(classifier: Classifier, label: int | str) -> int:
    """The class index `label` selects: a number (9, "9") or a class name in any case ("ankle-boot",
    "Ankle boot", "sneaker"). ConfigError, listing the valid names, if it selects none.

        check_class(fashion_clf, "ankle-boot")   # 9
    """
    classes, dataset = classifier.classes, classifier.config.dataset
    index = class_index(classes, label)
    if index is None:
        raise ConfigError(f"{dataset} has no class {str(label)!r}; give a number or a name: {class_choices(classes)}")
    if not 0 <= index < len(classes):
        raise ConfigError(f"class {index} is outside 0..{len(classes) - 1} of the {dataset} classifier; "
                          f"give a number or a name: {class_choices(classes)}")
    return index


def check_truncation(psi: float) -> float:
    """ψ of the truncation trick, or ConfigError: a finite number in (0, 1]."""
    if isinstance(psi, bool) or not isinstance(psi, (int, float)) or not 0 < psi <= 1:
        raise ConfigError(f"truncation must be a number in (0, 1], 1 = the untruncated prior (got {psi!r})")
    return float(psi)


def latent_mean(generator: GeneratorLike) -> torch.Tensor:
    """The mean (latent_dim,) of the generator's prior: its `latent_mean` when it has one (zero
    for the zoo's and wrapped generators' N(0, I)), else the mean of MEAN_DRAWS seeded draws."""
    known = getattr(generator, "latent_mean", None)
    if known is not None:
        return known.float().cpu()
    return generator.sample_latents(MEAN_DRAWS, seed=0).float().mean(0).cpu()


def prior_latents(
    generator: GeneratorLike, n: int, seed: int | None = None, truncation: float = 1.0
) -> torch.Tensor:
    """n latents (n, latent_dim) from the generator's prior, truncated by scaling toward its mean:
    z' = mean + ψ (z - mean), StyleGAN's truncation trick (Karras et al. 2019) applied to z.
    ψ = 1 is the prior itself; lower ψ trades variety for more typical samples (eval --truncation-sweep
    measures what that buys a given generator).

        z = prior_latents(g, 1000, seed=0, truncation=0.7)
    """
    z = generator.sample_latents(n, seed=seed)
    if check_truncation(truncation) == 1:
        return z
    mean = latent_mean(generator).to(z.device, z.dtype)
    return mean + truncation * (z - mean)


def latents_for_class(
    generator: GeneratorLike, classifier: Classifier, label: int | str, n: int = 1, pool: int = 2048, seed: int = 0,
    truncation: float = 1.0,
) -> torch.Tensor:
    """The n latents, out of `pool` prior samples (truncated by `truncation`, see prior_latents),
    that the classifier reads as `label` (a number or a class name, see `check_class`) most confidently.

        z9 = latents_for_class(g, clf, 9)        # (1, d): the most convincing 9 of 2048 draws

    Deterministic under `seed`; raises ConfigError if the pool holds fewer than n of the class.
    """
    label = check_class(classifier, label)
    z = prior_latents(generator, pool, seed, truncation)
    return most_confident(z, generate_and_classify(generator, classifier, z, images=False).probs, label, n)


def most_confident(z: torch.Tensor, probs: torch.Tensor, label: int, n: int) -> torch.Tensor:
    """The n latents of z (N, d) whose probabilities (N, C) read as `label` most confidently;
    ConfigError if fewer than n are read as it (with at least names.CONFIDENT probability)."""
    is_class = (probs.argmax(1) == label) & (probs.max(1).values >= CONFIDENT)
    if int(is_class.sum()) < n:
        raise ConfigError(f"only {int(is_class.sum())} of {len(z)} samples are read as class {label} (probability "
                          f">= {CONFIDENT:g}); raise the pool size or use a better-trained generator")
    score = torch.where(is_class, probs[:, label], torch.full_like(probs[:, label], -1.0))
    return z[score.argsort(descending=True, stable=True)[:n]]
