"""Any generator: the contract every analysis relies on, an adapter for a torch module
you wrote, and loading one from a Python file or a TorchScript archive (never a pickle).

    import latentkit
    g = latentkit.wrap_generator(my_dcgan, latent_dim=100, value_range=(-1, 1))
    latentkit.analyses.interpolate(g, latentkit.load_classifier(), [9, 4])

On the command line, `--model path/to/file.py:make` imports the file (your own code, run on
purpose) and calls `make()`, which returns a module or a wrapped generator; `--model
gen.pt` loads a `torch.jit.save` archive.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import warnings
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol, runtime_checkable

import torch
from torch import nn

from latentkit.data.pixels import SIZES, to_unit28
from latentkit.errors import CheckpointError, ConfigError, first_line
from latentkit.names import CLASSES

WRAP_HINT = "adapt it with latentkit.wrap_generator(module, latent_dim, value_range=(-1, 1), dataset='mnist')"


@runtime_checkable
class GeneratorLike(Protocol):
    """What every analysis needs of a generator; the zoo's `Generator` and `wrap_generator`'s
    result both have it.

        latent_dim                     length of z
        dataset                        what it draws: "mnist" or "fashion-mnist" (picks the classifier)
        sample_latents(n, seed)        (n, latent_dim) latents from its prior, reproducible from seed
        generator(z)                   (B, latent_dim) -> images (B, 1, 28, 28) in [0, 1]
    """

    latent_dim: int
    dataset: str

    def sample_latents(self, n: int, seed: int | None = None, device: torch.device | str = "cpu") -> torch.Tensor:
        ...

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        ...


def module_device(module: nn.Module) -> torch.device:
    """Where a module's weights live (CPU for a module with none)."""
    for tensor in (*module.parameters(), *module.buffers()):
        return tensor.device
    return torch.device("cpu")


class WrappedGenerator(nn.Module):
    """A torch module that maps noise to images, seen through latentkit's generator contract.

    `native(z)` is the module's own output; `forward(z)` is (B, 1, 28, 28) in [0, 1]:
    flat outputs are reshaped, `value_range` is mapped onto [0, 1], and 32x32 / 64x64
    images come to 28x28 as the zoo's do (32 crops the 2-pixel border, 64 resizes).
    """

    def __init__(self, module: nn.Module, latent_dim: int, value_range: tuple[float, float], dataset: str,
                 spatial_latents: bool):
        super().__init__()
        self.module = module.eval()
        self.latent_dim, self.value_range, self.dataset = latent_dim, value_range, dataset
        self.spatial_latents = spatial_latents  # the module wants z as (B, d, 1, 1)

    def native(self, z: torch.Tensor) -> torch.Tensor:
        return self.module(z[:, :, None, None] if self.spatial_latents else z)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = _as_image(self.native(z))
        lo, hi = self.value_range
        return to_unit28((x - lo) / (hi - lo), "unit", x.shape[-1])

    def sample_latents(self, n: int, seed: int | None = None, device: torch.device | str = "cpu") -> torch.Tensor:
        """n latents from the N(0, I) prior, reproducible from `seed`: (n, latent_dim)."""
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        return torch.randn(n, self.latent_dim, generator=gen).to(device)

    @property
    def latent_mean(self) -> torch.Tensor:
        """The prior's mean (latent_dim,): zero, as the prior is N(0, I)."""
        return torch.zeros(self.latent_dim)

    def extra_repr(self) -> str:
        return f"latent_dim={self.latent_dim}, value_range={self.value_range}, dataset={self.dataset!r}"


def _as_image(x: torch.Tensor) -> torch.Tensor:
    """(B, S*S), (B, S, S) or (B, 1, S, S) with S in SIZES -> (B, 1, S, S)."""
    if not isinstance(x, torch.Tensor):
        raise ConfigError(f"the module returned {type(x).__name__}, not a tensor of images; return the images "
                          "alone from forward")
    given = tuple(x.shape)
    if x.dim() == 2:
        side = round(x.shape[1] ** 0.5)
        if side * side == x.shape[1]:
            x = x.view(-1, 1, side, side)
    elif x.dim() == 3:
        x = x.unsqueeze(1)
    if x.dim() != 4 or x.shape[1] != 1 or x.shape[2] != x.shape[3] or x.shape[3] not in SIZES:
        raise ConfigError(
            f"the module's output has shape {given}; latentkit reads one-channel square images: "
            f"(B, S*S), (B, S, S) or (B, 1, S, S) with S in {', '.join(map(str, SIZES))}"
        )
    return x


