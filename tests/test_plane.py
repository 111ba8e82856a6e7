import numpy as np
import pytest
from conftest import assert_one_line_error

import latentkit
from latentkit.analyses.plane import PlaneResult, plane
from latentkit.errors import ConfigError
from latentkit.generator.sampling import generate_and_classify
from latentkit.generator.weights import save_weights


def test_dims_plane_sets_the_two_coordinates(known_generator, random_classifier):
    r = plane(known_generator, random_classifier, dims=[5, 1], extent=2, resolution=5, mosaic=3, seed=4)
    assert r.probs.shape == (5, 5, 10) and r.mosaic.shape == (3, 3, 28, 28)
    assert np.allclose(r.axis, [-2, -1, 0, 1, 2])
    z = known_generator.sample_latents(1, seed=4)[0]
    z[5], z[1] = float(r.axis[3]), float(r.axis[0])  # column 3 follows dim 5, row 0 follows dim 1
    probs = generate_and_classify(known_generator, random_classifier, z[None], images=False).probs
    assert np.allclose(r.probs[0, 3], probs[0].numpy(), atol=1e-5)


def test_anchor_plane_reads_the_anchors_at_their_corners():
    g, clf = latentkit.load_generator(), latentkit.load_classifier()
    r = plane(g, clf, anchors=[9, 4, 7], resolution=61, mosaic=4)
    at = {round(float(x), 3): i for i, x in enumerate(r.axis)}
    assert r.labels[at[0.0], at[0.0]] == 9 and r.labels[at[0.0], at[1.0]] == 4 and r.labels[at[1.0], at[0.0]] == 7


def test_anchors_by_name_are_the_anchors_by_number():
    g, clf = latentkit.load_generator("fashion-mnist-dcgan"), latentkit.load_classifier("fashion-mnist-classifier")
    named = plane(g, clf, anchors=["sneaker", "Sandal", "ankle boot"], resolution=4, mosaic=2, pool=256)
    numbered = plane(g, clf, anchors=[7, 5, 9], resolution=4, mosaic=2, pool=256)
    assert named.params["anchors"] == [7, 5, 9] and np.array_equal(named.probs, numbered.probs)
    with pytest.raises(ConfigError, match="no class 'boot'; give a number or a name: 0 t-shirt"):
        plane(g, clf, anchors=["sneaker", "sandal", "boot"], resolution=4, mosaic=2)


def test_round_trip(known_generator, random_classifier, tmp_path):
    r = plane(known_generator, random_classifier, dims=[0, 2], resolution=4, mosaic=2)
    r.save(tmp_path / "p.h5", {"seed": 0})
    back = PlaneResult.load(tmp_path / "p.h5")
    assert np.array_equal(back.labels, r.labels) and np.array_equal(back.mosaic, r.mosaic)
    assert back.params == r.params


@pytest.mark.parametrize("kwargs,match", [
    (dict(anchors=[9, 4]), "exactly three anchor"),
    (dict(dims=[5, 500]), "two different coordinates in 0..7"),
    (dict(dims=[5, 5]), "two different"),
    (dict(), "give three --anchors"),
    (dict(dims=[1, 2], resolution=1), "resolution must be an integer from 2 to"),
    (dict(dims=[1, 2], extent=0), r"extent must be a finite number in \(0, "),
])
def test_bad_parameters(known_generator, random_classifier, kwargs, match):
    with pytest.raises(ConfigError, match=match):
        plane(known_generator, random_classifier, **kwargs)


def test_cli_plane_and_replot(run_cli, tmp_path, known_generator):
    save_weights(known_generator, tmp_path / "g.safetensors", "generator")
    result = run_cli("plane", "--model", "g.safetensors", "--dims", "3,5", "--resolution", "16", "--out", "o")
    assert result.exit_code == 0, result.output
    r = PlaneResult.load(tmp_path / "o" / "plane.h5")
    assert r.labels.shape == (16, 16) and r.params["dims"] == [3, 5]
    assert run_cli("plot", "o/plane.h5").exit_code == 0
    assert_one_line_error(run_cli("plane", "--model", "g.safetensors", "--dims", "3,99"), "0..7")


def test_cli_anchors_by_name(run_cli, tmp_path):
    result = run_cli("plane", "--model", "fashion-mnist-dcgan", "--anchors", "sneaker, Sandal,ankle-boot",
                     "--resolution", "4", "--out", "o")
    assert result.exit_code == 0, result.output
    assert PlaneResult.load(tmp_path / "o" / "plane.h5").params["anchors"] == [7, 5, 9]
    assert_one_line_error(run_cli("plane", "--anchors", "9,4,sneaker", "--out", "bad"), "mnist has no class 'sneaker'")


def test_anchor_axes_name_the_classes(known_generator, random_classifier):
    from latentkit.analyses.plane import plot_plane

    r = plane(known_generator, random_classifier, dims=[0, 2], resolution=4, mosaic=2)
    r.params.update(anchors=[9, 4, 7], dims=None, lo=-0.25, hi=1.25)  # drawn as if through a 9, a 4 and a 7
    regions = plot_plane(r).axes[0]
    assert (regions.get_xlabel(), regions.get_ylabel()) == ("from the 9 (0) toward the 4 (1)",
                                                            "from the 9 (0) toward the 7 (1)")
