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
from latentkit.options.explore import SLIDER_RANGE
from latentkit.results.plotting import class_color, reading_rgb
from latentkit.web.map_page import png_data_uri

IMAGE_PX = 224  # the 28x28 digit drawn 8x, pixels kept sharp


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


def _pick_rows(names: list[str]) -> list[list[int]]:
    """The class buttons in rows: one row for short names (digits), rows of five for long ones."""
    per_row = len(names) if max(map(len, names)) <= 2 else 5
    return [list(range(i, min(i + per_row, len(names)))) for i in range(0, len(names), per_row)]


def plane_legend(names: list[str], anchors: tuple[int, ...], probs: np.ndarray) -> str:
    """HTML swatches for the classes the plane shows (and unsure), as its colours are drawn."""
    from latentkit.measure.reading import UNSURE, readings
    from latentkit.results.plotting import UNSURE_COLOR

    shown = set(np.unique(readings(probs)).tolist())
    items = [(class_color(c), n) for c, n in enumerate(names) if c in shown]
    if UNSURE in shown:
        items.append((UNSURE_COLOR, "unsure"))
    swatch = '<span style="display:inline-block;width:10px;height:10px;background:{};margin:0 3px 0 8px"></span>{}'
    return "<small>read as:" + "".join(swatch.format(color, name) for color, name in items) + "</small>"


URL_JS = "window.history.replaceState(null, '', source.text ? '?' + source.text : location.pathname);"


# What the picker calls each set of directions (Slider.group).
DIRECTION_SETS = {"classifier": "classifier: each class's boundary", "sefa": "SeFa: the first layer's strongest",
                  "pca": "PCA: the first layer's activations", "file": "from the --directions file"}


