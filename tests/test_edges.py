"""The edges a hostile pass broke: data loss, silent lies, tracebacks and late or unclear errors.
Each test names the promise it holds; together they are the cases of the house issue."""

from __future__ import annotations

import errno
import json
import pathlib
import shutil

import h5py
import numpy as np
import pytest
import torch
from conftest import assert_one_line_error
from safetensors import safe_open
from safetensors.torch import save_file

from latentkit.generator.registry import bundled_dir
from latentkit.generator.weights import save_weights

SWEEP = ["sweep", "--dims", "1", "--samples", "1", "--values", "-1,1"]

NAN_ON_LARGE_BATCHES = '''
import torch


class Gen(torch.nn.Module):
    """Finite on the two latents latentkit tries first, NaN from the third latent of a batch on."""

    latent_dim, dataset = 8, "mnist"

    def __init__(self):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(8, 784), torch.nn.Sigmoid())

    def sample_latents(self, n, seed=None, device="cpu"):
        gen = torch.Generator().manual_seed(seed) if seed is not None else None
        return torch.randn(n, 8, generator=gen).to(device)

    def forward(self, z):
        x = self.net(z).view(-1, 1, 28, 28).clone()
        x[2:] = float("nan")
        return x


def make():
    return Gen()
'''

BAD_MODELS = '''
import torch
from torch import nn


class Plain(nn.Module):
    def __init__(self, mode):
        super().__init__()
        self.mode, self.net = mode, nn.Sequential(nn.Linear(100, 784), nn.Tanh())

    def forward(self, z):
        x = self.net(z)
        return None if self.mode == "none" else (x, torch.zeros(len(z)))


class Contract(nn.Module):
    dataset = "mnist"

    def __init__(self, latent_dim=100, raises=False):
        super().__init__()
        self.latent_dim, self.raises = latent_dim, raises
        self.net = nn.Sequential(nn.Linear(100, 784), nn.Sigmoid())

    def sample_latents(self, n, seed=None, device="cpu"):
        if self.raises:
            raise RuntimeError("sample_latents exploded")
        return torch.randn(n, 100)

    def forward(self, z):
        return self.net(z).view(-1, 1, 28, 28)


def plain_none():
    return Plain("none")


def plain_tuple():
    return Plain("tuple")


def sample_raises():
    return Contract(raises=True)


def dim_string():
    return Contract(latent_dim="100")
'''


def write(path: str, text: str) -> str:
    pathlib.Path(path).write_text(text)
    return path


# --- Data loss --------------------------------------------------------------------------------

@pytest.fixture
def generator_run(tmp_path, known_generator):
    """A finished generator run folder, as `latentkit models` lists it."""
    run = tmp_path / "run"
    run.mkdir()
    save_weights(known_generator, run / "generator.safetensors", "generator")
    (run / "card.json").write_text(json.dumps({"kind": "generator", "arch": "dcgan", "dataset": "mnist"}))
    return run


@pytest.mark.parametrize("command", [["train-classifier", "--out", "run", "--limit", "64"],
                                     ["train-encoder", "--model", "run", "--out", "run", "--steps", "1"]])
def test_training_into_another_kind_of_run_is_refused_and_the_run_survives(run_cli, generator_run, command):
    card = (generator_run / "card.json").read_text()
    assert_one_line_error(run_cli(*command), "holds a generator run", "pick another --out")
    assert (generator_run / "card.json").read_text() == card
    assert sorted(p.name for p in generator_run.iterdir()) == ["card.json", "generator.safetensors"]


def test_a_rerun_removes_only_files_a_result_recorded_writing(run_cli, tmp_path):
    out = tmp_path / "X"
    out.mkdir()
    for name in ("sweep.npy", "sweep.gif", "edit.npy"):  # the user's own files, never written by latentkit
        (out / name).write_text("mine")
    assert run_cli(*SWEEP, "--out", "X").exit_code == 0
    assert all((out / n).read_text() == "mine" for n in ("sweep.npy", "sweep.gif", "edit.npy"))
    assert run_cli("interpolate", "--from", 1, "--to", 2, "--steps", 3, "--gif", "--out", "Y").exit_code == 0
    assert (tmp_path / "Y" / "interpolate.gif").is_file()
    assert run_cli("interpolate", "--from", 1, "--to", 2, "--steps", 3, "--out", "Y").exit_code == 0
    assert not (tmp_path / "Y" / "interpolate.gif").exists(), "the gif of the result it replaced outlived it"


