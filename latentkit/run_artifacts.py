"""What a training run leaves in its folder.

    OUT/checkpoint.pt          resumable state (networks, optimizers, RNGs, history)
    OUT/history.h5             per-step loss_D, loss_G, D(x), D(G(z)) before/after
    OUT/samples/epoch_NNN.png  the fixed-noise grid after each epoch
    OUT/generator.safetensors  final generator weights + config
    OUT/card.json              arch, dataset, command, seed, seconds, metrics
    OUT/loss.png  OUT/d_outputs.png  OUT/samples.png (10x10)  OUT/progress.gif
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch

from latentkit import plotting
from latentkit.cards import new_card, write_card
from latentkit.errors import LatentkitError
from latentkit.pixels import to_unit_range
from latentkit.storage import atomic_path
from latentkit.weights import save_weights

if TYPE_CHECKING:
    from latentkit.training import GANTrainer

HISTORY_ATTRS = {
    "loss_D": "discriminator BCE loss on a real + a fake batch, per step",
    "loss_G": "generator non-saturating BCE loss, per step",
    "D_x": "mean D output (probability 'real') on the real batch, in [0, 1]",
    "D_G_z_before": "mean D output on the fake batch during the D update, in [0, 1]",
    "D_G_z_after": "mean D output on the fake batch during the G update (after the D step), in [0, 1]",
}


@torch.inference_mode()
def native_grid_images(trainer: GANTrainer, z: torch.Tensor) -> torch.Tensor:
    """The final generator's images at native resolution in [0, 1] (for grids), in eval mode."""
    g = trainer.final_generator
    was_training = g.training
    g.eval()
    x = g.native(z.to(trainer.device))
    g.train(was_training)
    return to_unit_range(x, g.arch.value_range).cpu()


def write_history(path: Path, history: dict[str, list[float]], steps_per_epoch: int | None = None) -> None:
    import h5py

    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["description"] = "latentkit GAN training history, one row per optimisation step"
        for key, meaning in HISTORY_ATTRS.items():
            ds = f.create_dataset(key, data=np.asarray(history[key], dtype=np.float32))
            ds.attrs["meaning"] = meaning
        if steps_per_epoch:
            f.attrs["steps_per_epoch"] = steps_per_epoch


def read_history(path: str | Path) -> dict[str, np.ndarray]:
    import h5py

    with h5py.File(path, "r") as f:
        return {k: f[k][()] for k in HISTORY_ATTRS}


def write_epoch(trainer: GANTrainer, epoch: int) -> None:
    plotting.save_grid(native_grid_images(trainer, trainer.fixed_noise[:64]),
                       trainer.out / "samples" / f"epoch_{epoch:03d}.png", nrow=8)
    write_history(trainer.out / "history.h5", trainer.state.history, len(trainer.state.history["loss_D"]) // epoch)


def _quality(trainer: GANTrainer, log: Callable[[str], None]) -> dict:
    """Classifier-read sample quality of the final generator, or {} with a note if impossible."""
    from latentkit.metrics import classify_samples, sample_quality
    from latentkit.registry import load_classifier

    cfg = trainer.cfg
    if cfg.eval_samples == 0:
        return {}
    try:
        clf = load_classifier(cfg.classifier or f"{cfg.dataset}-classifier", device=trainer.device)
    except LatentkitError as err:
        log(f"skipping sample-quality metrics: {err}")
        return {}
    probs = classify_samples(trainer.final_generator, clf, cfg.eval_samples, seed=cfg.seed)
    return {"classifier": cfg.classifier or f"{cfg.dataset}-classifier", **sample_quality(probs)}


def write_final(trainer: GANTrainer, log: Callable[[str], None] = print) -> dict:
    """Weights, card, curves, the 10x10 grid and the progress GIF; returns the card."""
    out, cfg, st = trainer.out, trainer.cfg, trainer.state
    history = {k: np.asarray(v) for k, v in st.history.items()}
    plotting.save_figure(plotting.plot_losses(history), out / "loss.png")
    plotting.save_figure(plotting.plot_d_outputs(history), out / "d_outputs.png")
    plotting.save_grid(native_grid_images(trainer, trainer.fixed_noise), out / "samples.png", nrow=10)
    frames = sorted((out / "samples").glob("epoch_*.png"))
    if frames:  # none when a --max-minutes budget ran out inside the first epoch
        plotting.save_gif(frames, out / "progress.gif")

    g = trainer.final_generator.eval()
    card = new_card("generator", g.config, dataset=cfg.dataset, seed=cfg.seed,
                    command=trainer.command or " ".join(sys.argv), device=trainer.device)
    card.update(
        latent_dim=cfg.latent_dim, epochs=st.epoch, batch_size=cfg.batch_size, lr=cfg.lr, train_images=st.train_images,
        steps=len(st.history["loss_D"]), train_seconds=round(st.seconds, 1), train_cpu_seconds=round(st.cpu_seconds, 1),
        max_minutes=cfg.max_minutes, clock=cfg.clock,
        images_per_second=round(len(st.history["loss_D"]) * cfg.batch_size / max(st.seconds, 1e-9), 1),
        parameters=sum(p.numel() for p in g.parameters()), ema=cfg.ema_decay,
    )
    card["metrics"] = _quality(trainer, log)
    save_weights(g, out / "generator.safetensors", "generator")
    write_card(out / "card.json", card)
    return card
