"""A GAN run's checkpoint: state_dicts, every RNG state and the progress, written atomically and
read back only into the run it came from (same recipe, same number of processes).

A resumed run computes the same steps as one that never stopped: the checkpoint carries the
states of all the random generators, of every rank under torchrun.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import torch

from latentkit.errors import CheckpointError, ConfigError
from latentkit.storage import atomic_path
from latentkit.training.configs import RESUMABLE_CHANGES, TrainConfig

CHECKPOINT = "checkpoint.pt"


@dataclass
class TrainState:
    """Everything a checkpoint restores besides the networks and optimizers."""

    epoch: int = 0  # epochs completed
    step_in_epoch: int = 0  # steps completed in the current epoch (non-zero after Ctrl-C)
    seconds: float = 0.0  # training wall time so far
    cpu_seconds: float = 0.0  # CPU time of this process spent training so far
    train_images: int = 0  # size of the training set used
    world_size: int = 1  # processes training together (torchrun); a run resumes with as many
    history: dict | None = None  # name -> list of per-step floats, see step.STATS (means over the ranks)
    scores: list | None = None  # cfg.score_every's: one dict per scored epoch (latentkit.measure.scoring)
    snapshots: list | None = None  # the snapshots kept so far, one dict each (training/snapshots.py)
    epoch_stats: list | None = None  # a VAE's: the test set's ELBO parts after each epoch (training/vae.py)


def write_checkpoint(path: Path, cfg: TrainConfig, modules: dict[str, dict], rank_rngs: list, state: TrainState
                     ) -> Path:
    """Write `path` atomically: the config, each state_dict in `modules` (G, D, G_ema, opt_G, opt_D),
    every rank's (noise, torch) RNG states and the progress."""
    ckpt = {"config": asdict(cfg), **modules, "noise_rng": rank_rngs[0][0], "torch_rng": rank_rngs[0][1],
            "rank_rngs": rank_rngs, "state": asdict(state)}
    # Through a file object: torch.save given a path reports a full disk as a RuntimeError
    # from its C++ writer, given a file it is the OSError that atomic_path turns into one line.
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        try:
            torch.save(ckpt, f)
        except RuntimeError as err:
            # When the full disk strikes inside a record, the zip writer's own close fails next and
            # its RuntimeError stands over the OSError: the OSError is what happened.
            if isinstance(err.__context__, OSError):
                raise err.__context__ from None
            raise
    return path


def read_checkpoint(path: Path, cfg: TrainConfig, world: int, device: torch.device) -> dict[str, Any]:
    """The checkpoint at `path`, checked to continue this run: ConfigError naming what differs if
    it was made with another recipe (only --epochs and the like may change) or another number
    of processes; CheckpointError if it cannot be read."""
    try:
        ckpt = torch.load(path, map_location=device, weights_only=True)  # no pickle code runs
        saved = TrainConfig(**ckpt["config"])
    except Exception as err:
        raise unreadable(path, err) from None
    changed = [f.name for f in fields(TrainConfig)
               if f.name not in RESUMABLE_CHANGES and _effective(saved, f.name) != _effective(cfg, f.name)]
    if changed:
        was = "; ".join(f"--{name.replace('_', '-')} was {_shown(getattr(saved, name))}, "
                        f"now {_shown(getattr(cfg, name))}" for name in changed)
        raise ConfigError(f"--resume with different {', '.join(changed)} than the run in {path.parent} ({was}); "
                          "resume with the original settings (only --epochs may grow)")
    trained_in = ckpt["state"].get("world_size", 1)
    if trained_in != world:
        how = f"torchrun --nproc-per-node {trained_in}" if trained_in > 1 else "one process (no torchrun)"
        raise ConfigError(f"--resume in {world} process(es), but the run in {path.parent} was trained in "
                          f"{trained_in}: its data order and noise are split that way; resume it with {how}")
    return ckpt


def unreadable(path: Path, err: Exception) -> CheckpointError:
    return CheckpointError(
        f"cannot resume from {path}: corrupt or from another version ({' '.join(str(err).split())[:200]}); "
        "delete it to start over, or pass another --out"
    )


def _effective(cfg: TrainConfig, name: str):
    """A config field's value as training uses it: a left-out lr, ema or width is the architecture's."""
    used = {"lr": lambda: cfg.learning_rate, "ema": lambda: cfg.ema_decay, "width": lambda: cfg.model_config.width,
            "beta1": lambda: cfg.adam_beta1, "lr_d": lambda: cfg.d_learning_rate}
    return used[name]() if name in used else getattr(cfg, name)


def _shown(value) -> str:
    """A config value as the user would type it; None is an option that was left out."""
    return "not given" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
