"""VAEs in the zoo (models/vae.py, training/vae.py, measure/elbo.py): the reference's network and
loss on the same weights and noise, the ELBO's closed forms, a run that resumes exactly, and the
encoder that invert starts from."""

import pytest
import torch
from conftest import QUIET, assert_one_line_error, assert_same_run
from safetensors.torch import load_file
from torch import nn

from latentkit.errors import ConfigError
from latentkit.generator.cards import read_card
from latentkit.measure.elbo import INACTIVE_NATS, elbo
from latentkit.models import Discriminator, GANConfig, Generator, VAEEncoder
from latentkit.models.vae import kl_per_dim
from latentkit.training.train import TrainConfig, train_generator
from latentkit.training.vae import _VAE

TINY = dict(arch="vae", width=16, latent_dim=4, limit=256, batch_size=64, eval_samples=0)  # 4 steps/epoch


def _reference():
    """docs/examples/pytorch_vae.py: pytorch/examples' VAE and loss, as published."""
    import importlib.util

    from conftest import REPO

    spec = importlib.util.spec_from_file_location("pytorch_vae", REPO / "docs" / "examples" / "pytorch_vae.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_vae_is_pytorch_examples_vae_layer_for_layer_with_the_same_loss():
    reference = _reference()
    torch.manual_seed(0)
    ref = reference.VAE()
    encoder, decoder = VAEEncoder(GANConfig("vae", 20, 400)), Generator(GANConfig("vae", 20, 400))
    state = ref.state_dict()
    encoder.net.load_state_dict({k: v for k, v in state.items() if k[:3] in ("fc1", "fc2")})
    decoder.net.load_state_dict({k: v for k, v in state.items() if k[:3] in ("fc3", "fc4")})
    x = torch.rand(8, 1, 28, 28)
    torch.manual_seed(1)
    recon_ref, mu_ref, logvar_ref = ref(x)
    torch.manual_seed(1)
    eps = torch.randn(8, 20)
    recon, mu, logvar = _VAE(encoder, decoder)(x, eps)
    torch.testing.assert_close(recon.flatten(1), recon_ref)
    from latentkit.models.vae import reconstruction_nats

    ours = reconstruction_nats(recon, x).sum() + kl_per_dim(mu, logvar).sum()
    torch.testing.assert_close(ours, reference.loss_function(recon_ref, x, mu_ref, logvar_ref))


def test_kl_per_dim_has_the_closed_form_and_elbo_finds_a_planted_unused_dimension():
    mu, logvar = torch.tensor([[0.0, 1.0, 0.0]]), torch.tensor([[0.0, 0.0, 2.0]])
    expected = torch.tensor([[0.0, 0.5, 0.5 * (torch.e**2 - 1 - 2)]])  # 0.5 (mu^2 + sigma^2 - 1 - log sigma^2)
    torch.testing.assert_close(kl_per_dim(mu, logvar), expected)

    class Planted(nn.Module):  # dimension 0 is the prior whatever the image; 1 and 2 carry the mean ink
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.ones(1))

        def forward(self, x):
            ink = x.flatten(1).mean(1, keepdim=True) * 10
            mu = torch.cat([torch.zeros_like(ink), ink, -ink], 1)
            return mu, torch.zeros_like(mu)

    decoder = Generator(GANConfig("vae", 3, 8))
    measured = elbo(Planted(), decoder, torch.randint(0, 256, (50, 28, 28), dtype=torch.uint8))
    assert measured["kl_per_dim"][0] == 0 < INACTIVE_NATS < min(measured["kl_per_dim"][1:])
    assert measured["active_dims"] == 2
    assert measured["elbo"] == pytest.approx(-(measured["reconstruction"] + measured["kl"]))


def test_a_vae_run_writes_its_elbo_encoder_and_curves_and_resumes_exactly(tmp_path):
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    card = train_generator(TrainConfig(epochs=2, **TINY), straight, **QUIET)
    assert [e["epoch"] for e in card["elbo"]] == [1, 2] and len(card["elbo"][-1]["kl_per_dim"]) == 4
    assert card["config"]["latent_dim"] == 4 and card["lr"] == 1e-3
    for name in ("encoder.safetensors", "loss.png", "kl_per_dim.png", "samples.png", "history.h5"):
        assert (straight / name).is_file(), name
    assert not (straight / "d_outputs.png").exists()
    train_generator(TrainConfig(epochs=1, **TINY), resumed, **QUIET)
    train_generator(TrainConfig(epochs=2, **TINY), resumed, resume=True, **QUIET)
    assert_same_run(straight, resumed)
    ea, eb = load_file(str(straight / "encoder.safetensors")), load_file(str(resumed / "encoder.safetensors"))
    assert all(torch.equal(ea[k], eb[k]) for k in ea)
    assert read_card(resumed / "card.json")["elbo"] == card["elbo"]


def test_invert_starts_from_a_vae_run_s_own_encoder_which_alone_gives_the_decoded_posterior_mean(tmp_path):
    from latentkit.analyses.invert import default_encoder, run
    from latentkit.generator.registry import load_generator
    from latentkit.training.encoder import load_encoder

    folder = tmp_path / "run"
    train_generator(TrainConfig(epochs=1, **TINY), folder, **QUIET)
    assert default_encoder(folder) == folder / "encoder.safetensors"
    assert default_encoder(folder / "generator.safetensors") == folder / "encoder.safetensors"
    result, _ = run(str(folder), indices="0:6", steps=0, init="auto", out=tmp_path / "inv", progress=False)
    assert result.params["init"] == "encoder"
    targets = torch.from_numpy(result.targets).float().div(255).unsqueeze(1)
    with torch.no_grad():
        mu = load_encoder(folder / "encoder.safetensors")(targets)
        expected = load_generator(folder)(mu).mul(255).round().squeeze(1)
    assert (expected - torch.from_numpy(result.reconstructions).float()).abs().max() <= 1


def test_a_vae_has_no_discriminator_and_refuses_a_weight_average():
    with pytest.raises(ConfigError, match="vae is a VAE: it has no discriminator"):
        Discriminator(GANConfig("vae", 20, 400))
    with pytest.raises(ConfigError, match="drop --ema"):
        TrainConfig(arch="vae", ema=0.999).validate()
    assert TrainConfig(arch="vae").latent_dim == 20 and TrainConfig(arch="dcgan").latent_dim == 100


def test_train_vae_from_the_cli_reports_the_test_elbo_and_refuses_ema(run_cli, tmp_path):
    result = run_cli("train", "--arch", "conv-vae", "--epochs", "1", "--limit", "256", "--width", "4",
                     "--latent-dim", "4", "--eval-samples", "0", "--out", tmp_path / "run", "-q")
    assert result.exit_code == 0, result.output
    assert "test set: ELBO" in result.output and "of 4 latent dimensions active" in result.output
    assert "test ELBO" in result.output.splitlines()[-1]
    refused = run_cli("train", "--arch", "vae", "--ema", "0.99", "--out", tmp_path / "ema")
    assert_one_line_error(refused, "drop --ema")
    assert not (tmp_path / "ema").exists()
