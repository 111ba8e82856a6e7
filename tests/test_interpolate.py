import numpy as np
import pytest
import torch
from conftest import assert_one_line_error

import latentkit
from latentkit.analyses.interpolate import InterpolationResult, interpolate
from latentkit.errors import ConfigError


@pytest.fixture(scope="module")
def models():
    return latentkit.load_generator(), latentkit.load_classifier()


def test_path_through_waypoints_starts_and_ends_on_the_requested_digits(models):
    g, clf = models
    r = interpolate(g, clf, [3, 8, 0], steps=6, method="slerp", pairs=2, seed=0)
    assert r.z.shape == (2, 11, g.latent_dim) and r.images.shape == (2, 11, 28, 28)
    assert r.images.dtype == np.uint8 and r.probs.shape == (2, 11, 10)
    assert (r.labels[:, 0] == 3).all() and (r.labels[:, 5] == 8).all() and (r.labels[:, -1] == 0).all()
    assert all(len(c) >= 2 for c in r.changes), "3 -> 8 -> 0 must change label at least twice"
    assert all(type(f) is int for c in r.changes for f in c)  # prints as 3, not np.int64(3)
    assert not np.allclose(r.z[0], r.z[1]), "rows use different examples"


def test_slerp_holds_the_norm_and_lerp_dips(models):
    g, clf = models
    s = interpolate(g, clf, [9, 4], steps=9, method="slerp")
    li = interpolate(g, clf, [9, 4], steps=9, method="lerp")
    assert np.allclose(s.z[0, 0], li.z[0, 0]) and np.allclose(s.z[0, -1], li.z[0, -1])
    assert li.norms[0, 4] < s.norms[0, 4] * 0.9


def test_same_seed_same_arrays(models):
    g, clf = models
    a, b = (interpolate(g, clf, [9, 8], steps=5, seed=7) for _ in range(2))
    assert np.array_equal(a.z, b.z) and np.array_equal(a.probs, b.probs)


def test_refine_raises_endpoint_confidence(models):
    """From latents the classifier reads as 6 with little confidence, refining must raise it a lot
    (a no-op refine fails this) and keep the latent near the prior's typical norm."""
    from latentkit.analyses.interpolate import refine_latent
    from latentkit.generator.sampling import generate_and_classify

    g, clf = models
    z = g.sample_latents(512, seed=1)
    p6 = generate_and_classify(g, clf, z, images=False).probs[:, 6]
    poor = z[(p6 > 0.01) & (p6 < 0.3)][:4]  # (4, d): some pull toward 6, far from sure
    assert len(poor) == 4
    refined = refine_latent(g, clf, poor, 6, steps=20)
    before = generate_and_classify(g, clf, poor, images=False).probs[:, 6]
    after = generate_and_classify(g, clf, refined, images=False).probs[:, 6]
    gain = after - before
    assert (gain > 0.1).all() and gain.mean() > 0.4, f"p(6) {before.tolist()} -> {after.tolist()}"
    assert (refined.norm(dim=1) - np.sqrt(g.latent_dim)).abs().max() < 2
    r = interpolate(g, clf, [6, 9], steps=3, pool=64, seed=1, refine=20)
    plain = interpolate(g, clf, [6, 9], steps=3, pool=64, seed=1)
    assert not np.allclose(r.z[0, 0], plain.z[0, 0]) and r.params["refine"] == 20
    expected = refine_latent(g, clf, torch.from_numpy(plain.z[0, :1]), 6, steps=20)[0].numpy()
    assert np.allclose(r.z[0, 0], expected, atol=1e-3), "interpolate refines its class endpoints"


def test_round_trip(models, tmp_path):
    g, clf = models
    r = interpolate(g, clf, [1, 7], steps=4)
    r.save(tmp_path / "r.h5", {"seed": 0, "command": "test"})
    back = InterpolationResult.load(tmp_path / "r.h5")
    assert back.waypoints == [1, 7] and back.method == "slerp" and back.changes == r.changes
    assert np.array_equal(back.images, r.images) and np.allclose(back.probs, r.probs)


