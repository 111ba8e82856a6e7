"""Re-render any result file's figure from the file alone (no model is loaded)."""

from __future__ import annotations

import os
from pathlib import Path

from latentkit.errors import ResultFileError
from latentkit.plotting import save_figure
from latentkit.results import read_attrs


def _renderers() -> dict:
    from latentkit.analyses import evaluate, interpolate, latent_map, plane, sweep

    return {
        interpolate.ANALYSIS: (interpolate.InterpolationResult.load, interpolate.plot_interpolation),
        sweep.ANALYSIS: (sweep.SweepResult.load, sweep.plot_result),
        latent_map.ANALYSIS: (latent_map.MapResult.load, latent_map.plot_result),
        plane.ANALYSIS: (plane.PlaneResult.load, plane.plot_plane),
        evaluate.ANALYSIS: (evaluate.EvalResult.load, evaluate.plot_eval),
    }


def replot(path: str | os.PathLike, out: str | os.PathLike | None = None) -> Path:
    """Load a result file, draw its analysis' figure and save it as PNG (default: beside the file)."""
    attrs = read_attrs(path)
    renderers = _renderers()
    if attrs["analysis"] not in renderers:
        raise ResultFileError(f"{path} holds a {attrs['analysis']!r} result, which this version cannot plot")
    load, draw = renderers[attrs["analysis"]]
    return save_figure(draw(load(path)), out or Path(path).with_suffix(".png"))
