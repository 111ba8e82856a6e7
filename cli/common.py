"""Helpers shared by the CLI's commands."""

from __future__ import annotations

import shlex

import click

from latentkit.names import DEVICES


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


def print_paths(paths) -> None:
    for path in paths:
        click.echo(f"wrote {path}")
