import json
import subprocess
import sys

import pytest
from conftest import assert_one_line_error

QUICK_TIER = False  # whole analyses and commands, not units

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


@pytest.fixture
def no_data(monkeypatch):
    """Make loading the training data fail loudly: what a test runs must be refused before it."""
    import latentkit.training.classifier
    import latentkit.training.trainer

    def refuse(*args, **kwargs):
        raise AssertionError("the data was loaded before the bad option was refused")

    monkeypatch.setattr(latentkit.training.trainer, "load_images", refuse)
    monkeypatch.setattr(latentkit.training.classifier, "load_images", refuse)


@pytest.mark.parametrize(
    "extra,fragments",
    [
        (["--classifier", "nope"], ["no classifier named 'nope'"]),
        (["--classifier", ""], ["classifier name is empty"]),
        (["--classifier", "mnist-dcgan"], ["holds a generator, not a classifier"]),
        (["--dataset", "fashion-mnist", "--classifier", "mnist-classifier"],
         ["reads mnist but this run trains on fashion-mnist", "fashion-mnist-classifier", "--allow-mismatch"]),
    ],
)
def test_wrong_classifier_is_refused_before_training(run_cli, tmp_path, no_data, extra, fragments):
    result = run_cli(*TINY_TRAIN[:-3], "--epochs", "1", "--eval-samples", "10", *extra, "-q", "--out", "runs/x")
    assert_one_line_error(result, *fragments)
    assert not (tmp_path / "runs").exists(), "a refused run leaves no folder"


def test_allow_mismatch_measures_and_records_it(run_cli, tmp_path):
    result = run_cli(*TINY_TRAIN[:-3], "--dataset", "fashion-mnist", "--epochs", "1", "--eval-samples", "20",
                     "--classifier", "mnist-classifier", "--allow-mismatch", "-q", "--out", "run")
    assert result.exit_code == 0, result.output
    card = json.loads((tmp_path / "run" / "card.json").read_text())
    assert card["dataset"] == "fashion-mnist"
    assert card["metrics"]["classifier"] == "mnist-classifier" and card["metrics"]["classifier_dataset"] == "mnist"
    assert card["metrics"]["allow_mismatch"] is True and card["metrics"]["samples"] == 20


def test_eval_samples_0_loads_no_classifier(run_cli, tmp_path, monkeypatch):
    import latentkit.generator.registry

    def refuse(*args, **kwargs):
        raise AssertionError("a classifier was loaded for --eval-samples 0")

    monkeypatch.setattr(latentkit.generator.registry, "load_classifier", refuse)
    result = run_cli(*TINY_TRAIN, "--epochs", "1", "--out", "run")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "run" / "card.json").read_text())["metrics"] == {}
    # A classifier that would not be used is refused, not silently ignored (tests/test_edges.py).
    assert_one_line_error(run_cli(*TINY_TRAIN, "--epochs", "1", "--classifier", "nope", "--out", "run2"),
                          "--eval-samples 0")


HUGE, HUGER = str(10**12), str(2**70)


@pytest.mark.parametrize(
    "args,option",
    [
        *[(["train", f"--{name}", value], f"--{name}") for name in
          ("epochs", "batch-size", "latent-dim", "width", "limit", "eval-samples", "seed") for value in (HUGE, HUGER)],
        *[(["train-classifier", f"--{name}", HUGE], f"--{name}") for name in
          ("epochs", "batch-size", "width", "limit", "seed")],
        *[([command, "--lr", value], "--lr") for command in ("train", "train-classifier")
          for value in ("inf", "nan", "-inf")],
        (["train", "--ema", "nan"], "--ema"),
        (["train", "--max-minutes", "inf"], "--max-minutes"),
        (["train", "--checkpoint-every", "nan"], "--checkpoint-every"),
    ],
)
def test_huge_and_non_finite_options_give_one_line(run_cli, no_data, args, option):
    assert_one_line_error(run_cli(*args), option)


@pytest.mark.parametrize(
    "config,field,value",
    [
        ("TrainConfig", "epochs", 10**12), ("TrainConfig", "batch_size", 10**12), ("TrainConfig", "latent_dim", 2**70),
        ("TrainConfig", "width", 10**12), ("TrainConfig", "limit", 10**12), ("TrainConfig", "eval_samples", 10**12),
        ("TrainConfig", "seed", 2**70), ("TrainConfig", "lr", float("inf")), ("TrainConfig", "lr", float("nan")),
        ("TrainConfig", "checkpoint_seconds", float("nan")), ("TrainConfig", "max_minutes", float("inf")),
        ("ClassifierTrainConfig", "lr", float("inf")), ("ClassifierTrainConfig", "lr", float("nan")),
        ("ClassifierTrainConfig", "epochs", 10**12), ("ClassifierTrainConfig", "width", 10**12),
        ("ClassifierTrainConfig", "seed", 2**70),
    ],
)
def test_configs_refuse_huge_and_non_finite_values(config, field, value):
    import latentkit.training.configs
    from latentkit.errors import ConfigError

    with pytest.raises(ConfigError, match=field.replace("_", "-") if field != "checkpoint_seconds" else "checkpoint"):
        getattr(latentkit.training.configs, config)(**{field: value}).validate()