def build_document(doc, setup, new_state: Callable[[], Any], folder: Path, command: str | None) -> None:
    """Lay out one session's page on `doc` and wire its controls to a fresh state (an Explorer).

    One state, and every widget drawn from it by `sync`: a control changes the state, then the
    page follows. Slider moves are coalesced: each only records its value, and one render on the
    next tick draws whatever the latest values are, so a fast drag never queues renders."""
    from urllib.parse import urlencode

    from bokeh.events import Tap
    from bokeh.layouts import column, row
    from bokeh.models import (
        Button,
        ColumnDataSource,
        CustomJS,
        Div,
        FileInput,
        NumericInput,
        Select,
        Slider,
        TapTool,
    )
    from bokeh.plotting import figure

    state = new_state()
    names = setup.classifier.classes
    quiet = [False]  # True while widgets are set from the state, so their callbacks do nothing
    pending = [False]  # a render is scheduled

    image = Div(name="image", width=IMAGE_PX, height=IMAGE_PX)
    caption = Div(name="caption", width=IMAGE_PX)
    base_text = Div(name="base", width=IMAGE_PX + 60)
    status = Div(name="status", text="", width=330)
    url = Div(name="url", text="", visible=False)  # the state as the address bar's query
    url.js_on_change("text", CustomJS(args={"source": url}, code=URL_JS))
    probs = ColumnDataSource({"y": list(range(len(names))), "p": [0.0] * len(names),
                              "color": [class_color(c) for c in range(len(names))]}, name="probs")
    bars = figure(name="bars", width=300, height=260, x_range=(0, 1), y_range=(len(names) - 0.5, -0.5),
                  toolbar_location=None, title="p(class)")
    bars.hbar(y="y", right="p", height=0.8, color="color", source=probs)
    bars.yaxis.ticker = list(range(len(names)))
    bars.yaxis.major_label_overrides = dict(enumerate(names))

    def render() -> None:
        pending[0] = False
        picture, p = state.render()
        image.text = (f'<img src="{png_data_uri(picture)}" width="{IMAGE_PX}" height="{IMAGE_PX}" '
                      'style="image-rendering:pixelated;border:1px solid #bbb">')
        probs.data = {**probs.data, "p": p.tolist()}
        caption.text = f"<b>{describe_reading(p, names)}</b>"
        url.text = urlencode(state.query())

    def schedule_render() -> None:
        if not pending[0]:
            pending[0] = True
            doc.add_next_tick_callback(render)

    sliders, group_of, title_of = {}, {}, {}
    for s in setup.sliders:
        slider = Slider(name=f"slider-{s.key}", title=f"{s.title or s.key}: {s.label}", start=-SLIDER_RANGE,
                        end=SLIDER_RANGE, step=0.05, value=0.0, width=400)
        slider.on_change("value", lambda attr, old, new, key=s.key: moved(key, new))
        sliders[s.key], group_of[s.key], title_of[s.key] = slider, s.group, s.title or s.key
    # The direction sets, for the picker; the coordinates' sliders are always shown.
    groups = list(dict.fromkeys(g for g in group_of.values() if g != "coordinates"))
    direction_set = Select(name="direction-set", title="directions", value=groups[0] if groups else "",
                           options=[(g, DIRECTION_SETS.get(g, g)) for g in groups], width=260, visible=bool(groups))
    elsewhere = Div(name="elsewhere", text="", width=400)  # moved sliders the picker hides

    def show_set() -> None:
        for key, slider in sliders.items():
            slider.visible = group_of[key] in ("coordinates", direction_set.value)
        hidden = [title_of[key] for key, slider in sliders.items() if not slider.visible and state.offsets[key] != 0]
        elsewhere.text = ("" if not hidden else
                          f"<small>also moved, in other sets: {', '.join(hidden)} (zero sliders clears them)</small>")

    direction_set.on_change("value", lambda attr, old, new: show_set())

    def moved(key: str, value: float) -> None:
        if not quiet[0]:
            state.set_offset(key, value)
            schedule_render()

    picks = [[Button(label=names[c], name=f"pick-{c}", width=max(38, 9 * len(names[c]) + 22)) for c in pick_row]
             for pick_row in _pick_rows(names)]
    for c, b in enumerate(b for pick_row in picks for b in pick_row):
        b.on_click(lambda c=c: act(lambda: state.pick(c)))
    start = Select(name="from", title="from", value=names[3 % len(names)], options=list(names), width=130)
    end = Select(name="to", title="to", value=names[8 % len(names)], options=list(names), width=130)
    scrub = Slider(name="scrub", title="slerp from → to", start=0, end=1, step=0.01, value=0, width=400)
    seed_box = NumericInput(name="seed", title="seed", value=state.seed, low=0, mode="int", width=90)
    test_box = NumericInput(name="test", title=f"test image # (0-{setup.test_size - 1})", low=0,
                            high=max(setup.test_size - 1, 0), mode="int", width=150,
                            disabled=setup.real_latent is None)

    lo, hi = float(setup.plane_axis[0]), float(setup.plane_axis[-1])
    plane = figure(name="plane", width=360, height=360, x_range=(lo, hi), y_range=(lo, hi), tools="tap",
                   toolbar_location=None, title="plane through " + ", ".join(names[a] for a in setup.anchors))
    plane.image_rgba(image=[plane_rgba(setup.plane_probs)], x=lo, y=lo, dw=hi - lo, dh=hi - lo)
    plane.text(x=[0, 1, 0], y=[0, 0, 1], text=[names[a] for a in setup.anchors], text_font_style="bold",
               text_align="center", text_baseline="middle", text_color="white")
    here = ColumnDataSource({"x": [], "y": []}, name="here")
    # White under black: the marker shows on every class colour, the dark navy of 7 included.
    plane.scatter("x", "y", source=here, size=16, marker="x", line_width=6, color="white")
    marker = plane.scatter("x", "y", source=here, size=14, marker="x", line_width=2.5, color="black")
    plane.select_one(TapTool).renderers = [marker]  # a click selects nothing else, so the labels keep their colour

    def sync() -> None:
        """Every widget from the state, then one render."""
        quiet[0] = True
        for key, slider in sliders.items():
            slider.value = state.offsets[key]
        kind, *args = state.origin
        on_path = kind == "scrub"
        if on_path:
            start.value, end.value, scrub.value = names[args[0]], names[args[1]], args[2]
        scrub.title = "slerp from → to" + (f": t = {args[2]:.2f}" if on_path else " (the base is not on it)")
        here.data = {"x": [args[0]], "y": [args[1]]} if kind == "plane" else {"x": [], "y": []}
        seed_box.value = state.seed
        if kind == "test":
            test_box.value = args[0]
        base_text.text = f"<small>base: {state.describe()}</small>"
        show_set()
        quiet[0] = False
        render()

    def act(action: Callable[[], None]) -> None:
        """Run a control's action on the state, then redraw the page from it; a refused action
        (an index outside the test set, say) is said on the page."""
        if quiet[0]:
            return
        try:
            action()
        except LatentkitError as err:
            status.text = f"<span style='color:#b00'>{err}</span>"
        sync()

    def scrubbed(attr: str, old, new) -> None:
        act(lambda: state.scrub(names.index(start.value), names.index(end.value), scrub.value))

    scrub.on_change("value", scrubbed)
    start.on_change("value", scrubbed)
    end.on_change("value", scrubbed)
    seed_box.on_change("value", lambda attr, old, new: new is not None and act(lambda: state.random(new)))
    test_box.on_change("value", lambda attr, old, new: new is not None and act(lambda: state.test_image(new)))
    upload = FileInput(name="upload", accept=".png,.jpg,.jpeg,.bmp,.gif,.npy", width=260)

    last_upload = [None]  # the (name, bytes) handled: its name and bytes arrive as two changes

    def uploaded(attr: str, old, new) -> None:
        import base64

        from bokeh.core.property.descriptors import UnsetValueError

        try:
            name, data = upload.filename, upload.value  # the bytes base64-encoded by the browser
        except UnsetValueError:  # the other half has not arrived yet
            return
        if not data or (name, data) == last_upload[0]:
            return
        last_upload[0] = (name, data)
        status.text = ""
        act(lambda: state.upload(name, base64.b64decode(data)))

    upload.on_change("value", uploaded)
    upload.on_change("filename", uploaded)
    plane.on_event(Tap, lambda event: act(lambda: state.plane_point(event.x, event.y)))

    def save() -> None:
        try:
            paths = state.save(folder, command)
        except LatentkitError as err:  # a full disk or a removed folder: say so on the page, keep serving
            status.text = f"<span style='color:#b00'>not saved: {err}</span>"
            return
        status.text = "saved " + " and ".join(Path(p).name for p in paths[:2]) + f" in {folder}"

    def button(label: str, name: str, action: Callable[[], None], **kw) -> Button:
        b = Button(label=label, name=name, **kw)
        b.on_click(lambda: act(action))
        return b

    def export() -> None:
        try:
            paths = state.export_path(folder, command)
        except LatentkitError as err:
            status.text = f"<span style='color:#b00'>not exported: {err}</span>"
            return
        status.text = "exported " + ", ".join(Path(p).name for p in paths) + f" in {folder}"

    save_button = Button(label="save (HDF5 + PNG)", name="save", button_type="success", width=150)
    save_button.on_click(save)
    export_button = Button(label="export path (GIF + HDF5)", name="export", width=180)
    export_button.on_click(export)
    controls = column(
        row(button("random", "random", state.random, width=80), seed_box,
            button("zero sliders", "zero", state.zero, width=100), button("reset", "reset", state.reset, width=70)),
        row(save_button, export_button), status)
    left = column(image, caption, base_text, bars)
    middle = column(controls, Div(text="<b>pick a class</b> (again: the next most confident)"),
                    *(row(*r) for r in picks), row(start, end, test_box),
                    row(Div(text="<small>or a picture of a digit, or latents (.npy):</small>", width=130), upload),
                    scrub,
                    Div(text="<b>directions</b> (measured: what ±3 turns images into)"), direction_set, elsewhere,
                    *sliders.values())
    legend = Div(text=plane_legend(names, setup.anchors, setup.plane_probs), width=360, name="plane-legend")
    doc.add_root(row(left, middle, column(plane, Div(text="<small>click a point to make it the base</small>"),
                                          legend)))
    doc.add_root(url)  # hidden: a root of its own, so the page has it
    doc.js_on_event("document_ready", CustomJS(args={"source": url}, code=URL_JS))  # the state at start
    doc.title = "latentkit explore"
    request = getattr(doc.session_context, "request", None)
    query = {k: v[0].decode("utf-8", "replace") for k, v in (request.arguments if request else {}).items() if v}
    problems = state.restore(query) if query else []
    if problems:
        status.text = f"<span style='color:#b00'>ignored from the address: {', '.join(problems)}</span>"
    sync()


def serve(setup, new_state: Callable[[], Any], folder: Path, host: str = "127.0.0.1", port: int = 8765,
          open_browser: bool = True, command: str | None = None, ready: Callable[[str], None] | None = None) -> None:
    """Serve the explorer on http://host:port/ until Ctrl-C, then stop cleanly. `ready(url)` is
    called once the server listens (the CLI prints the address).

    Renders run with one torch thread: a render is one small forward pass, which several threads
    only slow down when other work keeps the cores busy. A tab closed mid-exchange is a normal
    end of a session, so Bokeh's messages about it are kept off the terminal."""
    import logging

    import torch
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
    torch.set_num_threads(1)
    for name in ("bokeh.server.views.ws", "bokeh.server.protocol_handler", "bokeh.server.session",
                 "bokeh.server.connection", "tornado.application"):
        logging.getLogger(name).addFilter(_closed_tab)
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


def _closed_tab(record) -> bool:
    """False for the log records a closed tab causes (lost websocket, a session already gone)."""
    text = record.getMessage() + str(record.exc_info[1] if record.exc_info else "")
    return not any(sign in text for sign in ("Failed sending message", "_session is not None",
                                             "WebSocketClosedError", "Stream is closed"))


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
