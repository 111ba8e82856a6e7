"""latentkit report (analyses/report.py): one offline page for a user's own generator, compared
with a bundled one, opened in Chromium with the network blocked; a stopped report resumes."""

import re

import browser
from browser import bokeh_ready
from conftest import assert_one_line_error

QUICK_TIER = False  # whole analyses and a browser

page = browser.page  # the fixture, by the name the tests ask for

USER_GENERATOR = '''
import latentkit


def make():
    return latentkit.load_generator("mnist-r004-mlp")
'''
SMALL = ["--samples", "100", "--invert", "10", "--pairs", "9:4", "-q"]


def test_report_of_a_user_generator_with_a_comparison_opens_offline_without_errors(run_cli, tmp_path, page):
    (tmp_path / "mine.py").write_text(USER_GENERATOR)
    result = run_cli("report", "--model", "mine.py:make", "--compare", "mnist-dcgan", *SMALL, "--out", "rep")
    assert result.exit_code == 0, result.output
    html = (tmp_path / "rep" / "report.html").read_text()
    for title in ("Metrics beside real data", "Truncation", "Interpolation 9 → 4", "Which latent coordinates matter",
                  "Map of the latent space", "Directions", "style grid", "real digits", "Comparison"):
        assert title in html, title
    assert "no card" in html and html.count("Reproduce:") == 9
    # R004's MLP draws too few confident 1s among 500 latents for a boundary: that section says so, the rest stand.
    assert html.count("This section could not be made") == 1 and "label more latents" in html
    assert "latentkit eval --model mine.py:make --samples 100" in html
    outside_scripts = re.sub(r"<script.*?</script>", "", html, flags=re.S)  # BokehJS names a CDN it never calls
    assert not re.search(r"""(src|href)=['"]https?:""", outside_scripts), "every figure and style is inline"
    for sub in ("evaluate/eval.h5", "latent_map/map.h5", "invert/invert.h5", "compare/compare.h5"):
        assert (tmp_path / "rep" / sub).is_file(), sub

    requests, errors = [], []
    page.context.set_offline(True)
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((tmp_path / "rep" / "report.html").as_uri())
    bokeh_ready(page)
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == [] and errors == []
    assert page.evaluate("[...document.images].every((i) => i.complete && i.naturalWidth > 0)")
    page.screenshot(path=tmp_path / "report.png", full_page=True)

    made = {p: p.stat().st_mtime_ns for p in (tmp_path / "rep").glob("*/*.h5") if p.parent.name != "compare"}
    again = run_cli("report", "--model", "mine.py:make", *SMALL, "--out", "rep")
    assert again.exit_code == 0, again.output
    assert {p: p.stat().st_mtime_ns for p in made} == made, "a second run reads every section back from its files"
    assert "<h2>Comparison</h2>" not in (tmp_path / "rep" / "report.html").read_text()


def test_report_refuses_a_bad_model_before_any_analysis(run_cli, tmp_path):
    assert_one_line_error(run_cli("report", "--model", "nope", "--out", "rep"), "nope")
    assert_one_line_error(run_cli("report", "--compare", "mnist-vae", "--seed", "3", "--out", "rep"), "drop --seed")
    assert_one_line_error(run_cli("report", "--pairs", "9:banana", "--out", "rep"), "banana")
    assert_one_line_error(run_cli("report", "--edit-from", "sneaker", "--out", "rep"), "sneaker")
    assert_one_line_error(run_cli("report", "--compare", "fashion-mnist-dcgan", "--out", "rep"), "one dataset")
    assert not (tmp_path / "rep").exists()
