"""Any generator: the contract, wrap_generator, and generators written by users (Python
files and TorchScript) through every analysis, from Python and from the command line."""

import numpy as np
import pytest
import torch
from conftest import assert_one_line_error
from torch import nn

import latentkit
from latentkit.errors import CheckpointError, ConfigError
from latentkit.generator.contract import GeneratorLike, load_python_generator, wrap_generator

# Three generators a user might have written, none importing latentkit: a pytorch/examples
# dcgan/main.py generator (64x64, Tanh, z as (B, nz, 1, 1)), a flat MLP with Tanh, and a
# VAE-style decoder with a Sigmoid. Tiny widths keep the tests fast.
USER_CODE = '''
import torch
from torch import nn


class DCGANGenerator(nn.Module):  # pytorch/examples dcgan/main.py, nc=1
    def __init__(self, nz=16, ngf=4):
        super().__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * 8), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf), nn.ReLU(True),
            nn.ConvTranspose2d(ngf, 1, 4, 2, 1, bias=False), nn.Tanh(),  # (B, 1, 64, 64)
        )

    def forward(self, z):
        return self.main(z)


class Decoder(nn.Module):  # a VAE's decoder: z -> Bernoulli means in [0, 1], flat
    def __init__(self, nz=8):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(nz, 64), nn.Linear(64, 784)

    def forward(self, z):
        return torch.sigmoid(self.fc2(torch.relu(self.fc1(z))))


def dcgan():
    torch.manual_seed(0)
    return DCGANGenerator()


def mlp():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(12, 64), nn.ReLU(), nn.Linear(64, 784), nn.Tanh())


def vae():
    import latentkit  # the decoder ends in torch.sigmoid, not a module: say its range explicitly

    torch.manual_seed(0)
    return latentkit.wrap_generator(Decoder(), latent_dim=8, value_range=(0, 1))
'''
KINDS = {"dcgan": 16, "mlp": 12, "vae": 8}  # function -> latent size


@pytest.fixture
def user_file(tmp_path):
    path = tmp_path / "mygen.py"
    path.write_text(USER_CODE)
    return path


@pytest.fixture(scope="module")
def classifier():
    return latentkit.load_classifier()


@pytest.mark.parametrize("kind", KINDS)
def test_user_generators_go_through_every_analysis_from_python(user_file, classifier, kind):
    from latentkit.analyses import evaluate, interpolate, latent_map, plane, sweep

    g = load_python_generator(f"{user_file}:{kind}")
    assert isinstance(g, GeneratorLike) and g.latent_dim == KINDS[kind] and g.dataset == "mnist"
    images = g(g.sample_latents(5, seed=0))
    assert images.shape == (5, 1, 28, 28) and 0 <= images.min() and images.max() <= 1

    # An untrained generator draws no digit the classifier is sure of: a walk between classes
    # is refused in words, and one between two of its latents goes through.
    with pytest.raises(ConfigError, match=r"only 0 of 256 samples are read as class 3 \(probability >= 0.9\)"):
        interpolate(g, classifier, [3, 8], steps=4, pool=256)
    ends = list(g.sample_latents(2, seed=0))
    path = interpolate(g, classifier, ends, steps=4)
    assert path.images.shape == (1, 4, 28, 28) and np.allclose(path.z[0, [0, -1]], torch.stack(ends).numpy())
    s = sweep(g, classifier, dims=[0, 1], values=[-3, 3], samples=2)
    assert s.images.shape == (2, 2, 2, 28, 28) and (s.pixel_change > 0).all(), "every coordinate moves pixels"
    m = latent_map(g, classifier, samples=40, method="pca")
    assert m.embedding.shape == (40, 2) and np.isfinite(m.embedding).all()
    p = plane(g, classifier, dims=[0, 1], resolution=4, mosaic=2)
    assert p.probs.shape == (4, 4, 10)
    e = evaluate(g, classifier, samples=20, ppl_paths=2)
    assert np.isfinite(e.metrics["fid"]["generated"]) and e.params["generator_dataset"] == "mnist"


@pytest.mark.parametrize("kind", KINDS)
def test_user_generators_go_through_every_analysis_from_the_cli(run_cli, user_file, tmp_path, classifier, kind):
    spec = f"{user_file}:{kind}"
    for i, z in enumerate(load_python_generator(spec).sample_latents(2, seed=0)):
        np.save(tmp_path / f"z{i}.npy", z.numpy())
    runs = {
        "interpolate": ["--from-z", "z0.npy", "--to-z", "z1.npy", "--steps", 4],
        "sweep": ["--dims", "0,1", "--samples", 2],
        "map": ["--samples", 40, "--method", "pca"],
        "plane": ["--dims", "0,1", "--resolution", 4],
        "eval": ["--samples", 20, "--ppl-paths", 2],
    }
    from latentkit.generator.weights import sha256
    from latentkit.results.stored import read_attrs

    for command, args in runs.items():
        result = run_cli(command, "--model", spec, *args, "--out", f"out/{command}")
        assert result.exit_code == 0, f"{command}: {result.output}"
        attrs = read_attrs(tmp_path / "out" / command / f"{command}.h5")
        assert attrs["generator"] == spec and attrs["generator_sha256"] == sha256(user_file)
        assert attrs["classifier"] == "mnist-classifier" and (tmp_path / "out" / command / f"{command}.png").is_file()


