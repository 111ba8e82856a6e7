"""Edit: the flip step against a closed form, the three modes, style measures, round trips, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_one_line_error
from test_directions import planted_direction, sign_classifier, sign_generator

import latentkit
from latentkit.analyses import EditResult, edit
from latentkit.errors import ConfigError
from latentkit.measure.style import style_features


def test_flip_step_matches_the_closed_form():
    """Class 1 is z·u > 0, so a latent read as 0 moved by a along u's direction flips at a = -z·u."""
    u = planted_direction()
    r = edit(sign_generator(u), sign_classifier(), start=0, toward=1, samples=6, steps=81, strength=(0, 4),
             fit_samples=3000)
    direction = r.vectors[0]
    assert direction @ u >= 0.99
    needed = -(r.base_z.astype(np.float64) @ u) / (direction @ u)
    step = 4 / 80
    assert (r.flip_step[:, 0] >= 0).all() and r.success.all()
    assert np.allclose(r.flip_strength[:, 0], needed, atol=step + 0.02)
    assert (r.labels[:, 0, 0] == 0).all() and r.params["boundary"] == "one-vs-rest"


def test_keep_norm_holds_every_step_on_the_base_shell():
    u = planted_direction()
    kept = edit(sign_generator(u), sign_classifier(), toward=1, samples=3, keep_norm=True, fit_samples=2000)
    assert np.allclose(kept.latent_norm, kept.latent_norm[:, :, :1], rtol=1e-5)
    free = edit(sign_generator(u), sign_classifier(), toward=1, samples=3, fit_samples=2000)
    assert not np.allclose(free.latent_norm, free.latent_norm[:, :, :1], rtol=1e-3), "a straight move leaves it"


def test_a_stored_direction_and_user_latents(tmp_path):
    u = planted_direction()
    z = np.stack([-u, -2 * u])  # read as 0; moving along +u reaches 1 at strength 1 and 2
    r = edit(sign_generator(u), sign_classifier(), direction=u, z=z, strength=(0, 3), steps=31)
    assert r.mode == "direction" and r.targets.tolist() == [-1] and r.params["user_latents"]
    assert np.allclose(r.flip_strength[:, 0], [1.0, 2.0], atol=0.11)
    with pytest.raises(ConfigError, match="drop --from and --samples"):
        edit(sign_generator(u), sign_classifier(), direction=u, z=z, samples=3)
    with pytest.raises(ConfigError, match="latents of shape"):
        edit(sign_generator(u), sign_classifier(), direction=u, z=np.zeros(5))


@pytest.fixture(scope="module")
def bundled():
    return latentkit.load_generator(), latentkit.load_classifier()


def test_style_grid_on_the_bundled_model(bundled, tmp_path):
    from latentkit.results.replot import replot

    r = edit(*bundled, toward="all", samples=3, steps=7, fit_samples=3000)
    assert r.images.shape == (3, 10, 7, 28, 28) and r.targets.tolist() == list(range(10))
    # Each shown edit is the first step the classifier reads as the column's class.
    reached = r.flip_step >= 0
    labels = np.take_along_axis(r.labels, r.crossed[..., None], 2)[..., 0]
    assert (labels[reached] == np.broadcast_to(r.targets, labels.shape)[reached]).all()
    assert reached.mean() >= 0.8, f"only {reached.mean():.0%} of edits reach their class"
    kept = r.style_kept()
    assert set(kept) == {"ink", "slant", "width", "height"}
    edits = r.tables()["edits"]
    assert len(edits["success"]) == 30 and (edits["flip_step"] == r.flip_step.ravel()).all()
    assert np.allclose(edits["slant_edited"], r.edited_style[..., 1].ravel())
    r.save(tmp_path / "e.h5")
    back = EditResult.load(tmp_path / "e.h5")
    assert np.array_equal(back.images, r.images) and back.mode == "all" and back.style_kept() == kept
    assert replot(tmp_path / "e.h5").is_file()


