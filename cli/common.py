"""Helpers shared by the CLI's commands."""

from __future__ import annotations

import shlex

import click

from latentkit.names import DEVICES

data_dir_option = click.option(
    "--data-dir", type=click.Path(file_okay=False), default=None,
    help="Folder holding MNIST/raw and FashionMNIST/raw (default: $LATENTKIT_DATA, then a per-user cache).",
)


def command_line(ctx: click.Context) -> str:
    """The command as typed, for the model card."""
    return shlex.join(["latentkit", *ctx.find_root().obj["argv"]])


def stacked(options: list):
    """A decorator applying several click options in the order listed."""

    def apply(f):
        for option in reversed(options):
            f = option(f)
        return f

    return apply


# Shared by every analysis command.
model_options = stacked([
    click.option("--model", default="mnist-dcgan", show_default=True,
                 help="Generator: bundled name, run folder or .safetensors file."),
    click.option("--classifier", default="mnist-classifier", show_default=True,
                 help="Classifier: bundled name, run folder or .safetensors file."),
    click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same arrays."),
    click.option("--device", type=click.Choice(DEVICES), default="auto", show_default=True),
    click.option("--out", type=click.Path(file_okay=False), default=None,
                 help="Output folder [default: ./latentkit-out/ANALYSIS-TIMESTAMP/]."),
])


def _list_of(convert, kind: str, example: str):
    """A click callback parsing "a,b,c" with `convert`, or failing with one clear line."""

    def parse(ctx, param, text: str | None) -> tuple | None:
        if text is None:
            return None
        try:
            return tuple(convert(x) for x in text.split(","))
        except ValueError:
            raise click.BadParameter(f"{text!r} is not a comma-separated list of {kind}, e.g. {example}") from None

    return parse


int_list = _list_of(int, "integers", "5,25,45")
float_list = _list_of(float, "numbers", "-3,0,3")


def value_range(ctx, param, text: str | None) -> tuple[float, ...] | None:
    """click callback: "-3:3:7" -> 7 evenly spaced values from -3 to 3."""
    if text is None:
        return None
    try:
        lo, hi, n = text.split(":")
        lo, hi, n = float(lo), float(hi), int(n)
        if n < 1:
            raise ValueError
    except ValueError:
        raise click.BadParameter(f"{text!r} is not START:STOP:COUNT, e.g. -3:3:7") from None
    return tuple(lo + (hi - lo) * i / max(n - 1, 1) for i in range(n))


def print_paths(paths) -> None:
    for path in paths:
        click.echo(f"wrote {path}")