def test_cli_defaults_come_from_the_configs():
    from latentkit.cli.main import cli
    from latentkit.training.configs import ClassifierTrainConfig, TrainConfig

    for command, config in (("train", TrainConfig), ("train-classifier", ClassifierTrainConfig)):
        params = {p.name: p for p in cli.commands[command].params}
        fields = config.__dataclass_fields__
        shared = [name for name, p in params.items() if name in fields and not getattr(p, "is_flag", False)]
        assert len(shared) >= 7, shared
        for name in shared:
            assert params[name].default == fields[name].default, (command, name)


def test_classifier_defaults_are_the_bundled_recipe():
    from latentkit.generator.registry import bundled_dir
    from latentkit.training.configs import ClassifierTrainConfig

    for dataset in ("mnist", "fashion-mnist"):
        card = json.loads((bundled_dir() / f"{dataset}-classifier.json").read_text())
        assert (ClassifierTrainConfig.epochs, ClassifierTrainConfig.width) == (card["epochs"], card["config"]["width"])


@pytest.mark.parametrize("command", ["train", "train-classifier", "models", None])
def test_help_examples_keep_their_lines(run_cli, command):
    output = run_cli(*([command] if command else []), "-h").output
    examples = [line.strip() for line in output.splitlines() if line.strip().startswith("latentkit ")]
    assert len(examples) >= 2, output
    assert all(line.count("latentkit ") == 1 for line in examples), output


@pytest.mark.parametrize("command", [TINY_TRAIN, ["train-classifier", "-q"]])
@pytest.mark.parametrize("out", ["a-file/run", "/proc/latentkit-x", "n" * 300])
def test_unwritable_out_is_refused_before_loading_data(run_cli, tmp_path, no_data, command, out):
    (tmp_path / "a-file").write_text("in the way")
    assert_one_line_error(run_cli(*command, "--out", out), "cannot write into", "--out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


@pytest.mark.parametrize("command", [TINY_TRAIN + ["--resume"], ["train-classifier", "-q"]])
def test_a_locked_run_folder_is_refused_at_once(run_cli, tmp_path, no_data, command):
    from latentkit.storage import folder_lock

    with folder_lock(tmp_path / "run", "a test's run"):  # stands in for a second process
        assert_one_line_error(run_cli(*command, "--out", "run"), "another latentkit process", "run")


def test_classifier_training_stops_on_nan_and_saves_nothing(run_cli, tmp_path):
    result = run_cli("train-classifier", "--lr", "1e30", "--limit", "256", "--epochs", "1", "-q", "--out", "clf")
    assert_one_line_error(result, "diverged", "nothing was saved", "--lr")
    assert not (tmp_path / "clf").exists()


def test_gan_divergence_before_any_checkpoint_says_nothing_was_kept(run_cli, tmp_path):
    result = run_cli(*TINY_TRAIN, "--lr", "1e30", "--epochs", "1", "--out", "run")
    assert_one_line_error(result, "diverged at epoch 1 step 1", "nothing was kept", "--lr")
    assert "checkpoint (epoch" not in result.stderr and not (tmp_path / "run").exists()


def test_full_disk_while_saving_the_checkpoint_gives_one_line(tmp_path):
    import resource

    def small_files():  # writes past 8 KiB fail with EFBIG (Python ignores SIGXFSZ), as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))

    proc = subprocess.run([sys.executable, "-m", "latentkit", *TINY_TRAIN, "--epochs", "1", "--out", "run"],
                          capture_output=True, text=True, preexec_fn=small_files, timeout=600)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: cannot write checkpoint.pt in run"), proc.stderr


def test_train_classifier_on_a_slice(run_cli, tmp_path):
    # 2 epochs at batch 32 = 124 steps: enough for BatchNorm statistics and the one-cycle schedule
    result = run_cli("train-classifier", "--limit", "2000", "--epochs", "2", "--batch-size", "32", "--width", "8",
                     "-q", "--out", "clf")
    assert result.exit_code == 0, result.output
    card = json.loads((tmp_path / "clf" / "card.json").read_text())
    assert card["kind"] == "classifier" and card["train_images"] == 2000
    assert card["metrics"]["test_accuracy"] > 0.85, "2000 images, 2 epochs should already read most digits"
    # Outlier exposure is on by default, recorded, and already makes it unsure of held-out junk.
    assert card["outlier_weight"] == 0.5 and card["metrics"]["junk_confident"] < 0.05
    assert 0 < card["metrics"]["test_confident"] <= 1 and card["metrics"]["junk_images"] == 3000
    from latentkit import load_classifier

    assert load_classifier(tmp_path / "clf").config.width == 8


def test_models_lists_bundled_and_runs(run_cli, tmp_path):
    run_cli(*TINY_TRAIN, "--epochs", "1", "--out", "runs/tiny")
    output = run_cli("models").output
    assert "mnist-dcgan" in output and "mnist-classifier" in output
    assert "runs/tiny" in output and "generator" in output
    assert json.loads((tmp_path / "runs" / "tiny" / "card.json").read_text())["dataset"] == "mnist"
