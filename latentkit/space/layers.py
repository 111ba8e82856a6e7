"""Directions read from a generator's layers: SeFa and GANSpace.

SeFa (Shen & Zhou 2021) needs no samples: the first layer maps z linearly, so the
directions it stretches most are the top right singular vectors of that map. As published
(genforce/sefa's factorize_weight), each output feature's weight vector is first scaled to
unit length, so no feature counts more for being larger; latentkit sorts the directions by
eigenvalue, strongest first, and fixes each one's sign. `fold_batchnorm` instead folds the
BatchNorm that follows the layer into it and normalises nothing (latentkit 0.1's variant:
the stretch the next layer actually sees). GANSpace
(Härkönen et al. 2020) takes the principal components of a layer's activations over many
samples and maps each back to z by least squares. Both trace the generator with forward
hooks, so they work on any torch module whose layers are Python modules.

    vectors, singular_values = sefa_directions(g, top=5)              # (5, d), (5,)
    vectors, explained, layer = pca_directions(g, layer=None, samples=20_000, top=5)
"""

from __future__ import annotations

import copy
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from latentkit.errors import ConfigError
from latentkit.generator.contract import GeneratorLike, module_device
from latentkit.generator.sampling import prior_latents

_NORMS = (nn.BatchNorm1d, nn.BatchNorm2d)
_LINEAR_IN_Z = (nn.Linear, nn.ConvTranspose2d, nn.Conv2d)
ACTIVATION_LIMIT = 400_000_000  # floats of layer activations PCA may hold (1.6 GB)


class Call(NamedTuple):
    name: str  # the leaf module's name in named_modules(), e.g. "net.0"
    module: nn.Module
    input: torch.Tensor
    output: torch.Tensor


class _Stop(Exception):
    """Raised by activations' hook to end a forward pass once its layer has run."""


def _leaves(generator: nn.Module) -> list[tuple[str, nn.Module]]:
    scripted = [n for n, m in generator.named_modules() if isinstance(m, torch.jit.ScriptModule)]
    if scripted:
        raise ConfigError("this generator is TorchScript, whose layers cannot be traced; "
                          "load it as a Python module (--model file.py:function) for sefa and pca")
    return [(n, m) for n, m in generator.named_modules() if not list(m.children())]


@torch.inference_mode()
def trace(generator: nn.Module, z: torch.Tensor) -> list[Call]:
    """The leaf modules `generator(z)` calls, in call order, with their first input and output.
    Runs a copy in eval mode."""
    generator = copy.deepcopy(generator).eval()
    z = z.to(module_device(generator))
    calls: list[Call] = []

    def record(name):
        def hook(module, inputs, output):
            if inputs and isinstance(inputs[0], torch.Tensor) and isinstance(output, torch.Tensor):
                calls.append(Call(name, module, inputs[0].cpu(), output.cpu()))

        return hook

    handles = [m.register_forward_hook(record(n)) for n, m in _leaves(generator)]
    try:
        generator(z)
    finally:
        for h in handles:
            h.remove()
    return calls


