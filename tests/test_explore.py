import base64
import io
import os
import signal
import socket
import subprocess
import sys
import time

import browser
import numpy as np
import pytest
import torch
from browser import bokeh_ready, on_screen
from conftest import assert_one_line_error

from latentkit import load_classifier, load_generator
from latentkit.analyses.explore import Explorer, ExploreResult, prepare, short_name
from latentkit.errors import ConfigError
from latentkit.web.explore_page import check_port, plane_rgba

QUICK_TIER = False  # its tests train, install or start processes and pages themselves

page = browser.page  # the fixture, by the name the tests ask for


@pytest.fixture(scope="module")
def setup():
    return prepare(load_generator("mnist-dcgan"), load_classifier("mnist-classifier"), dims=(4,), top=2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sliders_are_the_class_directions_sefa_pca_and_the_chosen_coordinates(setup):
    keys = [s.key for s in setup.sliders]
    assert keys == [str(c) for c in range(10)] + ["sefa0", "sefa1", "pc0", "pc1", "z4"]
    assert [s.group for s in setup.sliders] == ["classifier"] * 10 + ["sefa"] * 2 + ["pca"] * 2 + ["coordinates"]
    assert all(abs(float(s.vector.norm()) - 1) < 1e-5 for s in setup.sliders)
    assert torch.equal(setup.sliders[-1].vector, torch.eye(100)[4])
    assert short_name("+: →7 52% (0→7 14%, 5→7 11%); -: →5 20% (8→5 5%)") == "+: →7 52%; -: →5 20%"


def test_the_latent_is_the_base_plus_the_slider_moves(setup):
    state = Explorer(setup)
    state.set_offset("sefa0", 2.0)
    state.set_offset("z4", -1.5)
    expected = state.base + 2.0 * setup.sliders[10].vector
    expected[4] -= 1.5
    assert torch.allclose(state.z, expected)
    before = state.render()[0]
    state.reset()
    assert torch.equal(state.z, state.base) and set(state.offsets.values()) == {0.0}
    assert not np.array_equal(before, state.render()[0])


def test_pick_scrub_and_plane_land_where_they_say(setup):
    state = Explorer(setup)
    for label in (3, 7):
        state.pick(label)
        assert state.render()[1].argmax() == label
    first = state.base.clone()
    state.pick(7)
    assert not torch.equal(state.base, first)  # pressed again: the next confident 7
    state.scrub(3, 8, 0.0)
    assert torch.allclose(state.base, setup.confident[3, 0], atol=1e-5)
    state.scrub(3, 8, 1.0)
    assert torch.allclose(state.base, setup.confident[8, 0], atol=1e-5) and state.render()[1].argmax() == 8
    for (a, b), anchor in zip([(0, 0), (1, 0), (0, 1)], setup.anchors, strict=True):
        state.plane_point(a, b)
        assert state.render()[1].argmax() == anchor
    # the drawn region map agrees with the classifier where it is sure
    grid = setup.plane_probs
    assert plane_rgba(grid).shape == grid.shape[:2]


def test_random_draws_a_new_latent_each_press_reproducibly(setup):
    a, b = Explorer(setup), Explorer(setup)
    a.random()
    b.random()
    assert torch.equal(a.base, b.base)
    a.random()
    assert not torch.equal(a.base, b.base)


def test_save_writes_numbered_results_that_replot(setup, tmp_path, run_cli):
    state = Explorer(setup)
    state.pick(2)
    state.set_offset("2", 1.0)
    first = state.save(tmp_path / "out")
    second = state.save(tmp_path / "out")
    assert [p.name for p in first + second] == ["explore-001.h5", "explore-001.png", "explore-002.h5",
                                                "explore-002.png"]
    saved = ExploreResult.load(first[0])
    image, probs = state.render()
    assert np.array_equal(saved.image, image) and np.allclose(saved.probs, probs)
    assert np.allclose(saved.z, state.z.numpy()) and saved.offsets[saved.keys.index("2")] == 1.0
    assert saved.provenance["generator_dataset"] == "mnist"
    assert run_cli("plot", str(first[0]), "--out", "again.png").exit_code == 0
    assert (tmp_path / "again.png").stat().st_size > 5_000


def test_the_state_says_what_its_base_is_and_survives_a_url(setup):
    state = Explorer(setup)
    assert state.origin == ("pick", 0, 0) and state.describe() == "the most confident 0 of the prior draws"
    start = state.z.clone()
    state.pick(7)
    state.pick(7)
    state.set_offset("sefa0", 1.5)
    assert state.describe() == "the 2nd most confident 7 of the prior draws"
    query = state.query()
    assert query == {"base": "pick:7:1", "s.sefa0": "1.5"}
    again = Explorer(setup)
    assert again.restore(query) == [] and torch.equal(again.z, state.z)
    for move, words in ((lambda s: s.scrub(3, 8, 0.25), "on the slerp path 3 → 8, t = 0.25"),
                        (lambda s: s.plane_point(0.2, 0.6), "plane point (0.20, 0.60)"),
                        (lambda s: s.random(41), "a prior draw, seed 41")):
        move(state)
        assert state.describe() == words
        copy = Explorer(setup)
        assert copy.restore(state.query()) == [] and torch.allclose(copy.z, state.z, atol=1e-5)
    state.random()
    assert state.origin == ("random", 42)  # the next seed
    state.reset()
    assert torch.equal(state.z, start) and state.origin == ("pick", 0, 0)
    hostile = {"base": "pick:99:0", "s.nope": "1", "s.sefa0": "nan", "s.z4": "1e9", "other": "x"}
    kept = Explorer(setup)
    assert kept.restore(hostile) == ["base=pick:99:0", "s.nope=1", "s.sefa0=nan"]
    assert kept.offsets["z4"] == 4.0 and kept.origin == ("pick", 0, 0)  # clipped to the slider's range
    with pytest.raises(ConfigError, match="without real images"):
        kept.test_image(3)


def test_saves_are_numbered_past_every_file_already_there(setup, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "explore-004.png").write_bytes(b"")  # a save of an earlier server
    first, second = Explorer(setup), Explorer(setup)  # two tabs
    names = [p.name for p in first.save(tmp_path / "out") + second.save(tmp_path / "out")]
    assert names == ["explore-005.h5", "explore-005.png", "explore-006.h5", "explore-006.png"]


def test_slider_titles_name_classes():
    from latentkit.analyses.explore import slider_title

    fashion = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]
    assert slider_title("6", fashion) == "Shirt" and slider_title("3:8", fashion) == "Dress→Bag"
    assert slider_title("sefa0", fashion) == "sefa0" and slider_title("12", fashion) == "12"


