"""Truncation: latents scaled toward the prior's mean, in every analysis that samples the prior,
and eval --truncation-sweep's trade-off curve."""

import json

import numpy as np
import pytest
import torch
from conftest import DATA_DIR, assert_one_line_error

from latentkit.analyses.truncation import METRICS, TruncationResult, truncation_sweep
from latentkit.errors import ConfigError
from latentkit.generator.sampling import check_truncation, latent_mean, prior_latents
from latentkit.generator.weights import save_weights

QUICK_TIER = False  # whole analyses and commands, not units


def test_prior_latents_scale_the_zoo_prior_toward_zero(known_generator):
    z = known_generator.sample_latents(50, seed=3)
    assert torch.equal(prior_latents(known_generator, 50, 3), z), "ψ = 1 is the prior itself"
    assert torch.allclose(prior_latents(known_generator, 50, 3, truncation=0.25), 0.25 * z)


class ShiftedPrior(torch.nn.Module):
    """A user generator whose prior N(3, I) states no mean: latentkit estimates it."""

    latent_dim, dataset = 4, "mnist"

    def sample_latents(self, n, seed=None, device="cpu"):
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        return (3 + torch.randn(n, 4, generator=gen)).to(device)


def test_a_prior_without_a_stated_mean_is_truncated_toward_its_estimated_mean():
    g = ShiftedPrior()
    assert torch.allclose(latent_mean(g), torch.full((4,), 3.0), atol=0.05)
    z = prior_latents(g, 2000, seed=1, truncation=0.5)
    assert torch.allclose(z.mean(0), torch.full((4,), 3.0), atol=0.1)
    assert 0.45 < float(z.std(0).mean()) < 0.55  # the spread halves, the centre stays


@pytest.mark.parametrize("bad", [0, 0.0, -0.5, 1.01, float("nan"), float("inf"), True, "0.5"])
def test_bad_truncation_is_refused(bad):
    with pytest.raises(ConfigError, match=r"truncation must be a number in \(0, 1\]"):
        check_truncation(bad)


def test_every_sampling_analysis_uses_and_records_the_truncated_prior(known_generator, random_classifier):
    from latentkit.analyses import find_directions, latent_map, plane, sweep

    full = sweep(known_generator, random_classifier, dims=[1], values=[0.0], samples=4, seed=2)
    half = sweep(known_generator, random_classifier, dims=[1], values=[0.0], samples=4, seed=2, truncation=0.5)
    assert np.allclose(half.base_z, 0.5 * full.base_z) and half.params["truncation"] == 0.5
    mapped = latent_map(known_generator, random_classifier, samples=50, method="pca", truncation=0.5, progress=False)
    assert np.allclose(mapped.z, 0.5 * known_generator.sample_latents(50, seed=0).numpy())
    assert mapped.params["truncation"] == 0.5
    flat = plane(known_generator, random_classifier, dims=[0, 1], resolution=4, mosaic=2, truncation=0.5)
    assert flat.params["truncation"] == 0.5
    found = find_directions(known_generator, random_classifier, method="pca", samples=200, top=2, probes=4,
                            steps=3, truncation=0.5)
    assert np.allclose(found.base_z, 0.5 * known_generator.sample_latents(4, seed=1).numpy())


def test_interpolation_endpoints_come_from_the_truncated_pool(known_generator, random_classifier):
    import copy

    import torch

    from latentkit.analyses import interpolate

    sure = copy.deepcopy(random_classifier)  # the random classifier's readings, made confident
    with torch.no_grad():
        sure.head[-1].weight.mul_(1e4)
        sure.head[-1].bias.mul_(1e4)
    label = int(sure(known_generator(known_generator.sample_latents(1, seed=0))).argmax())
    r = interpolate(known_generator, sure, [label, label], pool=64, truncation=0.3)
    pool = prior_latents(known_generator, 64, 0, 0.3)
    assert any(np.allclose(r.z[0, 0], p) for p in pool.numpy()) and r.params["truncation"] == 0.3


@pytest.fixture(scope="module")
def swept(known_generator, random_classifier):
    return truncation_sweep(known_generator, random_classifier, psis=(1.0, 0.5, 0.02), samples=300, progress=False,
                            data_dir=DATA_DIR)


