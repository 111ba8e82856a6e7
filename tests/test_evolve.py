"""latentkit evolve (analyses/evolve.py): known answers for stability, boundary turning and
class shares, the HDF5 round trip, the page, and the command on a tiny run's snapshots."""

import numpy as np
import pytest
import torch
from conftest import DATA_DIR, assert_one_line_error
from torch import nn

from latentkit.analyses.evolve import EvolveResult, evolve, frames_shown
from latentkit.data.datasets import load_images
from latentkit.errors import ConfigError
from latentkit.generator.contract import wrap_generator
from latentkit.generator.registry import load_classifier, load_generator

QUICK_TIER = False  # whole analyses: thousands of images generated and read


class TwoDigits(nn.Module):
    """Draws real test image `a` where z[0] > 0 and `b` elsewhere: a generator with two
    regions split by a known plane."""

    def __init__(self, a: torch.Tensor, b: torch.Tensor):
        super().__init__()
        self.register_buffer("a", a.float()[None, None] / 255)
        self.register_buffer("b", b.float()[None, None] / 255)

    def forward(self, z):
        return torch.where(z[:, :1, None, None] > 0, self.a, self.b)


@pytest.fixture(scope="module")
def reader():
    return load_classifier()


@pytest.fixture(scope="module")
def three_and_eight():
    test = load_images("mnist", train=False, limit=200, data_dir=DATA_DIR)
    return test.images[(test.labels == 3).nonzero()[0, 0]], test.images[(test.labels == 8).nonzero()[0, 0]]


def test_the_same_weights_at_every_snapshot_are_perfectly_stable(reader):
    g = load_generator("mnist-dcgan")
    r = evolve([g, g, g], reader, samples=300, map_samples=0, shown=4, progress=False)
    assert r.probs.shape == (3, 300, 10) and r.grid.shape == (3, 4, 28, 28) and r.embedding is None
    assert np.array_equal(r.stability, [1.0, 1.0])
    finite = np.isfinite(r.boundary_cosine)
    assert finite.sum() >= 10 and np.allclose(r.boundary_cosine[finite], 1.0, atol=1e-6)
    assert np.allclose(r.class_shares, r.class_shares[0]) and np.allclose(r.class_shares.sum(1), 1)
    assert r.spectrum.shape == (3, 20) and np.allclose(r.spectrum, r.spectrum[0])
    assert r.dropped() == []


def test_a_class_flipped_between_snapshots_shows_as_instability_and_a_turned_boundary(reader, three_and_eight):
    three, eight = three_and_eight
    before = wrap_generator(TwoDigits(three, eight), latent_dim=8, value_range=(0, 1))
    after = wrap_generator(TwoDigits(eight, three), latent_dim=8, value_range=(0, 1))
    r = evolve([before, before, after], reader, samples=400, map_samples=0, shown=4, progress=False)
    positive = r.z[:, 0] > 0
    shares = r.class_shares
    assert shares[0, 3] == pytest.approx(positive.mean()) and shares[2, 3] == pytest.approx(1 - positive.mean())
    assert np.array_equal(r.stability, [1.0, 0.0])  # every latent changed class at the flip
    assert np.allclose(r.boundary_cosine[0, [3, 8]], 1.0)
    assert np.all(r.boundary_cosine[1, [3, 8]] < -0.9)  # the 3 side became the 8 side
    assert r.boundary_cosine[1, 3] == pytest.approx(-1.0, abs=0.05)
    assert r.spectrum is None  # no first linear layer of z


def test_a_class_that_vanishes_is_named_as_dropped(reader, three_and_eight):
    three, eight = three_and_eight
    two = wrap_generator(TwoDigits(three, eight), latent_dim=8, value_range=(0, 1))
    only_eights = wrap_generator(TwoDigits(eight, eight), latent_dim=8, value_range=(0, 1))
    r = evolve([two, only_eights], reader, epochs=[1, 2], samples=200, map_samples=0, shown=2, progress=False)
    assert r.dropped() == [("3", "epoch 2")]
    assert "3 at epoch 2" in r.plot()._suptitle.get_text()


def test_round_trip_figure_and_page(tmp_path, reader):
    g = load_generator("mnist-dcgan")
    noisy = wrap_generator(nn.Sequential(nn.Linear(16, 784), nn.Sigmoid()), latent_dim=16, value_range=(0, 1))
    with pytest.raises(ConfigError, match="latent size"):
        evolve([g, noisy], reader, progress=False)
    r = evolve([g, g], reader, epochs=[1, 2], images_seen=[60000, 120000], samples=120, map_samples=50,
               method="pca", real=40, shown=9, progress=False, training_scores=[{"epoch": 1, "fid": 3.0,
               "precision": 0.5, "recall": 0.4, "confident": 0.8}])
    assert r.embedding.shape == (2, 50, 2) and r.real_embedding.shape == (40, 2) and r.real_labels.shape == (40,)
    assert np.allclose(r.embedding[0], r.embedding[1], atol=1e-4)  # same weights, same features, one embedding
    r.save(tmp_path / "evolve.h5")
    back = EvolveResult.load(tmp_path / "evolve.h5")
    assert np.array_equal(back.probs, r.probs) and np.array_equal(back.images_seen, [60000, 120000])
    assert back.training_scores == r.training_scores and back.class_names == r.class_names
    table = back.tables()["snapshots"]
    assert list(table["epoch"]) == [1, 2] and np.isnan(table["stability"][0]) and table["stability"][1] == 1
    from latentkit.results.replot import replot, replot_html

    assert replot(tmp_path / "evolve.h5").is_file()
    page = replot_html(tmp_path / "evolve.h5", tmp_path / "page.html").read_text()
    assert "evolve-slider" in page and "https://" not in page.split("<body>")[1][:20000]


def test_frames_shown_keep_the_first_and_last():
    assert frames_shown(2) == [0, 1] and frames_shown(41) == [0, 8, 16, 24, 32, 40] and frames_shown(1) == [0]


def test_evolve_command_on_a_tiny_runs_snapshots(tmp_path, run_cli):
    from latentkit.training.train import TrainConfig, train_generator

    run = tmp_path / "run"
    train_generator(TrainConfig(arch="dcgan", width=4, latent_dim=16, limit=256, eval_samples=0, epochs=2, ema=0.0,
                          snapshot_every=1), run, progress=False, log=lambda s: None)
    out = tmp_path / "evo"
    result = run_cli("evolve", str(run), "--samples", "60", "--map-samples", "20", "--method", "pca", "--real", "20",
                     "--shown", "4", "--out", str(out), "-q")
    assert result.exit_code == 0, result.output
    for name in ("evolve.h5", "evolve.png", "evolve.gif", "evolve.html"):
        assert (out / name).is_file(), name
    r = EvolveResult.load(out / "evolve.h5")
    assert list(r.epochs) == [0, 1, 2] and list(r.images_seen) == [0, 256, 512]
    assert r.params["run"] == str(run) and r.provenance["command"].startswith("latentkit evolve")
    from PIL import Image

    assert Image.open(out / "evolve.gif").n_frames == 3
    assert_one_line_error(run_cli("evolve", str(tmp_path), "--out", str(tmp_path / "x")), "no training snapshots",
                          "--snapshot-every")
    assert_one_line_error(run_cli("evolve", str(run), "--samples", "5"), "samples")