def test_bad_setup_is_one_config_error(setup):
    g, c = load_generator("mnist-dcgan"), load_classifier("mnist-classifier")
    with pytest.raises(ConfigError, match="coordinates run from 0 to 99"):
        prepare(g, c, dims=(4, 100))
    with pytest.raises(ConfigError, match="exactly three anchor classes"):
        prepare(g, c, anchors=(1, 2), top=1, directions=None, dims=())


def test_a_port_in_use_is_refused_before_any_model_loads(run_cli):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"try --port {port + 1}"):
            check_port("127.0.0.1", port)
        result = run_cli("explore", "--port", port, "--no-browser", "--model", "no-such-model")
    assert_one_line_error(result, f"port {port}", "in use", f"--port {port + 1}")


def test_a_model_that_fails_to_load_is_one_line_before_the_server(run_cli):
    result = run_cli("explore", "--port", free_port(), "--no-browser", "--model", "missing.safetensors")
    assert_one_line_error(result, "missing.safetensors")
    assert "running at" not in result.output


def start_server(folder, cache, *args: str) -> dict:
    """`latentkit explore` in a subprocess on a free port, as a user starts it, its found
    directions cached in `cache`."""
    port = free_port()
    out, err = folder / "stdout.txt", folder / "stderr.txt"
    # Files, not pipes: a pipe nobody reads fills up and stalls the server.
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "latentkit", "explore", "--no-browser", "--port", str(port), "--top", "2",
             "--dims", "4", "--out", str(folder / "saves"), *args], stdout=stdout, stderr=stderr, cwd=folder,
            env={**os.environ, "LATENTKIT_CACHE": str(cache)},
            # An in-process CLI run of an earlier test leaves SIGINT ignored here (the CLI's exit does
            # that), and an ignored SIGINT is inherited: give the server the default, as a shell does.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    for _ in range(1200):  # until the server listens (a minute on a busy machine) or the process ends
        if "running at" in out.read_text() or process.poll() is not None:
            break
        time.sleep(0.1)
    assert "running at" in out.read_text(), err.read_text()
    return {"url": f"http://127.0.0.1:{port}/", "process": process, "folder": folder, "stdout": out, "stderr": err}


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def server(tmp_path_factory, cache):
    started = start_server(tmp_path_factory.mktemp("explore"), cache)
    yield started
    if started["process"].poll() is None:
        started["process"].kill()


