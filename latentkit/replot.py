"""Re-render any result file's figure from the file alone (no model is loaded)."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from pathlib import Path

from latentkit.errors import ConfigError, LatentkitError, ResultFileError, first_line
from latentkit.results import REREAD_HINT, read_attrs, safe_text
from latentkit.storage import atomic_path, check_writable, same_file

# analysis module -> (its result class, the function that draws the figure `run` saves)
_DRAWERS = {
    "interpolate": ("InterpolationResult", "plot_interpolation"),
    "sweep": ("SweepResult", "plot_result"),
    "latent_map": ("MapResult", "plot_result"),
    "plane": ("PlaneResult", "plot_plane"),
    "evaluate": ("EvalResult", "plot_eval"),
    "truncation": ("TruncationResult", "plot_truncation"),
    "directions": ("DirectionsResult", "plot_directions"),
    "edit": ("EditResult", "plot_edit"),
    "invert": ("InvertResult", "plot_invert"),
    "explore": ("ExploreResult", "plot_explore"),
}


def _renderers() -> dict[str, tuple[type, Callable]]:
    # By module path: `from latentkit.analyses import sweep` is the sweep *function*.
    table = {}
    for module_name, (result_name, draw_name) in _DRAWERS.items():
        module = importlib.import_module(f"latentkit.analyses.{module_name}")
        result_class = getattr(module, result_name)
        table[result_class.ANALYSIS] = (result_class, getattr(module, draw_name))
    return table


def renderer(analysis: str) -> tuple[type, Callable]:
    """(result class, draw function) for an analysis name such as "sweep" or "map"."""
    renderers = _renderers()
    if analysis not in renderers:
        raise ResultFileError(f"{safe_text(analysis, 60)} results cannot be plotted by this version of latentkit; "
                              f"it plots {', '.join(renderers)}")
    return renderers[analysis]


def check_plot_target(path: str | os.PathLike, out: str | os.PathLike, suffix: str = ".png") -> Path:
    """ConfigError unless `out` is a `suffix` path other than the result file `path` itself."""
    path, out = Path(path), Path(out)
    kind = "a PNG image" if suffix == ".png" else "an HTML page"
    if same_file(path, out):
        raise ConfigError(f"{safe_text(out)} is the result file itself and would be overwritten by its figure; "
                          f"pick another output name (--out FIGURE{suffix})")
    if out.suffix.lower() != suffix:
        raise ConfigError(f"{safe_text(out)} does not end in {suffix}; plot writes {kind}, so name the output "
                          f"*{suffix}")
    if os.path.isdir(out):
        raise ConfigError(f"{safe_text(out)} is a folder; give a file name ending in {suffix}")
    check_writable(out.parent)
    return out


def replot(path: str | os.PathLike, out: str | os.PathLike | None = None) -> Path:
    """Load a result file, draw its analysis' figure and save it as PNG (default: beside the file).

        replot("runs/sweep.h5", "sweep-again.png")
    """
    out = check_plot_target(path, out or Path(path).with_suffix(".png"))
    analysis = read_attrs(path)["analysis"]  # a missing or foreign file is refused before the heavy imports
    import matplotlib.pyplot as plt

    from latentkit.plotting import save_figure

    result_class, draw = renderer(analysis)
    result = result_class.load(path)
    before = set(plt.get_fignums())
    try:
        drawn = draw(result)
    except LatentkitError:
        raise
    # Load checks shapes and fields; what is left (a class index past class_names, a
    # missing metric) only shows while drawing, and is still the file's fault.
    except (IndexError, KeyError, ValueError, TypeError) as err:
        for number in set(plt.get_fignums()) - before:
            plt.close(number)
        problem = safe_text(first_line(err))
        raise ResultFileError(f"{safe_text(path)} is inconsistent: {problem}; {REREAD_HINT}") from err
    return save_figure(drawn, out)


def replot_html(path: str | os.PathLike, out: str | os.PathLike | None = None) -> Path:
    """Write a stored map's interactive page (map.html, as `latentkit map` writes it) from the
    file alone; hover shows images if the file stores them (map --store-images).

        replot_html("runs/map.h5", "map.html")
    """
    out = check_plot_target(path, out or Path(path).with_suffix(".html"), ".html")
    analysis = read_attrs(path)["analysis"]
    if analysis != "map":
        raise ConfigError(f"{safe_text(path)} holds a {safe_text(analysis, 60)} result; --html pages are made from "
                          "map results (latentkit map)")
    from latentkit.map_html import write_map_html

    result = renderer(analysis)[0].load(path)
    with atomic_path(out) as tmp:
        write_map_html(result, tmp)
    return out
