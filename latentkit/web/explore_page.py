"""The page `latentkit explore` serves: a Bokeh server app, one Explorer per browser tab.

Why a Bokeh server: every control calls back into Python over one websocket (no JavaScript of
ours), BokehJS is served by the process itself (nothing fetched from the internet), and it is the
library map.html is drawn with, so explore adds no dependency.

    serve(setup, lambda: Explorer(setup), folder, "127.0.0.1", 8765)   # blocks until Ctrl-C

The page is handed what it shows (the setup) and how to make one tab's state (an Explorer of
analyses/explore.py): it reads their attributes and calls their methods, and imports neither.
"""

from __future__ import annotations

import errno
import os
import socket
import webbrowser
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from latentkit.errors import ConfigError, LatentkitError
from latentkit.measure.reading import describe_reading
from latentkit.results.plotting import class_color, reading_rgb
from latentkit.web.map_page import png_data_uri

IMAGE_PX = 224  # the 28x28 digit drawn 8x, pixels kept sharp

SLIDER_RANGE = 4.0  # sliders run from -4 to 4 latent units: beyond |z_i| = 4 the prior has no mass


def check_port(host: str, port: int) -> None:
    """ConfigError naming another port if `port` cannot be bound on `host`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        if os.name != "nt":  # as tornado binds: a port left in TIME_WAIT by a closed server is free to use
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as err:
            raise _port_error(host, port, err) from None


def _port_error(host: str, port: int, err: OSError) -> ConfigError:
    if err.errno == errno.EADDRINUSE:
        return ConfigError(f"port {port} on {host} is in use (another explore?); try --port {port + 1}")
    return ConfigError(f"cannot listen on {host}:{port} ({err.strerror}); try another --host or --port")


def plane_rgba(probs: np.ndarray) -> np.ndarray:
    """(R, R, C) probabilities -> (R, R) uint32 RGBA: the colour of the class each point is read
    as, grey where the classifier is unsure, as `latentkit plane` draws its region map."""
    rgb = reading_rgb(probs)
    rgba = np.concatenate([rgb, np.ones_like(rgb[..., :1])], -1)
    return (rgba * 255).round().astype(np.uint8).view(np.uint32)[..., 0]


def build_document(doc, setup, new_state: Callable[[], Any], folder: Path, command: str | None) -> None:
    """Lay out one session's page on `doc` and wire its controls to a fresh state (an Explorer)."""
    from bokeh.events import Tap
    from bokeh.layouts import column, row
    from bokeh.models import Button, ColumnDataSource, Div, Select, Slider, TapTool
    from bokeh.plotting import figure

    state = new_state()
    names = setup.classifier.classes
    quiet = [False]  # True while sliders are zeroed by code, so each zeroing does not redraw

    image = Div(name="image", width=IMAGE_PX, height=IMAGE_PX)
    caption = Div(name="caption", width=IMAGE_PX)
    status = Div(name="status", text="", width=400)
    probs = ColumnDataSource({"y": list(range(len(names))), "p": [0.0] * len(names),
                              "color": [class_color(c) for c in range(len(names))]}, name="probs")
    bars = figure(name="bars", width=300, height=260, x_range=(0, 1), y_range=(len(names) - 0.5, -0.5),
                  toolbar_location=None, title="p(class)")
    bars.hbar(y="y", right="p", height=0.8, color="color", source=probs)
    bars.yaxis.ticker = list(range(len(names)))
    bars.yaxis.major_label_overrides = dict(enumerate(names))

    def redraw() -> None:
        picture, p = state.render()
        image.text = (f'<img src="{png_data_uri(picture)}" width="{IMAGE_PX}" height="{IMAGE_PX}" '
                      'style="image-rendering:pixelated;border:1px solid #bbb">')
        probs.data = {**probs.data, "p": p.tolist()}
        caption.text = f"<b>{describe_reading(p, names)}</b>"

    sliders = {}
    for s in setup.sliders:
        slider = Slider(name=f"slider-{s.key}", title=f"{s.key}: {s.label}", start=-SLIDER_RANGE, end=SLIDER_RANGE,
                        step=0.05, value=0.0, width=400)
        slider.on_change("value", lambda attr, old, new, key=s.key: moved(key, new))
        sliders[s.key] = slider

    def moved(key: str, value: float) -> None:
        if not quiet[0]:
            state.set_offset(key, value)
            redraw()

    def new_base(action: Callable[[], None]) -> None:
        action()
        quiet[0] = True
        for slider in sliders.values():
            slider.value = 0.0
        quiet[0] = False
        redraw()

    def button(label: str, name: str, action: Callable[[], None], **kw) -> Button:
        b = Button(label=label, name=name, **kw)
        b.on_click(lambda: new_base(action))
        return b

    picks = [button(n, f"pick-{c}", lambda c=c: state.pick(c), width=38) for c, n in enumerate(names)]
    start = Select(name="from", title="from", value=names[3 % len(names)], options=list(names), width=120)
    end = Select(name="to", title="to", value=names[8 % len(names)], options=list(names), width=120)
    scrub = Slider(name="scrub", title="interpolate (slerp) from → to", start=0, end=1, step=0.01, value=0, width=400)

    def scrubbed(attr: str, old, new) -> None:
        new_base(lambda: state.scrub(names.index(start.value), names.index(end.value), scrub.value))

    scrub.on_change("value", scrubbed)
    start.on_change("value", scrubbed)
    end.on_change("value", scrubbed)

    lo, hi = float(setup.plane_axis[0]), float(setup.plane_axis[-1])
    anchors = ", ".join(names[a] for a in setup.anchors)
    plane = figure(name="plane", width=360, height=360, x_range=(lo, hi), y_range=(lo, hi), tools="tap",
                   toolbar_location=None, title=f"plane through {anchors}: click a point")
    plane.image_rgba(image=[plane_rgba(setup.plane_probs)], x=lo, y=lo, dw=hi - lo, dh=hi - lo)
    plane.text(x=[0, 1, 0], y=[0, 0, 1], text=[names[a] for a in setup.anchors], text_font_style="bold",
               text_align="center", text_baseline="middle", text_color="white")
    here = ColumnDataSource({"x": [], "y": []}, name="here")
    marker = plane.scatter("x", "y", source=here, size=12, marker="x", line_width=3, color="black")
    plane.select_one(TapTool).renderers = [marker]  # a click selects nothing else, so the labels keep their colour

    def tapped(event) -> None:
        here.data = {"x": [event.x], "y": [event.y]}
        new_base(lambda: state.plane_point(event.x, event.y))

    plane.on_event(Tap, tapped)

    def save() -> None:
        try:
            paths = state.save(folder, command)
        except LatentkitError as err:  # a full disk or a removed folder: say so on the page, keep serving
            status.text = f"<span style='color:#b00'>not saved: {err}</span>"
            return
        status.text = "saved " + " and ".join(str(p) for p in paths[:2])

    save_button = Button(label="save (HDF5 + PNG)", name="save", button_type="success", width=150)
    save_button.on_click(save)
    controls = row(button("random", "random", state.random, width=90), button("reset", "reset", state.reset, width=90),
                   save_button)
    left = column(image, caption, bars)
    middle = column(controls, Div(text="<b>pick a digit</b> (again: the next most confident)"), row(*picks),
                    row(start, end), scrub, Div(text="<b>directions</b> (measured: what ±3 turns digits into)"),
                    *sliders.values(), status)
    doc.add_root(row(left, middle, plane))
    doc.title = "latentkit explore"
    redraw()


