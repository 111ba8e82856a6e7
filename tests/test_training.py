import signal
import subprocess
import sys
import time

import pytest
import torch
from conftest import QUIET, TINY_GAN, assert_one_line_error, assert_same_run, final_weights
from PIL import Image

from latentkit.errors import ConfigError, TrainingError
from latentkit.generator.registry import load_generator
from latentkit.generator.weights import save_weights
from latentkit.models import Classifier, ClassifierConfig
from latentkit.training.artifacts import read_history
from latentkit.training.gan import STATS, GANTrainer
from latentkit.training.train import train_generator
from latentkit.training.trainer import CHECKPOINT, TrainConfig

QUICK_TIER = False  # its tests train, install or start processes and pages themselves

TINY = TINY_GAN  # 4 steps/epoch


@pytest.fixture
def tiny_classifier(tmp_path):
    torch.manual_seed(0)
    clf = Classifier(ClassifierConfig(width=4, feature_dim=8))
    return save_weights(clf, tmp_path / "clf.safetensors", "classifier")


def test_train_cli_writes_every_artefact(run_cli, tmp_path, tiny_classifier):
    result = run_cli("train", "--arch", "dcgan", "--width", "4", "--epochs", "1", "--limit", "512",
                     "--batch-size", "64", "--eval-samples", "200", "--classifier", tiny_classifier, "-q")
    assert result.exit_code == 0, result.output
    out = tmp_path / "runs" / "dcgan-mnist"
    for name in ("checkpoint.pt", "history.h5", "samples/epoch_001.png", "generator.safetensors", "card.json",
                 "loss.png", "d_outputs.png", "samples.png", "progress.gif"):
        assert (out / name).is_file(), name
    assert "Epoch [1/1] Step [8/8] Loss-D" in result.output
    history = read_history(out / "history.h5")
    assert all(history[k].shape == (8,) for k in STATS)
    assert 0 <= history["D_x"].min() and history["D_x"].max() <= 1
    import json

    card = json.loads((out / "card.json").read_text())
    assert card["arch"] == "dcgan" and card["dataset"] == "mnist" and card["seed"] == 0 and card["epochs"] == 1
    assert card["command"].startswith("latentkit train --arch dcgan") and card["train_seconds"] > 0
    assert card["metrics"]["samples"] == 200 and abs(sum(card["metrics"]["class_shares"]) - 1) < 1e-3
    assert Image.open(out / "samples.png").size == (2 * (10 * 30 + 2),) * 2  # 10x10 tiles of 28+2 px, 2x


def test_resume_after_an_epoch_equals_an_uninterrupted_run(tmp_path):
    train_generator(TrainConfig(epochs=2, **TINY), tmp_path / "straight", **QUIET)
    train_generator(TrainConfig(epochs=1, **TINY), tmp_path / "resumed", **QUIET)
    train_generator(TrainConfig(epochs=2, **TINY), tmp_path / "resumed", resume=True, **QUIET)
    assert_same_run(tmp_path / "straight", tmp_path / "resumed")


def test_ctrl_c_mid_epoch_saves_and_resumes_exactly(tmp_path, monkeypatch):
    train_generator(TrainConfig(epochs=2, **TINY), tmp_path / "straight", **QUIET)
    original, calls = GANTrainer.train_step, []

    def step_then_ctrl_c(self, batch):
        calls.append(1)
        if len(calls) == 6:  # second step of epoch 2
            signal.raise_signal(signal.SIGINT)
        return original(self, batch)

    monkeypatch.setattr(GANTrainer, "train_step", step_then_ctrl_c)
    with pytest.raises(TrainingError, match="interrupted at epoch 2 step 2") as err:
        train_generator(TrainConfig(epochs=2, **TINY), tmp_path / "resumed", **QUIET)
    assert err.value.exit_code == 130
    state = torch.load(tmp_path / "resumed" / CHECKPOINT, weights_only=True)["state"]
    assert (state["epoch"], state["step_in_epoch"]) == (1, 2)
    monkeypatch.setattr(GANTrainer, "train_step", original)
    train_generator(TrainConfig(epochs=2, **TINY), tmp_path / "resumed", resume=True, **QUIET)
    assert_same_run(tmp_path / "straight", tmp_path / "resumed")


