"""One GAN training step, as pytorch/examples' dcgan loop reads: (1) update D on a real and a
fake batch, (2) update G with the non-saturating loss; and the weight average that follows G."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

STATS = ("loss_D", "loss_G", "D_x", "D_G_z_before", "D_G_z_after")  # what a step reports, in order
MEANINGS = {  # each STATS entry as history.h5 describes it
    "loss_D": "discriminator BCE loss on a real + a fake batch, per step",
    "loss_G": "generator non-saturating BCE loss, per step",
    "D_x": "mean D output (probability 'real') on the real batch, in [0, 1]",
    "D_G_z_before": "mean D output on the fake batch during the D update, in [0, 1]",
    "D_G_z_after": "mean D output on the fake batch during the G update (after the D step), in [0, 1]",
}


def gan_step(G_step: nn.Module, D_step: nn.Module, D: nn.Module, opt_G: torch.optim.Optimizer,
             opt_D: torch.optim.Optimizer, real: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """One D update then one G update on real images (B, 1, H, W) and latents z (B, d); returns
    the STATS of this step as a tensor (5,). `G_step` and `D_step` are what the updates run
    (DistributedDataParallel copies under torchrun); `D` is the discriminator itself."""
    b = real.shape[0]
    ones, zeros = torch.ones(b, device=real.device), torch.zeros(b, device=real.device)
    bce = F.binary_cross_entropy_with_logits

    # (1) Update D: maximise log D(x) + log(1 - D(G(z)))
    fake = G_step(z)
    out_real, out_fake = D_step(real), D_step(fake.detach())
    loss_D = bce(out_real, ones) + bce(out_fake, zeros)
    opt_D.zero_grad(set_to_none=True)
    loss_D.backward()
    opt_D.step()

    # (2) Update G: maximise log D(G(z)) (the non-saturating loss). D's weights are frozen
    # meanwhile: the backward pass then skips D's weight gradients, which dcgan/main.py
    # computes and throws away (one of the step's three weight-gradient passes through D).
    # D itself, not D_step: no gradient of D's is made here for the ranks to average.
    D.requires_grad_(False)
    out_after = D(fake)
    loss_G = bce(out_after, ones)
    opt_G.zero_grad(set_to_none=True)
    loss_G.backward()
    D.requires_grad_(True)
    opt_G.step()

    return torch.stack([loss_D, loss_G, out_real.sigmoid().mean(), out_fake.sigmoid().mean(),
                        out_after.sigmoid().mean()]).detach()


@torch.no_grad()
def update_average(average: nn.Module, live: nn.Module, decay: float, steps: int) -> None:
    """Move `average`'s weights toward `live`'s after step `steps` (1 for the first): an exponential
    moving average (Yazici et al. 2019) whose warm-up, as TensorFlow's ExponentialMovingAverage,
    follows G more closely early on."""
    decay = min(decay, (1 + steps) / (10 + steps))
    for avg, new in zip(average.parameters(), live.parameters(), strict=True):
        avg.lerp_(new, 1 - decay)
