"""Training snapshots (training/snapshots.py): when they are taken, that they resume exactly,
that they change nothing the run computes, and the disk budget checked before training."""

import signal

import pytest
import torch
from conftest import QUIET, TINY_GAN, assert_one_line_error, assert_same_run, final_weights
from safetensors.torch import load_file

from latentkit.errors import ConfigError, TrainingError
from latentkit.generator.cards import read_card
from latentkit.generator.registry import load_generator
from latentkit.training.gan import GANTrainer
from latentkit.training.snapshots import read_snapshots
from latentkit.training.train import train_generator
from latentkit.training.trainer import CHECKPOINT, TrainConfig

QUICK_TIER = False  # they train

TINY = TINY_GAN  # 4 steps/epoch


def _snapshot_weights(run):
    return {s.step: load_file(str(s.path)) for s in read_snapshots(run)}


def _same_snapshots(a, b):
    wa, wb = _snapshot_weights(a), _snapshot_weights(b)
    assert wa.keys() == wb.keys()
    for step in wa:
        assert all(torch.equal(wa[step][k], wb[step][k]) for k in wa[step]), step


def test_snapshots_are_taken_at_the_start_every_n_epochs_and_every_n_images(tmp_path):
    out = tmp_path / "run"
    train_generator(TrainConfig(epochs=4, snapshot_every=2, snapshot_images=192, ema=0.0, **TINY), out, **QUIET)
    snaps = read_snapshots(out)
    # 4 steps of 64 per epoch: every 192 images is after steps 3, 6, 9, 12, 15; every 2 epochs after 8 and 16.
    assert [s.step for s in snaps] == [0, 3, 6, 8, 9, 12, 15, 16]
    assert [s.images for s in snaps] == [64 * s.step for s in snaps]
    assert [s.epoch for s in snaps] == [0, 0.75, 1.5, 2, 2.25, 3, 3.75, 4]
    card = read_card(out / "card.json")
    assert [e["step"] for e in card["snapshots"]] == [0, 3, 6, 8, 9, 12, 15, 16]
    assert all((out / e["file"]).is_file() for e in card["snapshots"])
    # Each is a generator any command loads; the last is what the run hands out.
    g = load_generator(snaps[-1].path)
    assert g.latent_dim == 16
    last, final = load_file(str(snaps[-1].path)), final_weights(out)
    assert all(torch.equal(last[k], final[k]) for k in final)


def test_snapshots_change_nothing_the_run_computes(tmp_path):
    train_generator(TrainConfig(epochs=2, **TINY), tmp_path / "plain", **QUIET)
    train_generator(TrainConfig(epochs=2, snapshot_every=1, snapshot_images=128, **TINY), tmp_path / "kept", **QUIET)
    assert_same_run(tmp_path / "plain", tmp_path / "kept")
    assert len(read_snapshots(tmp_path / "kept")) == 5  # the start, then after every second step


def test_ctrl_c_keeps_the_snapshots_written_and_resume_continues_them_exactly(tmp_path, monkeypatch):
    cfg = dict(epochs=3, snapshot_every=1, snapshot_images=128, **TINY)
    train_generator(TrainConfig(**cfg), tmp_path / "straight", **QUIET)
    original, calls = GANTrainer.train_step, []

    def step_then_ctrl_c(self, batch):
        calls.append(1)
        if len(calls) == 7:  # third step of epoch 2
            signal.raise_signal(signal.SIGINT)
        return original(self, batch)

    monkeypatch.setattr(GANTrainer, "train_step", step_then_ctrl_c)
    with pytest.raises(TrainingError, match="interrupted"):
        train_generator(TrainConfig(**cfg), tmp_path / "resumed", **QUIET)
    assert [s.step for s in read_snapshots(tmp_path / "resumed")] == [0, 2, 4, 6]
    monkeypatch.setattr(GANTrainer, "train_step", original)
    train_generator(TrainConfig(**cfg), tmp_path / "resumed", resume=True, **QUIET)
    assert_same_run(tmp_path / "straight", tmp_path / "resumed")
    _same_snapshots(tmp_path / "straight", tmp_path / "resumed")
    straight, resumed = (read_card(p / "card.json")["snapshots"] for p in (tmp_path / "straight", tmp_path / "resumed"))
    assert [e["step"] for e in straight] == [e["step"] for e in resumed]


def test_a_snapshot_budget_too_small_is_refused_before_training(tmp_path, run_cli):
    out = tmp_path / "run"
    with pytest.raises(ConfigError, match=r"--snapshot-every 1 over 500 epochs keeps 501 snapshots"):
        train_generator(TrainConfig(**{**TINY, "epochs": 500}, snapshot_every=1, snapshot_budget=0.5), out, **QUIET)
    assert not (out / CHECKPOINT).exists()
    result = run_cli("train", "--width", "4", "--latent-dim", "16", "--limit", "256", "--eval-samples", "0",
                     "--epochs", "500", "--snapshot-every", "1", "--snapshot-budget", "0.5", "--out", str(out), "-q")
    assert_one_line_error(result, "501 snapshots", "--snapshot-budget")


def test_a_folder_without_snapshots_says_how_to_make_them(tmp_path):
    train_generator(TrainConfig(epochs=1, **TINY), tmp_path / "run", **QUIET)
    with pytest.raises(ConfigError, match="--snapshot-every"):
        read_snapshots(tmp_path / "run")