@pytest.mark.slow
def test_kill_9_mid_epoch_then_resume(tmp_path):
    args = ["--arch", "dcgan", "--width", "4", "--latent-dim", "16", "--limit", "2048", "--batch-size", "32",
            "--eval-samples", "0", "--epochs", "3", "-q"]
    train_generator(TrainConfig(**{**TINY, "limit": 2048, "batch_size": 32, "epochs": 3}), tmp_path / "straight",
              **QUIET)
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "latentkit", "train", *args, "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not (out / CHECKPOINT).exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    proc.kill()  # SIGKILL: no handler runs, whatever step it was in
    proc.wait()
    assert (out / CHECKPOINT).exists()
    train_generator(TrainConfig(**{**TINY, "limit": 2048, "batch_size": 32, "epochs": 3}), out, resume=True,
              **QUIET)
    assert_same_run(tmp_path / "straight", out)


@pytest.mark.slow
def test_kill_9_in_the_first_epoch_resumes_from_a_timed_checkpoint(tmp_path):
    """--checkpoint-every writes mid-epoch checkpoints, so a run killed before its first
    epoch ends still resumes, to the same weights as a run never stopped."""
    cfg = dict(TINY, limit=8192, batch_size=32, epochs=1)  # 256 steps in the one epoch
    train_generator(TrainConfig(**cfg), tmp_path / "straight", **QUIET)
    out = tmp_path / "killed"
    args = ["--arch", "dcgan", "--width", "4", "--latent-dim", "16", "--limit", "8192", "--batch-size", "32",
            "--eval-samples", "0", "--epochs", "1", "--checkpoint-every", "0.001", "-q"]
    proc = subprocess.Popen([sys.executable, "-m", "latentkit", "train", *args, "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not (out / CHECKPOINT).exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    state = torch.load(out / CHECKPOINT, weights_only=True)["state"]
    assert state["epoch"] == 0 and 0 < state["step_in_epoch"] < 256, "killed inside the first epoch"
    train_generator(TrainConfig(**cfg), out, resume=True, **QUIET)
    assert_same_run(tmp_path / "straight", out)


def test_timed_checkpoints_resume_exactly(tmp_path, monkeypatch):
    """In-process twin of the kill test: stop (as a crash would) right after a timed mid-epoch
    checkpoint and resume from it."""
    train_generator(TrainConfig(epochs=2, **TINY), tmp_path / "straight", **QUIET)
    original, saves = GANTrainer.save_checkpoint, []

    def save_then_crash(self):
        path = original(self)
        saves.append(self.state.step_in_epoch)
        if self.state.epoch == 1 and self.state.step_in_epoch == 2:
            raise RuntimeError("simulated crash")
        return path

    monkeypatch.setattr(GANTrainer, "save_checkpoint", save_then_crash)
    with pytest.raises(RuntimeError, match="simulated crash"):
        train_generator(TrainConfig(epochs=2, checkpoint_seconds=1e-9, **TINY), tmp_path / "resumed", progress=False,
                  log=lambda s: None)
    assert saves[:3] == [1, 2, 3], "a checkpoint after every step of epoch 1 (the epoch end saves step 0)"
    monkeypatch.setattr(GANTrainer, "save_checkpoint", original)
    train_generator(TrainConfig(epochs=2, **TINY), tmp_path / "resumed", resume=True, **QUIET)
    assert_same_run(tmp_path / "straight", tmp_path / "resumed")


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(run_cli, tmp_path, monkeypatch):
    original, calls = GANTrainer.train_step, []

    def nan_on_step_6(self, batch):
        calls.append(1)
        stats = original(self, batch)
        return stats * float("nan") if len(calls) == 6 else stats

    monkeypatch.setattr(GANTrainer, "train_step", nan_on_step_6)
    result = run_cli("train", "--width", "4", "--limit", "256", "--batch-size", "64", "--epochs", "3",
                     "--eval-samples", "0", "-q", "--out", "run")
    assert_one_line_error(result, "diverged at epoch 2 step 2", "last good checkpoint (end of epoch 1)")
    assert torch.load(tmp_path / "run" / CHECKPOINT, weights_only=True)["state"]["epoch"] == 1


def test_resume_guards(tmp_path, run_cli):
    with pytest.raises(Exception, match="no checkpoint.pt"):
        GANTrainer(TrainConfig(**TINY), tmp_path / "none", resume=True)
    train_generator(TrainConfig(epochs=1, **TINY), tmp_path / "run", **QUIET)
    with pytest.raises(ConfigError, match="already holds a run"):
        GANTrainer(TrainConfig(**TINY), tmp_path / "run")
    with pytest.raises(ConfigError, match="different lr"):
        GANTrainer(TrainConfig(**{**TINY, "lr": 1e-3}), tmp_path / "run", resume=True)
    with pytest.raises(ConfigError, match="different width"):  # named, not reported as corruption
        GANTrainer(TrainConfig(**{**TINY, "width": 8}), tmp_path / "run", resume=True)
    with pytest.raises(ConfigError, match="--limit was 256, now 512"):  # the original value, to type again
        GANTrainer(TrainConfig(**{**TINY, "limit": 512}), tmp_path / "run", resume=True)
    with pytest.raises(ConfigError, match="--limit was 256, now not given"):
        GANTrainer(TrainConfig(**{**TINY, "limit": None}), tmp_path / "run", resume=True)


def test_corrupt_checkpoint_gives_one_line(tmp_path, run_cli):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / CHECKPOINT).write_bytes(b"garbage")
    result = run_cli("train", "--width", "4", "--limit", "256", "--out", "run", "--resume", "-q")
    assert_one_line_error(result, "cannot resume from", "corrupt")


def test_saved_generator_is_the_weight_average_when_ema_is_on(tmp_path):
    quiet = dict(**QUIET)
    train_generator(TrainConfig(epochs=1, **TINY), tmp_path / "ema", **quiet)  # dcgan's default: 0.9995
    train_generator(TrainConfig(epochs=1, ema=0, **TINY), tmp_path / "plain", **quiet)
    for run, averaged in (("ema", True), ("plain", False)):
        live = torch.load(tmp_path / run / CHECKPOINT, weights_only=True)["G"]["net.0.weight"]
        saved = final_weights(tmp_path / run)["net.0.weight"]
        assert torch.equal(saved, live) is not averaged, run
    with pytest.raises(ConfigError, match="ema must be in"):
        TrainConfig(ema=1.0).validate()


def test_d_gradient_is_its_own_loss_only(tmp_path):
    """The G step freezes D, so after a step D holds exactly the gradient of the D loss,
    and D is trainable again for the next step."""
    import copy

    import torch.nn.functional as F

    trainer = GANTrainer(TrainConfig(**TINY), tmp_path / "run")
    real = torch.randint(0, 256, (64, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    G0, D0, noise = copy.deepcopy(trainer.G), copy.deepcopy(trainer.D), trainer.noise.get_state()
    trainer.train_step(real)

    z = torch.randn(64, G0.latent_dim, generator=torch.Generator().set_state(noise))
    out_real, out_fake = D0(D0.prepare(real)), D0(G0.native(z).detach())
    (F.binary_cross_entropy_with_logits(out_real, torch.ones(64))
     + F.binary_cross_entropy_with_logits(out_fake, torch.zeros(64))).backward()
    for (name, p), p0 in zip(trainer.D.named_parameters(), D0.parameters(), strict=True):
        assert p.requires_grad, name
        torch.testing.assert_close(p.grad, p0.grad, msg=name)


def test_weight_average_has_batchnorm_statistics_of_its_own_weights(tmp_path):
    """The saved EMA generator's BatchNorm running statistics are those of its own
    activations (not the live G's, which lag behind and came from other weights)."""
    train_generator(TrainConfig(epochs=1, **{**TINY, "limit": 1024}), tmp_path / "run", **QUIET)
    g = load_generator(tmp_path / "run")
    z = torch.randn(20_000, g.latent_dim, generator=torch.Generator().manual_seed(5))
    with torch.no_grad():
        h = g.net[0](z)  # what the first BatchNorm normalises
    bn = g.net[1]
    torch.testing.assert_close(bn.running_mean, h.mean(0), atol=0.05 * h.std(0).max().item(), rtol=0)
    torch.testing.assert_close(bn.running_var, h.var(0), rtol=0.1, atol=0)


class _FakeClock:
    """Stands in for the `time` module: every reading is one second (wall) and two CPU seconds later."""

    def __init__(self):
        self.wall = self.cpu = 0.0

    def perf_counter(self):
        self.wall += 1.0
        return self.wall

    def process_time(self):
        self.cpu += 2.0
        return self.cpu


def test_max_minutes_stops_on_the_cpu_clock_and_resume_grants_more(tmp_path, monkeypatch):
    import latentkit.training.trainer

    monkeypatch.setattr(latentkit.training.trainer, "time", _FakeClock())
    quiet = dict(**QUIET)
    budget = dict(TINY, epochs=100, clock="cpu")
    card = train_generator(TrainConfig(**budget, max_minutes=0.1), tmp_path / "run", **quiet)  # 6 s = 3 steps
    assert card["steps"] == 3 and card["epochs"] == 0 and card["train_cpu_seconds"] == 6.0
    card = train_generator(TrainConfig(**budget, max_minutes=0.2), tmp_path / "run", resume=True, **quiet)
    assert card["steps"] == 6 and card["epochs"] == 1 and card["max_minutes"] == 0.2
    with pytest.raises(ConfigError, match="max-minutes"):
        TrainConfig(max_minutes=0).validate()
    with pytest.raises(ConfigError, match="clock"):
        TrainConfig(clock="gpu").validate()


def test_final_generator_is_a_method_that_leaves_training_alone(tmp_path):
    trainer = GANTrainer(TrainConfig(**TINY, ema=0), tmp_path / "run")
    g = trainer.final_generator()
    assert not g.training and trainer.G.training, "the live G stays in train mode"
    assert all(torch.equal(a, b) for a, b in zip(g.state_dict().values(), trainer.G.state_dict().values(),
                                                 strict=True))


def test_on_epoch_end_sees_each_epoch_and_can_finish_the_run(tmp_path):
    seen = []

    def hook(epoch, trainer):
        seen.append((epoch, trainer.state.epoch, (tmp_path / "run" / "samples" / f"epoch_{epoch:03d}.png").is_file()))
        return epoch == 2

    card = train_generator(TrainConfig(epochs=5, **TINY), tmp_path / "run", progress=False, log=lambda s: None,
                     on_epoch_end=hook)
    assert seen == [(1, 1, True), (2, 2, True)]
    assert card["epochs"] == 2 and (tmp_path / "run" / "generator.safetensors").is_file()


def test_run_artifacts_take_data_not_a_trainer(tmp_path):
    from latentkit.models import GANConfig, Generator
    from latentkit.training import artifacts as run_artifacts

    torch.manual_seed(0)
    g = Generator(GANConfig("dcgan", latent_dim=16, width=4)).train()
    history = {k: [0.5, 0.25] for k in STATS}
    run_artifacts.write_epoch(tmp_path, g, torch.randn(100, 16), history, GANTrainer.HISTORY, epoch=1)
    assert g.training, "drawing the grid restores the generator's mode"
    assert (tmp_path / "samples" / "epoch_001.png").is_file()
    assert read_history(tmp_path / "history.h5")["loss_G"].tolist() == [0.5, 0.25]


def test_arch_defaults_fill_the_recipe_unless_given():
    from latentkit.models import get_arch

    dcgan, r002 = TrainConfig(arch="dcgan"), TrainConfig(arch="r002-dcgan64")
    assert (dcgan.learning_rate, dcgan.ema_decay) == (get_arch("dcgan").default_lr, get_arch("dcgan").default_ema)
    assert (r002.learning_rate, r002.ema_decay) == (2e-4, 0.0), "the write-ups' recipes stay as published"
    assert TrainConfig(arch="dcgan", lr=1e-3, ema=0.0).learning_rate == 1e-3


def test_score_every_records_each_epoch_and_survives_a_resume(tmp_path, tiny_classifier):
    import json

    cfg = dict(TINY, eval_samples=50, score_every=1, classifier=str(tiny_classifier))
    train_generator(TrainConfig(epochs=1, **cfg), tmp_path / "run", **QUIET)
    lines = []
    train_generator(TrainConfig(epochs=2, **cfg), tmp_path / "run", resume=True, progress=False, log=lines.append)
    progress = json.loads((tmp_path / "run" / "card.json").read_text())["progress"]
    assert [p["epoch"] for p in progress] == [1, 2] and [p["images"] for p in progress] == [256, 512]
    assert all(p["fid"] >= 0 and 0 <= p["precision"] <= 1 and 0 <= p["confident"] <= 1 for p in progress)
    assert progress[0]["train_cpu_seconds"] <= progress[1]["train_cpu_seconds"]
    assert any(line.startswith("  scored after 512 images: FID") for line in lines)
    with pytest.raises(ConfigError, match="--eval-samples is 0"):
        TrainConfig(**{**cfg, "eval_samples": 0}).validate()


def test_resume_compares_the_recipe_as_trained(tmp_path):
    """Giving the architecture's default explicitly is the same run; changing what it trains with is not."""
    from latentkit.models import get_arch

    train_generator(TrainConfig(epochs=1, **TINY), tmp_path / "run", **QUIET)
    same = dict(TINY, lr=get_arch("dcgan").default_lr, ema=get_arch("dcgan").default_ema)
    GANTrainer(TrainConfig(epochs=2, **same), tmp_path / "run", resume=True)
    with pytest.raises(ConfigError, match="--lr was not given, now 0.0002"):
        GANTrainer(TrainConfig(epochs=2, **dict(TINY, lr=2e-4)), tmp_path / "run", resume=True)
