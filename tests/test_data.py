from pathlib import Path

import pytest

from latentkit.data import DATA_ENV, data_root, load_images
from latentkit.errors import ConfigError, DataError


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
    assert sorted(test.labels.unique().tolist()) == list(range(10))
    assert len(load_images(dataset, train=True, limit=100)) == 100


def test_missing_data_offline_says_where_and_how(tmp_path, offline):
    with pytest.raises(DataError) as err:
        load_images("mnist", data_dir=tmp_path / "empty")
    message = str(err.value)
    assert str(Path(tmp_path / "empty" / "MNIST" / "raw")) in message
    assert DATA_ENV in message and "--data-dir" in message and "\n" not in message


def test_unknown_dataset():
    with pytest.raises(ConfigError, match="unknown dataset 'cifar'"):
        load_images("cifar")