def shown(page) -> dict:
    """What the page shows: the image's PNG bytes, the probability bars and the caption."""
    src = page.locator("img").first.get_attribute("src")
    probs = page.evaluate("() => Array.from(Bokeh.documents[0].get_model_by_name('probs').data.p)")
    caption = page.evaluate("() => Bokeh.documents[0].get_model_by_name('caption').text")
    return {"png": base64.b64decode(src.split(",")[1]), "probs": np.array(probs), "caption": caption}


def wait_for(page, condition) -> dict:
    """What the page shows once `condition(shown)` holds (the server answers each move in turn)."""
    for _ in range(400):
        now = shown(page)
        if condition(now):
            return now
        page.wait_for_timeout(25)
    raise AssertionError(f"the page never showed what was expected; it shows {now['caption']}")


def drag(page, handle: int, dx: float) -> None:
    """Drag the `handle`-th slider handle on the page `dx` pixels to the right, as a user does."""
    box = page.locator(".noUi-handle").nth(handle).bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y, steps=5)
    page.mouse.up()


def test_explore_in_chromium(server, page):
    shots = server["folder"]
    page.goto(server["url"])
    bokeh_ready(page)
    page.locator("img").first.wait_for()
    start = shown(page)
    assert "read as" in start["caption"] and abs(start["probs"].sum() - 1) < 1e-4
    page.screenshot(path=shots / "explore-start.png")

    # slider: drag the handle of the first direction (the scrubber's is handle 0)
    drag(page, 1, 150)
    moved = wait_for(page, lambda now: now["png"] != start["png"])
    assert not np.allclose(moved["probs"], start["probs"])
    value = page.evaluate("() => Bokeh.documents[0].get_model_by_name('slider-0').value")
    assert value > 0.5
    page.screenshot(path=shots / "explore-slider.png")

    # digit picker: a confident 7
    page.get_by_role("button", name="7", exact=True).click()
    picked = wait_for(page, lambda now: now["probs"].argmax() == 7)
    assert "read as 7" in picked["caption"]
    assert page.evaluate("() => Bokeh.documents[0].get_model_by_name('slider-0').value") == 0  # sliders reset

    # scrubber: 3 -> 8, all the way to the 8
    drag(page, 0, 600)  # past the end of the track: t = 1
    wait_for(page, lambda now: now["probs"].argmax() == 8)
    assert page.evaluate("() => Bokeh.documents[0].get_model_by_name('scrub').value") == 1
    page.screenshot(path=shots / "explore-scrub.png")

    # plane: a click on the anchor at (1, 0) shows that anchor's class
    page.mouse.click(*on_screen(page, "plane", 1.0, 0.0))
    clicked = wait_for(page, lambda now: now["probs"].argmax() == 4)
    page.screenshot(path=shots / "explore-plane.png")

    # save: the state shown, as HDF5 + PNG
    page.get_by_role("button", name="save (HDF5 + PNG)").click()
    page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('status').text.startsWith('saved')")
    saved = ExploreResult.load(shots / "saves" / "explore-001.h5")
    assert (shots / "saves" / "explore-001.png").exists()
    from PIL import Image

    # Read again once the save is confirmed: `clicked` may pair new bars with the image before them
    # (the page's image and bars are read in two calls, and an update can land between).
    steady = shown(page)
    assert steady["probs"].argmax() == clicked["probs"].argmax() == 4
    assert np.array_equal(255 - np.asarray(Image.open(io.BytesIO(steady["png"]))), saved.image)
    assert np.allclose(saved.probs, steady["probs"], atol=1e-6)


