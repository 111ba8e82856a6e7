"""Training under torchrun on 2 CPU processes (gloo): DistributedDataParallel keeps the ranks
identical, rank 0 alone writes, and a resumed run equals an uninterrupted one."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import assert_one_line_error, assert_same_run

from latentkit.training.trainer import CHECKPOINT

QUICK_TIER = False  # its tests train, install or start processes and pages themselves

slow = pytest.mark.slow  # each of these starts three Python processes that import torch
TORCHRUN = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2"]
TINY = ["--arch", "dcgan", "--width", "4", "--latent-dim", "16", "--limit", "256", "--batch-size", "16",
        "--eval-samples", "0", "-q"]  # 8 steps of 2 x 16 images per epoch


def torchrun(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([*TORCHRUN, *args], capture_output=True, text=True, timeout=300)
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


@slow
@pytest.mark.parametrize("arch", ["dcgan", "r004-mlp"])
def test_ranks_hold_identical_weights_after_every_step(tmp_path, arch):
    worker = Path(__file__).with_name("ddp_worker.py")
    torchrun(str(worker), str(tmp_path / "run"), arch)
    report = json.loads((tmp_path / "run" / "ranks.json").read_text())
    assert report == {"world": 2, "steps": 16, "mismatches": 0}


@slow
def test_resumed_ddp_run_equals_an_uninterrupted_one(tmp_path):
    from safetensors.torch import load_file

    from latentkit.training.snapshots import read_snapshots

    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    snap = ["--snapshot-every", "1", "--snapshot-images", "128"]  # 128 images: every 4 global steps of 32
    torchrun("-m", "latentkit", "train", *TINY, *snap, "--epochs", "2", "--out", str(straight))
    torchrun("-m", "latentkit", "train", *TINY, *snap, "--epochs", "1", "--out", str(resumed))
    done = torchrun("-m", "latentkit", "train", *TINY, *snap, "--epochs", "2", "--out", str(resumed), "--resume")
    assert done.stdout.count(f"wrote {resumed}/generator.safetensors") == 1  # rank 0 alone reports

    assert_same_run(straight, resumed)
    a, b = read_snapshots(straight), read_snapshots(resumed)
    assert [s.step for s in a] == [s.step for s in b] == [0, 4, 8, 12, 16]
    assert [s.images for s in a] == [0, 128, 256, 384, 512]
    for x, y in zip(a, b, strict=True):
        wx, wy = load_file(str(x.path)), load_file(str(y.path))
        assert all(torch.equal(wx[k], wy[k]) for k in wx)
    assert len(torch.load(straight / CHECKPOINT, weights_only=True)["state"]["history"]["loss_D"]) == 16
    card = json.loads((straight / "card.json").read_text())
    assert (card["world_size"], card["batch_size"], card["global_batch_size"], card["steps"]) == (2, 16, 32, 16)


@slow
def test_a_ddp_run_is_not_the_single_process_run_and_says_so_on_resume(tmp_path, run_cli):
    out = tmp_path / "ddp"
    torchrun("-m", "latentkit", "train", *TINY, "--epochs", "1", "--out", str(out))
    result = run_cli("train", *TINY, "--epochs", "2", "--out", out, "--resume")
    assert_one_line_error(result, "trained in 2", "torchrun --nproc-per-node 2")


def test_the_ranks_parts_of_a_step_are_the_single_process_global_batch():
    from latentkit.training.trainer import epoch_permutation, rank_batch

    perm = epoch_permutation(100, seed=3, epoch=1)
    for step in range(3):
        parts = torch.cat([rank_batch(perm, step, 8, rank, world=2) for rank in range(2)])
        assert torch.equal(parts, rank_batch(perm, step, 16))
    assert torch.equal(rank_batch(perm, 1, 8), perm[8:16])  # one process: the plain step-th batch
