import gzip
import hashlib
import shutil
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import DATA_DIR

from latentkit.data.datasets import DATA_ENV, data_root, load_images
from latentkit.errors import ConfigError, DataError

RAW_NAMES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]


def test_data_root_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "env"))
    assert data_root(tmp_path / "arg") == tmp_path / "arg"
    assert data_root() == tmp_path / "env"
    monkeypatch.delenv(DATA_ENV)
    assert "latentkit" in str(data_root())


@pytest.mark.parametrize("dataset", ["mnist", "fashion-mnist"])
def test_loads_whole_split_as_uint8(dataset):
    test = load_images(dataset, train=False)
    assert test.images.shape == (10_000, 28, 28) and str(test.images.dtype) == "torch.uint8"
    assert str(test.labels.dtype) == "torch.int64"
    assert sorted(test.labels.unique().tolist()) == list(range(10))
    assert len(load_images(dataset, train=True, limit=100)) == 100


def test_reads_what_torchvision_reads():
    import torchvision

    ours = load_images("mnist", train=False)
    theirs = torchvision.datasets.MNIST(str(DATA_DIR), train=False)
    assert ours.images.equal(theirs.data) and ours.labels.equal(theirs.targets)
    first = load_images("mnist", train=False, limit=7)
    assert first.images.equal(theirs.data[:7]) and first.labels.equal(theirs.targets[:7])


def test_missing_data_offline_says_where_and_how(tmp_path, offline):
    with pytest.raises(DataError) as err:
        load_images("mnist", data_dir=tmp_path / "empty")
    message = str(err.value)
    assert str(Path(tmp_path / "empty" / "MNIST" / "raw")) in message
    assert DATA_ENV in message and "--data-dir" in message and "\n" not in message


def test_offline_download_gives_a_reason(tmp_path, offline, capfd):
    with pytest.raises(DataError) as err:
        load_images("mnist", data_dir=tmp_path)
    assert "could not be downloaded (no network connection: network is unreachable (simulated))" in str(err.value)
    assert capfd.readouterr() == ("", "")


def test_failed_download_leaves_the_data_folder_as_it_was(tmp_path, offline):
    (tmp_path / "data").mkdir()
    with pytest.raises(DataError):
        load_images("fashion-mnist", data_dir=tmp_path / "data")
    assert list((tmp_path / "data").iterdir()) == []  # no empty FashionMNIST/raw made for nothing


def copy_raw(tmp_path: Path, names=RAW_NAMES, dataset_folder="MNIST") -> Path:
    raw = tmp_path / "data" / dataset_folder / "raw"
    raw.mkdir(parents=True)
    for name in names:
        shutil.copyfile(DATA_DIR / dataset_folder / "raw" / name, raw / name)
    return raw


