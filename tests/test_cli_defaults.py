"""One source of truth: every analysis option's default is the library function's."""

import inspect

import pytest

from latentkit import analyses
from latentkit.cli import analyses as commands
from latentkit.cli import directions as direction_commands
from latentkit.options.directions import DirectionsOptions
from latentkit.options.edit import EditOptions
from latentkit.options.evaluate import EvalOptions
from latentkit.options.explore import ExploreOptions
from latentkit.options.interpolate import InterpolateOptions
from latentkit.options.invert import InvertOptions
from latentkit.options.latent_map import MapOptions
from latentkit.options.plane import PlaneOptions
from latentkit.options.sweep import SweepOptions

# command -> the library function its options feed (CLI option name -> parameter name when they differ)
PAIRS = [(commands.interpolate, analyses.interpolate, {}), (commands.sweep, analyses.sweep, {}),
         (commands.latent_map, analyses.latent_map, {}), (commands.plane, analyses.plane, {}),
         (commands.evaluate, analyses.evaluate, {}),
         (direction_commands.directions, analyses.find_directions, {}), (direction_commands.edit, analyses.edit, {})]


@pytest.mark.parametrize("command,function,renamed", PAIRS, ids=[c.name for c, _, _ in PAIRS])
def test_cli_defaults_are_the_library_defaults(command, function, renamed):
    parameters = inspect.signature(function).parameters
    checked = 0
    for option in command.params:
        name = renamed.get(option.name, option.name)
        given = option.default is not None and not repr(option.default).endswith("UNSET")
        library = parameters.get(name, inspect.Parameter("x", inspect.Parameter.KEYWORD_ONLY)).default
        if given and library is not inspect.Parameter.empty and not getattr(option, "is_flag", False):
            assert option.default == library, f"{command.name} --{option.name}"
            checked += 1
    assert checked >= 2, "the test compares something"


def test_finite_number_options_show_their_range_in_help(run_cli):
    train_help = " ".join(run_cli("train", "--help").output.split())
    assert "[default: 120.0; x>0]" in train_help and "[default: 0.0004 for dcgan;" in train_help
    assert "0<x<=1000000.0" in run_cli("plane", "--help").output


@pytest.mark.parametrize("spec", [InterpolateOptions, SweepOptions, MapOptions, PlaneOptions, EvalOptions,
                                  DirectionsOptions, EditOptions, InvertOptions, ExploreOptions])
def test_every_stated_option_is_a_click_option_with_its_default_bound_and_help(spec):
    import click

    from latentkit.cli.common import options_from
    from latentkit.options import options_of

    command = options_from(spec)(click.Command("x", callback=lambda **kw: None))
    params = {p.name: p for p in command.params}
    for name, (default, opt) in options_of(spec).items():
        param = params[name]
        assert param.default == default and param.help.startswith(opt.help), name
        if opt.choices:
            assert tuple(param.type.choices) == opt.choices, name
        elif opt.kind in ("int", "float"):
            assert (param.type.min, param.type.max) == (opt.low, opt.high), name


@pytest.mark.parametrize("spec,function", [
    (InterpolateOptions, "interpolate.run"), (SweepOptions, "sweep.run"), (MapOptions, "latent_map.run"),
    (PlaneOptions, "plane.run"), (EvalOptions, "evaluate.run"), (DirectionsOptions, "directions.run"),
    (EditOptions, "edit.run"), (InvertOptions, "invert.run"), (ExploreOptions, "explore.run"),
])
def test_every_run_names_its_options_with_their_stated_defaults(spec, function):
    import importlib

    from latentkit.options import options_of

    module, name = function.split(".")
    parameters = inspect.signature(getattr(importlib.import_module(f"latentkit.analyses.{module}"), name)).parameters
    for option, (default, _) in options_of(spec).items():
        assert parameters[option].default == default, option
    assert not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()), "no hidden **options"


def test_train_help_states_the_architecture_defaults(run_cli):
    from latentkit.models import get_arch

    dcgan = get_arch("dcgan")
    text = " ".join(run_cli("train", "--help").output.split())
    assert f"[default: {dcgan.default_lr:g} for dcgan;" in text
    assert f"{get_arch('r002-dcgan64').default_lr:g}, the write-ups'" in text
    assert f"[default: {dcgan.default_ema:g} for dcgan" in text and f"[default: {dcgan.default_width} for dcgan" in text
