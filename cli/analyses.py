"""Analysis commands: each parses its options and calls its analysis module's `run`."""

from __future__ import annotations

import click
from click.core import ParameterSource

from latentkit.cli.common import (
    command_line,
    complete_models,
    data_dir_option,
    device_option,
    float_list,
    int_list,
    model_options,
    options_from,
    out_option,
    print_paths,
    quiet_option,
    seed_option,
    value_range,
)
from latentkit.names import CLASSES, TRUNCATION_PSIS, class_choices
from latentkit.options.evaluate import EvalOptions
from latentkit.options.evolve import EvolveOptions
from latentkit.options.interpolate import InterpolateOptions
from latentkit.options.latent_map import MapOptions
from latentkit.options.plane import PlaneOptions
from latentkit.options.sweep import SweepOptions

NOT_SWEPT = ("ppl_paths", "reachability", "truncation")  # eval's options that --truncation-sweep has no use for
# Shown under the commands that take classes; the library resolves the names once the model's dataset is known.
CLASS_NAMES_HELP = "A class is a number or a name, in any case: " + "; ".join(
    f"{dataset} {class_choices(names)}" for dataset, names in CLASSES.items()) + "."


def class_list(ctx: click.Context, param: click.Parameter, text: str | None) -> tuple[str, ...] | None:
    """click callback: "9,4,7" or "sneaker,bag,coat" -> the items, resolved to classes by the library."""
    return None if text is None else tuple(item.strip() for item in text.split(","))



@click.command(epilog=CLASS_NAMES_HELP)
@click.option("--from", "start", metavar="CLASS", default=None, help="Start class (e.g. 9, or ankle-boot).")
@click.option("--to", "end", metavar="CLASS", default=None, help="End class (e.g. 4, or sneaker).")
@click.option("--via", metavar="CLASS", multiple=True, help="Classes to pass through, in order (repeatable).")
@click.option("--from-z", "start_z", type=click.Path(dir_okay=False), help="Start at a latent saved as .npy.")
@click.option("--to-z", "end_z", type=click.Path(dir_okay=False), help="End at a latent saved as .npy.")
@click.option("--from-image", "start_image", type=click.Path(dir_okay=False),
              help="Start at a real digit: a picture, inverted first (latentkit invert).")
@click.option("--to-image", "end_image", type=click.Path(dir_okay=False), help="End at a real digit's picture.")
@click.option("--from-test", "start_test", type=click.IntRange(0), default=None,
              help="Start at this test-set image of the generator's dataset, inverted first.")
@click.option("--to-test", "end_test", type=click.IntRange(0), default=None, help="End at this test-set image.")
@options_from(InterpolateOptions)
@click.option("--gif", is_flag=True, help="Also write the frames as an animated GIF.")
@data_dir_option
@quiet_option
@model_options
@click.pass_context
def interpolate(ctx: click.Context, **options) -> None:
    """Walk between latents the classifier reads as two classes.

    \b
        latentkit interpolate --from 9 --to 4
        latentkit interpolate --from 3 --via 8 --to 0 --pairs 3 --method lerp
        latentkit interpolate --from-test 17 --to-test 4 --steps 8
        latentkit interpolate --model fashion-mnist-dcgan --from ankle-boot --to sneaker
    """
    from latentkit.analyses.interpolate import run

    print_paths(run(command=command_line(ctx), **options)[1])


@click.command()
@click.option("--dims", callback=int_list, help="0-based latent coordinates, comma-separated: 5,25,45.")
@click.option("--values", "values_list", callback=float_list, help="Values to set them to [default: -3,0,3].")
@click.option("--range", "values_range", callback=value_range, help="START:STOP:COUNT instead of --values.")
@options_from(SweepOptions)
@quiet_option
@model_options
@click.pass_context
def sweep(ctx: click.Context, values_list, values_range, **options) -> None:
    """Vary single latent coordinates and measure what each controls.

    Dims count from 0 (R001's "coordinate 5" counting from 1 is dim 4 here).

    \b
        latentkit sweep --dims 5,25,45 --values -3,0,3 --samples 3
        latentkit sweep --rank --samples 32
    """
    from latentkit.analyses.sweep import run

    if values_list and values_range:
        raise click.UsageError("give --values or --range, not both")
    if values_list or values_range:  # else the library's default values
        options["values"] = values_list or values_range
    print_paths(run(command=command_line(ctx), **options)[1])


@click.command("map")
@options_from(MapOptions)
@data_dir_option
@quiet_option
@model_options
@click.pass_context
def latent_map(ctx: click.Context, **options) -> None:
    """Sample the latent space, label every sample, project it to 2-D and plot it.

    \b
        latentkit map --samples 10000
        latentkit map --space features --method pca --thumbnails
    """
    from latentkit.analyses.latent_map import run

    print_paths(run(command=command_line(ctx), **options)[1])


@click.command()
@click.argument("run_folder", metavar="RUN", type=click.Path(file_okay=False))
@options_from(EvolveOptions)
@click.option("--classifier", default=None, shell_complete=complete_models("classifier"),
              help="Classifier [default: the bundled classifier of the run's dataset].")