def test_toward_a_class_with_a_pair_boundary_and_conditions(bundled):
    r = edit(*bundled, start=3, toward=8, samples=2, steps=5, boundary="pair", condition_on=[5], fit_samples=3000)
    assert (r.base_probs.argmax(1) == 3).all() and r.params["boundary"] == "pair" and r.params["condition_on"] == [5]
    assert "3-vs-8" in r.direction


@pytest.mark.parametrize("kwargs,match", [
    ({"start": 3, "toward": 3}, "into itself"),
    ({"toward": 12}, "outside"),
    ({}, "one of them"),
    ({"toward": 8, "direction": np.ones(100)}, "one of them"),
    ({"toward": 8, "boundary": "pair"}, "needs --from"),
    ({"direction": np.ones(100), "condition_on": [1]}, "followed as it is"),
    ({"direction": np.full(100, np.nan)}, "finite"),
    ({"toward": 8, "strength": (0, float("inf"))}, "finite"),
    ({"toward": 8, "steps": 1}, "steps"),
])
def test_bad_requests_are_refused(bundled, kwargs, match):
    with pytest.raises(ConfigError, match=match):
        edit(*bundled, **kwargs)


def test_style_features_known_answers():
    bar = np.zeros((28, 28), np.uint8)
    bar[4:24, 13:15] = 255
    leaning = np.zeros((28, 28), np.uint8)
    for row in range(4, 24):  # one pixel right per two rows up: leans right
        col = 14 + (14 - row) // 2
        leaning[row, col:col + 2] = 255
    upright, slanted = style_features(np.stack([bar, leaning]))
    assert upright[0] == pytest.approx(40 / 784) and upright[1] == pytest.approx(0)
    assert slanted[1] == pytest.approx(0.5, abs=0.05)
    assert upright[3] > upright[2], "a vertical bar is taller than wide"
    assert not style_features(np.zeros((1, 28, 28), np.uint8)).any()


def test_cli_edit_paths_directions_and_errors(run_cli, tmp_path):
    ok = run_cli("edit", "--from", 3, "--toward", 8, "--samples", 2, "--steps", 3, "--fit-samples", 2000,
                 "--out", "e")
    assert ok.exit_code == 0, ok.output
    assert EditResult.load(tmp_path / "e" / "edit.h5").images.shape == (2, 1, 3, 28, 28)
    d = run_cli("directions", "--method", "sefa", "--top", 2, "--probes", 2, "--steps", 3, "--out", "d")
    assert d.exit_code == 0, d.output
    along = run_cli("edit", "--direction", "d/directions.h5:sefa1", "--strength", "-2:2:5", "--samples", 2,
                    "--out", "e2")
    assert along.exit_code == 0, along.output
    r = EditResult.load(tmp_path / "e2" / "edit.h5")
    assert r.strengths[0, 0].tolist() == [-2, -1, 0, 1, 2] and "sefa1" in r.direction
    np.save(tmp_path / "z.npy", np.zeros((2, 100), np.float32))
    mine = run_cli("edit", "--direction", "d/directions.h5:0", "--z", "z.npy", "--out", "e3")
    assert mine.exit_code == 0 and EditResult.load(tmp_path / "e3" / "edit.h5").params["user_latents"]

    assert_one_line_error(run_cli("edit", "--toward", 12, "--out", "x"), "class 12")
    assert_one_line_error(run_cli("edit", "--from", 3, "--toward", 3, "--out", "x"), "into itself")
    assert_one_line_error(run_cli("edit", "--direction", "d/directions.h5:nope", "--out", "x"), "no direction 'nope'")
    assert_one_line_error(run_cli("edit", "--direction", "d/directions.h5", "--out", "x"), "FILE.h5:KEY")
    assert_one_line_error(run_cli("edit", "--toward", 8, "--strength", "0:nan:3", "--out", "x"), "finite")
    assert_one_line_error(run_cli("edit", "--toward", 8, "--strength", "0:4:5", "--steps", 7), "give one")
    assert not (tmp_path / "x").exists()