@pytest.mark.parametrize("kwargs,match", [
    (dict(waypoints=[12, 4]), "class 12 is outside 0..9"),
    (dict(waypoints=[9, 4], steps=1), "steps must be an integer from 2 to"),
    (dict(waypoints=[9, 4], method="cubic"), "unknown method"),
    (dict(waypoints=[9]), "at least two waypoints"),
])
def test_bad_parameters(models, kwargs, match):
    with pytest.raises(ConfigError, match=match):
        interpolate(*models, **kwargs)


def test_cli_writes_h5_png_gif_and_plot_rebuilds_it(run_cli, tmp_path):
    result = run_cli("interpolate", "--from", "9", "--to", "4", "--steps", "6", "--gif", "--out", "o")
    assert result.exit_code == 0, result.output
    for name in ("interpolate.h5", "interpolate.png", "interpolate.gif"):
        assert (tmp_path / "o" / name).stat().st_size > 0 and f"o/{name}" in result.output
    shown = run_cli("show", "o/interpolate.h5").output
    assert "analysis: interpolate" in shown and "generator_sha256" in shown and "/probs float32 (1, 6, 10)" in shown
    replotted = run_cli("plot", "o/interpolate.h5", "--out", "again.png")
    assert replotted.exit_code == 0 and (tmp_path / "again.png").stat().st_size > 10_000


def test_cli_explicit_latents_on_a_tiny_generator(run_cli, tmp_path, tiny_generator_file):
    np.save(tmp_path / "a.npy", np.ones(16, dtype=np.float32))
    np.save(tmp_path / "b.npy", -np.ones(16, dtype=np.float32))
    result = run_cli("interpolate", "--from-z", "a.npy", "--to-z", "b.npy", "--model", tiny_generator_file,
                     "--steps", "5", "--out", "o")
    assert result.exit_code == 0, result.output
    r = InterpolationResult.load(tmp_path / "o" / "interpolate.h5")
    assert r.waypoints == [-1, -1] and np.allclose(r.z[0, 0], 1) and np.allclose(r.z[0, -1], -1)
    assert np.allclose(r.norms, 4.0, atol=1e-4), "antiparallel slerp keeps the norm"


@pytest.mark.parametrize("args,fragments", [
    (["--from", "12", "--to", "4"], ["class 12 is outside 0..9"]),
    (["--from", "nine", "--to", "4"], ["mnist has no class 'nine'", "0-9"]),
    (["--from", "9", "--via", "sneaker", "--to", "4"], ["mnist has no class 'sneaker'"]),
    (["--model", "fashion-mnist-dcgan", "--from", "boot", "--to", "bag"],
     ["fashion-mnist has no class 'boot'", "7 sneaker", "9 ankle-boot"]),
    (["--from", "9", "--to", "4", "--steps", "1"], ["--steps"]),
    (["--from", "9"], ["give where to end", "--to-test"]),
    (["--from", "9", "--to", "4", "--model", "missing.safetensors"], ["no generator named 'missing.safetensors'"]),
    (["--from-z", "nope.npy", "--to", "4"], ["cannot read a latent from nope.npy"]),
])
def test_cli_bad_input(run_cli, tmp_path, args, fragments):
    assert_one_line_error(run_cli("interpolate", *args, "--out", "o"), *fragments)
    assert not (tmp_path / "o").exists(), "no partial output"


def test_show_and_plot_refuse_non_hdf5(run_cli, tmp_path):
    (tmp_path / "x.h5").write_text("hello")
    for command in ("show", "plot"):
        assert_one_line_error(run_cli(command, "x.h5"), "not an HDF5 file")


def test_explicit_latent_of_wrong_size(models):
    with pytest.raises(ConfigError, match="the latent has 3 values"):
        interpolate(*models, [torch.zeros(3), 4])


