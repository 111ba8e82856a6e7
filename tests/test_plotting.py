"""Training figures: the class palette, the D-output legend, and black-on-white sample grids."""

import colorsys

import numpy as np
import pytest
import torch
from matplotlib.colors import to_rgb
from PIL import Image

from latentkit.results import plotting


def test_class_palette_has_ten_distinct_colours_and_no_grey():
    """Class 7 was tab10's grey, beside the light grey that means "unsure"."""
    colours = [to_rgb(c) for c in plotting.CLASS_COLORS]
    assert len(set(colours)) == 10
    for c in colours:
        assert colorsys.rgb_to_hsv(*c)[1] > 0.4, f"{c} is greyish"  # tab10 grey: 0, its brown: 0.46
    assert colorsys.rgb_to_hsv(*to_rgb(plotting.UNSURE_COLOR))[1] == 0  # only "unsure" is grey


def test_d_outputs_legend_says_what_is_recorded():
    """Both fake-batch curves were labelled as one moment ("before G step", "after D step")."""
    import matplotlib.pyplot as plt

    history = {k: np.linspace(0, 1, 20) for k in ("D_x", "D_G_z_before", "D_G_z_after")}
    ax = plotting.plot_d_outputs(history)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["D(x), real batch", "D(G(z)) before D's update", "D(G(z)) after D's update (G's step)"]
    plt.close(ax.figure)


@pytest.mark.parametrize("ink,expected", [(0.0, 255), (1.0, 0)])
def test_sample_grids_are_black_ink_on_white(tmp_path, ink, expected):
    """Training grids were white on black while every analysis drew black on white."""
    plotting.save_grid(torch.full((4, 1, 28, 28), ink), tmp_path / "g.png", nrow=2, scale=1)
    pixels = np.asarray(Image.open(tmp_path / "g.png"))
    assert pixels.shape == (2 * 30 + 2,) * 2
    assert (pixels[2:30, 2:30] == expected).all()  # the first tile
    assert (pixels[0] == plotting.GUTTER).all() and (pixels[:, 30:32] == plotting.GUTTER).all()


def test_progress_gif_frames_carry_their_label(tmp_path):
    from PIL import Image

    from latentkit.results.plotting import LABEL_STRIP, save_gif

    frames = []
    for i in range(2):
        path = tmp_path / f"epoch_{i + 1:03d}.png"
        Image.new("L", (40, 30), 255).save(path)
        frames.append(path)
    gif = Image.open(save_gif(frames, tmp_path / "p.gif", labels=["epoch 1", "epoch 2"]))
    assert gif.size == (40, 30 + LABEL_STRIP) and gif.n_frames == 2
    strips = []
    for n in range(2):
        gif.seek(n)
        strip = np.asarray(gif.convert("L"))[:LABEL_STRIP]
        assert strip.min() < 128, "the label is drawn in the strip"
        strips.append(strip)
    assert not np.array_equal(*strips), "each frame has its own label"
