"""--help renders every command's examples one per line, and lists the class names where classes are given."""

import pytest

from latentkit.cli.main import cli

COMMANDS = sorted(cli.commands)


@pytest.mark.parametrize("name", COMMANDS)
def test_examples_render_on_their_own_lines(run_cli, name):
    examples = [line.strip() for line in (cli.commands[name].help or "").splitlines()
                if line.strip().startswith("latentkit ")]
    rendered = [line.strip() for line in run_cli(name, "--help").output.splitlines()]
    missing = [example for example in examples if example not in rendered]
    assert not missing, f"`latentkit {name} --help` re-wrapped {missing} (a \\b paragraph keeps the lines)"


@pytest.mark.parametrize("name", ["interpolate", "sweep", "map", "plane", "eval", "show", "plot"])
def test_analysis_commands_show_examples(name):
    assert any(line.strip().startswith("latentkit ") for line in cli.commands[name].help.splitlines())


@pytest.mark.parametrize("name", ["interpolate", "plane"])
def test_class_names_are_listed_where_classes_are_given(run_cli, name):
    output = " ".join(run_cli(name, "--help").output.split())
    assert "mnist 0-9" in output and "7 sneaker, 8 bag, 9 ankle-boot" in output


def test_eval_help_names_each_metric_once(run_cli):
    description = run_cli("eval", "--help").output.split("Options:")[0]
    assert description.count("coverage") == 1, description
