"""The encoder (z <- image) behind `invert --init encoder`: it learns, round-trips, refuses bad files."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from conftest import assert_one_line_error

from latentkit.errors import CheckpointError, ConfigError
from latentkit.generator.inference import inference_copy
from latentkit.training.encoder import (
    Encoder,
    EncoderConfig,
    EncoderTrainConfig,
    load_encoder,
    measure,
    save_encoder,
    train_encoder,
)

QUICK = EncoderTrainConfig(steps=150, batch_size=32, image_weight=0.0, width=4, hidden=32, held_out=300,
                           real_images=0)


@pytest.fixture(scope="module")
def trained(known_generator):
    return train_encoder(known_generator, QUICK, progress=False)


@pytest.fixture
def with_command():
    """The main group with train-encoder registered (until cli/main.py registers it itself)."""
    from latentkit.cli.encoder import train_encoder as command
    from latentkit.cli.main import cli

    added = "train-encoder" not in cli.commands
    if added:
        cli.add_command(command)
    yield
    if added:
        del cli.commands["train-encoder"]


def test_training_lowers_the_latent_error_and_learns_which_dims_matter(known_generator, trained):
    encoder, metrics = trained
    torch.manual_seed(QUICK.seed)
    untrained = Encoder(dataclasses.replace(encoder.config))
    before = measure(untrained, inference_copy(known_generator), QUICK)["z_mse"]
    assert metrics["z_mse"] < 0.6 * before, f"held-out z MSE {metrics['z_mse']:.3f}, untrained {before:.3f}"
    assert metrics["pixel_mse_generated"] < metrics["pixel_mse_prior"], metrics
    # known_generator ignores dim 3 and is dominated by dim 5: only the second can be read off an image.
    z = known_generator.sample_latents(500, seed=123)
    with torch.no_grad():
        error = (encoder(known_generator(z)) - z).pow(2).mean(0)
    assert error[5] < 0.2 < 0.8 < error[3], f"per-dim squared error {error.tolist()}"


def test_training_is_deterministic_and_the_image_term_trains(known_generator):
    config = dataclasses.replace(QUICK, steps=10, image_weight=5.0)
    a, metrics_a = train_encoder(known_generator, config, progress=False)
    b, metrics_b = train_encoder(known_generator, config, progress=False)
    for (name, x), y in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(x, y), name
    assert {k: v for k, v in metrics_a.items() if k != "train_seconds"} == \
        {k: v for k, v in metrics_b.items() if k != "train_seconds"}


def test_metrics_on_real_test_images(known_generator):
    config = dataclasses.replace(QUICK, steps=2, real_images=100)
    _, metrics = train_encoder(known_generator, config, progress=False)
    assert metrics["real_images"] == 100 and 0 <= metrics["pixel_mse_real"] <= 1 and metrics["real_z_norm_mean"] > 0


def test_save_load_round_trip(trained, tmp_path):
    encoder, metrics = trained
    path = save_encoder(encoder, tmp_path / "enc.safetensors", {"metrics": metrics})
    loaded = load_encoder(path, latent_dim=8)
    x = torch.rand(5, 1, 28, 28)
    with torch.no_grad():
        assert torch.equal(encoder(x), loaded(x))
    assert loaded.config == encoder.config and not loaded.training
    assert (tmp_path / "enc.json").is_file()


def test_latent_dim_mismatch_is_refused(trained, tmp_path):
    path = save_encoder(trained[0], tmp_path / "enc.safetensors")
    with pytest.raises(CheckpointError, match="8-dimensional latents but the generator takes 100"):
        load_encoder(path, latent_dim=100)


def _garbage(tmp_path):
    path = tmp_path / "garbage.safetensors"
    path.write_bytes(b"\x00not safetensors at all")
    return path


def _truncated(tmp_path, trained):
    path = save_encoder(trained[0], tmp_path / "cut.safetensors")
    path.write_bytes(path.read_bytes()[:200])
    return path


@pytest.mark.parametrize("make,fragment", [
    (lambda tmp, trained, gen: tmp / "absent.safetensors", "does not exist"),
    (lambda tmp, trained, gen: _garbage(tmp), "corrupt or truncated"),
    (lambda tmp, trained, gen: _truncated(tmp, trained), "corrupt or truncated"),
    (lambda tmp, trained, gen: gen, "not a latentkit encoder"),
], ids=["missing", "garbage", "truncated", "a-generator"])
def test_bad_files_give_one_line(make, fragment, tmp_path, trained, tiny_generator_file):
    with pytest.raises(CheckpointError, match=fragment) as err:
        load_encoder(make(tmp_path, trained, tiny_generator_file))
    assert "\n" not in str(err.value)


def test_bad_config_is_refused(known_generator):
    with pytest.raises(ConfigError, match="steps"):
        train_encoder(known_generator, dataclasses.replace(QUICK, steps=0), progress=False)
    with pytest.raises(ConfigError, match="width"):
        Encoder(EncoderConfig(width=0))


def test_cli_trains_and_writes_weights_and_card(run_cli, with_command, tiny_generator_file, tmp_path):
    result = run_cli("train-encoder", "--model", tiny_generator_file, "--steps", "3", "--batch-size", "8",
                     "--out", tmp_path / "enc", "-q")
    assert result.exit_code == 0, result.output
    assert "enc/encoder.safetensors" in result.output and "held-out z MSE" in result.output
    card = __import__("json").loads((tmp_path / "enc" / "card.json").read_text())
    assert card["kind"] == "encoder" and card["seed"] == 0 and card["train"]["steps"] == 3
    assert card["command"].startswith("latentkit train-encoder") and "pixel_mse_real" in card["metrics"]
    assert card["generator_sha256"] and load_encoder(tmp_path / "enc" / "encoder.safetensors", 16)


def test_cli_bad_model_is_one_line(run_cli, with_command):
    assert_one_line_error(run_cli("train-encoder", "--model", "no-such-model", "-q"), "no generator named")


def test_cli_defaults_are_the_librarys():
    from latentkit.cli.encoder import train_encoder as command

    defaults = {p.name: p.default for p in command.params}
    config = EncoderTrainConfig()
    assert (defaults["steps"], defaults["batch_size"], defaults["seed"]) == \
        (config.steps, config.batch_size, config.seed)