def test_a_full_disk_names_the_result_and_leaves_no_folder(run_cli, tmp_path, monkeypatch):
    def full(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pathlib.Path, "write_bytes", full)
    result = run_cli(*SWEEP, "--out", "new/deeper")
    assert_one_line_error(result, "cannot write sweep.h5, sweep.png", "the disk is full")
    assert ".tmp" not in result.stderr
    assert not (tmp_path / "new").exists()


# --- Silent lies ------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [
    SWEEP,
    ["interpolate", "--from", 1, "--to", 2, "--pool", 64],
    ["edit", "--from", 3, "--toward", 8, "--samples", 2, "--fit-samples", 200],
    ["directions", "--samples", 200, "--probes", 2],
    ["plane", "--dims", "1,2", "--resolution", 4],
])
def test_a_generator_nan_beyond_its_first_latents_is_one_line_naming_it(run_cli, tmp_path, command):
    write("nan.py", NAN_ON_LARGE_BATCHES)
    result = run_cli(*command, "--model", "nan.py:make", "--out", "o")
    assert_one_line_error(result, "Gen draws NaN or infinite pixels")
    assert "read as class" not in result.stderr and not (tmp_path / "o").exists()


def test_a_repeated_anchor_class_takes_its_next_confident_latent(run_cli, tmp_path):
    from latentkit.analyses.interpolate import InterpolationResult
    from latentkit.analyses.plane import PlaneResult

    assert run_cli("plane", "--anchors", "9,9,9", "--resolution", 8, "--out", "p").exit_code == 0
    mosaic = PlaneResult.load(tmp_path / "p" / "plane.h5").mosaic.reshape(-1, 28 * 28)
    assert len(np.unique(mosaic, axis=0)) > len(mosaic) // 2, "a plane through three 9s is one image"
    assert run_cli("interpolate", "--from", 9, "--to", 9, "--steps", 4, "--out", "i").exit_code == 0
    frames = InterpolationResult.load(tmp_path / "i" / "interpolate.h5").images.reshape(-1, 28 * 28)
    assert len(np.unique(frames, axis=0)) == 4, "a walk from a 9 to a 9 is ten copies of one frame"


def test_a_direction_found_in_another_generator_is_refused(run_cli, tmp_path):
    made = run_cli("directions", "--model", "fashion-mnist-dcgan", "--method", "sefa", "--top", 2, "--probes", 2,
                   "--steps", 3, "--out", "f")
    assert made.exit_code == 0, made.output
    assert_one_line_error(run_cli("edit", "--direction", "f/directions.h5:sefa0", "--samples", 2, "--out", "e"),
                          "was made for another generator", "fashion-mnist-dcgan", "--allow-mismatch")
    allowed = run_cli("edit", "--direction", "f/directions.h5:sefa0", "--samples", 2, "--steps", 3,
                      "--allow-mismatch", "--out", "e")
    assert allowed.exit_code == 0, allowed.output


def test_an_encoder_of_another_generator_is_refused(run_cli):
    encoder = bundled_dir() / "mnist-dcgan-encoder.safetensors"  # made for the bundled mnist-dcgan
    assert_one_line_error(run_cli("invert", "--model", "mnist-r004-mlp", "--encoder", encoder, "--indices", "0:2",
                                  "--steps", 1, "--out", "o"), "was made for another generator", "mnist-dcgan")


@pytest.mark.parametrize("command,fragment", [
    (["edit", "--toward", 8, "--condition-on", 8, "--samples", 2], "--condition-on 8 is the class the edit moves"),
    (["edit", "--from", 3, "--toward", 8, "--condition-on", 3, "--samples", 2], "the edit starts from"),
    (["directions", "--pairs", "3:8", "--condition-on", 3], "--condition-on 3 is a class of --pairs 3:8"),
])
def test_a_condition_the_direction_crosses_is_refused_not_dropped(run_cli, command, fragment):
    assert_one_line_error(run_cli(*command, "--out", "o"), fragment)


def test_keep_norm_from_a_zero_latent_is_refused(run_cli):
    np.save("zeros.npy", np.zeros((1, 100), np.float32))
    assert_one_line_error(run_cli("edit", "--keep-norm", "--z", "zeros.npy", "--toward", 8, "--out", "o"),
                          "length 0", "--keep-norm")


@pytest.mark.parametrize("option", [["--split", "train"], ["--dataset", "mnist"]])
def test_invert_refuses_split_and_dataset_with_files(run_cli, option):
    np.save("digit.npy", np.random.default_rng(0).integers(0, 255, (28, 28), dtype=np.uint8))
    assert_one_line_error(run_cli("invert", "digit.npy", *option, "--out", "o"), "--indices")


