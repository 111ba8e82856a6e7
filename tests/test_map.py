import numpy as np
import pytest
import torch
from conftest import assert_one_line_error

from latentkit.analyses.latent_map import MapResult, latent_map
from latentkit.errors import ConfigError
from latentkit.generator.weights import save_weights


def test_pca_map_of_the_latent_space(known_generator, random_classifier):
    r = latent_map(known_generator, random_classifier, samples=300, method="pca", seed=2)
    assert r.z.shape == (300, 8) and r.probs.shape == (300, 10) and r.embedding.shape == (300, 2)
    assert np.allclose(r.z, known_generator.sample_latents(300, seed=2).numpy())
    assert np.allclose(r.probs.sum(1), 1, atol=1e-5) and r.images is None
    from sklearn.decomposition import PCA

    expected = PCA(n_components=2, random_state=2).fit_transform(r.z)
    assert np.allclose(np.abs(r.embedding), np.abs(expected), atol=1e-4)  # PCA signs are arbitrary


def test_features_space_embeds_the_classifier_features(known_generator, random_classifier):
    r = latent_map(known_generator, random_classifier, samples=200, method="pca", space="features",
                   store_images=True)
    assert r.images.shape == (200, 28, 28) and r.images.dtype == np.uint8
    from sklearn.decomposition import PCA

    with torch.no_grad():
        feats = random_classifier.features(known_generator(torch.from_numpy(r.z))).numpy()
    expected = PCA(n_components=2, random_state=0).fit_transform(feats)
    assert np.allclose(np.abs(r.embedding), np.abs(expected), atol=1e-3)


def test_a_latent_map_says_why_it_has_no_clusters(known_generator, random_classifier):
    from latentkit.analyses.latent_map import plot_map

    for space, told in (("latent", True), ("features", False)):
        ax = plot_map(latent_map(known_generator, random_classifier, samples=60, method="pca", space=space))
        assert ("no clusters of its own" in ax.get_title()) == told and ("--space features" in ax.get_title()) == told


def test_tsne_is_seeded(known_generator, random_classifier):
    a = latent_map(known_generator, random_classifier, samples=120, method="tsne", seed=1)
    b = latent_map(known_generator, random_classifier, samples=120, method="tsne", seed=1)
    assert np.allclose(a.embedding, b.embedding)


@pytest.mark.slow  # umap-learn compiles with numba in every fresh process
def test_umap_small_is_seeded(known_generator, random_classifier):
    a, b = (latent_map(known_generator, random_classifier, samples=200, method="umap", seed=3) for _ in range(2))
    assert a.embedding.shape == (200, 2) and np.isfinite(a.embedding).all()
    assert np.allclose(a.embedding, b.embedding)


def test_round_trip(known_generator, random_classifier, tmp_path):
    r = latent_map(known_generator, random_classifier, samples=50, method="pca", store_images=True)
    r.save(tmp_path / "m.h5", {"seed": 0})
    back = MapResult.load(tmp_path / "m.h5")
    assert np.array_equal(back.images, r.images) and np.array_equal(back.labels, r.labels)
    assert back.params == r.params


@pytest.mark.parametrize("kwargs,match", [
    (dict(samples=5), "samples must be an integer from 10 to"),
    (dict(method="lda"), "unknown method"),
    (dict(space="pixels"), "unknown space"),
])
def test_bad_parameters(known_generator, random_classifier, kwargs, match):
    with pytest.raises(ConfigError, match=match):
        latent_map(known_generator, random_classifier, **kwargs)


def test_cli_map_with_thumbnails_and_replot(run_cli, tmp_path, known_generator):
    save_weights(known_generator, tmp_path / "g.safetensors", "generator")
    result = run_cli("map", "--model", "g.safetensors", "--samples", "300", "--method", "pca", "--thumbnails",
                     "--out", "o")
    assert result.exit_code == 0, result.output
    r = MapResult.load(tmp_path / "o" / "map.h5")
    assert r.images.shape == (300, 28, 28) and r.params["thumbnails"]
    assert run_cli("plot", "o/map.h5", "--out", "again.png").exit_code == 0
    assert (tmp_path / "again.png").stat().st_size > 10_000
    assert_one_line_error(run_cli("map", "--samples", "0"), "--samples")


def test_projection_settings_are_used_stored_and_shown(known_generator, random_classifier):
    from latentkit.analyses.latent_map import plot_map

    r = latent_map(known_generator, random_classifier, samples=120, method="tsne", perplexity=10.0, seed=1)
    assert r.params["perplexity"] == 10.0 and "neighbors" not in r.params
    assert "t-SNE (perplexity 10)" in plot_map(r).get_title()
    tight = latent_map(known_generator, random_classifier, samples=150, neighbors=5, min_dist=0.0, metric="cosine")
    assert (tight.params["neighbors"], tight.params["min_dist"], tight.params["metric"]) == (5, 0.0, "cosine")
    assert "UMAP (5 neighbors, min_dist 0, cosine)" in plot_map(tight).get_title()
    loose = latent_map(known_generator, random_classifier, samples=150, neighbors=60)
    assert not np.allclose(tight.embedding, loose.embedding)
    for stray, words in (({"perplexity": 12.0}, "--perplexity sets tsne's"),
                         ({"neighbors": 5, "method": "pca"}, "--neighbors sets umap's")):
        with pytest.raises(ConfigError, match=words):
            latent_map(known_generator, random_classifier, samples=50, **stray)
