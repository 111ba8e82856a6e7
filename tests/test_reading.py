"""measure/reading.py: one definition of an image "read as" a class."""

import numpy as np

from latentkit.measure.reading import UNSURE, changed, describe_reading, reading_names, readings
from latentkit.names import CONFIDENT

QUICK_TIER = True


def test_a_class_is_read_only_at_the_confident_probability():
    probs = np.array([[CONFIDENT, 1 - CONFIDENT], [0.6, 0.4], [0.05, 0.95]])
    assert readings(probs).tolist() == [0, UNSURE, 1]
    assert readings(probs, threshold=0.5).tolist() == [0, 0, 1]


def test_becoming_unsure_is_no_flip_and_leaving_unsure_for_a_class_is_one():
    base = np.array([3, 3, UNSURE, 3])
    read = np.array([3, UNSURE, 8, 8])
    assert changed(read, base).tolist() == [False, False, True, True]


def test_readings_in_words():
    names = ["0", "1", "2"]
    assert describe_reading(np.array([0.02, 0.97, 0.01]), names) == "read as 1 (97.0%)"
    assert describe_reading(np.array([0.30, 0.54, 0.16]), names) == "unsure (likeliest 1, 54.0%)"
    assert reading_names(np.array([2, UNSURE]), names).tolist() == ["2", "unsure"]


def test_figures_colour_an_image_by_its_reading_and_grey_when_unsure():
    from matplotlib.colors import to_rgb

    from latentkit.results.plotting import UNSURE_COLOR, UNSURE_COLOR_TEXT, class_color, reading_label, reading_rgb

    probs = np.array([[0.02, 0.95, 0.03], [0.5, 0.3, 0.2]])
    assert np.allclose(reading_rgb(probs), [to_rgb(class_color(1)), to_rgb(UNSURE_COLOR)])
    assert reading_label(probs[0], ["a", "b", "c"]) == ("b 0.95", class_color(1))
    assert reading_label(probs[1], ["a", "b", "c"]) == ("unsure 0.50", UNSURE_COLOR_TEXT)
