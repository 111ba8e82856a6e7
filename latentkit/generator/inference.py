"""Inference copies of trained networks, made faster without changing what they compute.

In eval mode a BatchNorm is a fixed per-channel affine map, so it folds into the
Conv/ConvTranspose/Linear before it (one pass over memory instead of two); on CPU,
channels-last tensors let oneDNN pick its fast convolution kernels; a transposed
convolution that draws the one-channel image runs as a matmul and a col2im, which
oneDNN's kernel for a single output channel is several times slower than.
`benchmarks/throughput.py` measures the gain.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval, fuse_linear_bn_eval

from latentkit.generator.contract import module_device

_FOLDABLE = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)


def fold_batchnorm(module: nn.Module) -> nn.Module:
    """Fold every BatchNorm that directly follows a Conv/ConvTranspose/Linear in an
    nn.Sequential into that layer; `module` must be in eval mode. Changes `module` in place.
    TorchScript modules are left as compiled."""
    for name, child in _editable_children(module):
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


class ImageConvTranspose2d(nn.Module):
    """A ConvTranspose2d (groups 1, no dilation or output padding) as one matmul, input pixel
    -> its k x k output patch, and F.fold, which sums the overlapping patches: the same
    sums as the layer in another order. 3.5-5x faster than oneDNN when the output has one
    channel (this CPU, 1 thread, batch 128-1000), several times slower when it has 32 or more."""

    def __init__(self, conv: nn.ConvTranspose2d):
        super().__init__()
        c_in, c_out, kh, kw = conv.weight.shape
        self.weight = nn.Parameter(conv.weight.detach().reshape(c_in, c_out * kh * kw), requires_grad=False)
        self.bias = conv.bias
        self.kernel_size, self.stride, self.padding = conv.kernel_size, conv.stride, conv.padding

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        patches = (x.permute(0, 2, 3, 1).reshape(-1, c) @ self.weight).view(b, h * w, -1).transpose(1, 2)
        size = [(n - 1) * s - 2 * p + k
                for n, s, p, k in zip((h, w), self.stride, self.padding, self.kernel_size, strict=True)]
        out = F.fold(patches, size, self.kernel_size, stride=self.stride, padding=self.padding)
        return out if self.bias is None else out + self.bias.view(1, -1, 1, 1)


def _draws_an_image(layer: nn.Module) -> bool:
    return (isinstance(layer, nn.ConvTranspose2d) and layer.out_channels == 1 and layer.groups == 1
            and layer.dilation == (1, 1) and layer.output_padding == (0, 0) and layer.padding_mode == "zeros")


def _editable_children(module: nn.Module):
    return [(n, c) for n, c in module.named_children() if not isinstance(c, torch.jit.ScriptModule)]


def _with_image_layers_as_matmuls(module: nn.Module) -> nn.Module:
    for name, child in _editable_children(module):
        setattr(module, name, ImageConvTranspose2d(child) if _draws_an_image(child)
                else _with_image_layers_as_matmuls(child))
    return module


def inference_copy(module: nn.Module) -> nn.Module:
    """An eval-mode copy of `module` with BatchNorm folded and, on CPU, one-channel transposed
    convolutions as ImageConvTranspose2d and channels-last weights; the original is untouched.
    Outputs match it to float rounding. A module that already is an inference copy is
    returned as it is, so a command makes its copies once."""
    if getattr(module, "is_inference_copy", False):
        return module
    fast = fold_batchnorm(copy.deepcopy(module).eval())
    on_cpu = module_device(fast).type == "cpu"
    if on_cpu:  # the col2im layer is tuned for CPU; cuDNN has its own kernels
        fast = _with_image_layers_as_matmuls(fast)
    if on_cpu and not any(isinstance(m, torch.jit.ScriptModule) for m in fast.modules()):
        fast = fast.to(memory_format=torch.channels_last)
    fast.is_inference_copy = True
    return fast
