import h5py
import numpy as np
import pytest

from latentkit.errors import ResultFileError
from latentkit.results import describe_result, load_result, save_result

PROV = {"seed": 3, "command": "latentkit test", "generator": "g", "generator_sha256": "ab", "classifier": None}


def test_round_trip_keeps_arrays_params_and_meanings(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (5, 28, 28), dtype=np.uint8)
    probs = np.random.default_rng(1).random((5, 10)).astype(np.float32)
    path = save_result(tmp_path / "r.h5", "interpolate", {"images": images, "probs": probs},
                       {"images": "uint8 (steps, 28, 28)", "probs": "class probabilities in [0, 1]"},
                       {"steps": 5, "method": "slerp"}, PROV)
    attrs, arrays = load_result(path, "interpolate")
    assert np.array_equal(arrays["images"], images) and np.array_equal(arrays["probs"], probs)
    assert attrs["params"] == {"steps": 5, "method": "slerp"} and attrs["seed"] == 3 and attrs["classifier"] == ""
    assert attrs["analysis"] == "interpolate" and attrs["latentkit_version"] and attrs["created"]
    with h5py.File(path) as f:
        assert f["images"].compression == "gzip" and f["probs"].attrs["meaning"].startswith("class")
    assert "/images uint8 (5, 28, 28)" in describe_result(path)


def test_every_array_needs_a_meaning(tmp_path):
    with pytest.raises(ValueError, match="missing"):
        save_result(tmp_path / "r.h5", "x", {"a": np.zeros(2)}, {}, {}, PROV)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("content", [b"not hdf5 at all", None])
def test_non_hdf5_and_missing_files_are_refused(tmp_path, content):
    path = tmp_path / "x.h5"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ResultFileError, match="not an HDF5 file" if content else "does not exist"):
        load_result(path)


def test_foreign_hdf5_and_wrong_analysis_are_refused(tmp_path):
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["x"] = 1
    with pytest.raises(ResultFileError, match="not a latentkit result"):
        load_result(tmp_path / "other.h5")
    save_result(tmp_path / "r.h5", "sweep", {}, {}, {}, PROV)
    with pytest.raises(ResultFileError, match="holds a sweep result, not map"):
        load_result(tmp_path / "r.h5", "map")
