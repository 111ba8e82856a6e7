"""The tabular parts of analysis results, as named columns of equal length: the helpers each
result class' `tables()` builds its tables with.

`StoredResult.to_dataframe()` and `to_csv()` read those tables; each table is one row per thing
measured (a frame, a grid point, a swept image, a metric), in long form, so it filters and
groups in pandas or a spreadsheet without reshaping. Images and latents stay in the HDF5
file (see docs/results-schema.md for reading them with h5py).

Class-probability columns are named `p_<class>` with the names `--from` accepts
(`p_0`..`p_9`, `p_t-shirt`, `p_ankle-boot`).
"""

from __future__ import annotations

import numpy as np

from latentkit.measure.reading import reading_names, readings
from latentkit.names import CONFIDENT, class_keys

Columns = dict[str, np.ndarray]  # column name -> (rows,) values


def classified(probs: np.ndarray, class_names: list[str], confident: float = CONFIDENT) -> Columns:
    """label (the likeliest class), class, confidence, read_as (the class, or "unsure" below
    `confident`: measure/reading.py) and one p_<class> column per class, from probs (rows, classes)."""
    labels = probs.argmax(-1)
    return {"label": labels, "class": np.array(class_names, dtype=object)[labels], "confidence": probs.max(-1),
            "read_as": reading_names(readings(probs, confident), class_names),
            **{f"p_{class_keys(name)[0]}": probs[:, c] for c, name in enumerate(class_names)}}


def grid(*sizes: int) -> list[np.ndarray]:
    """Row-major indices of every cell of an array of shape `sizes`, one (rows,) array per axis."""
    return [axis.ravel() for axis in np.indices(sizes)]

