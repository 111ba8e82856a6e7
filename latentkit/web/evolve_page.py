"""evolve.html: the map of an evolution result with a slider through the snapshots, drawn by Bokeh.

    write_evolve_html(result, "evolve.html")

Real test images stay put in grey; the followed latents move to where their images' features
lie at the chosen snapshot, coloured by how the classifier reads them there (unsure grey).
Beside the map, the same latents' images at that snapshot. Every snapshot's positions and
colours are in the page, so the slider needs no server; BokehJS is inlined (no network).
"""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path

import numpy as np

SLIDE = """
const i = slider.value;
const data = Object.assign({}, source.data);
data.x = frames.x[i]; data.y = frames.y[i]; data.color = frames.color[i]; data.name = frames.name[i];
source.data = data;
picture.text = pictures[i];
"""


def _grid_html(images: np.ndarray, title: str) -> str:
    """The images (n, 28, 28) uint8 as one inline PNG grid, with a title above."""
    import torch
    from PIL import Image

    from latentkit.results.plotting import grid_image

    nrow = int(np.ceil(np.sqrt(len(images))))
    grid = Image.fromarray(grid_image(torch.from_numpy(images).float()[:, None] / 255, nrow))
    buffer = io.BytesIO()
    grid.resize((grid.width * 2, grid.height * 2), Image.NEAREST).save(buffer, format="PNG")
    uri = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<b>{title}</b><br><img src="{uri}" style="image-rendering:pixelated;max-width:100%">'


def evolve_document(result):
    """The Bokeh layout: title, slider, map and the image grid of the chosen snapshot."""
    from bokeh.layouts import column, row
    from bokeh.models import ColumnDataSource, CustomJS, Div, Slider
    from bokeh.plotting import figure
    from matplotlib.colors import to_hex

    from latentkit.measure.reading import UNSURE, readings
    from latentkit.results.plotting import class_color, reading_rgb

    S, M = result.embedding.shape[:2]
    names = np.array([*result.class_names, "unsure"], dtype=object)
    frames = {"x": [], "y": [], "color": [], "name": []}
    for i in range(S):
        probs = result.probs[i, :M]
        read = readings(probs, result.confident)
        frames["x"].append(result.embedding[i, :, 0].tolist())
        frames["y"].append(result.embedding[i, :, 1].tolist())
        frames["color"].append([to_hex(c) for c in reading_rgb(probs, result.confident)])
        frames["name"].append(names[np.where(read == UNSURE, len(result.class_names), read)].tolist())
    pictures = [_grid_html(result.grid[i], f"{result.label(i)}: the same latents") for i in range(S)]
    last = S - 1
    source = ColumnDataSource({key: values[last] for key, values in frames.items()})
    fig = figure(width=640, height=600, output_backend="webgl", active_scroll="wheel_zoom", name="evolve-map",
                 tools="pan,wheel_zoom,reset,save,hover", tooltips="@name")
    if result.real_embedding is not None:  # faint, in their true classes' colours: where each class lies
        fig.scatter(*result.real_embedding.T, size=4, color=[class_color(c) for c in result.real_labels], alpha=0.2,
                    legend_label="real test images (true class)")
    fig.scatter("x", "y", source=source, size=7, color="color", line_color="black", line_width=0.4, alpha=0.9)
    picture = Div(text=pictures[last], width=420, name="evolve-grid")
    slider = Slider(start=0, end=last, value=last, step=1, title="snapshot", width=640, name="evolve-slider")
    slider.js_on_change("value", CustomJS(args=dict(source=source, frames=frames, picture=picture,
                                                    pictures=pictures, slider=slider), code=SLIDE))
    title = Div(text=f"<h3>How the latent space formed: {M} latents through {S} snapshots "
                     f"({result.label(0)} to {result.label(last)})</h3><p>Move the slider through the snapshots; "
                     "each point is one fixed latent, placed by its image's classifier features and coloured by "
                     "how it is read (grey: unsure). Faint dots are real test images in their true class's colour.</p>")
    return column(title, slider, row(fig, picture))


def write_evolve_html(result, path: str | os.PathLike) -> Path:
    """Write the page to `path` (callers make it atomic: write_outputs)."""
    from bokeh.embed import file_html
    from bokeh.resources import INLINE

    Path(path).write_text(file_html(evolve_document(result), resources=INLINE, title="latentkit evolve"),
                          encoding="utf-8")
    return Path(path)
