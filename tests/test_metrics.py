"""Each metric on cases whose answer is known."""

import math

import numpy as np
import pytest
import torch

from latentkit.measure import metrics as M
from latentkit.space.geometry import slerp


def _clusters(n_per: int, centres: int = 10, dim: int = 8, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Well separated Gaussian clusters: points (centres * n_per, dim) and their cluster labels."""
    g = torch.Generator().manual_seed(seed)
    means = torch.randn(centres, dim, generator=g) * 20
    labels = torch.arange(centres).repeat_interleave(n_per)
    return means[labels] + torch.randn(len(labels), dim, generator=g), labels


def test_classifier_score_is_classes_for_confident_balanced_and_one_for_one_class():
    balanced = torch.eye(10).repeat(100, 1)
    assert M.classifier_score(balanced)[0] == pytest.approx(10, rel=1e-6)
    one_class = torch.zeros(1000, 10)
    one_class[:, 3] = 1
    assert M.classifier_score(one_class) == pytest.approx((1.0, 0.0))
    uniform = torch.full((1000, 10), 0.1)
    assert M.classifier_score(uniform)[0] == pytest.approx(1.0)


def test_class_coverage_sees_one_class_collapse_and_ignores_label_names():
    one_class = torch.zeros(500, 10)
    one_class[:, 7] = 1
    q = M.sample_quality(one_class)
    assert q["class_entropy"] == 0 and q["min_class_share"] == 0 and q["class_shares"][7] == 1
    probs = torch.softmax(torch.randn(1000, 10, generator=torch.Generator().manual_seed(0)) * 3, 1)
    shuffled = probs[:, torch.randperm(10, generator=torch.Generator().manual_seed(1))]
    assert M.sample_quality(shuffled)["class_entropy"] == M.sample_quality(probs)["class_entropy"]
    assert M.classifier_score(shuffled)[0] == pytest.approx(M.classifier_score(probs)[0])


def test_fid_is_zero_for_identical_sets_and_the_squared_shift_for_a_translated_one():
    x = torch.randn(2000, 16, generator=torch.Generator().manual_seed(0))
    assert abs(M.frechet_distance(x, x)) < 1e-6
    shift = torch.full((16,), 0.5)
    assert M.frechet_distance(x, x + shift) == pytest.approx(float(shift.square().sum()), rel=1e-6)


def test_fid_matches_the_scipy_formula():
    from scipy import linalg

    g = torch.Generator().manual_seed(0)
    a = torch.randn(3000, 6, generator=g, dtype=torch.float64)
    b = torch.randn(3000, 6, generator=g, dtype=torch.float64) @ torch.randn(6, 6, generator=g, dtype=torch.float64)
    mu1, mu2 = a.mean(0).numpy(), b.mean(0).numpy()
    s1, s2 = np.cov(a.numpy(), rowvar=False), np.cov(b.numpy(), rowvar=False)
    expected = ((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * linalg.sqrtm(s1 @ s2).real)
    assert M.frechet_distance(a.float(), b.float()) == pytest.approx(expected, rel=1e-3)


def test_kid_is_near_zero_for_one_distribution_large_for_two_and_seeded():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(1000, 8, generator=g), torch.randn(1000, 8, generator=g)
    same, _ = M.kernel_distance(a, b, subsets=20, subset_size=200)
    apart, _ = M.kernel_distance(a, b + 2, subsets=20, subset_size=200)
    assert abs(same) < 0.05 < apart
    assert M.kernel_distance(a, b, subsets=5, subset_size=100, seed=3) == \
        M.kernel_distance(a, b, subsets=5, subset_size=100, seed=3)


def test_knn_radii_and_nearest_neighbours_match_scikit_learn():
    from sklearn.neighbors import NearestNeighbors

    g = torch.Generator().manual_seed(0)
    x, q = torch.randn(300, 5, generator=g), torch.randn(50, 5, generator=g)
    dist, _ = NearestNeighbors(n_neighbors=4).fit(x.numpy()).kneighbors(x.numpy())
    assert np.allclose(M.knn_radii(x, 3).numpy(), dist[:, 3], atol=1e-4)  # column 0 is the point itself
    d, i = M.nearest_neighbours(q, x)
    d_ref, i_ref = NearestNeighbors(n_neighbors=1).fit(x.numpy()).kneighbors(q.numpy())
    assert np.allclose(d.numpy(), d_ref[:, 0], atol=1e-4) and (i.numpy() == i_ref[:, 0]).all()
    copies = x[[7, 42]]
    d, i = M.nearest_neighbours(copies, x)
    assert i.tolist() == [7, 42] and d.max() < 1e-3


def test_precision_recall_density_coverage_on_identical_collapsed_and_distant_sets():
    real, labels = _clusters(100)
    fake, _ = _clusters(100, seed=0)
    assert M.precision_recall(real, fake) == (1.0, 1.0)
    assert M.density_coverage(real, fake)[1] == 1.0

    collapsed = real[labels == 0]  # every sample from one of ten modes
    precision, recall = M.precision_recall(real, collapsed)
    density, coverage = M.density_coverage(real, collapsed)
    assert precision == 1.0 and recall == pytest.approx(0.1, abs=0.02)
    assert coverage == pytest.approx(0.1, abs=0.02) and density > 0.5

    distant = real + 1000
    assert M.precision_recall(real, distant) == (0.0, 0.0)
    assert M.density_coverage(real, distant) == (0.0, 0.0)


def test_parzen_log_likelihood_matches_the_gaussian_mixture_density():
    from scipy.stats import multivariate_normal

    g = torch.Generator().manual_seed(0)
    centres, points = torch.rand(20, 3, generator=g), torch.rand(7, 3, generator=g)
    ll = M.parzen_log_likelihood(centres, points, (0.2, 0.5))
    for row, sigma in enumerate((0.2, 0.5)):
        dens = np.mean([multivariate_normal(c, sigma**2).pdf(points.numpy()) for c in centres.numpy()], axis=0)
        assert np.allclose(ll[row].numpy(), np.log(dens), rtol=1e-5)


def test_parzen_estimate_chooses_sigma_on_validation():
    g = torch.Generator().manual_seed(0)
    centres = torch.randn(500, 2, generator=g) * 0.3
    valid, test = torch.randn(300, 2, generator=g) * 0.3, torch.randn(300, 2, generator=g) * 0.3
    sigmas = (0.01, 0.1, 3.0)  # far too narrow, about right, far too wide
    mean, error, sigma = M.parzen_estimate(centres, valid, test, sigmas)
    assert sigma == 0.1
    ll = M.parzen_log_likelihood(centres, test, (0.1,))[0]
    assert mean == pytest.approx(float(ll.mean())) and error == pytest.approx(float(ll.std()) / math.sqrt(300))


class _LinearGenerator(torch.nn.Module):
    """G(z) = W z, so path lengths have closed forms."""

    latent_dim = 4

    def __init__(self):
        super().__init__()
        self.W = torch.nn.Linear(4, 6, bias=False)

    def sample_latents(self, n: int, seed: int) -> torch.Tensor:
        return torch.randn(n, 4, generator=torch.Generator().manual_seed(seed))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.W(z)


def test_path_lengths_of_a_linear_generator_have_the_closed_form():
    torch.manual_seed(0)
    g = _LinearGenerator()
    z = g.sample_latents(2 * 50, seed=0).view(2, 50, -1)
    expected = (g.W(z[1] - z[0])).square().sum(1).detach()  # |W(b - a)|^2 for every t on a lerp path
    for sampling in ("full", "end"):
        got = M.path_lengths(g, lambda x: x, 50, method="lerp", sampling=sampling, eps=1e-3)
        assert torch.allclose(got, expected, rtol=1e-3)
    eps = 1e-3
    step = slerp(z[0], z[1], torch.tensor([0.0, eps]))  # (50, 2, 4)
    slerp_expected = g.W(step[:, 1] - step[:, 0]).square().sum(1).detach() / eps**2
    got = M.path_lengths(g, lambda x: x, 50, method="slerp", sampling="end", eps=eps)
    assert torch.allclose(got, slerp_expected, rtol=1e-4)


def test_trimmed_mean_drops_the_outer_percentiles():
    values = torch.cat([torch.ones(990), torch.full((5,), -1e6), torch.full((5,), 1e6)])
    assert M.trimmed_mean(values) == (1.0, 0.0)
