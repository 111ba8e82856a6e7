"""`latentkit invert`: real digits into the latent space."""

from __future__ import annotations

import click

from latentkit.cli.common import (
    command_line,
    data_dir_option,
    model_options,
    options_from,
    print_paths,
    quiet_option,
)
from latentkit.names import DATASETS
from latentkit.options.invert import InvertOptions


@click.command()
@click.argument("files", nargs=-1, type=click.Path())
@click.option("--dataset", type=click.Choice(DATASETS), default=None,
              help="With --indices: the dataset [default: the generator's].")
@click.option("--split", type=click.Choice(["train", "test"]), default=None,
              help="With --indices: the split [default: test].")
@click.option("--indices", default=None, help="Images of the split instead of FILES: 0:500, 17, 3,9,12.")
@data_dir_option
@click.option("--encoder", type=click.Path(dir_okay=False), default=None,
              help="Encoder file from latentkit train-encoder [default: the bundled generator's].")
@options_from(InvertOptions)
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
