"""`latentkit compare`: the same battery on several generators, side by side."""

from __future__ import annotations

import click

from latentkit.cli.common import (
    FiniteFloat,
    command_line,
    complete_models,
    data_dir_option,
    device_option,
    options_from,
    out_option,
    print_paths,
    quiet_option,
)
from latentkit.cli.directions import pair_list
from latentkit.options.compare import DEFAULT_PAIRS, CompareOptions


@click.command()
@click.argument("models", nargs=-1, required=True, shell_complete=complete_models("generator"))
@click.option("--truncation", "truncations", type=FiniteFloat(0, 1, lo_open=True), multiple=True,
              help="ψ for every model, or once per model in order (repeat it): compare a model with itself "
                   "truncated [default: 1].")
@click.option("--pairs", callback=pair_list, default=",".join(f"{a}:{b}" for a, b in DEFAULT_PAIRS),
              show_default=True, help="Class pairs FROM:TO whose paths and edits are measured.")
@options_from(CompareOptions)
@click.option("--classifier", default=None, shell_complete=complete_models("classifier"),
              help="Classifier that reads every model [default: the bundled one of their dataset].")
@device_option
@out_option("compare")
@data_dir_option
@quiet_option
@click.pass_context
def compare(ctx: click.Context, models: tuple[str, ...], **options) -> None:
    """Measure generators the same way, with the same seeds, and print their differences.

    MODELS are two or more generators (bundled names, run folders, files, or
    path/to/file.py:function), all of one dataset. Each gets eval's metrics, class shares,
    the class changes and path length along interpolations between each --pairs pair, edit
    success from one class toward the other, and SeFa's spectrum. Every difference to the
    first model has its spread over --seeds; those beyond twice it are marked *.
    Writes compare.h5, compare.png and compare.txt (the table).

    \b
        latentkit compare mnist-dcgan mnist-vae
        latentkit compare mnist-dcgan mnist-dcgan --truncation 1 --truncation 0.7
        latentkit compare runs/a runs/b --samples 5000 --seeds 5 --pairs 4:9
    """
    from latentkit.analyses.compare import format_table, run

    result, paths = run(list(models), command=command_line(ctx), **options)
    click.echo(format_table(result))
    print_paths(paths)
