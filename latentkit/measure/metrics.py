"""How good a generator is: one short function per metric, each citing where it comes from.

Feature metrics take (N, F) feature tensors; latentkit uses the classifier's penultimate
layer (`Classifier.features`), the field's practice on MNIST, where Inception features
do not fit. Pixel metrics take images as (N, 784) floats in [0, 1]. Every function works
on the device its inputs are on and is deterministic given its `seed`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np
import torch

from latentkit.generator.contract import GeneratorLike, module_device
from latentkit.generator.sampling import BATCH, generate_and_classify, prior_latents
from latentkit.models import Classifier
from latentkit.names import CONFIDENT
from latentkit.progress import Phases
from latentkit.space.geometry import lerp, slerp

# Goodfellow et al. 2014's sigma grid for MNIST (their parzen_ll.py: logspace(-1, 0, 10)).
PARZEN_SIGMAS = tuple(float(s) for s in np.logspace(-1, 0, 10))
CHUNK = 1024  # query rows per distance block: 1024 x 60,000 floats is 245 MB


def classify_samples(
    generator: GeneratorLike, classifier: Classifier, n: int, seed: int = 0, batch_size: int = BATCH,
    bar: Phases | None = None,
) -> torch.Tensor:
    """Class probabilities (n, C) of n samples drawn from the prior with `seed`; `bar` (if given)
    advances as they are generated."""
    z = generator.sample_latents(n, seed=seed)
    return generate_and_classify(generator, classifier, z, bar=bar, batch_size=batch_size, images=False).probs


def sample_quality(probs: torch.Tensor, threshold: float = CONFIDENT) -> dict:
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
        "class_entropy": round(float((nz * nz.log()).sum().neg() / math.log(probs.shape[1])) + 0.0, 4),  # no -0.0
    }


def classifier_score(probs: torch.Tensor, splits: int = 10) -> tuple[float, float]:
    """The Inception Score with our classifier (Salimans et al. 2016): exp E_x KL(p(y|x) || p(y)).

    Mean and standard deviation over `splits` equal parts, as in the original code.
    1 means every sample looks alike to the classifier; C (10) means confident and balanced.
    """
    scores = []
    for part in probs.double().clamp_min(1e-12).chunk(splits):
        marginal = part.mean(0, keepdim=True)
        scores.append((part * (part.log() - marginal.log())).sum(1).mean().exp())
    scores = torch.stack(scores)
    return float(scores.mean()), float(scores.std()) if len(scores) > 1 else 0.0


class _GivenFeatures(torch.nn.Module):
    """A 'feature network' for torchmetrics that passes precomputed features through."""

    def __init__(self, num_features: int):
        super().__init__()
        self.num_features = num_features

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features


def frechet_distance(real: torch.Tensor, fake: torch.Tensor) -> float:
    """FID (Heusel et al. 2017): Fréchet distance of Gaussians fitted to two feature sets (N, F).

    torchmetrics does the statistics in float64; 0 for identical sets.
    """
    from torchmetrics.image.fid import FrechetInceptionDistance

    fid = FrechetInceptionDistance(feature=_GivenFeatures(real.shape[1]), sync_on_compute=False)
    fid.update(real.cpu(), real=True)
    fid.update(fake.cpu(), real=False)
    return float(fid.compute())


def kernel_distance(
    real: torch.Tensor, fake: torch.Tensor, subsets: int = 100, subset_size: int = 1000, seed: int = 0
) -> tuple[float, float]:
    """KID (Bińkowski et al. 2018): unbiased MMD² with the cubic polynomial kernel on features,
    mean and std over `subsets` random subsets (torchmetrics); ~0 for samples of one distribution."""
    from torchmetrics.image.kid import KernelInceptionDistance

    size = min(subset_size, len(real), len(fake))
    with warnings.catch_warnings():  # "will save all extracted features": ours are 128 floats per image
        warnings.filterwarnings("ignore", message=".*save all extracted features")
        kid = KernelInceptionDistance(feature=_GivenFeatures(real.shape[1]), subsets=subsets, subset_size=size,
                                      sync_on_compute=False)
    kid.update(real.cpu(), real=True)
    kid.update(fake.cpu(), real=False)
    with torch.random.fork_rng(devices=[]):  # torchmetrics draws its subsets from the global RNG
        torch.manual_seed(seed)
        mean, std = kid.compute()
    return float(mean), float(std)


def nearest_neighbours(queries: torch.Tensor, refs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Euclidean distance (N,) from each query row to its nearest row of `refs`, and that row's index."""
    found = [torch.cdist(q, refs).min(1) for q in queries.split(CHUNK)]
    return torch.cat([f.values for f in found]), torch.cat([f.indices for f in found])


def knn_radii(x: torch.Tensor, k: int) -> torch.Tensor:
    """Distance (N,) from each row of x to its k-th nearest other row (the k-NN ball's radius)."""
    return torch.cat([torch.cdist(q, x).topk(k + 1, largest=False).values[:, k] for q in x.split(CHUNK)])


def _balls_containing(queries: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor) -> torch.Tensor:
    """How many balls (centres, radii) contain each query row -> (N,) counts."""
    return torch.cat([(torch.cdist(q, centres) <= radii).sum(1) for q in queries.split(CHUNK)])


