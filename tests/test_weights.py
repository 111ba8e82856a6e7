import pytest
import torch

from latentkit.errors import CheckpointError
from latentkit.generator.weights import load_weights, read_weights, save_weights
from latentkit.models import Classifier, ClassifierConfig, Generator


def test_generator_round_trip_rebuilds_from_metadata(tiny_generator_file):
    g = load_weights(tiny_generator_file, expect="generator")
    assert isinstance(g, Generator) and g.latent_dim == 16 and not g.training
    z = torch.randn(2, 16)
    again = load_weights(tiny_generator_file)
    assert torch.equal(g(z), again(z))


def test_classifier_round_trip(tmp_path):
    clf = Classifier(ClassifierConfig("fashion-mnist", width=4, feature_dim=8)).eval()
    path = save_weights(clf, tmp_path / "c.safetensors", "classifier")
    loaded = load_weights(path, expect="classifier")
    x = torch.rand(3, 1, 28, 28)
    assert loaded.config == clf.config and torch.equal(loaded(x), clf(x))


def test_truncated_file_is_refused(tiny_generator_file):
    data = tiny_generator_file.read_bytes()
    tiny_generator_file.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        load_weights(tiny_generator_file)


def test_garbage_file_is_refused(tmp_path):
    path = tmp_path / "junk.safetensors"
    path.write_bytes(b"\x00\x01 not a safetensors file" * 10)
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        read_weights(path)


def test_foreign_safetensors_is_refused(tmp_path):
    from safetensors.torch import save_file

    save_file({"w": torch.zeros(2)}, str(tmp_path / "other.safetensors"))
    with pytest.raises(CheckpointError, match="not a latentkit generator/classifier"):
        load_weights(tmp_path / "other.safetensors")


def test_wrong_kind_and_missing_keys_are_named(tiny_generator_file, tmp_path):
    with pytest.raises(CheckpointError, match="holds a generator, not a classifier"):
        load_weights(tiny_generator_file, expect="classifier")
    from safetensors.torch import load_file, save_file

    state = load_file(str(tiny_generator_file))
    state.pop("net.0.weight")
    _, meta = read_weights(tiny_generator_file)
    save_file(state, str(tmp_path / "partial.safetensors"), metadata=meta)
    with pytest.raises(CheckpointError, match="net.0.weight"):
        load_weights(tmp_path / "partial.safetensors")


def test_missing_file_is_named(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_weights(tmp_path / "nope.safetensors")


def test_a_full_disk_while_saving_weights_is_one_error_and_no_file(tmp_path):
    """A file-size limit stands in for a full disk: the write fails as an OutputError, nothing is left."""
    import subprocess
    import sys

    code = (
        "import resource, signal, sys\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "from latentkit.errors import OutputError\n"
        "from latentkit.models import GANConfig, Generator\n"
        "from latentkit.generator.weights import save_weights\n"
        "try:\n"
        "    save_weights(Generator(GANConfig('dcgan', 100, 32)), sys.argv[1] + '/g.safetensors', 'generator')\n"
        "except OutputError as err:\n"
        "    print('OutputError', err)\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True)
    assert done.stdout.startswith("OutputError cannot write g.safetensors"), done.stdout + done.stderr
    assert list(tmp_path.iterdir()) == []