def test_train_refuses_a_classifier_it_would_not_use(run_cli):
    assert_one_line_error(run_cli("train", "--eval-samples", 0, "--classifier", "mnist-classifier", "--out", "r"),
                          "--eval-samples 0")


def test_explore_refuses_a_directions_file_with_a_nan_vector(run_cli, tmp_path):
    from latentkit.analyses.explore import prepare
    from latentkit.errors import ResultFileError
    from latentkit.generator.handle import Models

    made = run_cli("directions", "--method", "sefa", "--top", 2, "--probes", 2, "--steps", 3, "--out", "d")
    assert made.exit_code == 0, made.output
    with h5py.File(tmp_path / "d" / "directions.h5", "r+") as f:
        f["vectors"][0, 0] = np.nan
    with pytest.raises(ResultFileError, match="not a unit vector"):
        prepare(Models.load(), directions=tmp_path / "d" / "directions.h5", top=2)


# --- Tracebacks -------------------------------------------------------------------------------

@pytest.mark.parametrize("function,fragment", [
    ("plain_none", "returned NoneType, not a tensor"), ("plain_tuple", "returned tuple, not a tensor"),
    ("sample_raises", "sample_latents(2, seed=0) failed: RuntimeError: sample_latents exploded"),
    ("dim_string", "latent_dim is '100' (str), not a positive integer"),
])
def test_a_misbehaving_user_generator_is_one_line(run_cli, function, fragment):
    write("bad.py", BAD_MODELS)
    assert_one_line_error(run_cli(*SWEEP, "--model", f"bad.py:{function}", "--out", "o"), fragment)


@pytest.mark.parametrize("config", ['"abc"', "[1, 2]", "7"])
def test_a_weights_file_whose_config_is_not_an_object_is_one_line(run_cli, config):
    with safe_open(str(bundled_dir() / "mnist-dcgan.safetensors"), framework="pt") as f:
        meta, tensors = dict(f.metadata()), {k: f.get_tensor(k) for k in f.keys()}
    save_file(tensors, "odd.safetensors", metadata={**meta, "config": config})
    assert_one_line_error(run_cli(*SWEEP, "--model", "odd.safetensors", "--out", "o"),
                          "odd.safetensors does not match its own config", "not an object")


def test_a_result_claiming_huge_arrays_is_refused_before_reading(run_cli, tmp_path):
    assert run_cli(*SWEEP, "--out", "s").exit_code == 0
    shutil.copy(tmp_path / "s" / "sweep.h5", "big.h5")
    with h5py.File("big.h5", "r+") as f:
        del f["probs"]
        f.create_dataset("probs", shape=(2_000_000_000, 2), dtype="f8", chunks=(1024, 2), compression="gzip")
    assert_one_line_error(run_cli("plot", "big.h5", "--out", "big.png"), "big.h5", "more than latentkit reads")


@pytest.mark.parametrize("command", [["invert", "huge.npy", "--steps", 1], ["edit", "--z", "huge.npy", "--toward", 8]])
def test_an_npy_whose_header_claims_more_than_it_holds_is_refused(run_cli, command):
    with open("huge.npy", "wb") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": "|u1", "fortran_order": False,
                                                 "shape": (100_000_000, 28, 28)})
        f.write(b"\0" * 16)
    assert_one_line_error(run_cli(*command, "--out", "o"), "huge.npy is damaged", "header says (100000000, 28, 28)")


# --- Unclear or late errors -------------------------------------------------------------------

def test_a_python_file_without_a_function_is_named_as_one(run_cli):
    write("vae_gen.py", "def make():\n    pass\n")
    result = run_cli(*SWEEP, "--model", "vae_gen.py", "--out", "o")
    assert_one_line_error(result, "vae_gen.py is a Python file", "--model vae_gen.py:make")
    assert "safetensors" not in result.stderr


@pytest.mark.parametrize("command,fragment", [
    (["invert", "missing.png"], "missing.png"),
    (["explore", "--anchors", "99,1,2", "--no-browser"], "--anchors 99"),
    (["plane", "--anchors", "9,blorp,4"], "--anchors blorp"),
])
def test_file_and_anchor_errors_come_before_the_models_load(run_cli, monkeypatch, command, fragment):
    from latentkit.generator.handle import Models

    def load(*args, **kwargs):
        raise AssertionError("the models were loaded before the input was checked")

    monkeypatch.setattr(Models, "load", load)
    assert_one_line_error(run_cli(*command, "--out", "o"), fragment)


