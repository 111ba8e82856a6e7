"""Training a generator into a run folder: the trainer of its architecture's kind (a GANTrainer
or a VAETrainer, both Trainers), with the folder checked and locked, under torchrun too.

    card = train_generator(TrainConfig(arch="vae", epochs=5), "runs/vae")
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

from latentkit.device import pick_device
from latentkit.models import get_arch
from latentkit.storage import check_writable
from latentkit.training import artifacts as run_artifacts
from latentkit.training import distributed
from latentkit.training.configs import TrainConfig
from latentkit.training.gan import GANTrainer
from latentkit.training.trainer import Trainer
from latentkit.training.vae import VAETrainer

__all__ = ["TrainConfig", "train_generator", "trainer_for"]

def trainer_for(cfg: TrainConfig, out: str | Path, resume: bool = False, command: str | None = None) -> Trainer:
    """The trainer of cfg.arch's kind: a GANTrainer or a VAETrainer."""
    kind = VAETrainer if get_arch(cfg.arch).kind == "vae" else GANTrainer
    return kind(cfg, out, resume=resume, command=command)


def train_generator(
    cfg: TrainConfig, out: str | Path, resume: bool = False, command: str | None = None,
    log: Callable[[str], None] = print, progress: bool = True,
    on_epoch_end: Callable[[int, Trainer], bool | None] | None = None,
) -> dict | None:
    """Train a GAN or a VAE (the arch's kind) into the run folder `out` (see run_artifacts for
    what it holds); returns the card.

        card = train_generator(TrainConfig(arch="r004-mlp", epochs=5), "runs/r004")

    The folder is checked writable before anything is loaded and stays locked while the run
    lasts, so a second process training into it fails at once. See Trainer.fit for `on_epoch_end`.

    Launched by torchrun (`torchrun --nproc-per-node N -m latentkit train ...`), every process
    calls this: they join one process group, train with DistributedDataParallel, and rank 0
    locks and writes the folder and returns the card; the other ranks return None.
    """
    cfg.validate()
    out = check_writable(out)
    with distributed.process_group(pick_device(cfg.device)):
        lock = run_artifacts.locked_run_folder(out, "a training run") if distributed.rank() == 0 else nullcontext()
        with lock:
            trainer = trainer_for(cfg, out, resume=resume, command=command)
            return trainer.fit(log=log, progress=progress, on_epoch_end=on_epoch_end)