def precision_recall(
    real: torch.Tensor, fake: torch.Tensor, k: int = 3, real_radii: torch.Tensor | None = None
) -> tuple[float, float]:
    """Improved precision and recall (Kynkäänniemi et al. 2019) on features, k = 3 as in the paper.

    Precision: share of fake samples inside the real manifold (the union of each real sample's
    k-NN ball). Recall: share of real samples inside the fake manifold. Pass `real_radii`
    (knn_radii(real, k)) to reuse them across generators.
    """
    real_radii = knn_radii(real, k) if real_radii is None else real_radii
    precision = (_balls_containing(fake, real, real_radii) > 0).double().mean()
    recall = (_balls_containing(real, fake, knn_radii(fake, k)) > 0).double().mean()
    return float(precision), float(recall)


def density_coverage(
    real: torch.Tensor, fake: torch.Tensor, k: int = 5, real_radii: torch.Tensor | None = None
) -> tuple[float, float]:
    """Density and coverage (Naeem et al. 2020) on features, k = 5 as in the paper.

    Density: how many real k-NN balls contain each fake sample, over k (about 1 for real data;
    robust to outliers, unlike precision). Coverage: share of real samples whose ball
    contains at least one fake sample. `real_radii` as in precision_recall.
    """
    radii = knn_radii(real, k) if real_radii is None else real_radii
    density = _balls_containing(fake, real, radii).double().sum() / (k * len(fake))
    coverage = (nearest_neighbours(real, fake)[0] <= radii).double().mean()
    return float(density), float(coverage)


def parzen_log_likelihood(centres: torch.Tensor, points: torch.Tensor, sigmas=PARZEN_SIGMAS) -> torch.Tensor:
    """Log-density (S, N) of each point under an isotropic Gaussian Parzen window on `centres`,
    one row per sigma (Breuleux et al. 2011; Goodfellow et al. 2014). Distances in float32 are
    ample; the exponent, which reaches thousands at sigma = 0.1, is summed in float64."""
    sig = torch.tensor(sigmas, dtype=torch.float64, device=points.device)
    dim, n = centres.shape[1], centres.shape[0]
    norm = torch.log(torch.tensor(float(n), dtype=torch.float64)) + dim * torch.log(sig * math.sqrt(2 * math.pi))
    out = []
    for p in points.split(CHUNK):
        sq = torch.cdist(p.float(), centres.float()).double().square()
        out.append(torch.stack([torch.logsumexp(-sq / (2 * s**2), dim=1) for s in sig]) - norm[:, None])
    return torch.cat(out, dim=1)


def parzen_estimate(
    centres: torch.Tensor, valid: torch.Tensor, test: torch.Tensor, sigmas=PARZEN_SIGMAS
) -> tuple[float, float, float]:
    """Goodfellow et al. 2014's Parzen estimate: pick sigma by mean log-likelihood on `valid`, then
    report (mean, standard error) of the test log-likelihood in nats, and the sigma."""
    best = int(parzen_log_likelihood(centres, valid, sigmas).mean(1).argmax())
    ll = parzen_log_likelihood(centres, test, (sigmas[best],))[0]
    return float(ll.mean()), float(ll.std() / math.sqrt(len(ll))), sigmas[best]


@torch.inference_mode()
def path_lengths(
    generator: GeneratorLike, embed: Callable[[torch.Tensor], torch.Tensor], n: int, method: str = "slerp",
    sampling: str = "full", eps: float = 1e-4, seed: int = 0, batch_size: int = BATCH, truncation: float = 1.0,
    ends: tuple[torch.Tensor, torch.Tensor] | None = None,
) -> torch.Tensor:
    """Per-path perceptual path lengths (Karras et al. 2019, StyleGAN): d(G(p(t)), G(p(t + eps))) / eps²
    for n random latent pairs (from the prior truncated by `truncation`), p their `method` path
    ("lerp"/"slerp"), t ~ U(0, 1) ("full") or t = 0 ("end"), d the squared distance between
    `embed`dings of the images. `ends` (starts, ends), each (n, d), gives the pairs instead
    (e.g. latents of two chosen classes)."""
    interpolate = {"lerp": lerp, "slerp": slerp}[method]
    if ends is not None:
        z = torch.stack([ends[0], ends[1]]).cpu()
        n = z.shape[1]
    else:
        z = prior_latents(generator, 2 * n, seed, truncation).view(2, n, -1)
    t0 = torch.rand(n, generator=torch.Generator().manual_seed(seed + 1)) * (sampling == "full")
    t = torch.stack([t0, t0 + eps], dim=1)  # (n, 2)
    generator.eval()
    dist = []
    for a, b, tb in zip(z[0].split(batch_size), z[1].split(batch_size), t.split(batch_size), strict=True):
        pair = interpolate(a, b, tb).to(module_device(generator))  # (B, 2, d)
        f = embed(generator(pair.flatten(0, 1))).unflatten(0, (len(a), 2))
        dist.append(((f[:, 0] - f[:, 1]).square().sum(1) / eps**2).cpu())
    return torch.cat(dist)


def trimmed_mean(values: torch.Tensor, low: float = 1.0, high: float = 99.0) -> tuple[float, float]:
    """Mean and its standard error over the values between the `low` and `high` percentiles:
    StyleGAN's PPL outlier filter."""
    v = values.double().cpu().numpy()
    kept = v[(v >= np.percentile(v, low, method="lower")) & (v <= np.percentile(v, high, method="higher"))]
    return float(kept.mean()), float(kept.std(ddof=1) / math.sqrt(len(kept))) if len(kept) > 1 else 0.0