def test_cli_takes_class_names_and_numbers_alike(run_cli, tmp_path):
    args = ["interpolate", "--model", "fashion-mnist-dcgan", "--steps", "3", "--pool", "256"]
    by_name = run_cli(*args, "--from", "Ankle-Boot", "--via", "sneaker", "--to", "bag", "--out", "names")
    by_number = run_cli(*args, "--from", "9", "--via", "7", "--to", "8", "--out", "numbers")
    assert by_name.exit_code == 0 and by_number.exit_code == 0, by_name.output + by_number.output
    named = InterpolationResult.load(tmp_path / "names" / "interpolate.h5")
    numbered = InterpolationResult.load(tmp_path / "numbers" / "interpolate.h5")
    assert named.waypoints == [9, 7, 8], "names are stored as class numbers"
    assert np.array_equal(named.z, numbered.z)


def _fashion_result(steps: int = 7, waypoints=(9, 2, 7)) -> InterpolationResult:
    from latentkit.names import CLASSES

    frames = (len(waypoints) - 1) * (steps - 1) + 1
    rng = np.random.default_rng(0)
    probs = np.zeros((1, frames, 10), np.float32)
    probs[0, :, 9] = 1  # every frame reads "Ankle boot", the longest labels side by side
    return InterpolationResult(waypoints=list(waypoints), method="slerp", steps=steps,
                               class_names=CLASSES["fashion-mnist"], z=rng.normal(size=(1, frames, 4)),
                               images=np.zeros((1, frames, 28, 28), np.uint8), probs=probs,
                               norms=np.full((1, frames), 2.0))


def test_figure_labels_stay_apart_ticks_are_frames_and_via_is_marked():
    from matplotlib.patches import Rectangle

    from latentkit.analyses.interpolate import plot_interpolation

    fig = plot_interpolation(_fashion_result())
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    strip, curves, norm_ax = fig.subfigs[0].axes
    labels = sorted(strip.texts, key=lambda t: t.get_position()[0])
    boxes = [t.get_window_extent(renderer) for t in labels]
    assert all(a.x1 <= b.x0 for a, b in zip(boxes[:-1], boxes[1:], strict=True)), "frame labels run together"
    assert all(float(t).is_integer() for t in curves.get_xticks()), curves.get_xticks()
    legend = curves.get_legend().get_window_extent(renderer)
    assert not legend.overlaps(norm_ax.yaxis.label.get_window_extent(renderer)), "legend covers the |z| label"
    boxed = [p.get_x() + 0.5 for p in strip.patches if isinstance(p, Rectangle) and not p.get_fill()]
    assert boxed == [6], "the via waypoint (frame 6) is boxed"
    assert "via Pullover" in [t.get_text() for t in curves.texts]


@pytest.mark.parametrize("name,chars,expected", [
    ("Ankle boot", 8, "Ankle\nboot"), ("T-shirt/top", 8, "T-shirt/\ntop"), ("Pullover", 5, "Pull."),
    ("Bag", 8, "Bag"), ("7", 1, "7"),
])
def test_frame_label(name, chars, expected):
    from latentkit.analyses.interpolate import frame_label

    assert frame_label(name, chars) == expected


def test_each_change_of_class_is_tabled_with_the_confidence_on_both_sides():
    from latentkit.analyses.interpolate import InterpolationResult

    probs = np.array([[[0.99, 0.01], [0.95, 0.05], [0.45, 0.55], [0.02, 0.98]],
                      [[0.99, 0.01], [0.40, 0.60], [0.97, 0.03], [0.98, 0.02]]])
    result = InterpolationResult(waypoints=[0, 1], method="lerp", steps=4, class_names=["a", "b"],
                                 z=np.zeros((2, 4, 3)), images=np.zeros((2, 4, 28, 28), np.uint8), probs=probs,
                                 norms=np.ones((2, 4)), params={"confident": 0.9})
    table = result.tables()["changes"]
    assert table["path"].tolist() == [0, 1, 1] and table["frame"].tolist() == [2, 1, 2]
    assert table["from_class"].tolist() == ["a", "a", "b"] and table["to_class"].tolist() == ["b", "b", "a"]
    assert np.allclose(table["confidence_before"], [0.95, 0.99, 0.60])
    assert np.allclose(table["confidence_after"], [0.55, 0.60, 0.97])
    assert table["both_read"].tolist() == [False, False, False], "each change has an unsure frame on one side"
