"""One GAN training step, as pytorch/examples' dcgan loop reads: (1) update D on a real and a
fake batch, (2) update G; and the weight average that follows G.

Two losses: "bce", dcgan's (D's binary cross-entropy, G's non-saturating loss), and "hinge", as
SNGAN (Miyato et al. 2018) and StudioGAN's d_hinge / g_hinge: D minimises
mean(relu(1 - D(x))) + mean(relu(1 + D(G(z)))), G minimises -mean(D(G(z))).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

STATS = ("loss_D", "loss_G", "D_x", "D_G_z_before", "D_G_z_after")  # what a step reports, in order
MEANINGS = {  # each STATS entry as history.h5 describes it
    "loss_D": "discriminator loss (the run's --loss: BCE or hinge) on a real + a fake batch, per step",
    "loss_G": "generator loss (non-saturating BCE, or hinge's -mean D output), per step",
    "D_x": "mean sigmoid of D's output on the real batch, in [0, 1] (with BCE, its probability 'real')",
    "D_G_z_before": "mean sigmoid of D's output on the fake batch during the D update, in [0, 1]",
    "D_G_z_after": "mean sigmoid of D's output on the fake batch during the G update (after the D step)",
}


def gan_step(G_step: nn.Module, D_step: nn.Module, D: nn.Module, opt_G: torch.optim.Optimizer,
             opt_D: torch.optim.Optimizer, real: torch.Tensor, z: torch.Tensor, loss: str = "bce",
             augment: Callable[[torch.Tensor], torch.Tensor] | None = None) -> torch.Tensor:
    """One D update then one G update on real images (B, 1, H, W) and latents z (B, d); returns
    the STATS of this step as a tensor (5,). `G_step` and `D_step` are what the updates run
    (DistributedDataParallel copies under torchrun); `D` is the discriminator itself. `loss` is
    one of names.GAN_LOSSES; `augment`, if given, is applied to every batch D sees (DiffAugment)."""
    seen = augment or (lambda x: x)

    # (1) Update D: maximise log D(x) + log(1 - D(G(z))), or the hinge's margins
    fake = G_step(z)
    out_real, out_fake = D_step(seen(real)), D_step(seen(fake.detach()))
    loss_D = _d_loss(out_real, out_fake, loss)
    opt_D.zero_grad(set_to_none=True)
    loss_D.backward()
    opt_D.step()

    # (2) Update G: maximise log D(G(z)) (the non-saturating loss). D's weights are frozen
    # meanwhile: the backward pass then skips D's weight gradients, which dcgan/main.py
    # computes and throws away (one of the step's three weight-gradient passes through D).
    # D itself, not D_step: no gradient of D's is made here for the ranks to average.
    D.requires_grad_(False)
    out_after = D(seen(fake))
    loss_G = _g_loss(out_after, loss)
    opt_G.zero_grad(set_to_none=True)
    loss_G.backward()
    D.requires_grad_(True)
    opt_G.step()

    return torch.stack([loss_D, loss_G, out_real.sigmoid().mean(), out_fake.sigmoid().mean(),
                        out_after.sigmoid().mean()]).detach()


def _d_loss(out_real: torch.Tensor, out_fake: torch.Tensor, loss: str) -> torch.Tensor:
    if loss == "hinge":
        return F.relu(1 - out_real).mean() + F.relu(1 + out_fake).mean()
    bce = F.binary_cross_entropy_with_logits
    return bce(out_real, torch.ones_like(out_real)) + bce(out_fake, torch.zeros_like(out_fake))


def _g_loss(out_fake: torch.Tensor, loss: str) -> torch.Tensor:
    if loss == "hinge":
        return -out_fake.mean()
    return F.binary_cross_entropy_with_logits(out_fake, torch.ones_like(out_fake))


@torch.no_grad()
def update_average(average: nn.Module, live: nn.Module, decay: float, steps: int) -> None:
    """Move `average`'s weights toward `live`'s after step `steps` (1 for the first): an exponential
    moving average (Yazici et al. 2019) whose warm-up, as TensorFlow's ExponentialMovingAverage,
    follows G more closely early on."""
    decay = min(decay, (1 + steps) / (10 + steps))
    for avg, new in zip(average.parameters(), live.parameters(), strict=True):
        avg.lerp_(new, 1 - decay)
