"""`latentkit invert`: real digits into the latent space."""

from __future__ import annotations

import click

from latentkit.cli.common import FiniteFloat, command_line, data_dir_option, model_options, print_paths, quiet_option
from latentkit.names import DATASETS

# The library's InvertConfig defaults (latentkit/space/inversion.py), written out so --help needs no
# torch; tests/test_cli_defaults.py holds them equal.
INITS = ("auto", "encoder", "random")


@click.command()
@click.argument("files", nargs=-1, type=click.Path())
@click.option("--dataset", type=click.Choice(DATASETS), default=None,
              help="With --indices: the dataset [default: the generator's].")
@click.option("--split", type=click.Choice(["train", "test"]), default=None,
              help="With --indices: the split [default: test].")
@click.option("--indices", default=None, help="Images of the split instead of FILES: 0:500, 17, 3,9,12.")
@data_dir_option
@click.option("--init", type=click.Choice(INITS), default="auto", show_default=True,
              help="encoder: start from an encoder's guess, then refine; random: from prior samples; "
                   "auto: the encoder when there is one.")
@click.option("--encoder", type=click.Path(dir_okay=False), default=None,
              help="Encoder file from latentkit train-encoder [default: the bundled generator's].")
@click.option("--steps", type=click.IntRange(0, 100_000), default=100, show_default=True, help="Adam steps.")
@click.option("--restarts", type=click.IntRange(1, 1_000), default=1, show_default=True,
              help="Starts per image (the first is the encoder's); each image keeps its best.")
@click.option("--lr", type=FiniteFloat(0, 10, lo_open=True), default=0.1, show_default=True)
@click.option("--feature-weight", type=FiniteFloat(0, 1e6), default=0.05, show_default=True,
              help="Weight of the classifier-feature distance beside pixel MSE.")
@click.option("--prior-weight", type=FiniteFloat(0, 1e6), default=0.01, show_default=True,
              help="Weight of (|z|/sqrt(d) - 1)^2, keeping z where the prior is.")
@quiet_option
@model_options
@click.pass_context
def invert(ctx: click.Context, files: tuple[str, ...], **options) -> None:
    """Find the latents of real digits: the generator's best drawing of each, compared with
    the nearest of 10,000 generated samples, per class (reachability).

    FILES are PNG/JPEG images of any size (made to look like MNIST: grey, light ink on black,
    20x20 box, centred by mass), folders of them, .npy arrays (N x 28 x 28) or IDX files.
    invert.npy holds the latents for `edit --z` and `interpolate --from-z`.

    \b
        latentkit invert --indices 0:1000
        latentkit invert my_digit.png scans/
        latentkit invert --indices 0:100 --init random --steps 300
    """
    from latentkit.analyses.invert import run

    result, paths = run(files=files, command=command_line(ctx), **options)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    s = result.summary()
    click.echo(f"{s['images']} images: read as the real digit {s['agreement']:.1%} (nearest sample "
               f"{s['nearest_agreement']:.1%}), pixel MSE {s['mse']:.4f} (nearest {s['nearest_mse']:.4f}), "
               f"median PSNR {s['psnr_median']:.1f} dB")
    print_paths(paths)
