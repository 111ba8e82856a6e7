"""Directions: known answers for every method, the measurement that names them, HDF5 round trips, the CLI."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import assert_one_line_error
from torch import nn

import latentkit
from latentkit.analyses import DirectionsResult, find_directions
from latentkit.analyses.directions import classifier_directions
from latentkit.errors import ConfigError
from latentkit.models import Classifier, ClassifierConfig
from latentkit.space import boundaries, layers

D = 8


class MeanPixel(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean((1, 2, 3))[:, None]


def sign_classifier() -> Classifier:
    """Reads an image's mean pixel m: class 1 when m > 0.5, class 0 below, surely; never 2-9."""
    clf = Classifier(ClassifierConfig(width=2, feature_dim=2))
    clf.body = MeanPixel()  # features() feeds it (x - 0.5) / 0.5, so the feature is 2m - 1
    clf.head = nn.Linear(1, 10)
    with torch.no_grad():
        clf.head.weight.zero_()
        clf.head.bias.fill_(-50.0)
        clf.head.weight[1, 0], clf.head.weight[0, 0] = 40.0, -40.0
        clf.head.bias[:2] = 0.0
    return clf.eval()


def planted_direction(seed: int = 0) -> np.ndarray:
    u = np.random.default_rng(seed).normal(size=D)
    return u / np.linalg.norm(u)


def sign_generator(u: np.ndarray):
    """Every pixel is sigmoid(4 z·u): the classifier above reads class 1 exactly when z·u > 0."""
    first = nn.Linear(D, 1, bias=False)
    spread = nn.Linear(1, 784, bias=False)
    with torch.no_grad():
        first.weight.copy_(torch.tensor(4 * u[None], dtype=torch.float32))
        spread.weight.fill_(1.0)
    return latentkit.wrap_generator(nn.Sequential(first, spread, nn.Sigmoid()), latent_dim=D, value_range=(0, 1))


def svd_generator(singular=(5.0, 3.0, 2.0, 1.0, 0.5, 0.4, 0.3, 0.2), norm: nn.Module | None = None, seed: int = 0):
    """First layer W = U diag(s) V^T with known V; returns (generator, V (D, D) columns)."""
    rng = np.random.default_rng(seed)
    u, _ = np.linalg.qr(rng.normal(size=(784, D)))
    v, _ = np.linalg.qr(rng.normal(size=(D, D)))
    w = u @ np.diag(singular) @ v.T
    first = nn.Linear(D, 784, bias=False)
    with torch.no_grad():
        first.weight.copy_(torch.tensor(w, dtype=torch.float32))
    parts = [first, norm or nn.Identity(), nn.Sigmoid()]
    return latentkit.wrap_generator(nn.Sequential(*parts), latent_dim=D, value_range=(0, 1)), v


def test_classifier_direction_recovers_the_planted_boundary():
    u = planted_direction()
    r = find_directions(sign_generator(u), sign_classifier(), samples=3000, probes=8)
    assert r.keys == ["0", "1"] and r.params["skipped_classes"] == list(range(2, 10))
    assert r.vector("1") @ u >= 0.99 and r.vector("0") @ u <= -0.99
    assert (r.accuracy > 0.97).all()
    # Named by measurement: +3 along "1" turns the 0 probes with z·u > -3 into 1s, -3 the 1s with z·u < 3 into 0s.
    side, reach = r.base_z @ u, 3 * (r.vector("1") @ u)
    up, down = ((side <= 0) & (side + reach > 0)).mean(), ((side > 0) & (side - reach <= 0)).mean()
    assert r.names[r.index("1")] == f"+: →1 {up:.0%} (0→1 {up:.0%}); -: →0 {down:.0%} (1→0 {down:.0%})"


def test_pair_directions_point_from_the_first_class_to_the_second():
    u = planted_direction(1)
    r = find_directions(sign_generator(u), sign_classifier(), samples=2000, probes=4, pairs=[(1, 0)])
    assert r.keys[-1] == "1:0" and r.vector("1:0") @ u <= -0.99


def test_conditioning_removes_the_other_classes_normal():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(6000, D))
    u1, u2 = np.eye(D)[0], (np.eye(D)[0] + np.eye(D)[1]) / np.sqrt(2)  # correlated attributes
    labels = np.where(z @ u2 > 0.8, 2, np.where(z @ u1 > 0, 1, 0))
    plain = boundaries.fit_boundary(z, labels, [1]).normal
    fit = classifier_directions(lambda pos, neg: boundaries.fit_boundary(z, labels, pos, neg), 3, condition_on=[2])
    normal_2 = boundaries.fit_boundary(z, labels, [2]).normal
    conditioned = fit["vectors"][fit["keys"].index("1")]
    assert abs(conditioned @ normal_2) < 1e-9 and abs(plain @ normal_2) > 0.1
    assert np.isclose(np.linalg.norm(conditioned), 1)
    assert np.allclose(fit["vectors"][fit["keys"].index("2")], normal_2), "a class is not conditioned on itself"


