import re

import browser
import numpy as np
import torch
from browser import bokeh_ready, on_screen
from conftest import assert_one_line_error

from latentkit.analyses.latent_map import MapResult
from latentkit.data.pixels import to_uint8
from latentkit.generator.weights import save_weights
from latentkit.web.map_page import map_page, png_data_uri, write_map_html

QUICK_TIER = False  # its tests train, install or start processes and pages themselves

page = browser.page  # the fixture, by the name the tests ask for


def small_map(n: int = 200, images: bool = True, seed: int = 0) -> MapResult:
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet(np.full(10, 0.05), size=n).astype(np.float32)  # mostly confident
    pictures = (rng.random((n, 28, 28)) > 0.8).astype(np.uint8) * 255 if images else None
    return MapResult(z=rng.standard_normal((n, 4)).astype(np.float32), probs=probs,
                     embedding=rng.standard_normal((n, 2)).astype(np.float32), class_names=[str(c) for c in range(10)],
                     images=pictures, params={"samples": n, "method": "pca", "space": "latent"})


def test_the_page_is_self_contained_and_holds_every_point():
    result = small_map(150)
    html = map_page(result)
    assert not re.search(r"<(script|link)[^>]+(src|href)=", html), "the page must load nothing from elsewhere"
    assert "http://" not in html.split("<body")[0].replace("http://www.w3.org", "")
    # every sample's image is in the page, once
    assert all(html.count(png_data_uri(result.images[i])) >= 1 for i in (0, 77, 149))
    assert "150 generated samples" in html and "click a legend entry" in html


def test_without_images_the_page_says_how_to_get_them():
    html = map_page(small_map(50, images=False))
    assert "@image" not in html and "--store-images" in html


def test_png_data_uri_draws_black_ink_on_white():
    from base64 import b64decode
    from io import BytesIO

    from PIL import Image

    ink = np.zeros((28, 28), np.uint8)
    ink[3, 5] = 255
    back = np.asarray(Image.open(BytesIO(b64decode(png_data_uri(ink).split(",")[1]))))
    assert back[3, 5] == 0 and back[0, 0] == 255


def test_map_writes_the_page_and_plot_html_remakes_it(run_cli, tmp_path, known_generator):
    save_weights(known_generator, tmp_path / "g.safetensors", "generator")
    result = run_cli("map", "--model", "g.safetensors", "--samples", "60", "--method", "pca", "--out", "o", "-q")
    assert result.exit_code == 0, result.output
    assert "o/map.html" in result.output
    page_text = (tmp_path / "o" / "map.html").read_text()
    stored = MapResult.load(tmp_path / "o" / "map.h5")
    assert stored.images is None  # the file keeps none, but the page has every sample's image
    with torch.no_grad():
        images = to_uint8(known_generator(torch.from_numpy(stored.z))[:, 0]).numpy()
    assert all(png_data_uri(images[i]) in page_text for i in (0, 59))
    again = run_cli("plot", "o/map.h5", "--html", "--out", "again.html")
    assert again.exit_code == 0 and (tmp_path / "again.html").exists(), again.output
    assert "--store-images" in (tmp_path / "again.html").read_text()  # no stored images: it says so
    assert run_cli("plot", "o/map.h5", "--html").exit_code == 0 and (tmp_path / "o" / "map.html").exists()


def test_plot_html_refuses_what_it_cannot_do(run_cli, tmp_path):
    small_map(30).save(tmp_path / "m.h5", {"seed": 0})
    assert_one_line_error(run_cli("plot", "m.h5", "--html", "--out", "m.png"), "does not end in .html")
    assert_one_line_error(run_cli("plot", "m.h5", "--html", "--out", "m.h5"), "the result file itself")
    from latentkit.analyses.plane import PlaneResult

    PlaneResult(axis=np.zeros(2), probs=np.full((2, 2, 10), 0.1), mosaic=np.zeros((1, 1, 28, 28), np.uint8),
                mosaic_axis=np.zeros(1), class_names=list("0123456789")).save(tmp_path / "p.h5", {"seed": 0})
    assert_one_line_error(run_cli("plot", "p.h5", "--html"), "made from map and evolve results")
    assert not (tmp_path / "p.html").exists()


def test_map_html_in_chromium_offline_renders_points_and_hover_images(page, tmp_path):
    result = small_map(10_000)
    write_map_html(result, tmp_path / "map.html")
    page.context.set_offline(True)
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto((tmp_path / "map.html").as_uri())
    bokeh_ready(page)
    drawn = page.evaluate("""() => {
        const views = []; const walk = (v) => { views.push(v); (v.child_views ?? []).forEach(walk); };
        Object.values(Bokeh.index).forEach(walk);
        const plot = views.find((v) => v.model.name === 'map');
        return [...plot.renderer_views.values()].filter((r) => r.model.type === 'GlyphRenderer')
            .map((r) => r.model.data_source.data.x.length);
    }""")
    assert sum(drawn) == 10_000 and len(drawn) == 11  # unsure + one scatter per class
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    shot = page.screenshot(path=tmp_path / "map.png")
    from io import BytesIO

    from PIL import Image

    pixels = np.asarray(Image.open(BytesIO(shot)).convert("RGB")).reshape(-1, 3)
    assert len(np.unique(pixels, axis=0)) > 12, "the scatter drew no coloured points"

    # Hover the most isolated sample, so the tooltip can only be its own.
    from sklearn.neighbors import NearestNeighbors

    gaps = NearestNeighbors(n_neighbors=2).fit(result.embedding).kneighbors(result.embedding)[0][:, 1]
    i = int(np.argmax(gaps))
    page.mouse.move(*on_screen(page, "map", *result.embedding[i].tolist()))
    tooltip = page.locator("img[src^='data:image/png;base64,iVBOR']").last
    tooltip.wait_for(timeout=10_000)
    assert tooltip.get_attribute("src") == png_data_uri(result.images[i])
    assert page.get_by_text(f"sample {i}").count() == 1
    page.screenshot(path=tmp_path / "map-hover.png")




def test_real_digits_are_their_own_group_hovered_with_their_reconstruction(page, tmp_path):
    result = small_map(300)
    rng = np.random.default_rng(1)
    real = (rng.random((5, 28, 28)) > 0.7).astype(np.uint8) * 255
    drawn = (rng.random((5, 28, 28)) > 0.9).astype(np.uint8) * 255
    result.real_images, result.real_z = real, rng.standard_normal((5, 4)).astype(np.float32)
    result.real_probs = np.eye(10, dtype=np.float32)[[1, 2, 3, 4, 5]]
    result.real_embedding = np.array([[9.0, 9.0], [9.5, 9.0], [10.0, 9.0], [9.0, 10.0], [12.0, 12.0]], np.float32)
    result.real_reconstructions = drawn
    html = map_page(result)
    assert "300 generated samples and 5 real test digits" in html and "no clusters of its own" in html
    write_map_html(result, tmp_path / "map.html")
    page.goto((tmp_path / "map.html").as_uri())
    bokeh_ready(page)
    legend = page.evaluate("""() => [...Bokeh.documents[0]._all_models.values()]
        .filter((m) => m.type === 'Legend')[0].items.map((item) => item.label.value)""")
    assert "real test digits (5)" in legend
    page.mouse.move(*on_screen(page, "map", 12.0, 12.0))  # the lone real digit
    page.get_by_text("real test digit 4").wait_for(timeout=10_000)
    sources = page.locator("img").evaluate_all("(imgs) => imgs.map((i) => i.src)")
    assert png_data_uri(real[4]) in sources and png_data_uri(drawn[4]) in sources
