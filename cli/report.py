"""`latentkit report`: one self-contained HTML page about a generator, or a comparison."""

from __future__ import annotations

import click

from latentkit.cli.common import command_line, complete_models, options_from, out_option, quiet_option, seed_option
from latentkit.cli.directions import pair_list
from latentkit.generator.registry import DEFAULT_GENERATOR
from latentkit.options.compare import DEFAULT_PAIRS
from latentkit.options.report import ReportOptions


@click.command()
@click.option("--model", default=DEFAULT_GENERATOR, show_default=True, shell_complete=complete_models("generator"),
              help="Generator: bundled name, run folder, .safetensors file, TorchScript file, or "
                   "path/to/file.py:function.")
@click.option("--compare", "compare_with", multiple=True, shell_complete=complete_models("generator"),
              help="Also compare it with this generator (repeatable), as `latentkit compare` does.")
@click.option("--pairs", callback=pair_list, default=",".join(f"{a}:{b}" for a, b in DEFAULT_PAIRS),
              show_default=True, help="Class pairs FROM:TO interpolated (and compared).")
@options_from(ReportOptions)
@seed_option()
@out_option("report")
@quiet_option
@click.pass_context
def report(ctx: click.Context, **options) -> None:
    """Write one HTML page about a generator: its card, metrics beside real data, the
    truncation curve, interpolations, the coordinates that matter, the interactive map,
    directions, the style grid of edits and which real digits it can draw, each with a
    sentence of what it shows and the command that reproduces it.

    The page is self-contained (figures and the map's JavaScript inline): it opens from
    a file with no network. Each analysis' .h5 and .png sit beside it.

    \b
        latentkit report
        latentkit report --model mnist-dcgan --compare mnist-vae --out report
    """
    from latentkit.analyses.report import report as run

    click.echo(f"wrote {run(command=command_line(ctx), **options)}")
