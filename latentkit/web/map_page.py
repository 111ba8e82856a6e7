"""map.html: the latent map as a self-contained page, drawn by Bokeh.

    write_map_html(result, "map.html")             # hover images from result.images, if stored
    write_map_html(result, "map.html", images)     # or from images generated for the page

One scatter per predicted class (and one for unsure samples), so the legend hides and shows
classes; wheel zoom and pan; hovering a point shows its image, class and confidence. BokehJS is
inlined (resources=INLINE), so the file opens from disk with no network. Points are drawn with
WebGL, which keeps 10,000 points fluid.
"""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path

import numpy as np
import torch

from latentkit.names import CONFIDENT

# Above this many points the page carries no images (100,000 PNGs are ~40 MB of page);
# hover then shows class and confidence only.
MAX_HOVER_IMAGES = 100_000
HOVER_IMAGE = """
<div style="display:flex;align-items:center;gap:8px">
  <img src="@image" width="84" height="84" style="image-rendering:pixelated;border:1px solid #ccc">
  <div><b>@name</b><br>confidence @confidence{0.0%}<br>sample @index</div>
</div>
"""
HOVER_TEXT = "<div><b>@name</b><br>confidence @confidence{0.0%}<br>sample @index</div>"


def png_data_uri(image: np.ndarray) -> str:
    """A uint8 (H, W) image (255 = ink) as a data: URI of a PNG, black ink on white as every
    latentkit figure draws digits."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(255 - image).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


PIXELATED = 'width="70" height="70" style="image-rendering:pixelated;border:1px solid #ccc"'
HOVER_REAL = f"""
<div style="display:flex;align-items:center;gap:6px">
  <div style="text-align:center"><img src="@image" {PIXELATED}><br>real</div>
  <div style="text-align:center"><img src="@drawn" {PIXELATED}><br>its latent</div>
  <div><b>real test digit @index</b><br>read as @name<br>confidence @confidence{{0.0%}}</div>
</div>
"""
LATENT_SPACE_NOTE = ("z ~ N(0, I) has no clusters of its own: each class is spread over the prior, so in the latent "
                     "space the colours mix. Run <code>latentkit map --space features</code> to see the images "
                     "grouped as the classifier sees them.")


@torch.inference_mode()
def map_document(result, images: np.ndarray | None = None, min_confidence: float = CONFIDENT):
    """The Bokeh layout of a MapResult: title, scatter with legend and hover. `images`
    (N, 28, 28) uint8 default to the result's own; without either, hover shows no image. Real
    digits (map --with-real) are a group of their own, hovered with their image and what the
    generator draws from their latent."""
    from bokeh.layouts import column
    from bokeh.models import ColumnDataSource, Div, HoverTool
    from bokeh.plotting import figure

    from latentkit.options.latent_map import projection_text
    from latentkit.results.plotting import UNSURE_COLOR, class_color

    images = result.images if images is None else images
    if images is not None and len(images) > MAX_HOVER_IMAGES:
        images = None
    xy, labels, confidence = result.embedding, result.labels, result.confidence
    p = result.params
    fig = figure(width=900, height=720, output_backend="webgl", active_scroll="wheel_zoom",
                 tools="pan,wheel_zoom,box_zoom,reset,save", name="map",
                 x_axis_label=f"{p.get('method')} 1", y_axis_label=f"{p.get('method')} 2")
    size = max(3.0, min(8.0, 60_000 / len(xy) ** 1.1))
    sure = confidence >= min_confidence
    groups = [(~sure, UNSURE_COLOR, f"unsure, p < {min_confidence:g} ({(~sure).mean():.0%})")]
    groups += [(sure & (labels == c), class_color(c), f"{name} ({(sure & (labels == c)).mean():.0%})")
               for c, name in enumerate(result.class_names)]
    generated = []
    for pick, color, legend in groups:
        index = np.flatnonzero(pick)
        data = {"x": xy[index, 0], "y": xy[index, 1], "index": index, "confidence": confidence[index],
                "name": [result.class_names[c] for c in labels[index]]}
        if images is not None:
            data["image"] = [png_data_uri(images[i]) for i in index]
        generated.append(fig.scatter("x", "y", source=ColumnDataSource(data), size=size, color=color, alpha=0.8,
                                     legend_label=legend))
    fig.add_tools(HoverTool(renderers=generated, tooltips=HOVER_TEXT if images is None else HOVER_IMAGE))
    real = "" if result.real_embedding is None else f" and {len(result.real_embedding)} real test digits"
    if result.real_embedding is not None:
        real_labels, real_conf = result.real_probs.argmax(1), result.real_probs.max(1)
        data = {"x": result.real_embedding[:, 0], "y": result.real_embedding[:, 1],
                "index": np.arange(len(real_labels)), "confidence": real_conf,
                "name": [result.class_names[c] for c in real_labels],
                "color": [class_color(c) for c in real_labels],
                "image": [png_data_uri(im) for im in result.real_images]}
        drawn = getattr(result, "real_reconstructions", None)
        data["drawn"] = [png_data_uri(im) for im in (drawn if drawn is not None else result.real_images * 0)]
        stars = fig.scatter("x", "y", source=ColumnDataSource(data), size=14, marker="star", color="color",
                            line_color="black", line_width=1, legend_label=f"real test digits ({len(real_labels)})",
                            name="real")
        fig.add_tools(HoverTool(renderers=[stars], tooltips=HOVER_REAL))
    fig.legend.click_policy = "hide"
    fig.legend.title = "read as (click to hide)"
    fig.add_layout(fig.legend[0], "right")
    note = "" if images is not None else " Hover shows no images: this map stores none (run map with --store-images)."
    space = f"<p>{LATENT_SPACE_NOTE}</p>" if p.get("space") == "latent" else ""
    title = Div(text=f"<h3>{len(xy)} generated samples{real}, {projection_text(p)} of the {p.get('space')} "
                     f"space</h3><p>Hover a point for its image; click a legend entry to hide a group; scroll to "
                     f"zoom, drag to pan.{note}</p>{space}", width=900)
    return column(title, fig)


def map_page(result, images: np.ndarray | None = None) -> str:
    """The whole page as HTML text, BokehJS inlined."""
    from bokeh.embed import file_html
    from bokeh.resources import INLINE

    return file_html(map_document(result, images), resources=INLINE, title="latentkit map")


def write_map_html(result, path: str | os.PathLike, images: np.ndarray | None = None) -> Path:
    """Write `map_page` to `path` (callers make it atomic: write_outputs, atomic_path)."""
    Path(path).write_text(map_page(result, images), encoding="utf-8")
    return Path(path)