def test_torchscript_generator_through_the_cli(run_cli, tmp_path):
    torch.manual_seed(0)
    module = nn.Sequential(nn.Linear(10, 784), nn.Tanh())
    torch.jit.save(torch.jit.script(module), tmp_path / "g.pt")
    result = run_cli("sweep", "--model", "g.pt", "--dims", "0,9", "--out", "o")
    assert result.exit_code == 0, result.output
    from latentkit.analyses.sweep import SweepResult

    assert SweepResult.load(tmp_path / "o" / "sweep.h5").base_z.shape == (3, 10)


@pytest.mark.parametrize("saved,zipped", [("module", True), ("state_dict", True), ("module", False)])
def test_a_pickle_is_not_loaded_and_is_named_as_one(run_cli, tmp_path, saved, zipped):
    module = nn.Linear(10, 784)  # a pickled module or state dict, which latentkit must not unpickle
    torch.save(module if saved == "module" else module.state_dict(), tmp_path / "g.pt",
               _use_new_zipfile_serialization=zipped)
    result = run_cli("sweep", "--model", "g.pt", "--dims", "0")
    assert_one_line_error(result, "g.pt is a torch.save pickle", "never unpickles", "torch.jit.save")
    assert "miniz" not in result.output and "safetensors" not in result.output


@pytest.mark.parametrize("module,latent_dim,size", [
    (nn.Sequential(nn.Linear(4, 32 * 32), nn.Tanh()), 4, 32),  # flat 32x32
    (nn.Sequential(nn.Linear(4, 28 * 28), nn.Unflatten(1, (28, 28)), nn.Tanh()), 4, 28),  # (B, 28, 28)
    (nn.Sequential(nn.ConvTranspose2d(4, 1, 28), nn.Tanh()), 4, 28),  # wants (B, d, 1, 1)
    (nn.Tanh(), 784, 28),  # no parameters at all
])
def test_wrap_generator_adapts_shapes_and_ranges(module, latent_dim, size, classifier):
    g = wrap_generator(module, latent_dim, value_range=(-1, 1))
    z = g.sample_latents(3, seed=0)
    x = g(z)
    assert x.shape == (3, 1, 28, 28) and 0 <= x.min() and x.max() <= 1
    assert g.native(z)[0].numel() == size * size
    if size == 28:  # the Tanh output mapped to [0, 1] exactly
        expected = (module(z if latent_dim == 784 or not g.spatial_latents else z[:, :, None, None]) + 1) / 2
        assert torch.allclose(x, expected.reshape(3, 1, 28, 28))
    from latentkit.analyses import sweep

    assert sweep(g, classifier, dims=[0], samples=1).images.shape == (1, 1, 3, 28, 28)


def test_wrap_generator_maps_a_value_range_onto_unit():
    g = wrap_generator(nn.Identity(), 784, value_range=(0, 255))
    z = torch.full((1, 784), 127.5)
    assert torch.allclose(g(z), torch.full((1, 1, 28, 28), 0.5))


@pytest.mark.parametrize("module,latent_dim,match", [
    (nn.Linear(4, 100), 4, "output has shape .2, 100."),  # not a square one-channel image
    (nn.Sequential(nn.Linear(4, 3 * 64 * 64), nn.Unflatten(1, (3, 64, 64))), 4, "one-channel"),
    (nn.Linear(5, 784), 4, "does not take latents of size 4"),
])
def test_wrap_generator_names_what_does_not_fit(module, latent_dim, match):
    with pytest.raises(ConfigError, match=match):
        wrap_generator(module, latent_dim)


def test_analyses_check_the_contract_and_name_the_adapter(classifier):
    from latentkit.analyses import sweep

    with pytest.raises(ConfigError, match="wrap_generator"):
        sweep(nn.Linear(4, 784), classifier, dims=[0])

    class Liar(nn.Module):  # says [0, 1] but draws [-1, 1]
        latent_dim, dataset = 4, "mnist"

        def sample_latents(self, n, seed=None, device="cpu"):
            return torch.randn(n, 4, generator=torch.Generator().manual_seed(seed or 0))

        def forward(self, z):
            return torch.tanh(z.sum(1)).view(-1, 1, 1, 1).expand(-1, 1, 28, 28) * 0 - 1

    with pytest.raises(ConfigError, match="not .0, 1.; give wrap_generator the module's value_range"):
        sweep(Liar(), classifier, dims=[0])


