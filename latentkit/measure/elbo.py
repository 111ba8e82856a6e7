"""A VAE's evidence lower bound on a set of images: how well it models data it was not trained on.

ELBO = E_q[log p(x | z)] - KL(q(z | x) || p(z)), in nats per image, one seeded sample of z per
image (as pytorch/examples' vae test loop, which reports the negative: the loss). The KL of each
latent dimension shows which ones the VAE uses: a dimension whose KL is near zero is inactive,
its posterior the prior whatever the image (posterior collapse).
"""

from __future__ import annotations

import torch
from torch import nn

from latentkit.data.pixels import to_native
from latentkit.models.vae import kl_per_dim, reconstruction_nats, reparameterize

INACTIVE_NATS = 0.01  # a dimension carrying less KL than this on average says nothing about the image


@torch.no_grad()
def elbo(encoder: nn.Module, decoder: nn.Module, images_uint8: torch.Tensor, seed: int = 0,
         batch: int = 1000) -> dict:
    """The ELBO's parts over `images_uint8` (N, 28, 28): {"elbo", "reconstruction", "kl"} in nats
    per image, "kl_per_dim" (d,) and "active_dims" (how many carry at least INACTIVE_NATS)."""
    device = next(encoder.parameters()).device
    noise = torch.Generator(device).manual_seed(seed)
    rec = kl = 0.0
    per_dim = None
    for chunk in images_uint8.split(batch):
        x = to_native(chunk.to(device))
        mu, logvar = encoder(x)
        eps = torch.randn(mu.shape, generator=noise, device=device, dtype=mu.dtype)
        recon = decoder(reparameterize(mu, logvar, eps))
        rec += reconstruction_nats(recon, x).sum().item()
        dims = kl_per_dim(mu, logvar).sum(0)
        per_dim = dims if per_dim is None else per_dim + dims
    n = len(images_uint8)
    per_dim = (per_dim / n).cpu()
    kl = per_dim.sum().item()
    return {"elbo": -(rec / n + kl), "reconstruction": rec / n, "kl": kl, "kl_per_dim": per_dim.tolist(),
            "active_dims": int((per_dim >= INACTIVE_NATS).sum())}