def test_sweep_scores_the_same_draws_at_every_psi(swept, known_generator, random_classifier):
    from latentkit.generator.sampling import generate_and_classify

    assert swept.psis.tolist() == [1.0, 0.5, 0.02] and set(swept.metrics) == set(METRICS)
    for i, psi in enumerate(swept.psis):
        z = prior_latents(known_generator, 300, 0, float(psi))
        assert np.array_equal(swept.images[i], generate_and_classify(known_generator, random_classifier,
                                                                     z[:10]).images.numpy())
    assert all(len(swept.curve(name)) == 3 for name in METRICS)
    assert swept.best_psi == swept.psis[int(np.argmin(swept.curve("fid")))]
    assert all("real" in swept.metrics[name] for name in METRICS) and swept.metrics["fid"]["real"] < 5


def test_strong_truncation_collapses_variety(swept):
    """ψ → 0 draws every sample near G(mean): the same draws spread less and less across pixels."""
    spread = [float(row.astype(np.float64).std(0).mean()) for row in swept.images]  # per-pixel std over draws
    assert spread[0] > spread[1] > spread[2] and spread[2] < 0.1 * spread[0]


def test_sweep_round_trip_tables_and_replot(swept, tmp_path):
    from latentkit.results.replot import replot

    swept.save(tmp_path / "t.h5", {"seed": 0})
    back = TruncationResult.load(tmp_path / "t.h5")
    assert back.metrics == swept.metrics and np.array_equal(back.images, swept.images)
    table = back.tables()["psis"]
    assert table["psi"].tolist() == [1.0, 0.5, 0.02] and np.allclose(table["fid"], swept.curve("fid"))
    assert len(back.tables()["classes"]["share"]) == 30
    assert replot(tmp_path / "t.h5", tmp_path / "t.png").stat().st_size > 10_000


@pytest.mark.parametrize("psis, match", [((1.0,), "number of ψ values"), ((1.0, 1.0), "repeat"),
                                         ((1.0, 0.0), r"\(0, 1\]"), ((1.0, 2.0), r"\(0, 1\]")])
def test_bad_psis(known_generator, random_classifier, psis, match):
    with pytest.raises(ConfigError, match=match):
        truncation_sweep(known_generator, random_classifier, psis=psis, samples=20, progress=False)


def test_cli_truncation_sweep_writes_and_prints(run_cli, tmp_path, known_generator):
    save_weights(known_generator, tmp_path / "g.safetensors", "generator")
    result = run_cli("eval", "--model", "g.safetensors", "--truncation-sweep", "--psis", "1,0.6", "--samples", "100",
                     "--out", "o", "-q")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].split()[:3] == ["psi", "fid", "precision"]
    assert "lowest FID at psi" in result.stdout and (tmp_path / "o" / "truncation.png").is_file()
    as_json = run_cli("eval", "--model", "g.safetensors", "--truncation-sweep", "--psis", "1,0.6", "--samples",
                      "100", "--out", "j", "--json", "-q")
    printed = json.loads(as_json.stdout)
    assert printed["psis"] == [1.0, 0.6] and printed["metrics"] == TruncationResult.load("j/truncation.h5").metrics


@pytest.mark.parametrize("args, fragment", [
    (["--truncation-sweep", "--ppl-paths", "10"], "--ppl-paths does not apply"),
    (["--truncation-sweep", "--reachability", "10"], "--reachability does not apply"),
    (["--truncation-sweep", "--truncation", "0.5"], "--truncation does not apply"),
    (["--psis", "1,0.5"], "--psis is for --truncation-sweep"),
    (["--truncation-sweep", "--psis", "1,0"], "ψ values must be numbers in (0, 1]"),
    (["--truncation", "0"], "0<x<=1"),
    (["--truncation", "nan"], "not a finite number"),
])
def test_cli_conflicts_are_one_line_before_any_work(run_cli, tmp_path, args, fragment):
    assert_one_line_error(run_cli("eval", *args, "--out", "o"), fragment)
    assert not (tmp_path / "o").exists()


def test_cli_analysis_records_its_truncation(run_cli, tmp_path, known_generator):
    from latentkit.analyses.sweep import SweepResult

    save_weights(known_generator, tmp_path / "g.safetensors", "generator")
    result = run_cli("sweep", "--model", "g.safetensors", "--dims", "1", "--truncation", "0.7", "--out", "s")
    assert result.exit_code == 0, result.output
    assert SweepResult.load(tmp_path / "s" / "sweep.h5").params["truncation"] == 0.7