@click.option("--allow-mismatch", is_flag=True, help="Read the snapshots with a classifier of another dataset.")
@seed_option()
@device_option
@out_option("evolve")
@data_dir_option
@quiet_option
@click.pass_context
def evolve(ctx: click.Context, **options) -> None:
    """Follow the same latents through a run's training snapshots.

    Needs a run trained with --snapshot-every (or --snapshot-images). Writes evolve.h5,
    evolve.png (grids, map, class shares, stability, boundaries, SeFa spectrum), evolve.gif
    and evolve.html (the map with a slider through the snapshots).

    \b
        latentkit train --epochs 3 --snapshot-every 1 --out runs/dcgan3
        latentkit evolve runs/dcgan3
        latentkit evolve runs/dcgan40 --every 5 --method pca
    """
    from latentkit.analyses.evolve import run

    print_paths(run(command=command_line(ctx), **options)[1])


@click.command(epilog=CLASS_NAMES_HELP)
@click.option("--anchors", callback=class_list, metavar="A,B,C",
              help="Three classes the plane passes through: 9,4,7 or sneaker,bag,coat.")
@click.option("--dims", callback=int_list, help="Or two 0-based coordinates of one base latent: 5,25.")
@options_from(PlaneOptions)
@quiet_option
@model_options
@click.pass_context
def plane(ctx: click.Context, **options) -> None:
    """Classify every point of a 2-D slice of latent space.

    \b
        latentkit plane --anchors 9,4,7
        latentkit plane --dims 5,25 --extent 3
        latentkit plane --model fashion-mnist-dcgan --anchors sneaker,sandal,ankle-boot
    """
    from latentkit.analyses.plane import run

    print_paths(run(command=command_line(ctx), **options)[1])


@click.command("eval")
@options_from(EvalOptions)
@data_dir_option
@click.option("--no-yardstick", "yardstick", flag_value=False, default=True,
              help="Skip the real-data column (faster when comparing many generators).")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON instead of a table.")
@click.option("--truncation-sweep", is_flag=True,
              help="Instead: FID, precision, recall and confident share at each --psis value (truncation.h5/.png).")
@click.option("--psis", callback=float_list, default=",".join(map(str, TRUNCATION_PSIS)), show_default=True,
              help="With --truncation-sweep: the ψ values, each in (0, 1].")
@quiet_option
@model_options
@click.pass_context
def evaluate(ctx: click.Context, as_json: bool, truncation_sweep: bool, psis: tuple[float, ...], **options) -> None:
    """Score a generator: FID, KID, classifier score, class balance, precision/recall,
    density/coverage, path length, memorisation and Parzen log-likelihood, each beside
    the same number for real data (training images vs the test set).

    --truncation-sweep scores the truncation trick's trade-off instead: the same samples
    scaled toward the prior's mean by each ψ.

    Linear separability rises with --samples (StyleGAN reports it at 200,000): compare it
    only at equal counts; the table marks it ! when a class keeps too few latents.

    \b
        latentkit eval
        latentkit eval --model runs/dcgan-mnist --samples 2000 --json
        latentkit eval --truncation-sweep --psis 1,0.8,0.6,0.4
    """
    import json

    if truncation_sweep:
        _check_sweep_options(ctx)
        from latentkit.analyses.truncation import run as run_sweep

        for name in NOT_SWEPT:
            options.pop(name)
        result, paths = run_sweep(command=command_line(ctx), psis=psis, **options)
        click.echo(json.dumps(result.summary(), indent=2) if as_json else _sweep_table(result))
    else:
        if ctx.get_parameter_source("psis") is ParameterSource.COMMANDLINE:
            raise click.UsageError("--psis is for --truncation-sweep; add it, or use --truncation PSI for one ψ")
        from latentkit.analyses.evaluate import format_table, run

        result, paths = run(command=command_line(ctx), **options)
        click.echo(json.dumps(result.summary(), indent=2) if as_json else format_table(result))
    if not as_json:
        print_paths(paths)


def _check_sweep_options(ctx: click.Context) -> None:
    """UsageError for an option --truncation-sweep would ignore."""
    for name in NOT_SWEPT:
        if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE:
            flag = "--" + name.replace("_", "-")
            raise click.UsageError(f"{flag} does not apply to --truncation-sweep, which scores every --psis value "
                                   f"with FID, precision, recall and class metrics; drop {flag}")


def _sweep_table(result) -> str:
    """One row per ψ: the sweep's metrics, then the training images' when measured."""
    names = list(result.metrics)
    rows = [["psi", *names]]
    rows += [[f"{psi:g}", *(f"{result.curve(n)[i]:.4g}" for n in names)] for i, psi in enumerate(result.psis)]
    if all("real" in result.metrics[n] for n in names):
        rows.append(["real", *(f"{result.metrics[n]['real']:.4g}" for n in names)])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join([*lines, f"lowest FID at psi = {result.best_psi:g}"])


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
def show(file: str) -> None:
    """Print what a result file holds: provenance, parameters, arrays and their meaning.

    Text from the file is printed with control characters escaped and long values cut.

    \b
        latentkit show latentkit-out/interpolate-*/interpolate.h5
    """
    from latentkit.results.stored import describe_result

    click.echo(describe_result(file))


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--out", "out_png", type=click.Path(dir_okay=False), default=None,
              help="PNG to write [default: FILE with .png; with --html, FILE with .html].")
@click.option("--html", is_flag=True,
              help="Write a map's or an evolution's interactive page (map.html, evolve.html) instead of the PNG.")
def plot(file: str, out_png: str | None, html: bool) -> None:
    """Re-render a result file's figure, with no model loaded; the file is checked first.

    \b
        latentkit plot run/interpolate.h5 --out figure.png
        latentkit plot run/map.h5 --html --out map.html
    """
    from latentkit.results.replot import replot, replot_html

    print_paths([(replot_html if html else replot)(file, out_png)])
