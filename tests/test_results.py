import h5py
import numpy as np
import pytest
from conftest import assert_one_line_error

from latentkit.errors import ResultFileError
from latentkit.results.stored import describe_result, load_result, save_result

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


# --- files that cannot be trusted ---------------------------------------------------------------

@pytest.fixture(scope="module")
def sweep_result(known_generator, random_classifier):
    from latentkit.analyses.sweep import sweep

    return sweep(known_generator, random_classifier, dims=[0, 5], values=[-2, 2], samples=2, seed=0)


@pytest.fixture(scope="module")
def interpolation_result(known_generator, random_classifier):
    import torch

    from latentkit.analyses.interpolate import interpolate

    return interpolate(known_generator, random_classifier, [torch.zeros(8), torch.ones(8)], steps=4)


@pytest.fixture
def sweep_file(sweep_result, tmp_path):
    return sweep_result.save(tmp_path / "sweep.h5", PROV)


def _edit(path, **changes):
    """Rewrite datasets (name=array) or root attributes (attr_name=value) of a result file in place."""
    with h5py.File(path, "r+") as f:
        for name, value in changes.items():
            if name.startswith("attr_"):
                f.attrs[name[5:]] = value
            else:
                del f[name]
                f[name] = value


def test_truncated_file_is_refused_by_every_reader(sweep_file):
    from latentkit.analyses.sweep import SweepResult
    from latentkit.results.stored import read_attrs

    data = sweep_file.read_bytes()
    sweep_file.write_bytes(data[: len(data) // 2])
    assert h5py.is_hdf5(sweep_file), "the case that matters: the signature survives, the rest is gone"
    for read in (load_result, read_attrs, describe_result, SweepResult.load):
        with pytest.raises(ResultFileError, match=r"sweep.h5 is damaged or inconsistent: it cannot be read .*re-run"):
            read(sweep_file)


@pytest.mark.parametrize("changes,problem", [
    (dict(attr_params="{not json"), "its params are not valid JSON"),
    (dict(attr_params="[1, 2]"), "its params are a JSON list, not an object"),
    (dict(probs=np.full((2, 2, 2, 7), 0.1)), "probs has 7 classes but class_names lists 10"),
    (dict(base_probs=np.full((3, 10), 0.1)), "base_probs has 3 samples but base_z has 2"),
    (dict(images=np.zeros((2, 2, 2, 28, 27), np.uint8)), "images has shape (2, 2, 2, 28, 27) but axis 4 should be 28"),
    (dict(images=np.zeros((2, 2, 28, 28), np.uint8)), "images has shape (2, 2, 28, 28) but should be (dims, samples"),
    (dict(dims=np.array([b"a", b"b"])), "dims holds |S1 values, not numbers"),
])
def test_inconsistent_file_is_refused_naming_the_problem(sweep_file, changes, problem):
    from latentkit.analyses.sweep import SweepResult

    _edit(sweep_file, **changes)
    with pytest.raises(ResultFileError) as err:
        SweepResult.load(sweep_file)
    message = str(err.value)
    assert "sweep.h5 is damaged or inconsistent" in message and problem in message and "re-run" in message
    assert "\n" not in message


@pytest.mark.parametrize("params_edit,problem", [
    (lambda p: p.pop("class_names"), "its params lack 'class_names'"),
    (lambda p: p.update(class_names=[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
     r"params field 'class_names' is \[0, 1, 2, 3, 4, 5, 6, 7, 8, 9\], not list\[str\]"),
    (lambda p: p.update(class_names="0123456789"), "params field 'class_names' is"),
])
def test_params_missing_or_mistyped_fields_are_refused(sweep_file, params_edit, problem):
    import json

    from latentkit.analyses.sweep import SweepResult

    with h5py.File(sweep_file, "r") as f:
        params = json.loads(f.attrs["params"])
    params_edit(params)
    _edit(sweep_file, attr_params=json.dumps(params))
    with pytest.raises(ResultFileError, match="damaged or inconsistent: " + problem):
        SweepResult.load(sweep_file)


def test_interpolation_frames_must_agree_with_latents(interpolation_result, tmp_path):
    from latentkit.analyses.interpolate import InterpolationResult

    path = interpolation_result.save(tmp_path / "i.h5")
    _edit(path, images=np.zeros((1, 3, 28, 28), np.uint8))
    with pytest.raises(ResultFileError, match="images has 3 steps but z has 4"):
        InterpolationResult.load(path)


def test_optional_arrays_may_be_absent():
    from latentkit.results.stored import check_shapes

    shapes = {"z": ("samples", "latent_dim"), "images": ("samples", 28, 28)}
    check_shapes("m.h5", shapes, {"z": np.zeros((5, 3)), "images": None}, ["a"])
    with pytest.raises(ResultFileError, match="images has 4 samples but z has 5"):
        check_shapes("m.h5", shapes, {"z": np.zeros((5, 3)), "images": np.zeros((4, 28, 28))}, ["a"])
    with pytest.raises(ResultFileError, match="z has no samples"):
        check_shapes("m.h5", shapes, {"z": np.zeros((0, 3))}, ["a"])


def test_every_result_class_declares_the_shape_of_every_stored_field():
    from dataclasses import fields

    from latentkit.analyses import EvalResult, InterpolationResult, MapResult, PlaneResult, SweepResult

    for cls in (EvalResult, InterpolationResult, MapResult, PlaneResult, SweepResult):
        stored = {f.name for f in fields(cls) if f.name in cls.MEANINGS}
        assert stored and stored == set(cls.SHAPES), cls.__name__


# --- show ---------------------------------------------------------------------------------------

def test_show_escapes_control_characters_and_caps_output(run_cli, tmp_path):
    path = save_result(tmp_path / "r.h5", "sweep", {f"a{i}\x1b[31m": np.zeros(1) for i in range(70)},
                       {f"a{i}\x1b[31m": "meaning\x07\x1b[2J" for i in range(70)}, {"k": "v\x1b[2J"},
                       {**PROV, "command": "\x1b[2J\x1b]0;title\x07", "huge": "x" * 100_000})
    result = run_cli("show", path)
    assert result.exit_code == 0, result.output
    out = result.output
    assert not any(c in out for c in "\x1b\x07\r"), "control characters reached the terminal"
    assert r"\x1b[2J\x1b]0;title\x07" in out and r"/a0\x1b[31m" in out
    assert len(out) < 20_000 and "x" * 200 + "…" in out and "x" * 201 not in out
    assert "... and 10 more datasets" in out and out.count("\n  /a") == 60


def test_show_refuses_a_truncated_file_in_one_line(run_cli, sweep_file):
    data = sweep_file.read_bytes()
    sweep_file.write_bytes(data[: len(data) // 2])
    assert_one_line_error(run_cli("show", sweep_file), "is damaged or inconsistent", "re-run the analysis")


# --- plot ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("out,fragment", [
    ("sweep.h5", "is the result file itself"),
    ("./sub/../sweep.h5", "is the result file itself"),
    ("figure.jpg", "does not end in .png"),
])
def test_plot_refuses_to_overwrite_its_input_or_write_non_png(run_cli, sweep_file, out, fragment):
    (sweep_file.parent / "sub").mkdir()
    before = sweep_file.read_bytes()
    assert_one_line_error(run_cli("plot", sweep_file, "--out", sweep_file.parent / out), fragment)
    assert sweep_file.read_bytes() == before
    assert not list(sweep_file.parent.glob("*.jpg")) and not list(sweep_file.parent.glob("*.png"))


@pytest.mark.parametrize("out", [None, "result.png"])
def test_plot_refuses_to_overwrite_an_input_named_png(run_cli, sweep_file, out):
    named_png = sweep_file.rename(sweep_file.parent / "result.png")  # where the default --out lands
    before = named_png.read_bytes()
    assert_one_line_error(run_cli("plot", named_png, *(["--out", named_png.parent / out] if out else [])),
                          "result.png is the result file itself")
    assert named_png.read_bytes() == before


def test_plot_refuses_an_inconsistent_file_and_draws_a_good_one(run_cli, sweep_file, tmp_path):
    assert run_cli("plot", sweep_file, "--out", tmp_path / "fig.png").exit_code == 0
    assert (tmp_path / "fig.png").read_bytes().startswith(b"\x89PNG")
    _edit(sweep_file, probs=np.full((2, 2, 2, 7), 0.1))
    assert_one_line_error(run_cli("plot", sweep_file, "--out", tmp_path / "again.png"),
                          "probs has 7 classes but class_names lists 10")
    assert not (tmp_path / "again.png").exists()


def test_replot_turns_drawing_errors_into_result_file_errors(interpolation_result, tmp_path):
    import json

    import matplotlib.pyplot as plt

    from latentkit.results.replot import replot

    path = interpolation_result.save(tmp_path / "i.h5")
    with h5py.File(path, "r") as f:
        params = json.loads(f.attrs["params"])
    _edit(path, attr_params=json.dumps({**params, "waypoints": [42, 3]}))  # no class 42
    open_before = len(plt.get_fignums())
    with pytest.raises(ResultFileError, match="i.h5 is inconsistent: .*re-run"):
        replot(path, tmp_path / "i.png")
    assert len(plt.get_fignums()) == open_before, "the half-drawn figure was closed"


# --- notebook comfort ---------------------------------------------------------------------------

def test_plot_returns_a_figure_for_interpolate_and_sweep(interpolation_result, sweep_result):
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    for result in (interpolation_result, sweep_result):
        fig = result.plot()
        assert isinstance(fig, Figure) and fig.axes, type(result).__name__
        plt.close(fig)


def test_plot_returns_the_figure_of_a_map_which_draws_on_an_ax():
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    from latentkit.analyses import MapResult

    probs = np.eye(10)[np.arange(20) % 10]
    result = MapResult(z=np.zeros((20, 4)), probs=probs, embedding=np.random.default_rng(0).random((20, 2)),
                       class_names=[str(i) for i in range(10)], params={"method": "pca", "space": "latent"})
    fig = result.plot()
    assert isinstance(fig, Figure) and len(fig.axes[0].collections) == 11  # unsure + one per class
    plt.close(fig)


def test_repr_is_short_and_shows_shapes_not_contents(sweep_result, interpolation_result):
    for result in (sweep_result, interpolation_result):
        text = repr(result)
        assert len(text) < 1000 and text.startswith(type(result).__name__ + "(")
        assert "\n" not in text and "[[" not in text
    assert "images=uint8(2, 2, 2, 28, 28)" in repr(sweep_result) and "'seed': 0" in repr(sweep_result)
    assert "z=float32(1, 4, 8)" in repr(interpolation_result) and "method='slerp'" in repr(interpolation_result)


def test_save_without_provenance_and_load_keeps_provenance(sweep_result, tmp_path):
    from latentkit.analyses.sweep import SweepResult

    bare = SweepResult.load(sweep_result.save(tmp_path / "bare.h5"))
    assert bare.provenance["analysis"] == "sweep" and "seed" not in bare.provenance

    loaded = SweepResult.load(sweep_result.save(tmp_path / "made.h5", PROV))
    assert loaded.provenance["command"] == "latentkit test" and loaded.provenance["generator_sha256"] == "ab"
    assert "params" not in loaded.provenance
    again = SweepResult.load(loaded.save(tmp_path / "copy.h5"))
    assert again.provenance["command"] == "latentkit test" and again.provenance["seed"] == 3
    assert SweepResult.load(loaded.save(tmp_path / "new.h5", {"seed": 9})).provenance["seed"] == 9
    assert np.array_equal(again.images, sweep_result.images) and again.params == sweep_result.params


def test_package_exports_the_analysis_functions_and_result_classes():
    import latentkit.analyses as analyses
    from latentkit.analyses import evaluate, interpolate, latent_map, plane, sweep
    from latentkit.analyses.sweep import SweepResult

    for function, name in ((evaluate, "evaluate"), (interpolate, "interpolate"), (latent_map, "latent_map"),
                           (plane, "plane"), (sweep, "sweep")):
        assert callable(function) and function.__name__ == name and function.__module__.endswith(name)
    assert analyses.SweepResult is SweepResult and analyses.sweep is sweep


# --- tables: to_dataframe and to_csv ------------------------------------------------------------

@pytest.fixture(scope="module")
def every_result(sweep_result, interpolation_result, known_generator, random_classifier):
    from latentkit.analyses import EvalResult, MapResult
    from latentkit.analyses.plane import plane

    rng = np.random.default_rng(0)
    probs = rng.dirichlet(np.ones(10), 6).astype(np.float32)
    names = [str(i) for i in range(10)]
    images = np.zeros((2, 28, 28), np.uint8)
    return {
        "sweep": sweep_result, "interpolate": interpolation_result,
        "plane": plane(known_generator, random_classifier, dims=[0, 2], extent=1, resolution=3, mosaic=2),
        "map": MapResult(z=np.zeros((6, 4)), probs=probs, embedding=rng.random((6, 2)), class_names=names),
        "eval": EvalResult(sample_images=images, probs=probs, class_shares=np.full(10, 0.1),
                           real_class_shares=np.full(10, 0.1), nn_distance=rng.random(6), nn_index=np.arange(6),
                           real_nn_distance=rng.random(6), closest_samples=images, closest_train=images,
                           path_lengths=np.ones((4, 2)), class_names=names,
                           metrics={"fid": {"generated": 4.9, "real": 0.28},
                                    "kid": {"generated": 0.07, "generated_error": 0.01, "real": 0.001},
                                    "ppl_slerp_full": {"generated": 1672.0, "generated_error": 71.0}}),
    }


@pytest.mark.parametrize("analysis", ["interpolate", "sweep", "map", "plane", "eval"])
def test_every_table_writes_as_csv_and_reads_back(every_result, analysis, tmp_path):
    import csv

    result = every_result[analysis]
    for name, columns in result.tables().items():
        lengths = {len(v) for v in columns.values()}
        assert len(lengths) == 1, f"{analysis}/{name} columns differ in length: {lengths}"
        # Only a list of events may be empty (a path whose class never changes has no changes).
        assert lengths != {0} or name == "changes", f"{analysis}/{name} is empty"
        path = result.to_csv(tmp_path / f"{name}.csv", table=name)
        with open(path, newline="") as f:
            header, *rows = list(csv.reader(f))
        assert header == list(columns) and len(rows) == lengths.pop()
        for key, column in columns.items():  # every value survives the text round trip
            read = [row[header.index(key)] for row in rows]
            if column.dtype.kind == "f":
                assert np.allclose(np.array(read, float), column, equal_nan=True), f"{analysis}/{name}/{key}"
            else:
                assert read == [str(v) for v in column], f"{analysis}/{name}/{key}"


def test_tables_say_what_each_row_is(every_result):
    r = every_result["interpolate"]
    frames = r.tables()["frames"]
    row = np.flatnonzero((frames["path"] == 0) & (frames["frame"] == 2))[0]
    assert frames["label"][row] == r.labels[0, 2] and frames["p_3"][row] == r.probs[0, 2, 3]
    assert frames["norm"][row] == r.norms[0, 2]

    p = every_result["plane"]
    grid = p.tables()["grid"]
    for i, j in [(0, 2), (2, 0), (1, 1)]:  # probs[i, j]: row i follows the second axis (b), column j the first (a)
        cell = np.flatnonzero((grid["a"] == p.axis[j]) & (grid["b"] == p.axis[i]))
        assert len(cell) == 1 and grid["label"][cell[0]] == p.labels[i, j]

    s = every_result["sweep"]
    dims, images = s.tables()["dims"], s.tables()["images"]
    assert list(dims["dim"]) == list(s.dims) and np.allclose(dims["pixel_change"], s.pixel_change)
    for k, dim in enumerate(s.dims):  # the per-image rows average to the per-dim measures
        mine = images["dim"] == dim
        assert images["flipped"][mine].mean() == pytest.approx(s.flip_rate[k])
        assert images["pixel_change"][mine].mean() == pytest.approx(s.pixel_change[k], abs=1e-6)

    e = every_result["eval"]
    assert list(e.tables()) == ["metrics", "classes", "samples"]
    metrics = e.tables()["metrics"]
    kid, fid, ppl = (list(metrics["metric"]).index(m) for m in ("kid", "fid", "ppl_slerp_full"))
    assert metrics["generated_error"][kid] == 0.01 and np.isnan(metrics["generated_error"][fid])
    assert np.isnan(metrics["real"][ppl])


def test_to_dataframe_holds_the_default_table_and_any_named_one(every_result):
    pytest.importorskip("pandas")
    s = every_result["sweep"]
    dims, images = s.to_dataframe(), s.to_dataframe("images")
    assert list(dims.columns) == list(s.tables()["dims"]) and len(images) == s.labels.size
    assert np.allclose(images.groupby("dim", sort=False).flipped.mean(), s.flip_rate)
    metrics = every_result["eval"].to_dataframe().set_index("metric")
    assert metrics.loc["fid", "generated"] == 4.9


def test_fashion_probability_columns_use_the_names_from_accepts(every_result):
    from dataclasses import replace

    from latentkit.names import CLASSES

    fashion = replace(every_result["map"], class_names=CLASSES["fashion-mnist"])
    columns = list(fashion.tables()["samples"])
    assert columns[-10:] == ["p_t-shirt", "p_trouser", "p_pullover", "p_dress", "p_coat", "p_sandal", "p_shirt",
                             "p_sneaker", "p_bag", "p_ankle-boot"]
    assert set(fashion.tables()["samples"]["class"]) <= set(CLASSES["fashion-mnist"])


def test_without_pandas_to_dataframe_says_how_to_get_it(every_result, monkeypatch, tmp_path):
    import sys

    from latentkit.errors import ConfigError

    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    with pytest.raises(ImportError, match="pip install pandas"):
        every_result["map"].to_dataframe()
    assert every_result["map"].to_csv(tmp_path / "m.csv").stat().st_size > 0, "CSV needs no pandas"
    with pytest.raises(ConfigError, match="sweep results have no table 'frames'; choose one of: dims, images"):
        every_result["sweep"].to_csv(tmp_path / "s.csv", table="frames")
