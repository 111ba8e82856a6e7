"""Re-render any result file's figure from the file alone (no model is loaded)."""

from __future__ import annotations

import os
from pathlib import Path

from latentkit.errors import ConfigError, LatentkitError, ResultFileError, first_line
from latentkit.results.stored import REREAD_HINT, read_attrs, result_class, safe_text
from latentkit.storage import atomic_path, check_writable, same_file

# analysis -> (module, function) writing its interactive page from a loaded result
PAGES = {"map": ("latentkit.web.map_page", "write_map_html"),
         "evolve": ("latentkit.web.evolve_page", "write_evolve_html")}


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
    from latentkit.results.plotting import save_figure

    result = result_class(analysis).load(path)
    try:
        drawn = result.draw()
    except LatentkitError:
        raise
    # Load checks shapes and fields; what is left (a class index past class_names, a
    # missing metric) only shows while drawing, and is still the file's fault.
    except (IndexError, KeyError, ValueError, TypeError) as err:
        problem = safe_text(first_line(err))
        raise ResultFileError(f"{safe_text(path)} is inconsistent: {problem}; {REREAD_HINT}") from err
    return save_figure(drawn, out)


def replot_html(path: str | os.PathLike, out: str | os.PathLike | None = None) -> Path:
    """Write a stored result's interactive page (map.html, evolve.html, as their commands write
    them) from the file alone.

        replot_html("runs/map.h5", "map.html")
    """
    import importlib

    out = check_plot_target(path, out or Path(path).with_suffix(".html"), ".html")
    analysis = read_attrs(path)["analysis"]
    if analysis not in PAGES:
        raise ConfigError(f"{safe_text(path)} holds a {safe_text(analysis, 60)} result; --html pages are made from "
                          f"{' and '.join(PAGES)} results")
    result = result_class(analysis).load(path)
    if getattr(result, "embedding", None) is None:
        raise ConfigError(f"{safe_text(path)} holds no map (it was made with --map-samples 0), so it has no page")
    module, function = PAGES[analysis]
    with atomic_path(out) as tmp:
        getattr(importlib.import_module(module), function)(result, tmp)
    return out