def reference_train_boundary(latent_codes: np.ndarray, scores: np.ndarray, chosen_num_or_ratio: float = 0.02,
                             split_ratio: float = 0.7) -> np.ndarray:
    """genforce/interfacegan's train_boundary (utils/manipulator.py), its logging left out."""
    from sklearn import svm

    num_samples = latent_codes.shape[0]
    sorted_idx = np.argsort(scores, axis=0)[::-1, 0]
    latent_codes = latent_codes[sorted_idx]
    chosen_num = int(num_samples * chosen_num_or_ratio)
    chosen_num = min(chosen_num, num_samples // 2)
    train_num = int(chosen_num * split_ratio)
    positive_idx = np.arange(chosen_num)
    np.random.shuffle(positive_idx)
    positive_train = latent_codes[:chosen_num][positive_idx[:train_num]]
    negative_idx = np.arange(chosen_num)
    np.random.shuffle(negative_idx)
    negative_train = latent_codes[-chosen_num:][negative_idx[:train_num]]
    train_data = np.concatenate([positive_train, negative_train], axis=0)
    train_label = np.concatenate([np.ones(train_num, dtype=int), np.zeros(train_num, dtype=int)], axis=0)
    a = svm.SVC(kernel="linear").fit(train_data, train_label).coef_.reshape(1, latent_codes.shape[1])
    return (a / np.linalg.norm(a))[0]


@pytest.mark.parametrize("ratio", [0.02, 0.1])
def test_extremes_equal_interfacegans_train_boundary(ratio):
    rng = np.random.default_rng(4)
    z = rng.normal(size=(20_000, D))
    u = planted_direction(2)
    scores = z @ u + 0.3 * rng.normal(size=len(z))  # an attribute score: the direction plus noise
    np.random.seed(0)
    expected = reference_train_boundary(z, scores[:, None], ratio)
    found = boundaries.fit_extremes(z, scores, ratio, seed=0)
    assert found.normal @ expected >= 0.99 and found.normal @ u >= 0.95
    assert found.accuracy > 0.95


def test_extremes_need_enough_latents_each_side():
    z = np.random.default_rng(0).normal(size=(400, D))
    with pytest.raises(ConfigError, match="chooses 8 on each side"):
        boundaries.fit_extremes(z, z[:, 0], ratio=0.02)


def test_too_few_extremes_are_refused_before_any_latent_is_drawn(run_cli):
    result = run_cli("directions", "--select", "extremes", "--ratio", 0.0001, "--samples", 1000, "--out", "x")
    assert_one_line_error(result, "--ratio 0.0001 of 1000 latents takes 0 from each end")


def test_classifier_directions_from_extremes_recover_the_planted_boundary():
    u = planted_direction()
    r = find_directions(sign_generator(u), sign_classifier(), samples=3000, probes=8, select="extremes", ratio=0.1)
    assert r.vector("1") @ u >= 0.98 and r.params["select"] == "extremes" and r.params["ratio"] == 0.1


def test_project_out_says_when_nothing_is_left():
    with pytest.raises(ConfigError, match="span"):
        boundaries.project_out(np.eye(3)[0], np.eye(3)[:2])


@pytest.mark.parametrize("with_norm", [False, True])
def test_sefa_with_the_batchnorm_folded_finds_the_right_singular_vectors(with_norm):
    singular = np.array([5.0, 3.0, 2.0, 1.0, 0.5, 0.4, 0.3, 0.2])
    norm = None
    scale = np.ones(784)
    if with_norm:  # a BatchNorm after the linear map is part of it: folded into W
        norm = nn.BatchNorm1d(784).eval()
        with torch.no_grad():
            norm.running_var.fill_(4.0)  # scales every feature by 1/2: same vectors, half the values
        scale = scale / 2
    g, v = svd_generator(singular, norm)
    vectors, values, layer = layers.sefa_directions(g, top=3, fold_batchnorm=True)
    assert np.allclose(np.abs(np.sum(vectors * v[:, :3].T, axis=1)), 1, atol=1e-4)
    assert np.allclose(values, singular[:3] * scale[0], rtol=1e-3)
    assert "Linear" in layer and (("BatchNorm1d" in layer) == with_norm)
    again, *_ = layers.sefa_directions(g, top=3, fold_batchnorm=True)
    assert np.array_equal(vectors, again) and (vectors[np.arange(3), np.abs(vectors).argmax(1)] > 0).all()


def reference_sefa(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """genforce/sefa's factorize_weight on a (latent_dim, features) weight, its eigenvalues then
    sorted (it returns np.linalg.eig's order): (directions (d, d) as rows, eigenvalues (d,))."""
    weight = weight / np.linalg.norm(weight, axis=0, keepdims=True)
    eigen_values, eigen_vectors = np.linalg.eig(weight.dot(weight.T))
    order = np.argsort(-eigen_values.real)
    return eigen_vectors.T.real[order], eigen_values.real[order]


@pytest.mark.parametrize("arch", ["r004-mlp", "dcgan"])  # a Linear and a ConvTranspose2d first layer
def test_sefa_equals_the_published_factorize_weight(arch):
    from latentkit.models import GANConfig, Generator

    torch.manual_seed(3)
    g = Generator(GANConfig(arch, latent_dim=32, width=8)).eval()
    first = next(m for m in g.modules() if isinstance(m, (nn.Linear, nn.ConvTranspose2d)))
    w = first.weight.detach().double().numpy()
    # Linear: (features, d) -> (d, features); ConvTranspose2d: (d, out, k, k) -> (d, out * k * k).
    weight = w.T if isinstance(first, nn.Linear) else w.reshape(w.shape[0], -1)
    expected, eigen_values = reference_sefa(weight)
    vectors, singular, layer = layers.sefa_directions(g, top=10)
    assert (np.abs(np.sum(vectors * expected[:10], axis=1)) >= 0.999).all()
    assert np.allclose(singular ** 2, eigen_values[:10], rtol=1e-6) and "normalised" in layer


def test_sefa_names_a_generator_without_a_linear_first_layer():
    class Doubled(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(D, 784)

        def forward(self, z):
            return torch.sigmoid(self.fc(torch.tanh(z * 2)))

    g = latentkit.wrap_generator(Doubled(), latent_dim=D, value_range=(0, 1))
    with pytest.raises(ConfigError, match="first layer is a Linear or ConvTranspose2d applied to z"):
        layers.sefa_directions(g, top=2)
    weightless = latentkit.wrap_generator(nn.Sequential(nn.Flatten(), nn.Sigmoid()), latent_dim=784,
                                          value_range=(0, 1))
    with pytest.raises(ConfigError, match="no layer with weights"):
        layers.sefa_directions(weightless, top=2)
    scripted = latentkit.wrap_generator(torch.jit.script(nn.Sequential(nn.Linear(D, 784), nn.Sigmoid())),
                                        latent_dim=D, value_range=(0, 1))
    with pytest.raises(ConfigError, match="TorchScript"):
        layers.sefa_directions(scripted, top=2)


def test_sefa_works_on_every_zoo_architecture():
    from latentkit.models import ARCHS, GANConfig, Generator

    for arch in ARCHS:
        # width 8: the vae's first layer (latent -> width hidden units) keeps all 6 directions
        torch.manual_seed(0)
        vectors, values, _ = layers.sefa_directions(Generator(GANConfig(arch, latent_dim=6, width=8)).eval(), top=6)
        assert np.allclose(vectors @ vectors.T, np.eye(6), atol=1e-6) and (np.diff(values) <= 1e-9).all(), arch


def test_pca_on_a_layer_with_planted_covariance():
    singular = np.array([5.0, 3.0, 2.0, 1.0, 0.5, 0.4, 0.3, 0.2])
    g, v = svd_generator(singular)
    vectors, explained, layer = layers.pca_directions(g, layer="module.1", samples=6000, top=3)
    assert layer == "module.1"
    assert (np.abs(np.sum(vectors * v[:, :3].T, axis=1)) >= 0.99).all()
    assert np.allclose(explained, singular[:3] ** 2 / (singular**2).sum(), atol=0.02)


def test_pca_default_layer_and_unknown_layer():
    g, _ = svd_generator()
    assert layers.pca_directions(g, None, samples=200, top=2)[2] == "module.1"  # the first leaf after the Linear
    normed, _ = svd_generator(norm=nn.BatchNorm1d(784).eval())
    assert layers.pca_directions(normed, None, samples=200, top=2)[2] == "module.2"  # past the BatchNorm
    with pytest.raises(ConfigError, match="module.0, module.1, module.2"):
        layers.pca_directions(g, "net.9", samples=200, top=2)


def test_mean_directions_on_planted_class_means():
    rng = np.random.default_rng(0)
    means = rng.normal(size=(3, D)) * 2
    labels = np.repeat(np.arange(3), 4000)
    z = means[labels] + rng.normal(size=(len(labels), D))
    vectors, lengths = boundaries.class_mean_directions(z, labels, 4)
    expected = means - means.mean(0)
    for c in range(3):
        assert vectors[c] @ expected[c] / np.linalg.norm(expected[c]) >= 0.99
        assert lengths[c] == pytest.approx(np.linalg.norm(expected[c]), rel=0.05)
    assert lengths[3] == 0 and not vectors[3].any(), "an absent class has no direction"


def test_linear_separability_of_a_separable_and_a_random_toy():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(4000, D))
    u = planted_direction()
    margin = 20 * (z @ u)  # logits whose probabilities round to exactly 0 or 1 for most latents
    logits = np.stack([-margin, margin], 1)
    result = boundaries.linear_separability(z, logits)
    assert result.value == pytest.approx(1, abs=0.05) and result.entropies.max() < 0.05
    assert result.kept == 2000 and (abs(result.kept_positive - 1000) < 80).all(), "the decisive half holds both sides"
    shuffled = logits[rng.permutation(len(z))]
    assert boundaries.linear_separability(z, shuffled).value > 1.5, "labels unrelated to z are not separable"


def test_linear_separability_ranks_decisiveness_past_float32_saturation():
    # Class 0 holds 10% of the latents. Ranked by float32 probabilities (StyleGAN's code), every
    # latent reads p = 1.0 or 0.0 exactly, the "most decisive half" is the first half by sample
    # order, and the class's positives are kept or dropped by accident of order.
    rng = np.random.default_rng(1)
    z = rng.normal(size=(2000, D))
    u = planted_direction()
    positive = z @ u > np.quantile(z @ u, 0.9)
    order = np.argsort(~positive, kind="stable")[::-1]  # positives last
    z, positive = z[order], positive[order]
    logits = np.where(positive, 40.0, -40.0)[:, None] * np.array([1.0, -1.0]) + (z @ u)[:, None] * np.array([1, -1])
    probs32 = torch.from_numpy(logits).float().softmax(-1).numpy()
    decisive32 = np.maximum(probs32[:, 0], 1 - probs32[:, 0])
    assert (decisive32 == 1.0).all(), "the toy saturates float32: every latent ties"
    tied = np.argsort(-decisive32, kind="stable")[:1000]
    assert positive[tied].sum() == 0, "ranking saturated probabilities keeps no positives"
    result = boundaries.linear_separability(z, logits)
    assert result.kept_positive[0] == positive.sum(), "ranked on logits, every clear positive is kept"


def test_one_vs_rest_logits_closed_form():
    logits = np.array([[2.0, 0.0, 0.0], [100.0, 0.0, -100.0]])
    expected = 2.0 - np.log(2.0)  # log(p0 / (1 - p0)) with p ∝ (e^2, 1, 1)
    assert boundaries.one_vs_rest_logits(logits)[0, 0] == pytest.approx(expected)
    assert boundaries.one_vs_rest_logits(logits)[1, 0] == pytest.approx(100.0), "finite where p0 rounds to 1"


def test_conditional_entropy_closed_forms():
    x = np.array([0, 0, 1, 1], bool)
    assert boundaries.conditional_entropy(x, x) == 0
    assert boundaries.conditional_entropy(x, np.array([0, 1, 0, 1], bool)) == pytest.approx(1.0)


@pytest.fixture(scope="module")
def bundled():
    return latentkit.load_generator(), latentkit.load_classifier()


@pytest.mark.parametrize("method", ["classifier", "sefa", "pca", "mean"])
def test_every_method_on_the_bundled_model_round_trips(bundled, method, tmp_path):
    from latentkit.results.replot import replot

    kwargs = {"samples": 2000} if method != "sefa" else {"top": 4}
    r = find_directions(*bundled, method=method, probes=4, steps=3, **kwargs)
    assert np.allclose(np.linalg.norm(r.vectors, axis=1), 1, atol=1e-5)
    assert r.images.shape == (len(r.vectors), 4, 3, 28, 28) and len(r.names) == len(r.keys) == len(r.vectors)
    assert (r.prob_shift[r.ranking()] == np.sort(r.prob_shift)[::-1]).all()
    r.save(tmp_path / "d.h5")
    back = DirectionsResult.load(tmp_path / "d.h5")
    assert np.array_equal(back.vectors, r.vectors) and back.names == r.names and back.keys == r.keys
    assert np.array_equal(back.transitions, r.transitions)
    table = back.tables()["directions"]
    assert list(table["key"]) == r.keys and (table["rank"][r.ranking()] == np.arange(len(r.keys))).all()
    assert replot(tmp_path / "d.h5").is_file()


@pytest.mark.parametrize("kwargs,match", [
    ({"method": "sefa", "samples": 500}, "closed-form"),
    ({"method": "sefa", "pairs": [(3, 8)]}, "--method classifier"),
    ({"method": "classifier", "top": 3}, "caps sefa and pca"),
    ({"method": "classifier", "pairs": [(3, 3)]}, "to itself"),
    ({"method": "classifier", "pairs": [(3, 12)]}, "outside"),
    ({"method": "mean", "layer": "net.0"}, "--method pca"),
    ({"method": "nope"}, "unknown method"),
    ({"steps": 4}, "odd"),
])
def test_bad_requests_are_refused_before_work(bundled, kwargs, match):
    with pytest.raises(ConfigError, match=match):
        find_directions(*bundled, **kwargs)


def test_cli_directions_and_a_user_generator(run_cli, tmp_path):
    (tmp_path / "mine.py").write_text(
        "import torch\nfrom torch import nn\n\ndef make():\n    torch.manual_seed(0)\n"
        "    return nn.Sequential(nn.Linear(12, 64), nn.ReLU(), nn.Linear(64, 784), nn.Tanh())\n")
    result = run_cli("directions", "--method", "sefa", "--model", "mine.py:make", "--top", 3, "--probes", 4,
                     "--out", "d")
    assert result.exit_code == 0, result.output
    assert "sefa0" in result.output and (tmp_path / "d" / "directions.png").is_file()
    saved = DirectionsResult.load(tmp_path / "d" / "directions.h5")
    assert saved.vectors.shape == (3, 12)
    shown = run_cli("show", "d/directions.h5").output.splitlines()
    first = shown.index("  directions, strongest first (key, p(class) shift, name):")
    assert shown[first + 1].split()[0] == saved.keys[saved.ranking()[0]] and len(shown) == first + 4

    (tmp_path / "odd.py").write_text(
        "import torch\nfrom torch import nn\nimport latentkit\n\nclass G(nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.fc = nn.Linear(12, 784)\n"
        "    def forward(self, z):\n        return torch.tanh(self.fc(z.abs()))\n\n"
        "def make():\n    return latentkit.wrap_generator(G(), latent_dim=12, value_range=(-1, 1))\n")
    bad = run_cli("directions", "--method", "sefa", "--model", "odd.py:make", "--out", "x")
    assert_one_line_error(bad, "sefa needs", "use --method classifier")
    assert_one_line_error(run_cli("directions", "--pairs", "3-8"), "FROM:TO")
    # This random generator draws one class only: nothing to separate, said in one line.
    one_class = run_cli("directions", "--model", "mine.py:make", "--samples", 500, "--out", "x")
    assert_one_line_error(one_class, "no class has 10 confident latents on each side")
    assert_one_line_error(run_cli("directions", "--method", "mean", "--model", "mine.py:make", "--samples", 500,
                                  "--out", "x"), "all one class")
    assert not (tmp_path / "x").exists()


def test_cli_layer_names_are_the_loaded_generators(run_cli, tmp_path):
    """Layer names are those print(generator) shows, not an inference copy's (BatchNorm folded away)."""
    sefa = run_cli("directions", "--method", "sefa", "--top", 2, "--probes", 2, "--steps", 3, "--out", "s")
    assert sefa.exit_code == 0, sefa.output
    sefa_layer = DirectionsResult.load(tmp_path / "s" / "directions.h5").params["layer"]
    assert sefa_layer == "Linear net.0 (features normalised)"
    folded = run_cli("directions", "--method", "sefa", "--fold-batchnorm", "--top", 2, "--probes", 2, "--steps", 3,
                     "--out", "f")
    assert folded.exit_code == 0, folded.output
    assert DirectionsResult.load(tmp_path / "f" / "directions.h5").params["layer"] == \
        "Linear net.0 + BatchNorm1d net.1 (folded)"
    pca = run_cli("directions", "--method", "pca", "--layer", "net.2", "--samples", 500, "--top", 2, "--probes", 2,
                  "--steps", 3, "--out", "p")
    assert pca.exit_code == 0, pca.output
    assert DirectionsResult.load(tmp_path / "p" / "directions.h5").params["layer"] == "net.2"
