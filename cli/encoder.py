"""`latentkit train-encoder`: train the encoder (z <- image) that `invert --init encoder` starts from."""

from __future__ import annotations

import click

from latentkit.cli.common import command_line, complete_models, data_dir_option, device_option, seed_option
from latentkit.generator.registry import DEFAULT_GENERATOR
from latentkit.limits import MAX_BATCH

# EncoderTrainConfig's defaults, written out so `--help` needs no torch (latentkit/training/encoder.py imports
# it); tests/test_encoder.py holds them equal.
STEPS = 1500
BATCH_SIZE = 64


@click.command("train-encoder")
@click.option("--model", default=DEFAULT_GENERATOR, show_default=True, shell_complete=complete_models("generator"),
              help="Generator to invert: bundled name, run folder, .safetensors file, TorchScript file "
                   "or path/to/file.py:function.")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Folder for encoder.safetensors and card.json [default: runs/encoder-MODEL].")
@click.option("--steps", type=click.IntRange(1, 10_000_000), default=STEPS, show_default=True,
              help="Training steps, each on a fresh batch of the generator's samples.")
@click.option("--batch-size", type=click.IntRange(2, MAX_BATCH), default=BATCH_SIZE, show_default=True)
@seed_option(help="Seeds the encoder's init and every latent drawn.")
@device_option
@data_dir_option
@click.option("--quiet", "-q", "progress", is_flag=True, flag_value=False, default=True,
              help="No progress bar on stderr.")
@click.pass_context
def train_encoder(ctx: click.Context, model: str, out: str | None, device: str, progress: bool, **options) -> None:
    """Train an encoder (z <- image) on a generator's own samples.

    `latentkit invert --init encoder` starts from its guess and refines it. The
    card records held-out z and pixel errors, and the pixel error on real test
    images when the dataset is at hand.

    \b
        latentkit train-encoder
        latentkit train-encoder --model runs/dcgan-mnist --steps 500 --out runs/enc
    """
    from latentkit.training.encoder import EncoderTrainConfig, encoder_summary, train_encoder_run

    out = out or f"runs/encoder-{_folder_name(model)}"
    weights, card_path, card = train_encoder_run(model, out, EncoderTrainConfig(**options), device=device,
                                                 command=command_line(ctx), progress=progress)
    click.echo(f"wrote {weights} and {card_path} ({encoder_summary(card)})")


def _folder_name(model: str) -> str:
    """A generator name or path as one folder name: runs/dcgan-mnist -> dcgan-mnist."""
    from pathlib import Path

    path = Path(model.rpartition(":")[0] if ".py:" in model else model)  # file.py:make -> file.py
    return (path.stem if path.suffix else path.name) or "model"