def status_says(page, start: str) -> None:
    page.wait_for_function(f"() => Bokeh.documents[0].get_model_by_name('status').text.startsWith('{start}')")


def model_value(page, name: str):
    return page.evaluate(f"() => Bokeh.documents[0].get_model_by_name('{name}').value")


def test_two_tabs_and_a_reload_never_overwrite_a_save(server, page):
    saves = server["folder"] / "saves"
    before = set(saves.glob("explore-*.h5"))
    other = page.context.browser.new_page(viewport={"width": 1280, "height": 720})
    for tab, label in ((page, 7), (other, 2), (page, 5)):
        if tab is page and label == 5:
            page.reload()  # a new session in the same tab
        else:
            tab.goto(server["url"])
        bokeh_ready(tab)
        tab.get_by_role("button", name=str(label), exact=True).click()
        wait_for(tab, lambda now, label=label: now["probs"].argmax() == label)
        tab.get_by_role("button", name="save (HDF5 + PNG)").click()
        status_says(tab, "saved")
    made = sorted(set(saves.glob("explore-*.h5")) - before)
    assert len(made) == 3
    assert sorted(ExploreResult.load(f).probs.argmax() for f in made) == [2, 5, 7]
    # The confirmation sits beside the button, inside a 1280x720 window.
    box = page.locator(".bk-Div", has_text="saved explore-").first.bounding_box()
    assert box is not None and box["y"] + box["height"] < 720


def test_fifty_rapid_slider_moves_settle_within_two_seconds(server, page):
    page.goto(server["url"])
    bokeh_ready(page)
    wait_for(page, lambda now: "read as" in now["caption"])
    started = time.perf_counter()
    page.evaluate("""async () => { const s = Bokeh.documents[0].get_model_by_name('slider-0');
        for (let i = 1; i <= 50; i++) { s.value = i * 0.06; await new Promise(r => setTimeout(r, 10)); } }""")
    last_move = time.perf_counter()
    page.wait_for_function("() => location.search.includes('s.0=3')", timeout=30_000)
    settled = time.perf_counter() - last_move
    assert settled <= 2.0, f"settled {settled:.2f} s after the last of 50 moves ({last_move - started:.2f} s of moves)"


def test_the_address_restores_the_state_after_a_reload(server, page):
    page.goto(server["url"])
    bokeh_ready(page)
    for _ in range(2):
        page.get_by_role("button", name="7", exact=True).click()
        page.wait_for_function("() => location.search.includes('base=pick%3A7')")
    page.wait_for_function("() => location.search.includes('pick%3A7%3A1')")
    page.evaluate("() => { Bokeh.documents[0].get_model_by_name('slider-sefa0').value = 1.5 }")
    page.wait_for_function("() => location.search.includes('s.sefa0=1.5')")
    before = shown(page)
    address = page.evaluate("() => location.href")
    page.reload()
    bokeh_ready(page)
    page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('base').text.includes('2nd most confident 7')")
    assert page.evaluate("() => location.href") == address and model_value(page, "slider-sefa0") == 1.5
    assert shown(page)["png"] == before["png"]


def _digit_png(path, index: int = 0) -> int:
    """Test image `index` of MNIST written as a PNG at `path`; returns its true label."""
    from PIL import Image

    from latentkit.data.datasets import load_images

    test = load_images("mnist", train=False)
    Image.fromarray(test.images[index].numpy()).save(path)
    return int(test.labels[index])


