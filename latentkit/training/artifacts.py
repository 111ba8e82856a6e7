"""What a training run leaves in its folder.

    OUT/checkpoint.pt          resumable state (networks, optimizers, RNGs, history)
    OUT/history.h5             per-step stats: a GAN's loss_D, loss_G, D(x), D(G(z)) before/after;
                               a VAE's loss, reconstruction, kl
    OUT/samples/epoch_NNN.png  the fixed-noise grid after each epoch
    OUT/generator.safetensors  final generator weights + config
    OUT/card.json              arch, dataset, command, seed, seconds, metrics
    OUT/snapshots/step_*.safetensors  the generator during training (--snapshot-every)
    OUT/loss.png  OUT/d_outputs.png (a GAN's)  OUT/kl_per_dim.png (a VAE's)
    OUT/samples.png (10x10)  OUT/progress.gif
    OUT/encoder.safetensors    a VAE's encoder, invert's start (training/vae.py)

The functions take what they write (a generator, the history, the config), not the
trainer, so they can be called on any run's data.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

from latentkit.data.pixels import to_unit_range
from latentkit.errors import ConfigError
from latentkit.generator.cards import new_card, read_card, write_card
from latentkit.generator.weights import save_weights
from latentkit.progress import Phases
from latentkit.results import plotting
from latentkit.storage import atomic_path, folder_lock, missing_folders, remove_empty_folders
from latentkit.training.configs import TrainConfig


@contextmanager
def locked_run_folder(folder: str | os.PathLike, what: str) -> Iterator[Path]:
    """Hold `folder`'s lock for the block (another process gets one OutputError line at once).
    If the block fails, the folders made for it that hold nothing else are removed, so a run
    refused before writing anything leaves no empty folder behind."""
    folder = Path(folder)
    made = missing_folders(folder)
    try:
        with folder_lock(folder, what):
            yield folder
    except BaseException:
        remove_empty_folders(made)
        raise


def refuse_another_run(folder: str | os.PathLike, kind: str) -> None:
    """ConfigError if `folder` holds a run of another kind than `kind` ("generator", "classifier",
    "encoder"): writing this run's card.json there would make that run vanish."""
    folder = Path(folder)
    card = read_card(folder / "card.json") if (folder / "card.json").is_file() else None
    other = card.get("kind") if isinstance(card, dict) else None
    if other is None and (folder / "checkpoint.pt").is_file():
        other = "generator"  # a GAN run still training has its checkpoint before its card
    if other is not None and other != kind:
        raise ConfigError(f"{folder} holds a {other} run; writing a {kind} there would replace its card.json: "
                          "pick another --out")


@torch.inference_mode()
def native_grid_images(generator: torch.nn.Module, z: torch.Tensor) -> torch.Tensor:
    """A zoo generator's images of latents z (N, d) at native resolution, in [0, 1], on CPU
    (N, 1, H, W), drawn in eval mode; the generator's mode is restored after."""
    was_training = generator.training
    generator.eval()
    x = generator.native(z.to(next(generator.parameters()).device))
    generator.train(was_training)
    return to_unit_range(x, generator.arch.value_range).cpu()


def write_history(path: Path, history: dict[str, list[float]], meanings: dict[str, str],
                  steps_per_epoch: int | None = None) -> None:
    """history.h5: one dataset per key of `meanings` (with its meaning), one row per step."""
    import h5py

    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["description"] = "latentkit training history, one row per optimisation step"
        for key, meaning in meanings.items():
            ds = f.create_dataset(key, data=np.asarray(history[key], dtype=np.float32))
            ds.attrs["meaning"] = meaning
        if steps_per_epoch:
            f.attrs["steps_per_epoch"] = steps_per_epoch


def read_history(path: str | Path) -> dict[str, np.ndarray]:
    import h5py

    with h5py.File(path, "r") as f:
        return {k: f[k][()] for k in f}


def write_epoch(out: Path, generator: torch.nn.Module, fixed_noise: torch.Tensor,
                history: dict[str, list[float]], meanings: dict[str, str], epoch: int) -> None:
    """OUT/samples/epoch_NNN.png (the first 64 fixed latents) and OUT/history.h5 after `epoch`."""
    out = Path(out)
    plotting.save_grid(native_grid_images(generator, fixed_noise[:64]), out / "samples" / f"epoch_{epoch:03d}.png",
                       nrow=8)
    write_history(out / "history.h5", history, meanings, len(next(iter(history.values()))) // epoch)


def sample_metrics(generator: torch.nn.Module, classifier: torch.nn.Module, samples: int, seed: int,
                   classifier_name: str, allow_mismatch: bool = False, bar: Phases | None = None) -> dict:
    """Classifier-read quality of `samples` seeded samples, with the classifier that read them;
    `bar` (if given) advances as they are generated."""
    from latentkit.measure.metrics import classify_samples, sample_quality

    probs = classify_samples(generator, classifier, samples, seed=seed, bar=bar)
    return {"classifier": classifier_name, "classifier_dataset": classifier.config.dataset,
            "allow_mismatch": allow_mismatch, **sample_quality(probs)}


def generator_card(generator: torch.nn.Module, cfg: TrainConfig, state, steps: int, command: str | None,
                   device: torch.device) -> dict:
    """The run's card without metrics: what was trained, how long (`steps` in all), with which
    command. `state` is the trainer's TrainState (epochs, seconds, scores, snapshots)."""
    card = new_card("generator", generator.config, dataset=cfg.dataset, seed=cfg.seed,
                    command=command or " ".join(sys.argv), device=device)
    card.update(
        latent_dim=cfg.latent_dim, epochs=state.epoch, batch_size=cfg.batch_size, lr=cfg.learning_rate,
        world_size=state.world_size, global_batch_size=cfg.batch_size * state.world_size,
        train_images=state.train_images, steps=steps, train_seconds=round(state.seconds, 3),
        train_cpu_seconds=round(state.cpu_seconds, 3), max_minutes=cfg.max_minutes, clock=cfg.clock,
        images_per_second=round(steps * cfg.batch_size * state.world_size / max(state.seconds, 1e-9), 1),
        parameters=sum(p.numel() for p in generator.parameters()), ema=cfg.ema_decay,
        **({"progress": state.scores} if state.scores else {}),
        **({"snapshots": state.snapshots} if state.snapshots else {}),
    )
    return card


def write_final(out: Path, generator: torch.nn.Module, fixed_noise: torch.Tensor, figures: dict, card: dict) -> None:
    """The curves (`figures`: file name -> figure), the 10x10 grid of `fixed_noise` (100, d), the
    progress GIF, the weights and the card."""
    out = Path(out)
    for name, figure in figures.items():
        plotting.save_figure(figure, out / name)
    plotting.save_grid(native_grid_images(generator, fixed_noise), out / "samples.png", nrow=10)
    frames = sorted((out / "samples").glob("epoch_*.png"))
    if frames:  # none when a --max-minutes budget ran out inside the first epoch
        plotting.save_gif(frames, out / "progress.gif", labels=[f"epoch {int(f.stem.split('_')[1])}" for f in frames])
    save_weights(generator, out / "generator.safetensors", "generator")
    write_card(out / "card.json", card)