def test_truncated_file_is_named_as_damaged_not_missing(tmp_path, capfd):
    raw = copy_raw(tmp_path)
    images = raw / "train-images-idx3-ubyte"
    size = images.stat().st_size
    with open(images, "r+b") as f:
        f.truncate(size // 2)
    with pytest.raises(DataError) as err:
        load_images("mnist", data_dir=tmp_path / "data", limit=10)
    message = str(err.value)
    assert str(images) in message and "damaged" in message and f"{size // 2:,} of {size:,} bytes" in message
    assert "delete it" in message and "replace it" in message
    assert "not found" not in message and "download" in message and "\n" not in message
    assert capfd.readouterr() == ("", "")  # nothing on stdout/stderr besides the error the CLI prints
    assert images.stat().st_size == size // 2  # the file is reported, not touched


def _rewrite(path: Path, edit) -> None:
    path.write_bytes(edit(path.read_bytes()))


@pytest.mark.parametrize(
    "name, edit, says",
    [
        ("t10k-images-idx3-ubyte", lambda b: b"", "empty"),
        ("t10k-images-idx3-ubyte", lambda b: b[:10], "shorter than its header"),
        ("t10k-images-idx3-ubyte", lambda b: b"<html>not found</html>" + b[22:], "not a uint8 IDX file"),
        ("t10k-images-idx3-ubyte", lambda b: b + b"\0" * 5, "5 bytes longer than its header says"),
        ("t10k-labels-idx1-ubyte", lambda b: b[:-1], "truncated: 10,007 of 10,008 bytes"),
        ("t10k-labels-idx1-ubyte", lambda b: b[:8] + b"\xc8" + b[9:], "label 200 is not a class 0-9"),
        ("t10k-images-idx3-ubyte", lambda b: b[:4] + (10_000 * 28).to_bytes(4, "big") + (28).to_bytes(4, "big")
         + (1).to_bytes(4, "big") + b[16:], "not 28x28"),
    ],
)
def test_damaged_files_are_named(tmp_path, name, edit, says):
    raw = copy_raw(tmp_path, names=RAW_NAMES[2:])
    _rewrite(raw / name, edit)
    with pytest.raises(DataError) as err:
        load_images("mnist", train=False, data_dir=tmp_path / "data")
    assert str(raw / name) in str(err.value) and says in str(err.value)


def test_images_and_labels_of_different_lengths(tmp_path):
    raw = copy_raw(tmp_path, names=RAW_NAMES[2:])
    _rewrite(raw / "t10k-labels-idx1-ubyte", lambda b: b[:4] + (9_999).to_bytes(4, "big") + b[8:-1])
    with pytest.raises(DataError, match="holds 10,000 images but .* holds 9,999 labels"):
        load_images("mnist", train=False, data_dir=tmp_path / "data")


def test_a_folder_where_a_file_should_be(tmp_path):
    raw = copy_raw(tmp_path, names=RAW_NAMES[3:])
    (raw / "t10k-images-idx3-ubyte").mkdir()
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte is not a file"):
        load_images("mnist", train=False, data_dir=tmp_path / "data")


def test_one_split_needs_only_its_own_files(tmp_path, offline):
    copy_raw(tmp_path, names=RAW_NAMES[2:], dataset_folder="FashionMNIST")
    assert len(load_images("fashion-mnist", train=False, data_dir=tmp_path / "data")) == 10_000


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """A local HTTP mirror serving MNIST's test split as .gz files, standing in for the network."""
    import torchvision.datasets.mnist as tv_mnist

    served = tmp_path / "mirror"
    served.mkdir()
    resources = []
    for name in RAW_NAMES[2:]:
        archive = served / f"{name}.gz"
        archive.write_bytes(gzip.compress((DATA_DIR / "MNIST" / "raw" / name).read_bytes(), mtime=0))
        resources.append((archive.name, hashlib.md5(archive.read_bytes()).hexdigest()))

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(served)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    monkeypatch.setattr(tv_mnist.MNIST, "mirrors", [url + "missing/", url])  # the first mirror answers 404
    monkeypatch.setattr(tv_mnist.MNIST, "resources", resources)
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    yield served
    server.shutdown()
    server.server_close()


def test_downloads_missing_files_quietly_and_whole(tmp_path, mirror, capfd):
    stale = tmp_path / "data" / "MNIST" / "raw" / ".download.999999999.abc"  # left by a killed download
    stale.mkdir(parents=True)
    (stale / "t10k-images-idx3-ubyte.gz").write_bytes(b"half")
    test = load_images("mnist", train=False, data_dir=tmp_path / "data")
    assert len(test) == 10_000 and test.images.equal(load_images("mnist", train=False).images)
    raw = tmp_path / "data" / "MNIST" / "raw"
    assert sorted(p.name for p in raw.iterdir()) == ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]
    assert capfd.readouterr() == ("", "")  # no progress bars or 'Downloading ...' around the one-line promise


def test_corrupt_download_is_refused_and_not_kept(tmp_path, mirror):
    archive = mirror / "t10k-labels-idx1-ubyte.gz"
    archive.write_bytes(archive.read_bytes()[:-20])
    with pytest.raises(DataError, match=r"could not be downloaded \(.*failed its checksum"):
        load_images("mnist", train=False, data_dir=tmp_path / "data")
    raw = tmp_path / "data" / "MNIST" / "raw"
    assert sorted(p.name for p in raw.iterdir()) == ["t10k-images-idx3-ubyte"]  # whole files only


def test_unknown_dataset():
    with pytest.raises(ConfigError, match="unknown dataset 'cifar'"):
        load_images("cifar")
