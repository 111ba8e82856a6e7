"""Snapshots: the run's generator kept at points during training, so `latentkit evolve` can
follow the same latents through it.

    OUT/snapshots/step_0000938.safetensors   the generator after 938 steps (the weight average if any)

Each file is an ordinary generator weights file, so any command takes one as --model; its
metadata adds when it was taken (epoch, step, images seen, training seconds). The first is
taken before the first step, the untrained generator every run starts from.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from torch import nn

from latentkit.errors import ConfigError

SNAPSHOTS = "snapshots"  # the folder inside the run
WHEN = ("epoch", "step", "images", "seconds")  # what a snapshot's metadata says of its moment


@dataclass(frozen=True)
class Snapshot:
    path: Path
    epoch: float  # epochs completed when it was taken; a fraction when taken mid-epoch
    step: int  # optimisation steps before it
    images: int  # training images seen before it (all processes together)
    seconds: float  # training wall seconds before it

    @property
    def label(self) -> str:
        """How a figure names it: "epoch 3", or "epoch 2.50" mid-epoch."""
        return f"epoch {self.epoch:g}" if float(self.epoch).is_integer() else f"epoch {self.epoch:.2f}"


def snapshot_path(out: str | os.PathLike, step: int) -> Path:
    return Path(out) / SNAPSHOTS / f"step_{step:07d}.safetensors"


def write_snapshot(out: str | os.PathLike, generator: nn.Module, epoch: float, step: int, images: int,
                   seconds: float) -> dict:
    """Write the generator as OUT/snapshots/step_NNNNNNN.safetensors (atomically); returns the
    card's entry for it."""
    from latentkit.generator.weights import save_weights

    path = snapshot_path(out, step)
    when = {"epoch": round(float(epoch), 4), "step": step, "images": images, "seconds": round(seconds, 1)}
    save_weights(generator, path, "generator", metadata={"latentkit_snapshot": json.dumps(when)})
    return {"file": f"{SNAPSHOTS}/{path.name}", **when}


def read_snapshots(run: str | os.PathLike) -> list[Snapshot]:
    """The snapshots in a run folder (or a folder of snapshot files), earliest first, read from
    the files themselves so a run still training can be looked at. ConfigError if there are none."""
    from safetensors import safe_open

    run = Path(run)
    folder = run / SNAPSHOTS if (run / SNAPSHOTS).is_dir() else run
    found = []
    for path in sorted(folder.glob("step_*.safetensors")):
        try:
            with safe_open(str(path), framework="pt") as f:
                when = json.loads((f.metadata() or {})["latentkit_snapshot"])
            found.append(Snapshot(path, float(when["epoch"]), int(when["step"]), int(when["images"]),
                                  float(when["seconds"])))
        except Exception:  # a file being written, or not a snapshot: read_weights names it if it is asked for
            continue
    if not found:
        raise ConfigError(f"{run} holds no training snapshots: train with --snapshot-every N "
                          f"(e.g. latentkit train --epochs 10 --snapshot-every 1 --out {run})")
    return sorted(found, key=lambda s: s.step)


def planned_count(epochs: int, steps_per_epoch: int, images_per_step: int, every_epochs: int,
                  every_images: int) -> int:
    """How many snapshots a run of `epochs` keeps: the first, one every `every_epochs` epochs,
    one each time `every_images` more images have been seen (0 turns either off)."""
    by_epoch = epochs // every_epochs if every_epochs else 0
    by_images = epochs * steps_per_epoch * images_per_step // every_images if every_images else 0
    return 1 + by_epoch + by_images


def check_budget(count: int, bytes_each: int, budget_mb: float, how: str) -> None:
    """ConfigError, before training, if `count` snapshots of `bytes_each` would pass `budget_mb`."""
    total_mb = count * bytes_each / 2**20
    if total_mb > budget_mb:
        raise ConfigError(f"{how} keeps {count} snapshots of {bytes_each / 2**20:.1f} MB ({total_mb:,.0f} MB in all), "
                          f"over --snapshot-budget {budget_mb:g} MB: snapshot less often, or raise --snapshot-budget")
