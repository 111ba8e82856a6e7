"""`latentkit directions` and `latentkit edit`: find named directions, and follow them."""

from __future__ import annotations

import click

from latentkit import limits
from latentkit.cli.common import command_line, model_options, options_from, print_paths, quiet_option
from latentkit.options.directions import DirectionsOptions
from latentkit.options.edit import EditOptions


def class_list(ctx, param, text: str | None) -> tuple[str, ...]:
    """click callback: "1,7" or "1,sneaker" -> ("1", "7"); names are checked once the classifier is known."""
    if text is None:
        return ()
    items = tuple(x.strip() for x in text.split(","))
    if not all(items) or len(items) > limits.MAX_VALUES:
        raise click.BadParameter(f"{text!r} is not a comma-separated list of classes, e.g. 1,7")
    return items


def pair_list(ctx, param, text: str | None) -> tuple[tuple[str, str], ...]:
    """click callback: "3:8,9:4" -> (("3", "8"), ("9", "4"))."""
    pairs = []
    for item in class_list(ctx, param, text):
        a, sep, b = item.partition(":")
        if not sep or not a.strip() or not b.strip() or ":" in b:
            raise click.BadParameter(f"{item!r} is not FROM:TO, e.g. 3:8")
        pairs.append((a.strip(), b.strip()))
    return tuple(pairs)


def strength_range(ctx, param, text: str | None) -> tuple[float, float, int | None] | None:
    """click callback: "0:6" -> (0, 6, None); "-3:3:7" -> (-3, 3, 7), the count setting --steps."""
    if text is None:
        return None
    parts = text.split(":")
    try:
        if len(parts) not in (2, 3):
            raise ValueError
        lo, hi = float(parts[0]), float(parts[1])
        count = int(parts[2]) if len(parts) == 3 else None
    except ValueError:
        raise click.BadParameter(f"{text!r} is not START:STOP or START:STOP:COUNT, e.g. 0:6 or -3:3:7") from None
    if not all(abs(v) <= limits.MAX_EXTENT for v in (lo, hi)) or (count is not None and not 2 <= count <= 1000):
        raise click.BadParameter(f"{text!r} needs finite START and STOP within ±{limits.MAX_EXTENT:g} "
                                 "and a COUNT from 2 to 1000")
    return lo, hi, count


@click.command()
@options_from(DirectionsOptions)
@click.option("--pairs", callback=pair_list, help="classifier: also a boundary per class pair, FROM:TO,...: 3:8,9:4.")
@click.option("--condition-on", callback=class_list,
              help="classifier: remove these classes' normals from every other direction: 1,7.")
@click.option("--layer", default=None, help="pca: the layer to decompose [default: the first hidden layer].")
@quiet_option
@model_options
@click.pass_context
def directions(ctx: click.Context, **options) -> None:
    """Find directions in the latent space and name each by what it does to the class.

    Keys pick a direction later (latentkit edit --direction FILE.h5:KEY): 8 (8-vs-rest),
    3:8 (pair), sefa0, pc0, mean8.

    \b
        latentkit directions
        latentkit directions --method classifier --pairs 3:8,9:4 --condition-on 1
        latentkit directions --method sefa --top 5
    """
    from latentkit.analyses.directions import run

    result, paths = run(command=command_line(ctx), **options)
    for i in result.ranking()[:5]:
        click.echo(f"{result.keys[i]:>8}  {result.names[i]}")
    if result.params.get("skipped_classes"):
        click.echo(f"note: too few confident latents for classes {result.params['skipped_classes']}; "
                   "they have no direction", err=True)
    print_paths(paths)


@click.command()
@click.option("--from", "start", default=None, help="Start from latents read as this class (number or name).")
@click.option("--toward", default=None, help="Move toward this class, or 'all' for the style grid.")
@click.option("--direction", default=None, help="Follow a stored direction instead: directions.h5:KEY (or index).")
@click.option("--z", type=click.Path(dir_okay=False), default=None, help="Start from your own latents (.npy, n x d).")
@click.option("--image", type=click.Path(), default=None,
              help="Start from real digits: a picture (or folder of them), inverted first (latentkit invert).")
@options_from(EditOptions)
@click.option("--strength", "strength_text", callback=strength_range, default=None,
              help="START:STOP distance along the direction [default: 0:6; -3:3 for --direction]; "
                   "START:STOP:COUNT also sets --steps.")
@click.option("--condition-on", callback=class_list, help="Keep these classes fixed: their normals are projected out.")
@quiet_option
@model_options
@click.pass_context
def edit(ctx: click.Context, strength_text, **options) -> None:
    """Move latents along a direction and watch the classifier's reading change.

    \b
        latentkit edit --from 3 --toward 8
        latentkit edit --toward all --samples 6
        latentkit edit --direction run/directions.h5:sefa0 --strength -3:3:7
        latentkit edit --image my_three.png --toward 8
    """
    from latentkit.analyses.edit import run

    if strength_text is not None:
        lo, hi, count = strength_text
        if count is not None:
            steps_given = ctx.get_parameter_source("steps") is not click.core.ParameterSource.DEFAULT
            if steps_given and count != options["steps"]:
                raise click.UsageError(f"--strength gives {count} steps and --steps {options['steps']}; give one")
            options["steps"] = count
        options["strength"] = (lo, hi)
    print_paths(run(command=command_line(ctx), **options)[1])