def first_linear_map(generator: GeneratorLike, fold_batchnorm: bool = False) -> tuple[np.ndarray, str]:
    """(W (features, d), description): the linear map from z to the first layer's output,
    with a BatchNorm that follows it folded in (eval mode) if `fold_batchnorm`. ConfigError,
    naming what was found, when the generator does not start with a Linear or a convolution of z."""
    d = generator.latent_dim
    z = generator.sample_latents(2, seed=0)
    calls = trace(generator, z)
    first = next((c for c in calls if any(True for _ in c.module.parameters())), None)
    if first is None:
        raise ConfigError("this generator has no layer with weights; sefa needs a first Linear or "
                          "ConvTranspose2d applied to z (use --method pca or classifier)")
    kind = type(first.module).__name__
    if not isinstance(first.module, _LINEAR_IN_Z) or first.input.numel() != z.numel() \
            or not torch.allclose(first.input.reshape(z.shape).float(), z):
        raise ConfigError(f"sefa needs a generator whose first layer is a Linear or ConvTranspose2d applied to z; "
                          f"this one starts with {kind} ({first.name}) on "
                          f"{'z' if first.input.numel() == z.numel() else 'something else'}: "
                          "use --method classifier, mean or pca")
    layer = copy.deepcopy(first.module).eval().cpu()
    with torch.inference_mode():
        shape = (d, *first.input.shape[1:])
        basis = torch.eye(d).reshape(shape)
        w = (layer(basis) - layer(torch.zeros(shape))).reshape(d, -1).T  # (features, d)
        after = calls[calls.index(first) + 1] if calls.index(first) + 1 < len(calls) else None
        description = f"{kind} {first.name}"
        if fold_batchnorm and after is not None and isinstance(after.module, _NORMS) \
                and torch.equal(after.input, first.output):
            bn = copy.deepcopy(after.module).cpu()
            scale = bn.weight / torch.sqrt(bn.running_var + bn.eps) if bn.affine else 1 / torch.sqrt(
                bn.running_var + bn.eps)
            per_feature = scale.repeat_interleave(w.shape[0] // scale.numel())
            w = per_feature[:, None] * w
            description += f" + {type(bn).__name__} {after.name} (folded)"
    return w.double().numpy(), description


def fixed_signs(vectors: np.ndarray) -> np.ndarray:
    """Each row flipped so its largest-magnitude entry is positive: the same directions on every run."""
    biggest = vectors[np.arange(len(vectors)), np.abs(vectors).argmax(1)]
    return vectors * np.where(biggest < 0, -1.0, 1.0)[:, None]


def sefa_directions(generator: GeneratorLike, top: int, fold_batchnorm: bool = False,
                    ) -> tuple[np.ndarray, np.ndarray, str]:
    """(unit directions (top, d), singular values (top,), the layer used): the top right
    singular vectors of the first linear map of z, strongest first; each singular value is the
    square root of SeFa's eigenvalue. See the module docstring for `fold_batchnorm`."""
    w, description = first_linear_map(generator, fold_batchnorm)
    if not fold_batchnorm:  # factorize_weight's normalisation (a dead feature is left at zero)
        norms = np.linalg.norm(w, axis=1, keepdims=True)
        w = w / np.where(norms > 0, norms, 1.0)
        description += " (features normalised)"
    _, s, vt = np.linalg.svd(w, full_matrices=False)
    top = min(top, len(s))
    return fixed_signs(vt[:top]), s[:top], description


def sefa_spectrum(generator: GeneratorLike, top: int) -> np.ndarray | None:
    """The `top` SeFa singular values of the generator's first layer, scaled to sum 1: how its
    variation is shared among directions; None if it has no such layer."""
    try:
        _, singular, _ = sefa_directions(generator, top)
    except ConfigError:
        return None
    return singular / singular.sum()


def default_layer(calls: list[Call]) -> str:
    """GANSpace's usual choice on a small generator: the first hidden activation, i.e. the
    first leaf after the first layer with weights that is not a normalisation."""
    start = next((i for i, c in enumerate(calls) if any(True for _ in c.module.parameters())), None)
    if start is None:
        raise ConfigError("this generator has no layer with weights, so it has no hidden layer for pca")
    for c in calls[start + 1:]:
        if not isinstance(c.module, _NORMS) and not any(True for _ in c.module.parameters()):
            return c.name
    return calls[start].name


@torch.inference_mode()
def activations(generator: GeneratorLike, z: torch.Tensor, layer: str, batch: int = 1024) -> np.ndarray:
    """(N, features) outputs of the module named `layer` for latents z (N, d), flattened. One eval
    copy and one hook serve every batch; each pass stops once the layer has run."""
    copy_ = copy.deepcopy(generator).eval()
    z = z.to(module_device(copy_))
    out: list[np.ndarray] = []

    def keep(module, inputs, output):
        out.append(output.flatten(1).float().cpu().numpy())
        raise _Stop

    handle = dict(copy_.named_modules())[layer].register_forward_hook(keep)
    try:
        for zb in z.split(batch):
            try:
                copy_(zb)
            except _Stop:
                pass
    finally:
        handle.remove()
    return np.concatenate(out)


def pca_directions(generator: GeneratorLike, layer: str | None, samples: int, top: int,
                   seed: int = 0, truncation: float = 1.0) -> tuple[np.ndarray, np.ndarray, str]:
    """GANSpace: (unit z directions (top, d), explained variance ratio (top,), layer name).
    PCA of the activations at `layer` (None: the first hidden layer) over `samples` prior
    latents (truncated by `truncation`, sampling.prior_latents); component i is mapped to z by
    regressing z on the PCA coordinates."""
    from sklearn.decomposition import PCA

    probe = generator.sample_latents(2, seed=seed)
    calls = trace(generator, probe)
    names = [c.name for c in calls]
    layer = default_layer(calls) if layer is None else layer
    if layer not in names:
        shown = ", ".join(names[:20]) + (" ..." if len(names) > 20 else "")
        raise ConfigError(f"--layer {layer!r} is not a layer this generator runs; its layers are {shown}")
    width = calls[names.index(layer)].output[0].numel()
    if width * samples > ACTIVATION_LIMIT:
        raise ConfigError(f"layer {layer} has {width:,} activations per sample; {samples:,} samples would hold "
                          f"{width * samples:,} floats (limit {ACTIVATION_LIMIT:,}): lower --samples or pick "
                          "an earlier layer")
    top = min(top, width, generator.latent_dim)
    z = prior_latents(generator, samples, seed, truncation)
    pca = PCA(n_components=top, random_state=seed)
    coords = pca.fit_transform(activations(generator, z, layer))  # (N, top)
    to_z, *_ = np.linalg.lstsq(coords, z.double().numpy(), rcond=None)  # (top, d)
    norms = np.linalg.norm(to_z, axis=1, keepdims=True)
    return to_z / np.where(norms > 0, norms, 1), pca.explained_variance_ratio_, layer
