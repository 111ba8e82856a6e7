"""GAN training: the generator and its discriminator, two Adams, and one step (step.py) that
updates D, then G, as pytorch/examples' dcgan. The loop, checkpoints and run folder are the
Trainer's (trainer.py).
"""

from __future__ import annotations

import numpy as np
import torch

from latentkit.models import Discriminator, Generator
from latentkit.training import distributed
from latentkit.training.augment import diff_augment
from latentkit.training.step import MEANINGS, STATS, gan_step, update_average
from latentkit.training.trainer import Trainer

__all__ = ["STATS", "GANTrainer"]


class _Native(torch.nn.Module):
    """G seen through its native output, the forward that DistributedDataParallel wraps."""

    def __init__(self, generator: Generator):
        super().__init__()
        self.generator = generator

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.generator.native(z)


def spectral_normalise(D: torch.nn.Module) -> None:
    """SNGAN's discriminator from any zoo D, in place: every conv and linear layer's weight
    divided by its largest singular value (one power iteration a step, torch's spectral_norm),
    and BatchNorm dropped, as SNGAN's D has none (it would undo the constraint)."""
    for m in list(D.modules()):
        for child_name, child in list(m.named_children()):
            if isinstance(child, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)):
                setattr(m, child_name, torch.nn.Identity())
        if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)):
            torch.nn.utils.parametrizations.spectral_norm(m)


class GANTrainer(Trainer):
    """A GAN's run: G, D and their optimizers; see Trainer.

        card = GANTrainer(TrainConfig(arch="dcgan", epochs=5), out="runs/dcgan").fit()
    """

    STATS = STATS
    HISTORY = MEANINGS

    def _build(self) -> None:
        cfg = self.cfg
        self.D = Discriminator(cfg.model_config)
        if cfg.spectral_norm:
            spectral_normalise(self.D)
        self.D.to(self.device)
        # Measured on CPU by benchmarks/train_speed.py: channels-last convolutions (+12-16% img/s
        # for the DCGANs) and the fused Adam kernel (+7-24%). Weights are saved contiguous as usual.
        if self.device.type == "cpu":
            self.G.to(memory_format=torch.channels_last)
            self.D.to(memory_format=torch.channels_last)
        adam = dict(betas=(cfg.adam_beta1, cfg.beta2), fused=self.device.type in ("cpu", "cuda") or None)
        self.opt_G = torch.optim.Adam(self.G.parameters(), lr=cfg.learning_rate, **adam)
        self.opt_D = torch.optim.Adam(self.D.parameters(), lr=cfg.d_learning_rate, **adam)
        # DiffAugment's fill is the data's background: -1 on [-1, 1], 0 on [0, 1]
        fill = -1.0 if self.D.arch.value_range == "symmetric" else 0.0
        self.augment = (lambda x: diff_augment(x, cfg.diffaugment, self.noise, fill)) if cfg.diffaugment else None

    def _wrap(self) -> None:
        # Under torchrun, DistributedDataParallel copies that average the gradients over the
        # ranks; alone, G's native output and D themselves.
        self.G_step = distributed.wrap(_Native(self.G), self.device)
        self.D_step = distributed.wrap(self.D, self.device)

    def _modules(self) -> dict[str, dict]:
        return {"D": self.D.state_dict(), "opt_G": self.opt_G.state_dict(), "opt_D": self.opt_D.state_dict()}

    def _restore(self, ckpt: dict) -> None:
        self.D.load_state_dict(ckpt["D"])
        self.opt_G.load_state_dict(ckpt["opt_G"])
        self.opt_D.load_state_dict(ckpt["opt_D"])

    def train_step(self, real_uint8: torch.Tensor) -> torch.Tensor:
        """One D update then one G update (step.gan_step), then the weight average; returns the
        STATS of this step as a tensor (5,)."""
        real = self.D.prepare(real_uint8)
        z = torch.randn(real.shape[0], self.cfg.latent_dim, generator=self.noise, device=self.device)
        self._schedule_rates([(self.opt_G, self.cfg.learning_rate), (self.opt_D, self.cfg.d_learning_rate)])
        stats = gan_step(self.G_step, self.D_step, self.D, self.opt_G, self.opt_D, real, z, self.cfg.loss,
                         self.augment)
        if self.G_ema is not None:
            update_average(self.G_ema, self.G, self.cfg.ema_decay, self.steps_done + 1)
        return stats

    def _card_extra(self) -> dict:
        cfg = self.cfg
        return {"recipe": {"loss": cfg.loss, "spectral_norm": cfg.spectral_norm, "lr_d": cfg.d_learning_rate,
                           "betas": [cfg.adam_beta1, cfg.beta2], "lr_decay": cfg.lr_decay,
                           "diffaugment": cfg.diffaugment}}

    def _figures(self) -> dict:
        from latentkit.results import plotting

        arrays = {k: np.asarray(v) for k, v in self.state.history.items()}
        return {"loss.png": plotting.plot_losses(arrays, loss=self.cfg.loss).figure,
                "d_outputs.png": plotting.plot_d_outputs(arrays).figure}

    def _summary_numbers(self, s: list[float]) -> str:
        return f"Loss-D {s[0]:.4f} Loss-G {s[1]:.4f} D(x) {s[2]:.3f} D(G(z)) {s[3]:.3f}/{s[4]:.3f}"

    def _bar_numbers(self, s: list[float]) -> str:
        d_x, before, after = (f"{v:.2f}".removeprefix("0") for v in s[2:])  # D outputs are in [0, 1]: ".51"
        return f"loss D/G {s[0]:.2f}/{s[1]:.2f} D(x) {d_x} D(G(z)) {before}/{after}"
