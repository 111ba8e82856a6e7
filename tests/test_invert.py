"""Inversion: the optimiser's schedule, self-inversion, the result's measures, round trips, the CLI."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import assert_one_line_error

import latentkit
from latentkit.analyses import InvertResult, invert
from latentkit.data.images import RealImages, load_dataset_images
from latentkit.errors import ConfigError
from latentkit.space.inversion import InvertConfig, invert_images, learning_rate


def test_learning_rate_warms_up_and_ramps_down():
    cfg = InvertConfig(steps=100, lr=0.1, warmup=0.05, rampdown=0.25)
    assert learning_rate(cfg, 0) == 0 and learning_rate(cfg, 5) == pytest.approx(0.1)
    assert learning_rate(cfg, 50) == pytest.approx(0.1)
    assert learning_rate(cfg, 75) == pytest.approx(0.1) and learning_rate(cfg, 100) == pytest.approx(0)
    assert learning_rate(cfg, 87) == pytest.approx(0.1 * (0.5 - 0.5 * np.cos(0.52 * np.pi)))


@pytest.fixture(scope="module")
def bundled():
    return latentkit.load_generator(), latentkit.load_classifier()


@pytest.mark.slow
def test_images_the_generator_drew_are_recovered(bundled):
    """Inverting G(z*) for random z* gives back G(z*) at PSNR >= 30 dB."""
    from latentkit.generator.handle import Models
    from latentkit.generator.sampling import generate_and_classify

    models = Models.of(*bundled)
    g, clf = models.generator, models.classifier
    targets = generate_and_classify(g, clf, g.sample_latents(6, seed=11)).images
    _, recon, _ = invert_images(g, clf, targets, InvertConfig(steps=300, restarts=4, feature_weight=0, seed=1))
    mse = ((recon.float() - targets.float()) / 255).pow(2).mean((1, 2))
    psnr = 10 * torch.log10(1 / mse)
    assert (psnr >= 30).all(), f"PSNR {psnr.tolist()}"


def test_the_user_models_are_left_as_they_were(bundled):
    g, clf = bundled
    invert_images(g, clf, torch.zeros(1, 28, 28, dtype=torch.uint8) + 40, InvertConfig(steps=2, restarts=1))
    assert all(p.requires_grad for p in g.parameters()) and not getattr(g, "is_inference_copy", False)


def result_with(targets, recon, nearest, labels=None, recon_labels=None) -> InvertResult:
    n = len(targets)
    probs = lambda ls: np.eye(10)[ls]  # noqa: E731
    ref = labels if labels is not None else np.zeros(n, int)
    return InvertResult(
        targets=targets, z=np.zeros((n, 4), np.float32), reconstructions=recon, target_probs=probs(ref),
        recon_probs=probs(recon_labels if recon_labels is not None else ref), loss=np.zeros(n), nearest_images=nearest,
        nearest_probs=probs((ref + 1) % 10), names=[f"x{i}" for i in range(n)], notes=[],
        class_names=[str(i) for i in range(10)], true_labels=labels)


def test_measures_and_reachability_known_answers():
    targets = np.zeros((4, 28, 28), np.uint8)
    recon = targets.copy()
    recon[0] = 255  # every pixel off by 1: MSE 1, PSNR 0 dB
    recon[1, :14] = 255  # half the pixels: MSE 0.5
    labels = np.array([3, 3, 5, 5])
    r = result_with(targets, recon, np.full_like(targets, 255), labels, recon_labels=np.array([3, 8, 5, 5]))
    assert np.allclose(r.mse, [1, 0.5, 0, 0]) and r.psnr[0] == pytest.approx(0)
    assert r.agrees.tolist() == [True, False, True, True] and not r.nearest_agrees.any()
    s = r.summary()
    assert s["agreement"] == 0.75 and s["nearest_mse"] == 1 and s["mse"] == pytest.approx(0.375)
    table = r.reachability()
    assert table["count"][3] == 2 and table["agreement"][3] == 0.5 and table["agreement"][5] == 1
    assert table["mse"][3] == pytest.approx(0.75) and np.isnan(table["mse"][0])
    images = r.tables()["images"]
    assert images["agrees"].tolist() == [True, False, True, True] and images["true_label"].tolist() == [3, 3, 5, 5]
    assert r.tables()["classes"]["agreement"][3] == 0.5


def test_invert_test_digits_round_trip_and_replot(bundled, tmp_path):
    from latentkit.results.replot import replot

    real = load_dataset_images("mnist", "test", "0:6")
    r = invert(*bundled, real, InvertConfig(steps=20, restarts=1), nearest_pool=200)
    assert r.z.shape == (6, 100) and r.reconstructions.shape == (6, 28, 28)
    assert (r.true_labels == real.labels).all() and r.params["init"] == "random" and r.names[0] == "mnist test 0"
    r.save(tmp_path / "i.h5")
    back = InvertResult.load(tmp_path / "i.h5")
    assert np.array_equal(back.z, r.z) and back.summary() == r.summary() and back.names == r.names
    assert replot(tmp_path / "i.h5").is_file()


def test_an_encoder_is_required_when_asked_for(bundled):
    real = RealImages(np.full((1, 28, 28), 9, np.uint8), ["x"], None, [])
    with pytest.raises(ConfigError, match="needs an encoder"):
        invert(*bundled, real, InvertConfig(init="encoder"))


def test_cli_invert(run_cli, tmp_path):
    from PIL import Image

    ok = run_cli("invert", "--indices", "0:3", "--steps", 3, "--restarts", 1, "--init", "random", "--out", "i")
    assert ok.exit_code == 0, ok.output
    assert "3 images: read as the real digit" in ok.output
    z = np.load(tmp_path / "i" / "invert.npy")
    assert z.shape == (3, 100) and np.array_equal(z, InvertResult.load(tmp_path / "i" / "invert.h5").z)

    Image.fromarray(np.zeros((40, 40), np.uint8)).save(tmp_path / "black.png")
    assert_one_line_error(run_cli("invert", "black.png", "--out", "x"), "nothing to invert")
    assert_one_line_error(run_cli("invert", "--out", "x"), "--indices")
    assert_one_line_error(run_cli("invert", "black.png", "--indices", "0:2", "--out", "x"), "not both")
    assert_one_line_error(run_cli("invert", "--indices", "10000", "--out", "x"), "outside")
    assert_one_line_error(run_cli("invert", "--indices", "0", "--init", "encoder", "--model", "mnist-r004-mlp",
                                  "--out", "x"), "no bundled encoder")
    assert_one_line_error(run_cli("invert", "--indices", "0", "--dataset", "fashion-mnist", "--out", "x"),
                          "cannot draw fashion-mnist")
    (tmp_path / "bad.safetensors").write_bytes(b"junk")
    assert_one_line_error(run_cli("invert", "--indices", "0", "--encoder", "bad.safetensors", "--out", "x"),
                          "bad.safetensors")
    assert not (tmp_path / "x").exists()


def test_real_digits_in_interpolate_edit_and_map(run_cli, tmp_path):
    from PIL import Image

    from latentkit.analyses import EditResult, InterpolationResult

    path = run_cli("interpolate", "--from-test", 3, "--to-test", 2, "--steps", 4, "--out", "i")
    assert path.exit_code == 0, path.output
    r = InterpolationResult.load(tmp_path / "i" / "interpolate.h5")
    test = load_dataset_images("mnist", "test", "2,3")
    assert np.array_equal(r.real_start, test.images[1]) and np.array_equal(r.real_end, test.images[0])
    assert r.labels[0, 0] == 0 and r.labels[0, -1] == 1, "test digits 3 and 2 are a 0 and a 1"

    Image.fromarray(255 - test.images[1]).save(tmp_path / "zero.png")  # dark ink on paper, as photographed
    edited = run_cli("edit", "--image", "zero.png", "--toward", 6, "--steps", 3, "--fit-samples", 1000, "--out", "e")
    assert edited.exit_code == 0, edited.output
    e = EditResult.load(tmp_path / "e" / "edit.h5")
    assert e.params["images"] == ["zero.png"] and e.base_probs.argmax(1).tolist() == [0]
    assert_one_line_error(run_cli("interpolate", "--from-test", 1, "--from", 3, "--to", 4), "not several")
    assert_one_line_error(run_cli("edit", "--image", "zero.png", "--z", "x.npy", "--toward", 6), "not both")


def test_map_draws_real_digits_beside_the_samples(bundled):
    from latentkit.analyses import latent_map

    real = load_dataset_images("mnist", "test", "0:5")
    z = np.random.default_rng(0).normal(size=(5, 100)).astype(np.float32)
    for space in ("latent", "features"):
        m = latent_map(*bundled, samples=40, method="pca", space=space, real_images=real.images, real_z=z,
                       progress=False)
        assert m.embedding.shape == (40, 2) and m.real_embedding.shape == (5, 2) and m.params["real"] == 5
        assert np.array_equal(m.real_probs.argmax(1), real.labels), "the bundled classifier reads these right"
    with pytest.raises(ConfigError, match="one 100-d latent per real image"):
        latent_map(*bundled, samples=40, method="pca", real_images=real.images, real_z=z[:2], progress=False)


def test_eval_reachability(bundled):
    from latentkit.analyses import evaluate

    r = evaluate(*bundled, samples=60, ppl_paths=4, reachability=20, progress=False, yardstick=False)
    table = r.params["reachability"]
    assert len(table["agreement"]) == 10 and r.metrics["reachability"]["generated"] == pytest.approx(
        np.mean(table["agreement"]))
    assert "reachability" not in evaluate(*bundled, samples=60, ppl_paths=4, progress=False,
                                          yardstick=False).metrics