@pytest.mark.parametrize("body,match", [
    ("def make():\n    return 3\n", "gave a int, not a torch module"),
    ("def make():\n    raise RuntimeError('my bug')\n", "RuntimeError: my bug"),
    ("import no_such_module_anywhere\n", "ModuleNotFoundError"),
    ("def other():\n    pass\n", "has no function 'make' .it defines: other."),
    ("import torch\ndef make():\n    return torch.nn.Linear(4, 784)\n", "cannot tell the latent size or pixel range"),
])
def test_bad_python_generators_give_one_line(run_cli, tmp_path, body, match):
    (tmp_path / "bad.py").write_text(body)
    with pytest.raises(CheckpointError, match=match):
        load_python_generator(f"{tmp_path / 'bad.py'}:make")
    assert_one_line_error(run_cli("sweep", "--model", "bad.py:make", "--dims", "0", "--out", "o"))
    assert not (tmp_path / "o").exists()


def test_the_classifier_follows_the_generators_dataset(run_cli, tmp_path):
    result = run_cli("sweep", "--model", "fashion-mnist-dcgan", "--dims", "3", "--out", "o")
    assert result.exit_code == 0, result.output
    from latentkit.results.stored import read_attrs

    attrs = read_attrs(tmp_path / "o" / "sweep.h5")
    assert attrs["classifier"] == "fashion-mnist-classifier" and attrs["generator_dataset"] == "fashion-mnist"
    assert attrs["allow_mismatch"] == 0


@pytest.mark.parametrize("command,args", [
    ("sweep", ["--dims", "3"]), ("interpolate", ["--from", "1", "--to", "2"]), ("map", ["--samples", "20"]),
    ("plane", ["--dims", "1,2"]), ("eval", ["--samples", "20"]),
])
def test_a_classifier_of_another_dataset_is_refused_unless_allowed(run_cli, tmp_path, command, args):
    mismatch = ["--model", "fashion-mnist-dcgan", "--classifier", "mnist-classifier"]
    assert_one_line_error(run_cli(command, *mismatch, *args, "--out", "o"), "draws fashion-mnist",
                          "reads mnist", "--allow-mismatch")
    assert not (tmp_path / "o").exists()
    if command == "sweep":
        allowed = run_cli(command, *mismatch, *args, "--allow-mismatch", "--out", "o")
        assert allowed.exit_code == 0, allowed.output
        from latentkit.results.stored import read_attrs

        attrs = read_attrs(tmp_path / "o" / "sweep.h5")
        assert attrs["allow_mismatch"] == 1 and attrs["classifier_dataset"] == "mnist"
        assert attrs["params"]["allow_mismatch"] is True


def test_bundled_generators_know_their_dataset():
    assert latentkit.load_generator("fashion-mnist-dcgan").dataset == "fashion-mnist"
    assert latentkit.load_generator("mnist-dcgan").dataset == "mnist"


def test_nan_weights_are_named_at_load(tmp_path, tiny_generator_file):
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    with safe_open(str(tiny_generator_file), "pt") as f:
        meta = f.metadata()
    state = load_file(tiny_generator_file)
    first = next(k for k, v in state.items() if v.is_floating_point())
    state[first][0] = float("nan")
    save_file(state, tmp_path / "nan.safetensors", metadata=meta)
    with pytest.raises(CheckpointError, match="NaN or infinite weights"):
        latentkit.load_generator(tmp_path / "nan.safetensors")


def test_the_plain_torch_example_loads_through_mygen(run_cli, tmp_path, monkeypatch):
    """docs/examples: weights saved by a script that never imported latentkit, handed over by mygen.py:make."""
    import importlib.util

    from conftest import REPO

    spec = importlib.util.spec_from_file_location("plain_gan", REPO / "docs" / "examples" / "plain_gan.py")
    plain = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plain)
    torch.save(plain.Generator().state_dict(), tmp_path / "weights.pt")
    monkeypatch.setenv("PLAIN_GAN_WEIGHTS", str(tmp_path / "weights.pt"))
    result = run_cli("sweep", "--model", REPO / "docs" / "examples" / "mygen.py:make", "--dims", "0,63", "--out", "o")
    assert result.exit_code == 0, result.output
    from latentkit.analyses import SweepResult

    assert SweepResult.load(tmp_path / "o" / "sweep.h5").base_z.shape == (3, plain.LATENT)


def test_new_weights_carry_their_dataset_without_a_card(tmp_path):
    from latentkit.generator.weights import read_weights, save_weights
    from latentkit.models import GANConfig, Generator

    path = save_weights(Generator(GANConfig("r004-mlp", 8, 4, dataset="fashion-mnist")), tmp_path / "g.safetensors",
                        "generator")
    assert '"dataset": "fashion-mnist"' in read_weights(path)[1]["config"]
    assert latentkit.load_generator(path).dataset == "fashion-mnist"
