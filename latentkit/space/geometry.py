"""Latent geometry: paths between latents.

Gaussian latents concentrate near a sphere of radius sqrt(d); a straight line between
two of them dips inside it (the midpoint of two orthogonal equal-norm vectors has
1/sqrt(2) of their norm), where the generator saw few training latents. Spherical
interpolation (slerp, Shoemake 1985; White 2016 for GANs) follows the great circle
and keeps the norm.
"""

from __future__ import annotations

import torch

# Below this angle (radians) slerp falls back to lerp: sin(theta) -> 0 loses precision.
PARALLEL_EPS = 1e-4


def lerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Linear interpolation of latents a, b (..., d) at t -> (..., T, d).

    t is (T,), shared by every row, or (..., T), one set of positions per row.

        path = lerp(z0, z1, torch.linspace(0, 1, 10))   # (10, d)
    """
    t = t.to(a.dtype).unsqueeze(-1)
    return a.unsqueeze(-2) * (1 - t) + b.unsqueeze(-2) * t


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation of latents a, b (..., d) at t -> (..., T, d).

    t is (T,), shared by every row, or (..., T), one set of positions per row.

    Angles come from the directions; norms are interpolated linearly, so equal-norm
    endpoints give a path of constant norm. Exact at t = 0 and t = 1. Nearly parallel
    endpoints fall back to lerp; exactly antiparallel ones have no unique great circle,
    so the path turns through a fixed direction orthogonal to `a` (deterministic).

        path = slerp(z0, z1, torch.linspace(0, 1, 10))  # (10, d), norms between |z0| and |z1|
    """
    t = t.to(a.dtype).unsqueeze(-1)  # (T, 1) or (..., T, 1)
    na, nb = a.norm(dim=-1, keepdim=True), b.norm(dim=-1, keepdim=True)  # (..., 1)
    ua, ub = a / na.clamp_min(1e-12), b / nb.clamp_min(1e-12)
    cos = (ua * ub).sum(-1, keepdim=True).clamp(-1.0, 1.0)
    theta = torch.arccos(cos)  # (..., 1)

    # Antiparallel rows: aim at a direction orthogonal to ua and turn twice as far, so the
    # path runs a -> orthogonal (t = 0.5) -> -a (t = 1) through pi in total.
    anti = cos < -1 + 1e-7
    ub = torch.where(anti, _orthogonal_unit(ua), ub)
    theta = torch.where(anti, torch.full_like(theta, torch.pi / 2), theta)
    t_angle = t * torch.where(anti, 2.0, 1.0).unsqueeze(-2)  # (..., T, 1)

    theta_ = theta.unsqueeze(-2)  # (..., 1, 1)
    sin = torch.sin(theta_)
    near = theta_ < PARALLEL_EPS
    safe_sin = torch.where(near, torch.ones_like(sin), sin)
    wa = torch.where(near, 1 - t, torch.sin((1 - t_angle) * theta_) / safe_sin)
    wb = torch.where(near, t, torch.sin(t_angle * theta_) / safe_sin)
    direction = wa * ua.unsqueeze(-2) + wb * ub.unsqueeze(-2)  # (..., T, d)
    direction = direction / direction.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    norm = na.unsqueeze(-2) * (1 - t) + nb.unsqueeze(-2) * t
    out = direction * norm
    # Pin the ends exactly, whatever rounding did on the way.
    out[..., :1, :] = torch.where(t[..., :1, :] == 0, a.unsqueeze(-2), out[..., :1, :])
    out[..., -1:, :] = torch.where(t[..., -1:, :] == 1, b.unsqueeze(-2), out[..., -1:, :])
    return out


def _orthogonal_unit(u: torch.Tensor) -> torch.Tensor:
    """A unit vector orthogonal to each unit vector u (..., d), chosen deterministically."""
    e = torch.zeros_like(u)
    idx = u.abs().argmin(dim=-1, keepdim=True)  # the axis u leans on least
    e.scatter_(-1, idx, 1.0)
    v = e - (e * u).sum(-1, keepdim=True) * u
    return v / v.norm(dim=-1, keepdim=True)