def test_an_uploaded_latents_file_or_picture_becomes_the_base(setup, tmp_path):
    from latentkit.analyses.explore import _image_latents
    from latentkit.generator.handle import Models

    state = Explorer(setup)
    z = np.random.default_rng(0).standard_normal((3, 100)).astype(np.float32)
    np.save(tmp_path / "invert.npy", z)
    state.upload("invert.npy", (tmp_path / "invert.npy").read_bytes())
    assert torch.equal(state.base, torch.from_numpy(z[0])) and state.describe() == "invert.npy, uploaded"
    with pytest.raises(ConfigError, match="without an inverter"):  # prepare() alone has none
        state.upload("seven.png", b"")
    label = _digit_png(tmp_path / "seven.png")
    setup.image_latent = _image_latents(Models.load("mnist-dcgan"), "mnist-dcgan")
    try:
        state.upload("seven.png", (tmp_path / "seven.png").read_bytes())
        assert state.render()[1].argmax() == label and state.describe() == "seven.png, uploaded"
        np.save(tmp_path / "nan.npy", np.full((1, 100), np.nan, np.float32))
        for name, data, match in [("junk.png", b"not a picture", "cannot read junk.png as an image"),
                                  ("nan.npy", (tmp_path / "nan.npy").read_bytes(), "NaN"),
                                  ("huge.npy", b"0" * (50 * 2**20 + 1), "at most 50 MB")]:
            with pytest.raises(ConfigError, match=match):
                state.upload(name, data)
        assert state.describe() == "seven.png, uploaded", "a refused file leaves the base as it was"
    finally:
        setup.image_latent = None


def test_the_picker_shows_one_set_of_directions_and_names_moved_ones_it_hides(server, page):
    page.goto(server["url"])
    bokeh_ready(page)
    page.locator("img").first.wait_for()
    visible = "(k) => Bokeh.documents[0].get_model_by_name('slider-' + k).visible"
    assert model_value(page, "direction-set") == "classifier"
    assert page.evaluate(visible, "0") and not page.evaluate(visible, "sefa0") and page.evaluate(visible, "z4")
    page.evaluate("() => { Bokeh.documents[0].get_model_by_name('slider-3').value = 1.5 }")
    page.evaluate("() => { Bokeh.documents[0].get_model_by_name('direction-set').value = 'sefa' }")
    page.wait_for_function("() => !Bokeh.documents[0].get_model_by_name('slider-0').visible")
    assert page.evaluate(visible, "sefa0") and page.evaluate(visible, "z4") and not page.evaluate(visible, "pc0")
    note = page.evaluate("() => Bokeh.documents[0].get_model_by_name('elsewhere').text")
    assert "also moved, in other sets: 3" in note
    page.screenshot(path=server["folder"] / "explore-picker.png")


def test_a_picture_handed_to_the_page_becomes_the_base(server, page, tmp_path):
    label = _digit_png(tmp_path / "digit.png")
    page.goto(server["url"])
    bokeh_ready(page)
    page.locator("img").first.wait_for()
    page.locator("input[type=file]").set_input_files(str(tmp_path / "digit.png"))
    page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('base').text.includes('digit.png, uploaded')",
                           timeout=30_000)
    assert wait_for(page, lambda now: now["probs"].argmax() == label)


def test_a_real_test_digit_becomes_the_base(server, page):
    from latentkit.data.datasets import load_images

    label = int(load_images("mnist", train=False, limit=1).labels[0])
    page.goto(server["url"])
    bokeh_ready(page)
    page.evaluate("() => { Bokeh.documents[0].get_model_by_name('test').value = 0 }")
    page.wait_for_function("() => Bokeh.documents[0].get_model_by_name('base').text.includes('test image #0')",
                           timeout=60_000)
    assert wait_for(page, lambda now: now["probs"].argmax() == label)["probs"].max() > 0.9
    assert "base=test%3A0" in page.evaluate("() => location.href")