def wrap_generator(
    module: nn.Module, latent_dim: int, value_range: tuple[float, float] = (-1, 1), dataset: str = "mnist"
) -> WrappedGenerator:
    """Adapt a torch module mapping (B, latent_dim) noise to images into a latentkit generator.

        g = wrap_generator(netG, latent_dim=100)                      # Tanh DCGAN, 64x64, z as (B, 100, 1, 1)
        g = wrap_generator(decoder, 20, value_range=(0, 1))           # Sigmoid VAE decoder, (B, 784)

    The module is put in eval mode and tried once on two latents, first as (B, d), then as
    (B, d, 1, 1); its output may be (B, S*S), (B, S, S) or (B, 1, S, S) with S = 28, 32 or 64.
    Raises ConfigError naming what does not fit.
    """
    if not isinstance(module, nn.Module):
        raise ConfigError(f"wrap_generator needs a torch.nn.Module, got {type(module).__name__}")
    if not isinstance(latent_dim, int) or latent_dim < 1:
        raise ConfigError(f"latent_dim must be a positive integer, got {latent_dim!r}")
    lo, hi = (float(v) for v in value_range)
    if not lo < hi:
        raise ConfigError(f"value_range must be (low, high) with low < high, got {value_range!r}")
    if dataset not in CLASSES:
        raise ConfigError(f"unknown dataset {dataset!r}; choose one of: {', '.join(CLASSES)}")
    z = torch.randn(2, latent_dim, generator=torch.Generator().manual_seed(0)).to(module_device(module))
    failures = []
    for spatial in (False, True):
        wrapped = WrappedGenerator(module, latent_dim, (lo, hi), dataset, spatial)
        try:
            with torch.no_grad():
                wrapped.native(z)
        except Exception as err:  # the module's own error, whatever its type
            failures.append(f"{'(B, d, 1, 1)' if spatial else '(B, d)'}: {first_line(err)}")
            continue
        with torch.no_grad():
            wrapped(z)  # checks the output's shape
        return wrapped
    raise ConfigError(f"the module does not take latents of size {latent_dim} "
                      f"({'; '.join(failures)}); pass its latent size as latent_dim")


def check_interface(generator) -> None:
    """ConfigError naming the adapter unless `generator` is a torch module with the contract's
    attributes (what can be checked without running it)."""
    name = type(generator).__name__
    missing = [a for a in ("latent_dim", "dataset", "sample_latents") if not hasattr(generator, a)]
    if not isinstance(generator, nn.Module):
        missing.append("torch.nn.Module")
    if missing:
        raise ConfigError(f"{name} is not a latentkit generator (it lacks {', '.join(missing)}); " + WRAP_HINT)
    dim = generator.latent_dim
    if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
        raise ConfigError(f"{name}.latent_dim is {dim!r} ({type(dim).__name__}), not a positive integer; " + WRAP_HINT)
    if generator.dataset not in CLASSES:
        raise ConfigError(f"{name}.dataset is {generator.dataset!r}; it must name what it draws, one of: "
                          f"{', '.join(CLASSES)}")


def check_outputs(generator) -> None:
    """Run the contract on two latents; ConfigError naming the adapter if anything is off."""
    name = type(generator).__name__
    try:
        z = generator.sample_latents(2, seed=0)
    except Exception as err:  # the user's own code, whatever it raises
        raise ConfigError(f"{name}.sample_latents(2, seed=0) failed: {type(err).__name__}: {first_line(err)}; "
                          + WRAP_HINT) from None
    if not isinstance(z, torch.Tensor) or tuple(z.shape) != (2, generator.latent_dim):
        got = f"shape {tuple(z.shape)}" if isinstance(z, torch.Tensor) else type(z).__name__
        raise ConfigError(f"{name}.sample_latents(2) gave {got}, not a tensor of shape (2, {generator.latent_dim}); "
                          + WRAP_HINT)
    try:
        with torch.no_grad():
            x = generator(z.to(module_device(generator)))
    except Exception as err:
        raise ConfigError(f"{name} failed on latents of shape (2, {generator.latent_dim}): "
                          f"{first_line(err)}; " + WRAP_HINT) from None
    check_images(generator, x, 2)
    if x.min() < 0 or x.max() > 1:
        raise ConfigError(f"{name} returned pixels in [{x.min():.3g}, {x.max():.3g}], not [0, 1]; "
                          "give wrap_generator the module's value_range")


def check_images(generator, x, n: int) -> None:
    """ConfigError naming the generator unless `x`, what it drew for n latents, is n finite images
    (n, 1, 28, 28): checked at start-up and on every batch, as a generator can be fine on a few
    latents and NaN on others."""
    name = type(generator).__name__
    if not isinstance(x, torch.Tensor) or tuple(x.shape) != (n, 1, 28, 28):
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ConfigError(f"{name} returned {shape} for {n} latents, not images ({n}, 1, 28, 28); " + WRAP_HINT)
    bad = ~torch.isfinite(x).flatten(1).all(1)
    if bad.any():
        raise ConfigError(f"{name} draws NaN or infinite pixels for {int(bad.sum())} of {n} latents: its weights are "
                          "broken (a diverged run?) or it fails on some inputs; pass another model")


