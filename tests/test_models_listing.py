"""`latentkit models`: instant (no torch), the architecture zoo, collapse marked, and shell completion."""

import json
import os
import subprocess
import sys

import pytest

from latentkit.generator.quality import summary, verdict
from latentkit.names import ARCH_NAMES

BALANCED = {"confident_fraction": 0.85, "class_entropy": 0.99, "min_class_share": 0.056,
            "class_shares": [0.1] * 10}
ONE_DIGIT = {"confident_fraction": 1.0, "class_entropy": 0.0, "min_class_share": 0.0,
             "class_shares": [0.0] * 8 + [1.0, 0.0]}


def fake_run(folder, metrics, dataset="mnist"):
    """A finished run as `latentkit models` sees it: a card and a weights file."""
    folder.mkdir(parents=True)
    (folder / "generator.safetensors").write_bytes(b"")
    card = {"kind": "generator", "arch": "dcgan", "dataset": dataset, "metrics": metrics}
    (folder / "card.json").write_text(json.dumps(card))


def run_in_fresh_python(code: str, **env) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**os.environ, **env}).stdout


def test_models_does_not_import_torch(tmp_path):
    fake_run(tmp_path / "runs" / "a", BALANCED)
    code = ("import sys\nfrom latentkit.cli.main import cli\n"
            "try:\n    cli.main(['models'])\nexcept SystemExit:\n    pass\n"
            "print('torch imported' if 'torch' in sys.modules else 'no torch')")
    out = run_in_fresh_python(code)
    assert "mnist-dcgan" in out and "runs/a" in out
    assert out.strip().endswith("no torch")


@pytest.mark.parametrize("quality,expected", [
    (BALANCED, None),
    (ONE_DIGIT, "collapsed: 8 is 100% of samples"),
    ({**BALANCED, "class_shares": [0.5, 0.5] + [0.0] * 8, "class_entropy": 0.3},
     "collapsed: 0 is 50% of samples, 8 of 10 classes under 1%"),
    ({**BALANCED, "class_shares": [0.005] + [0.995 / 9] * 9, "class_entropy": 0.97},  # one digit missing
     "collapsed: 1 is 11% of samples, 1 of 10 classes under 1%"),
    ({**BALANCED, "confident_fraction": 0.02}, "noise: the classifier reads only 2.0% of samples confidently"),
    # Junk the classifier is unsure of still has a likeliest class; a skewed one is no collapse.
    ({**ONE_DIGIT, "confident_fraction": 0.0}, "noise: the classifier reads only 0.0% of samples confidently"),
])
def test_verdict_says_why_the_numbers_mislead(quality, expected):
    assert verdict(quality) == expected


def test_summary_puts_entropy_beside_confidence_and_names_fashion_classes():
    assert summary({"metrics": BALANCED}) == "confident 85.0%, class entropy 0.99, min class share 5.6%"
    line = summary({"dataset": "fashion-mnist", "metrics": ONE_DIGIT})
    assert line.startswith("confident 100.0%, class entropy 0.00") and "collapsed: Bag is 100% of samples" in line


def test_a_collapsed_run_is_marked_and_listed_after_the_bundled_models(run_cli, tmp_path):
    fake_run(tmp_path / "runs" / "collapsed", ONE_DIGIT)
    fake_run(tmp_path / "runs" / "fine", BALANCED)
    lines = run_cli("models").output.splitlines()
    order = [line.split()[0] for line in lines[1:]]
    assert order.index("runs/collapsed") == len(order) - 1, "a collapsed run goes last"
    assert order.index("mnist-dcgan") < order.index("runs/fine") < order.index("runs/collapsed")
    assert "collapsed: 8 is 100% of samples" in lines[-1] and "class entropy 0.00" in lines[-1]
    assert all("class entropy" in line for line in lines if " generator " in line)


def test_models_archs_lists_the_zoo_with_parameter_counts_and_sources(run_cli):
    import torch

    from latentkit.models import ARCHS, GANConfig, Generator

    result = run_cli("models", "--archs")
    assert "to count its parameters" in result.stderr  # said before the seconds it takes
    rows = {line.split()[0]: line for line in result.stdout.splitlines()[1:]}
    assert set(rows) == set(ARCH_NAMES)
    torch.manual_seed(0)
    g = Generator(GANConfig("r000-dcgan28", 100, 64))
    assert f"{sum(p.numel() for p in g.parameters()):,}" in rows["r000-dcgan28"]
    for name, arch in ARCHS.items():
        assert arch.source in rows[name]
    assert "868,545" in rows["dcgan"], "the bundled mnist-dcgan's card says 868,545 parameters"
    # pytorch/examples' VAE: decoder 20*400+400 + 400*784+784, encoder 784*400+400 + 2*(400*20+20)
    assert rows["vae"].split()[1:5] == ["vae", "28x28", "400", "20"]
    assert "322,784" in rows["vae"] and "330,040" in rows["vae"]


def test_train_arch_help_points_at_models_archs(run_cli):
    assert "latentkit models --archs" in " ".join(run_cli("train", "-h").output.split())


def test_model_completion_offers_bundled_models_and_runs(tmp_path):
    from latentkit.cli.common import complete_models

    fake_run(tmp_path / "runs" / "mine", BALANCED)
    names = [item.value for item in complete_models("generator")(None, None, "")]
    assert {"mnist-dcgan", "mnist-r004-mlp", "fashion-mnist-dcgan", "runs/mine"} <= set(names)
    assert "mnist-classifier" not in names
    classifiers = [item.value for item in complete_models("classifier")(None, None, "mnist")]
    assert classifiers == ["mnist-classifier", "mnist"]  # the last item hands over to file completion
    assert complete_models("classifier")(None, None, "mnist")[-1].type == "file"


@pytest.mark.parametrize("words,expected", [
    ("latentkit interpolate --model mn", "plain,mnist-dcgan"),
    ("latentkit eval --classifier fash", "plain,fashion-mnist-classifier"),
    ("latentkit train --classifier mnist-c", "plain,mnist-classifier"),
])
def test_shell_completion_through_click_env_var(words, expected):
    code = ("import sys\nfrom latentkit.cli.main import cli\n"
            "try:\n    cli.main([], prog_name='latentkit')\nexcept SystemExit:\n    pass\n"
            "print('torch imported' if 'torch' in sys.modules else 'no torch')")
    out = run_in_fresh_python(code, _LATENTKIT_COMPLETE="bash_complete", COMP_WORDS=words,
                              COMP_CWORD=str(len(words.split()) - 1))
    assert expected in out.splitlines()
    assert out.strip().endswith("no torch"), "a TAB must not wait for torch"


def test_a_classifier_card_says_how_sure_it_is_of_real_images_and_of_junk():
    old = {"metrics": {"test_accuracy": 0.9965}}
    new = {"metrics": {"test_accuracy": 0.9961, "test_confident": 0.991, "junk_confident": 0.0003}}
    assert summary(old) == "test accuracy 99.65%"
    assert summary(new) == "test accuracy 99.61%, confident on 99.1% of test images and 0.0% of junk"