def test_an_empty_plane_of_anchors_is_not_a_generator_error(run_cli):
    assert_one_line_error(run_cli("explore", "--anchors", "1,2", "--no-browser", "--out", "o"), "exactly three")


def test_the_contract_names_a_non_integer_latent_size_plainly(known_generator):
    from latentkit.errors import ConfigError
    from latentkit.generator.contract import check_interface

    class Odd(torch.nn.Module):
        latent_dim, dataset = "100", "mnist"

        def sample_latents(self, n, seed=None, device="cpu"):
            return torch.zeros(n, 100)

    with pytest.raises(ConfigError, match=r"latent_dim is '100' \(str\)"):
        check_interface(Odd())


ANALYSES = ("interpolate", "sweep", "latent_map", "plane", "evaluate", "truncation", "directions", "edit", "invert",
            "explore", "evolve")


@pytest.fixture
def no_model_loads(monkeypatch):
    from latentkit.generator.handle import Models

    def load(*args, **kwargs):
        raise AssertionError("the models were loaded before the options were checked")

    monkeypatch.setattr(Models, "load", load)


@pytest.mark.parametrize("module", ANALYSES)
def test_a_misspelt_option_is_refused_before_the_models_load(no_model_loads, module):
    import importlib

    with pytest.raises(TypeError, match="unexpected keyword argument 'stpes'"):
        importlib.import_module(f"latentkit.analyses.{module}").run(stpes=1)


@pytest.mark.parametrize("module,option,value,message", [
    ("interpolate", "steps", 1, "steps must be an integer from 2 to 1000"),
    ("interpolate", "method", "walk", "unknown method"),
    ("sweep", "samples", 0, "samples must be an integer from 1 to"),
    ("latent_map", "space", "pixels", "unknown space"),
    ("plane", "extent", 0.0, r"extent must be a finite number in \(0, "),
    ("evaluate", "ppl_paths", 1, "ppl-paths must be an integer"),
    ("truncation", "samples", 9, "samples must be an integer from 10 to 50000"),
    ("directions", "strength", float("nan"), "strength must be a finite number"),
    ("edit", "boundary", "both", "unknown boundary"),
    ("invert", "lr", 0.0, r"lr must be a finite number in \(0, 10\]"),
    ("explore", "top", 0, "top must be an integer from 1 to 64"),
])
def test_an_option_out_of_its_range_is_refused_before_the_models_load(no_model_loads, tmp_path, module, option,
                                                                       value, message):
    import importlib

    from latentkit.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        importlib.import_module(f"latentkit.analyses.{module}").run(out=tmp_path / "out", **{option: value})


def test_a_user_generator_that_takes_long_to_make_is_named_on_stderr(run_cli, monkeypatch):
    from latentkit.generator import contract

    monkeypatch.setattr(contract, "SLOW_SECONDS", 0.2)
    write("slow.py", BAD_MODELS + "\n\ndef slow():\n    import time\n    time.sleep(1.5)\n    return plain_none()\n")
    result = run_cli(*SWEEP, "--model", "slow.py:slow", "--out", "o")
    assert "still running slow.py:slow (your code: slow() has not returned); Ctrl-C stops it" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("Error: ")  # then the model's own problem


def test_every_registered_result_has_tables_and_a_figure():
    """Each analysis' result class brings its own tables and figure: a saved explorer result's
    to_csv raised a bare KeyError when a hand-kept list of tables had no entry for it."""
    import dataclasses

    from latentkit.analyses.explore import ExploreResult
    from latentkit.results.stored import RESULT_CLASSES, StoredResult

    assert sorted(RESULT_CLASSES) == ["compare", "directions", "edit", "eval", "evolve", "explore", "interpolate",
                                      "invert", "map", "plane", "sweep", "truncation"]
    for cls in RESULT_CLASSES.values():
        assert cls.tables is not StoredResult.tables and cls.draw is not StoredResult.draw, cls.__name__
    r = ExploreResult(z=np.zeros(4), base=np.zeros(4), vectors=np.eye(2, 4), offsets=np.array([0.5, -1.0]),
                      keys=["7", "z1"], image=np.zeros((28, 28), np.uint8), probs=np.full(10, 0.1),
                      class_names=[str(i) for i in range(10)])
    r.to_csv("sliders.csv")
    assert pathlib.Path("sliders.csv").read_text().splitlines() == ["key,offset", "7,0.5", "z1,-1.0"]
    assert dataclasses.is_dataclass(r) and r.plot() is not None