def as_generator(obj, source: str, dataset: str = "mnist") -> nn.Module:
    """`obj` if it already has the contract, else a plain module wrapped with its latent size
    and value range read off its layers (first Linear / ConvTranspose2d, last Tanh / Sigmoid)."""
    if not isinstance(obj, nn.Module):
        raise CheckpointError(f"{source} gave a {type(obj).__name__}, not a torch module; return the generator "
                              "module (or latentkit.wrap_generator(...)) from it")
    if isinstance(obj, GeneratorLike):
        return obj
    layers = [m for m in obj.modules() if not list(m.children())]
    kinds = [getattr(m, "original_name", type(m).__name__) for m in layers]  # TorchScript keeps the class name
    latent_dim = getattr(obj, "latent_dim", None)
    for m, kind in zip(layers, kinds, strict=True):
        if latent_dim is None and kind in ("Linear", "ConvTranspose2d"):
            latent_dim = m.weight.shape[1 if kind == "Linear" else 0]
    ranges = {"Tanh": (-1.0, 1.0), "Sigmoid": (0.0, 1.0)}
    if latent_dim is None or not kinds or kinds[-1] not in ranges:
        raise CheckpointError(
            f"cannot tell the latent size or pixel range of {source} (it ends in {kinds[-1] if kinds else 'nothing'}"
            f"); return latentkit.wrap_generator(module, latent_dim=..., value_range=...) from it instead")
    try:
        return wrap_generator(obj, int(latent_dim), ranges[kinds[-1]], dataset)
    except ConfigError as err:
        raise CheckpointError(f"{source}: {err}") from None


def load_python_generator(spec: str, device: torch.device | str = "cpu") -> nn.Module:
    """`path/to/file.py:function`: import the file, call function(), adapt what it returns."""
    file, _, function = spec.rpartition(":")
    path = Path(file).expanduser()
    if not path.is_file():
        raise CheckpointError(f"{spec}: no Python file {path}; give --model path/to/file.py:function")
    if not function.isidentifier():
        raise CheckpointError(f"{spec}: {function!r} is not a function name; give --model path/to/file.py:function")
    module_name = f"latentkit_user_{path.stem}"
    loader_spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(loader_spec)
    folder = str(path.parent.resolve())
    sys.path.insert(0, folder)  # so the file can import its neighbours
    sys.modules[module_name] = module  # as an import would: dataclasses and pickling look it up
    try:
        loader_spec.loader.exec_module(module)
        make = getattr(module, function, None)
        if not callable(make):
            found = [n for n, v in vars(module).items() if callable(v) and not n.startswith("_")
                     and getattr(v, "__module__", None) == module_name]
            raise CheckpointError(f"{path} has no function {function!r} (it defines: {', '.join(found) or 'none'})")
        with _said_if_slow(f"still running {spec} (your code: {function}() has not returned); Ctrl-C stops it"):
            obj = make()
    except CheckpointError:
        raise
    except (Exception, SystemExit) as err:
        raise CheckpointError(f"{spec} failed: {type(err).__name__}: {first_line(err)}") from None
    finally:
        if folder in sys.path:
            sys.path.remove(folder)
    return as_generator(obj, spec).to(device).eval()


PICKLE_REFUSAL = ("latentkit never unpickles files (a pickle can run any code): save the generator with "
                  "torch.jit.save(torch.jit.script(G), path), or give --model file.py:function that builds it")


def refuse_pickle(path: Path) -> None:
    """CheckpointError if `path` is a torch.save pickle: a zip archive with a data.pkl and no
    TorchScript code, or a bare pickle stream (torch's older format)."""
    with open(path, "rb") as f:
        head = f.read(2)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
        pickled = any(n.endswith("/data.pkl") for n in names) and not any("/code/" in n for n in names)
    else:
        pickled = head[:1] == b"\x80"  # the pickle protocol's opening byte
    if pickled:
        raise CheckpointError(f"{path} is a torch.save pickle; " + PICKLE_REFUSAL)


SLOW_SECONDS = 10.0  # how long user code may run before latentkit says what it is waiting for


@contextmanager
def _said_if_slow(message: str):
    """Print `message` on stderr if the block is still running after SLOW_SECONDS: a user's
    make() that hangs (a download, a lock, an endless loop) is named instead of silent."""
    timer = threading.Timer(SLOW_SECONDS, lambda: print(message, file=sys.stderr, flush=True))
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


def load_torchscript_generator(path: str | Path, device: torch.device | str = "cpu") -> nn.Module:
    """A `torch.jit.save` archive, adapted as `as_generator` does."""
    refuse_pickle(Path(path))
    try:
        with warnings.catch_warnings():  # torch deprecates TorchScript; the user chose this archive
            warnings.filterwarnings("ignore", category=FutureWarning, message=r".*torch\.jit")
            module = torch.jit.load(str(path), map_location=device)
    except Exception as err:
        reason = first_line(err).split(". ")[0][:100]  # torch's first sentence, not its internals
        raise CheckpointError(f"{path} is a zip archive but not a TorchScript one ({reason}); "
                              + PICKLE_REFUSAL) from None
    return as_generator(module, str(path)).eval()


def is_python_spec(text: str) -> bool:
    return text.rpartition(":")[0].endswith(".py")


def is_torchscript(path: Path) -> bool:
    return path.suffix != ".safetensors" and zipfile.is_zipfile(path)