def serve(setup, new_state: Callable[[], Any], folder: Path, host: str = "127.0.0.1", port: int = 8765,
          open_browser: bool = True, command: str | None = None, ready: Callable[[str], None] | None = None) -> None:
    """Serve the explorer on http://host:port/ until Ctrl-C, then stop cleanly. `ready(url)` is
    called once the server listens (the CLI prints the address)."""
    from bokeh.application import Application
    from bokeh.application.handlers.function import FunctionHandler
    from bokeh.server.server import Server

    app = Application(FunctionHandler(lambda doc: build_document(doc, setup, new_state, folder, command)))
    try:
        server = Server({"/": app}, address=host, port=port, num_procs=1,
                        allow_websocket_origin=[f"{host}:{port}", f"localhost:{port}"])
    except OSError as err:
        raise _port_error(host, port, err) from None
    _refuse_nul_paths(server)
    server.start()
    url = f"http://{host}:{port}/"
    if ready:
        ready(url)
    if open_browser:
        webbrowser.open(url)
    try:
        server.io_loop.start()
    except KeyboardInterrupt:
        pass  # Ctrl-C is how a user ends the server: stop it and return normally
    finally:
        server.stop()


def _refuse_nul_paths(server) -> None:
    """Answer a path holding a NUL byte (/static/%00) with 400 before Bokeh's static file handler
    sees it: tornado's realpath raises on NUL, which is an HTTP 500 and a traceback per request."""
    from tornado.routing import PathMatches, Rule
    from tornado.web import HTTPError, RequestHandler

    class Refused(RequestHandler):
        def prepare(self) -> None:
            raise HTTPError(400)

    router = server._tornado.wildcard_router  # Bokeh's routes; the first matching rule wins
    router.rules.insert(0, router.process_rule(Rule(PathMatches(r"(?i).*(%00|\x00).*"), Refused)))
