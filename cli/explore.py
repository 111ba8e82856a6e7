"""`latentkit explore`: serve the interactive explorer (analyses/explore.py, latentkit/web/explore_page.py)."""

from __future__ import annotations

import click

from latentkit.cli.analyses import CLASS_NAMES_HELP, class_list
from latentkit.cli.common import command_line, data_dir_option, int_list, model_options, options_from
from latentkit.options.explore import DEFAULT_ANCHORS, DEFAULT_DIMS, ExploreOptions


@click.command(epilog=CLASS_NAMES_HELP)
@options_from(ExploreOptions)
@click.option("--no-browser", "open_browser", flag_value=False, default=True, help="Do not open a browser tab.")
@click.option("--dims", callback=int_list, default=",".join(map(str, DEFAULT_DIMS)), show_default=True,
              help="Latent coordinates (0-based) that get a slider.")
@click.option("--directions", type=click.Path(dir_okay=False),
              help="A `latentkit directions` result: slide along its --top strongest directions "
                   "[default: the classifier's per-class directions and the top SeFa ones, found at start].")
@click.option("--anchors", callback=class_list, metavar="A,B,C", default=",".join(map(str, DEFAULT_ANCHORS)),
              show_default=True, help="Three classes the plane view passes through.")
@data_dir_option
@model_options
@click.pass_context
def explore(ctx: click.Context, **options) -> None:
    """Explore a generator in the browser: sliders, digit picker, interpolation, plane, save.

    Starts a local server (127.0.0.1 only, unless --host), opens the page and runs until
    Ctrl-C. "save" writes the state shown as explore-NNN.h5 + .png into --out, numbered past
    any already there. The address bar keeps the state (base and sliders): reload or share it.
    Directions found at start are cached per generator, so later starts are quick.

    \b
        latentkit explore
        latentkit explore --model fashion-mnist-dcgan --anchors sneaker,sandal,bag --port 8800
        latentkit explore --directions run/directions.h5 --top 8 --no-browser
    """
    from latentkit.analyses.explore import run

    def ready(url: str) -> None:
        click.echo(f"latentkit explore is running at {url} (Ctrl-C stops it)")

    def log(line: str) -> None:
        click.echo(f"explore: {line}", err=True)

    folder = run(command=command_line(ctx), ready=ready, log=log, **options)
    click.echo(f"stopped; saves, if any, are in {folder}")
