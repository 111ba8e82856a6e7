import subprocess
import sys

import pytest
from conftest import assert_one_line_error

TINY_TRAIN = ["train", "--width", "4", "--limit", "256", "--batch-size", "64", "--eval-samples", "0", "-q"]


def test_help_and_version(run_cli):
    assert "train-classifier" in run_cli("-h").output
    from latentkit import __version__

    assert __version__ in run_cli("--version").output


def test_help_does_not_import_torch():
    code = "import sys; from latentkit.cli.main import cli; print('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


@pytest.mark.parametrize(
    "args,fragments",
    [
        (["train", "--arch", "nope"], ["'nope' is not one of"]),
        (["train", "--dataset", "cifar"], ["'cifar' is not one of"]),
        (["train", "--epochs", "0"], ["--epochs", "0 is not in the range"]),
        (["train", "--epochs", "-3"], ["--epochs"]),
        (["train", "--batch-size", "0"], ["--batch-size"]),
        (["train", "--lr", "0"], ["--lr"]),
        (["train-classifier", "--epochs", "0"], ["--epochs"]),
        (["train", "--epochs", "two"], ["'two' is not a valid integer"]),
    ],
)
def test_bad_options_give_one_line(run_cli, args, fragments):
    assert_one_line_error(run_cli(*args), *fragments)


def test_missing_data_dir_offline(run_cli, tmp_path, offline):
    result = run_cli(*TINY_TRAIN, "--data-dir", tmp_path / "nowhere")
    assert_one_line_error(result, "mnist not found in", "LATENTKIT_DATA", "--data-dir")
    assert not (tmp_path / "runs" / "dcgan-mnist" / "checkpoint.pt").exists()


def test_unknown_classifier_for_metrics_is_a_note_not_a_failure(run_cli):
    result = run_cli(*TINY_TRAIN[:-3], "--epochs", "1", "--eval-samples", "10", "--classifier", "nope", "-q")
    assert result.exit_code == 0 and "skipping sample-quality metrics: no classifier named 'nope'" in result.output


def test_train_classifier_on_a_slice(run_cli, tmp_path):
    # 2 epochs at batch 32 = 124 steps: enough for BatchNorm statistics and the one-cycle schedule
    result = run_cli("train-classifier", "--limit", "2000", "--epochs", "2", "--batch-size", "32", "--width", "8",
                     "-q", "--out", "clf")
    assert result.exit_code == 0, result.output
    import json

    card = json.loads((tmp_path / "clf" / "card.json").read_text())
    assert card["kind"] == "classifier" and card["train_images"] == 2000
    assert card["metrics"]["test_accuracy"] > 0.85, "2000 images, 2 epochs should already read most digits"
    from latentkit import load_classifier

    assert load_classifier(tmp_path / "clf").config.width == 8


def test_models_lists_bundled_and_runs(run_cli, tmp_path):
    run_cli(*TINY_TRAIN, "--epochs", "1", "--out", "runs/tiny")
    output = run_cli("models").output
    assert "mnist-dcgan" in output and "mnist-classifier" in output
    assert "runs/tiny" in output and "generator" in output
