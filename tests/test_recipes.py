"""The GAN recipes beyond dcgan's: hinge loss, spectral normalisation, two time-scale rates,
linear rate decay and DiffAugment (training/step.py, gan.py, augment.py, configs.py)."""

import json

import pytest
import torch
from conftest import QUIET, TINY_GAN, assert_one_line_error, assert_same_run

from latentkit.errors import ConfigError
from latentkit.models import Discriminator
from latentkit.training.augment import cutout, diff_augment, translation
from latentkit.training.gan import GANTrainer, spectral_normalise
from latentkit.training.step import _d_loss, _g_loss
from latentkit.training.train import train_generator
from latentkit.training.trainer import TrainConfig
from latentkit.training.vae import VAETrainer

TINY = TINY_GAN  # 4 steps/epoch
EVERYTHING = dict(loss="hinge", spectral_norm=True, lr_d=8e-4, beta1=0.0, beta2=0.9, lr_decay="linear",
                  diffaugment="color,translation,cutout")


def _images(n: int = 64, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def test_hinge_losses_have_their_closed_form():
    out_real, out_fake = torch.tensor([2.0, 0.5]), torch.tensor([-2.0, 0.0])
    # D: mean(relu(1 - [2, .5])) + mean(relu(1 + [-2, 0])) = mean(0, .5) + mean(0, 1)
    assert _d_loss(out_real, out_fake, "hinge").item() == pytest.approx(0.25 + 0.5)
    assert _g_loss(out_fake, "hinge").item() == pytest.approx(1.0)
    # bce is dcgan's: log 2 each for a logit of 0
    assert _d_loss(torch.zeros(3), torch.zeros(3), "bce").item() == pytest.approx(2 * torch.log(torch.tensor(2.0)))


def test_translation_shifts_each_image_by_at_most_an_eighth_and_fills_the_border():
    x = _images()
    out = translation(x, torch.Generator().manual_seed(1), fill=-1.0)
    shifts = set()
    for image, moved in zip(x, out, strict=True):
        matches = []
        for dy in range(-3, 4):  # 28 // 8 = 3 pixels each way
            for dx in range(-3, 4):
                expected = torch.full_like(image, -1.0)
                src = image[:, max(dy, 0):28 + min(dy, 0), max(dx, 0):28 + min(dx, 0)]
                expected[:, max(-dy, 0):28 + min(-dy, 0), max(-dx, 0):28 + min(-dx, 0)] = src
                if torch.equal(moved, expected):
                    matches.append((dy, dx))
        assert len(matches) == 1
        shifts.add(matches[0])
    assert len(shifts) > 20  # each image draws its own of the 49


def test_cutout_blanks_one_clipped_half_size_square():
    x = _images()
    out = cutout(x, torch.Generator().manual_seed(2), fill=-1.0)
    areas = set()
    for image, cut in zip(x, out, strict=True):
        changed = (cut != image)[0]
        rows, cols = changed.any(1).nonzero().view(-1), changed.any(0).nonzero().view(-1)
        assert (cut[0][changed] == -1).all()
        # the changed pixels form one rectangle, at most 14 x 14 (a square clipped by the border)
        assert changed.sum() == len(rows) * len(cols) and len(rows) <= 14 and len(cols) <= 14
        assert rows.diff().eq(1).all() and cols.diff().eq(1).all()
        assert len(rows) == 14 or rows[0] == 0 or rows[-1] == 27
        areas.add(len(rows) * len(cols))
    assert 196 in areas and len(areas) > 3


def test_diff_augment_is_seeded_differentiable_and_a_no_op_without_a_policy():
    x = _images(8).requires_grad_(True)
    policy = "color,translation,cutout"
    a = diff_augment(x, policy, torch.Generator().manual_seed(3), -1.0)
    b = diff_augment(x, policy, torch.Generator().manual_seed(3), -1.0)
    assert torch.equal(a, b) and not torch.equal(a, x)
    a.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert diff_augment(x, "", None) is x


def test_spectral_norm_drops_batchnorm_and_bounds_each_layer():
    D = Discriminator(TrainConfig(**TINY).model_config)
    spectral_normalise(D)
    assert not any(isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)) for m in D.modules())
    for _ in range(30):  # power iterations run in train-mode forwards
        D(_images(4))
    layers = [m for m in D.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
    assert len(layers) == 4
    for m in layers:
        sigma = torch.linalg.matrix_norm(m.weight.detach().flatten(1), ord=2)
        assert sigma.item() == pytest.approx(1.0, abs=0.02)


def test_rates_follow_lr_d_and_the_linear_decay(tmp_path):
    cfg = TrainConfig(**TINY, epochs=2, lr=1e-4, lr_d=4e-4, lr_decay="linear")
    assert [cfg.rate_scale(s, 4) for s in (0, 4, 6, 8)] == [1.0, 0.5, 0.25, 0.0]
    assert TrainConfig(**TINY).rate_scale(7, 4) == 1.0
    trainer = GANTrainer(cfg, tmp_path / "run")
    trainer.fit(**QUIET)
    # the last of 8 steps ran at 1/8 of each rate
    assert trainer.opt_G.param_groups[0]["lr"] == pytest.approx(1e-4 / 8)
    assert trainer.opt_D.param_groups[0]["lr"] == pytest.approx(4e-4 / 8)
    vae = VAETrainer(TrainConfig(arch="vae", width=8, latent_dim=4, limit=256, batch_size=64, eval_samples=0,
                                 epochs=2, lr_decay="linear"), tmp_path / "vae")
    vae.fit(**QUIET)
    assert vae.opt.param_groups[0]["lr"] == pytest.approx(1e-3 / 8)


def test_every_recipe_option_at_once_resumes_exactly_and_is_in_the_card(tmp_path):
    train_generator(TrainConfig(epochs=2, **TINY, **EVERYTHING), tmp_path / "straight", **QUIET)
    train_generator(TrainConfig(epochs=2, max_minutes=1e-9, clock="cpu", **TINY, **EVERYTHING),
                    tmp_path / "resumed", **QUIET)  # stops after its first step
    train_generator(TrainConfig(epochs=2, **TINY, **EVERYTHING), tmp_path / "resumed", resume=True, **QUIET)
    assert_same_run(tmp_path / "straight", tmp_path / "resumed")
    recipe = json.loads((tmp_path / "straight" / "card.json").read_text())["recipe"]
    assert recipe == {"loss": "hinge", "spectral_norm": True, "lr_d": 8e-4, "betas": [0.0, 0.9],
                      "lr_decay": "linear", "diffaugment": "color,translation,cutout"}


def test_each_option_changes_the_run(tmp_path):
    """None of them is silently ignored: each alone trains other weights than the default (three
    steps on the same batch, as an epoch's first three would)."""
    real = torch.randint(0, 256, (64, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))

    def weights(name, **options):
        trainer = GANTrainer(TrainConfig(epochs=1, **TINY, **options), tmp_path / name)
        trainer.steps_per_epoch = 4  # as fit() sets it for TINY's 256 images
        for _ in range(3):
            trainer.train_step(real)
            trainer.state.history["loss_D"].append(0.0)  # steps_done counts the history
        return trainer.G.state_dict()

    base = weights("base")
    for name, option in [("loss", dict(loss="hinge")), ("sn", dict(spectral_norm=True)), ("lr_d", dict(lr_d=1e-3)),
                         ("beta2", dict(beta2=0.9)), ("decay", dict(lr_decay="linear")),
                         ("aug", dict(diffaugment="translation"))]:
        other = weights(name, **option)
        assert any(not torch.equal(base[k], other[k]) for k in base), name


def test_recipe_refusals(tmp_path, run_cli):
    with pytest.raises(ConfigError, match="for a GAN's discriminator, and vae is a VAE"):
        TrainConfig(arch="vae", spectral_norm=True).validate()
    with pytest.raises(ConfigError, match="beta2 must be in"):
        TrainConfig(beta2=1.0).validate()
    train_generator(TrainConfig(epochs=1, **TINY), tmp_path / "run", **QUIET)
    with pytest.raises(ConfigError, match="--loss was bce, now hinge"):
        GANTrainer(TrainConfig(epochs=2, **TINY, loss="hinge"), tmp_path / "run", resume=True)
    GANTrainer(TrainConfig(epochs=2, **TINY, lr_d=4e-4), tmp_path / "run", resume=True)  # lr_d = lr: the same run
    result = run_cli("train", "--diffaugment", "translation,blur", "--out", tmp_path / "bad")
    assert_one_line_error(result, "--diffaugment", "'blur'", "translation")
    result = run_cli("train", "--arch", "conv-vae", "--loss", "hinge", "--lr-d", "1e-3", "--out", tmp_path / "bad")
    assert_one_line_error(result, "--loss hinge, --lr-d", "conv-vae is a VAE")
    assert not (tmp_path / "bad").exists()
