"""Inference copies of trained networks, made faster without changing what they compute.

In eval mode a BatchNorm is a fixed per-channel affine map, so it folds into the
Conv/ConvTranspose/Linear before it (one pass over memory instead of two); on CPU,
channels-last tensors let oneDNN pick its fast convolution kernels.
`benchmarks/throughput.py` measures the gain.
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval, fuse_linear_bn_eval

_FOLDABLE = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)


def fold_batchnorm(module: nn.Module) -> nn.Module:
    """Fold every BatchNorm that directly follows a Conv/ConvTranspose/Linear in an
    nn.Sequential into that layer; `module` must be in eval mode. Changes `module` in place."""
    for name, child in module.named_children():
        setattr(module, name, _folded(child) if isinstance(child, nn.Sequential) else fold_batchnorm(child))
    return module


def _folded(seq: nn.Sequential) -> nn.Sequential:
    layers: list[nn.Module] = []
    for layer in seq:
        before = layers[-1] if layers else None
        if isinstance(layer, nn.modules.batchnorm._BatchNorm) and isinstance(before, _FOLDABLE):
            if isinstance(before, nn.Linear):
                layers[-1] = fuse_linear_bn_eval(before, layer)
            else:
                layers[-1] = fuse_conv_bn_eval(before, layer, transpose=isinstance(before, nn.ConvTranspose2d))
        else:
            layers.append(_folded(layer) if isinstance(layer, nn.Sequential) else fold_batchnorm(layer))
    return nn.Sequential(*layers)


def inference_copy(module: nn.Module) -> nn.Module:
    """An eval-mode copy of `module` with BatchNorm folded (and channels-last weights on CPU);
    the original is untouched. Outputs match it to float rounding."""
    fast = fold_batchnorm(copy.deepcopy(module).eval())
    if next(fast.parameters()).device.type == "cpu":
        fast = fast.to(memory_format=torch.channels_last)
    return fast