def test_a_second_start_reads_the_directions_found_by_the_first(server, cache, tmp_path):
    err = server["stderr"].read_text()
    assert "explore: finding the classifier directions" in err
    again = start_server(tmp_path, cache)
    try:
        assert "classifier directions: read from" in again["stderr"].read_text()
    finally:
        again["process"].kill()


@pytest.fixture(scope="module")
def fashion_server(tmp_path_factory, cache):
    started = start_server(tmp_path_factory.mktemp("fashion"), cache, "--model", "fashion-mnist-dcgan",
                           "--anchors", "ankle-boot,sneaker,bag")
    yield started
    started["process"].kill()


def test_fashion_mnist_names_fit_their_buttons(fashion_server, page):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(fashion_server["url"])
    bokeh_ready(page)
    wait_for(page, lambda now: "read as" in now["caption"] or "unsure" in now["caption"])
    page.screenshot(path=fashion_server["folder"] / "explore-fashion.png")
    buttons = page.evaluate("""() => { const found = [];
        const walk = (root) => root.querySelectorAll('*').forEach((el) => {
            if (el.tagName === 'BUTTON') found.push([el.textContent, el.scrollWidth, el.clientWidth]);
            if (el.shadowRoot) walk(el.shadowRoot); });
        walk(document); return found; }""")
    names = {text for text, _, _ in buttons}
    assert {"T-shirt/top", "Pullover", "Sneaker", "Ankle boot"} <= names, names
    assert [text for text, scroll, client in buttons if scroll > client + 1] == []
    titles = page.evaluate("""() => [6, 9].map((c) => Bokeh.documents[0].get_model_by_name('slider-' + c).title)""")
    assert titles[0].startswith("Shirt:") and titles[1].startswith("Ankle boot:")
    text = page.evaluate("() => document.body.innerText")
    assert "digit" not in text


def test_a_path_with_a_nul_byte_is_refused_without_a_traceback(server):
    import urllib.error
    import urllib.request

    for path in ("static/%00", "static/a%00b.js"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(server["url"] + path, timeout=30)
        assert refused.value.code == 400, path
    assert "Traceback" not in server["stderr"].read_text()
    with urllib.request.urlopen(server["url"], timeout=30) as page:  # the page itself still answers
        assert page.status == 200


def test_ctrl_c_stops_the_server_cleanly(server):
    process = server["process"]
    process.send_signal(signal.SIGINT)
    process.wait(timeout=60)
    out, err = server["stdout"].read_text(), server["stderr"].read_text()
    assert process.returncode == 0, err
    assert "stopped" in out and "Traceback" not in err
    time.sleep(0.2)
    check_port("127.0.0.1", int(server["url"].rsplit(":", 1)[1].strip("/")))  # the port is free again
    assert os.path.isdir(server["folder"] / "saves")


def test_the_scrubbers_path_exports_as_an_interpolation_with_the_sliders_moves(setup, tmp_path):
    from latentkit.analyses.interpolate import InterpolationResult

    state = Explorer(setup)
    state.scrub(1, 7, 0.3)
    state.set_offset("z4", 0.5)
    paths = state.export_path(tmp_path / "out")
    assert [p.name for p in paths] == ["explore-path-001.h5", "explore-path-001.png", "explore-path-001.gif"]
    path = InterpolationResult.load(paths[0])
    assert path.images.shape[1] == 16 and path.params["explore"]["from"] == "1"
    moved = setup.confident[1, 0].clone()
    moved[4] += 0.5
    assert np.allclose(path.z[0, 0], moved.numpy(), atol=1e-5)  # the first frame: the 1 with the slider's move
    assert path.labels[0, 0] == 1 and path.labels[0, -1] == 7
    assert state.export_path(tmp_path / "out")[0].name == "explore-path-002.h5"
    assert state.save(tmp_path / "out")[0].name == "explore-001.h5"  # saves keep their own numbers
