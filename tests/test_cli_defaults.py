"""One source of truth: every analysis option's default is the library function's."""

import inspect

import pytest

from latentkit import analyses
from latentkit.cli import analyses as commands
from latentkit.cli import directions as direction_commands

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


def test_directions_choices_are_the_librarys():
    import importlib

    # By module path: `latentkit.analyses.edit` is the edit *function*.
    assert direction_commands.METHODS == importlib.import_module("latentkit.analyses.directions").METHODS
    assert direction_commands.BOUNDARIES == importlib.import_module("latentkit.analyses.edit").BOUNDARIES


def test_explore_defaults_are_the_librarys():
    import importlib

    from latentkit.cli import explore

    library = importlib.import_module("latentkit.analyses.explore")
    for name in ("DEFAULT_DIMS", "DEFAULT_ANCHORS", "DEFAULT_TOP"):
        assert getattr(explore, name) == getattr(library, name), name


def test_invert_defaults_are_the_librarys():
    from latentkit.cli import invert
    from latentkit.space.inversion import INITS, InvertConfig

    defaults = {p.name: p.default for p in invert.invert.params}
    for name in ("steps", "restarts", "lr", "feature_weight", "prior_weight", "init"):
        assert defaults[name] == getattr(InvertConfig(), name), name
    assert set(invert.INITS) == set(INITS)


def test_train_help_states_the_architecture_defaults(run_cli):
    from latentkit.models import get_arch

    dcgan = get_arch("dcgan")
    text = " ".join(run_cli("train", "--help").output.split())
    assert f"[default: {dcgan.default_lr:g} for dcgan;" in text
    assert f"{get_arch('r002-dcgan64').default_lr:g}, the write-ups'" in text
    assert f"[default: {dcgan.default_ema:g} for dcgan" in text and f"[default: {dcgan.default_width} for dcgan" in text
