"""Analysis commands: each parses its options and calls its analysis module's `run`."""

from __future__ import annotations

import click
from latentkit.cli.common import command_line, model_options, print_paths


@click.command()
@click.option("--from", "start", type=int, default=None, help="Start class (e.g. 9).")
@click.option("--to", "end", type=int, default=None, help="End class (e.g. 4).")
@click.option("--via", type=int, multiple=True, help="Classes to pass through, in order (repeatable).")
@click.option("--from-z", "start_z", type=click.Path(dir_okay=False), help="Start at a latent saved as .npy.")
@click.option("--to-z", "end_z", type=click.Path(dir_okay=False), help="End at a latent saved as .npy.")
@click.option("--steps", type=click.IntRange(min=2), default=10, show_default=True,
              help="Frames per segment, both ends included.")
@click.option("--method", type=click.Choice(["slerp", "lerp"]), default="slerp", show_default=True)
@click.option("--pairs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Rows: the n most confident examples of each class.")
@click.option("--pool", type=click.IntRange(min=1), default=2048, show_default=True,
              help="Prior samples searched for each class.")
@click.option("--refine", type=click.IntRange(min=0), default=0, show_default=True,
              help="Gradient steps polishing each endpoint's class probability.")
@click.option("--gif", is_flag=True, help="Also write the frames as an animated GIF.")
@model_options
@click.pass_context
def interpolate(ctx: click.Context, **options) -> None:
    """Walk between latents the classifier reads as two digits.

        latentkit interpolate --from 9 --to 4
        latentkit interpolate --from 3 --via 8 --to 0 --pairs 3 --method lerp
    """
    from latentkit.analyses.interpolate import run

    print_paths(run(command=command_line(ctx), **options))


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
def show(file: str) -> None:
    """Print what a result file holds: provenance, parameters, arrays and their meaning.

        latentkit show latentkit-out/interpolate-*/interpolate.h5
    """
    from latentkit.results import describe_result

    click.echo(describe_result(file))


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--out", "out_png", type=click.Path(dir_okay=False), default=None,
              help="PNG to write [default: FILE with .png].")
def plot(file: str, out_png: str | None) -> None:
    """Re-render a result file's figure, with no model loaded.

        latentkit plot run/interpolate.h5 --out figure.png
    """
    from latentkit.replot import replot

    print_paths([replot(file, out_png)])
