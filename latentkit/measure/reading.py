"""What the classifier reads an image as: a class only when it is sure (names.CONFIDENT), else unsure.

Every claim latentkit makes that an image "is read as" a class goes through here, so a sweep's
flips, an edit's arrival, a direction's name and a reconstruction's agreement all mean the same
thing: the class the classifier gives at least CONFIDENT probability. Below it the image is
unsure: for a generator still learning, or junk, that is "not a digit".

    readings(np.array([[0.95, 0.05], [0.6, 0.4]]))   # array([0, -1])
"""

from __future__ import annotations

import numpy as np

from latentkit.names import CONFIDENT

UNSURE = -1  # the reading of an image no class reaches CONFIDENT on


def readings(probs: np.ndarray, threshold: float = CONFIDENT) -> np.ndarray:
    """(...,) the class each probability row (..., C) is read as, UNSURE where none reaches `threshold`."""
    probs = np.asarray(probs)
    return np.where(probs.max(-1) >= threshold, probs.argmax(-1), UNSURE)


def changed(read: np.ndarray, base: np.ndarray) -> np.ndarray:
    """True where the reading `read` is a class, and another than the `base` reading (broadcast):
    a flip. Becoming unsure is not one."""
    return (read != base) & (read != UNSURE)


def describe_reading(probs: np.ndarray, class_names: list[str], threshold: float = CONFIDENT) -> str:
    """One image's reading in words: "read as 8 (97.1%)", or "unsure (likeliest 8, 54.0%)"."""
    best = int(np.argmax(probs))
    if probs[best] >= threshold:
        return f"read as {class_names[best]} ({probs[best]:.1%})"
    return f"unsure (likeliest {class_names[best]}, {probs[best]:.1%})"


def reading_names(read: np.ndarray, class_names: list[str]) -> np.ndarray:
    """The class name of each reading, "unsure" for UNSURE."""
    return np.array([*class_names, "unsure"], dtype=object)[np.where(read == UNSURE, len(class_names), read)]
