"""Helpers shared by the CLI's commands."""

from __future__ import annotations

import math
import shlex

import click
from click.shell_completion import CompletionItem

from latentkit.generator.registry import DEFAULT_GENERATOR
from latentkit.limits import MAX_VALUES, SEED_MAX
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


def options_from(spec: type):
    """A decorator adding a click option for each field of an options dataclass
    (latentkit/options/): --name-with-dashes, its default, bounds or choices, and help."""
    from latentkit.options import options_of

    return stacked([click.option("--" + name.replace("_", "-"), name, **_click_spec(default, opt))
                    for name, (default, opt) in options_of(spec).items()])


def _click_spec(default, opt) -> dict:
    help = opt.help + (f" [default: {opt.shown_default}]" if opt.shown_default else "")
    if opt.kind == "bool":
        return {"is_flag": True, "default": default, "help": help}
    if opt.choices is not None:
        kind = click.Choice(opt.choices)
    elif opt.kind == "int":
        kind = click.IntRange(opt.low, opt.high, min_open=opt.low_open, max_open=opt.high_open)
    elif opt.kind == "float":
        kind = FiniteFloat(opt.low, opt.high, lo_open=opt.low_open, hi_open=opt.high_open)
    else:
        kind = str
    return {"type": kind, "default": default, "show_default": default is not None, "help": help}


class FiniteFloat(click.FloatRange):
    """click's FloatRange without nan and inf, which it lets through: FiniteFloat(0, lo_open=True)
    is a finite number > 0. The range shows in --help as FloatRange's does."""

    def __init__(self, lo: float | None = None, hi: float | None = None, lo_open: bool = False,
                 hi_open: bool = False):
        super().__init__(lo, hi, min_open=lo_open, max_open=hi_open)

    def convert(self, value, param, ctx) -> float:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value} is not a finite number", param, ctx)
        return number


def seed_option(help: str = "Same seed, same arrays."):
    return click.option("--seed", type=click.IntRange(0, SEED_MAX), default=0, show_default=True, help=help)


def complete_models(kind: str, runs_dir: str = "runs"):
    """A shell_complete callback for --model (kind "generator") or --classifier: the bundled
    models and the finished runs under ./runs of that kind, each with its one-line quality as
    help (zsh and fish show it), then the shell's own file completion, for weights files and
    file.py:function paths. Reads JSON cards only, so a TAB answers without importing torch."""

    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
        from latentkit.generator.quality import summary
        from latentkit.generator.registry import list_models

        found = [CompletionItem(e.name, help=summary(e.card)) for e in list_models(runs_dir)
                 if e.kind == kind and e.name.startswith(incomplete)]
        return [*found, CompletionItem(incomplete, type="file")]

    return complete


device_option = click.option("--device", type=click.Choice(DEVICES), default="auto", show_default=True)


def out_option(analysis: str = "ANALYSIS"):
    """--out, an analysis' output folder (output_dir's default named in the help)."""
    return click.option("--out", type=click.Path(file_okay=False), default=None,
                        help=f"Output folder [default: ./latentkit-out/{analysis}-TIMESTAMP/].")


# Shared by every analysis command.
model_options = stacked([
    click.option("--model", default=DEFAULT_GENERATOR, show_default=True, shell_complete=complete_models("generator"),
                 help="Generator: bundled name, run folder, .safetensors file, TorchScript file, "
                      "or path/to/file.py:function returning your own generator module."),
    click.option("--classifier", default=None, shell_complete=complete_models("classifier"),
                 help="Classifier: bundled name, run folder or .safetensors file "
                      "[default: the bundled classifier of the generator's dataset]."),
    click.option("--allow-mismatch", is_flag=True,
                 help="Analyse a generator with a classifier of another dataset (recorded in the result)."),
    seed_option(),
    click.option("--truncation", type=FiniteFloat(0, 1, lo_open=True), default=1.0, show_default=True,
                 help="ψ: draw latents from the prior scaled toward its mean, z = mean + ψ (z - mean) "
                      "(StyleGAN's truncation trick); below 1, more typical, less varied samples. "
                      "Stored in the result."),
    device_option,
    out_option(),
])


# -q for a command whose library function takes `progress: bool` (bars on stderr).
quiet_option = click.option("--quiet", "-q", "progress", is_flag=True, flag_value=False, default=True,
                            help="No progress bars on stderr.")


def _list_of(convert, kind: str, example: str):
    """A click callback parsing "a,b,c" with `convert`, or failing with one clear line."""

    def parse(ctx, param, text: str | None) -> tuple | None:
        if text is None:
            return None
        items = text.split(",")
        if len(items) > MAX_VALUES:
            raise click.BadParameter(f"at most {MAX_VALUES} items (latentkit's limit), got {len(items)}")
        try:
            return tuple(convert(x) for x in items)
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
    except ValueError:
        raise click.BadParameter(f"{text!r} is not START:STOP:COUNT, e.g. -3:3:7") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and 1 <= n <= MAX_VALUES):
        raise click.BadParameter(f"{text!r} needs finite START and STOP and a COUNT from 1 to {MAX_VALUES}")
    return tuple(lo + (hi - lo) * i / max(n - 1, 1) for i in range(n))


def print_paths(paths) -> None:
    for path in paths:
        click.echo(f"wrote {path}")
