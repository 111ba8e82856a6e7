"""Report: one self-contained HTML page about a generator (or a comparison) to share.

Each section runs one latentkit analysis with report-sized options into OUT/<analysis>/ (its .h5
and .png, as the command writes them), then says in one sentence what it shows with its numbers,
shows its figure, and gives the exact command that reproduces it. The sections: the model's card,
eval's metrics beside the real-data yardsticks, the truncation curve, interpolations between
chosen class pairs, the ranking of latent coordinates, the interactive map, the directions with
their names, the edits of one class toward every class (the style grid), inversion reachability,
and with `compare` the comparison with other models. A section that cannot be made for this
generator (a weak one may draw too few of a class to fit its boundary) says why, and the others
are made.

The page carries everything inline (figures as PNG data, the map's BokehJS), so it opens from a
file with no network, as a paper's supplement or a course page.

    paths = report("mnist-dcgan", out="report", compare_with=["mnist-vae"])
"""

from __future__ import annotations

import base64
import html
import importlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from latentkit.errors import ConfigError, LatentkitError
from latentkit.generator.handle import DEFAULT_GENERATOR
from latentkit.names import CONFIDENT
from latentkit.options import check_values
from latentkit.options.compare import DEFAULT_PAIRS
from latentkit.options.report import REPORT, ReportOptions
from latentkit.progress import Phases

ANALYSIS = "report"
FLAGS = {"start": "from", "end": "to"}  # run() arguments whose command-line flag has another name
COMPARE_SEEDS = 2  # the report's comparison is kept short: two seeds, at most 1000 samples and 50 inversions


@dataclass(frozen=True)
class Section:
    key: str  # the analysis module, and the subfolder its files go to
    title: str
    command: str  # the latentkit command that runs it
    options: dict  # its run() options beyond model, seed, out
    sentence: Callable  # result -> one sentence (HTML) of what it shows, with its numbers


def command_text(section: Section, model: str, seed: int, out: Path) -> str:
    """The command line that reproduces `section` (its files in `out`)."""
    parts = ["latentkit", section.command, "--model", model]
    for name, value in section.options.items():
        flag = "--" + FLAGS.get(name, name).replace("_", "-")
        if value is True:
            parts.append(flag)
        elif value is not False and value is not None:
            parts += [flag, ",".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)]
    return " ".join([*parts, "--seed", str(seed), "--out", str(out)])


def _fmt(value: float | None, spec: str = ".3g") -> str:
    return "–" if value is None or not np.isfinite(value) else format(value, spec)


def _eval_sentence(r) -> str:
    m = r.metrics
    real = {k: v.get("real") for k, v in m.items()}
    gen = {k: v["generated"] for k, v in m.items()}
    elbo = f" Its test-set ELBO is {gen['elbo']:.1f} nats per image." if "elbo" in gen else ""
    warning = f" <b>Warning:</b> {html.escape(r.params['quality_warning'])}." if r.params.get("quality_warning") else ""
    return (f"{r.params['samples']} samples score FID {_fmt(gen['fid'])} (real training images: {_fmt(real['fid'])}), "
            f"precision {_fmt(gen['precision'], '.2f')} and recall {_fmt(gen['recall'], '.2f')} "
            f"(real: {_fmt(real['precision'], '.2f')}, {_fmt(real['recall'], '.2f')}); "
            f"{gen['confident_fraction']:.0%} are read as one class with probability ≥ {CONFIDENT:g} "
            f"(real: {_fmt(real['confident_fraction'], '.0%')}).{elbo}{warning}")


def _truncation_sentence(r) -> str:
    precision, recall = r.curve("precision"), r.curve("recall")
    return (f"Scaling latents toward the prior's mean (ψ from {r.psis[0]:g} to {r.psis[-1]:g}) trades variety for "
            f"typicality: precision goes {precision[0]:.2f} → {precision[-1]:.2f}, recall {recall[0]:.2f} → "
            f"{recall[-1]:.2f}; FID is lowest at ψ = {r.best_psi:g}.")


def _interpolate_sentence(r) -> str:
    names = [r.class_names[w] for w in r.waypoints]
    once = sum(len(c) == 1 for c in r.changes)
    return (f"Slerp paths from the most confident {names[0]}s to the most confident {names[-1]}s: {once} of "
            f"{len(r.changes)} change the class read exactly once (a clean switch); "
            f"{sum(len(c) for c in r.changes) / len(r.changes):.1f} changes per path on average.")


def _sweep_sentence(r) -> str:
    top = r.ranking("pixel_change")[:5]
    dims = ", ".join(f"z[{int(r.dims[i])}]" for i in top)
    return (f"Setting one coordinate at a time to {', '.join(f'{v:g}' for v in r.values)} on {r.base_z.shape[0]} "
            f"samples: the coordinates that change the image most are {dims}; the strongest changes the class read "
            f"in {r.flip_rate[top[0]]:.0%} of cases.")


def _map_sentence(r) -> str:
    sure = r.confidence >= CONFIDENT
    return (f"{len(r.embedding)} samples placed by {r.params.get('method')} of their {r.params.get('space')} "
            f"space, coloured by the class read ({sure.mean():.0%} confidently); hover a point for its image, click "
            "the legend to hide a class.")


def _directions_sentence(r) -> str:
    top = r.ranking()[:3]
    named = "; ".join(f"<code>{html.escape(r.keys[i])}</code>: {html.escape(r.names[i])}" for i in top)
    return (f"{len(r.keys)} directions found by the {r.method} method, each measured on {r.base_z.shape[0]} "
            f"probes; the three that move the class most: {named}.")


def _edit_sentence(r) -> str:
    start = r.class_names[int(r.base_probs.argmax(1)[0])]
    success = r.success.mean(0)
    reached = ", ".join(f"{r.class_names[t]} {s:.0%}" for t, s in zip(r.targets, success, strict=True))
    return (f"{len(r.base_z)} {start}s moved along each class's boundary normal; the share that ends read as the "
            f"target: {reached}. Each row keeps one {start}'s style across targets.")


def _invert_sentence(r) -> str:
    s, reach = r.summary(), r.reachability()
    worst = int(np.nanargmin(reach["agreement"]))
    hardest = ("every class is reached" if reach["agreement"][worst] == 1 else
               f"the hardest class to reach is {r.class_names[worst]} ({reach['agreement'][worst]:.0%})")
    return (f"{s['images']} real test digits inverted: {s['agreement']:.0%} of the reconstructions are read as the "
            f"real digit's class (pixel MSE {s['mse']:.4f}, against {s['nearest_mse']:.4f} for the nearest of the "
            f"generator's samples); {hardest}.")


def sections(samples: int, invert: int, edit_from: str, pairs: Sequence[tuple[str, str]]) -> list[Section]:
    """What a report runs, in page order."""
    return [
        Section("evaluate", "Metrics beside real data", "eval", dict(samples=samples, ppl_paths=500), _eval_sentence),
        Section("truncation", "Truncation: quality against variety", "eval",
                dict(truncation_sweep=True, samples=samples), _truncation_sentence),
        *[Section("interpolate", f"Interpolation {a} → {b}", "interpolate", dict(start=a, end=b, pairs=4),
                  _interpolate_sentence) for a, b in pairs],
        Section("sweep", "Which latent coordinates matter", "sweep", dict(rank=True), _sweep_sentence),
        Section("latent_map", "Map of the latent space", "map", dict(samples=samples, store_images=True),
                _map_sentence),
        Section("directions", "Directions and what they do", "directions", dict(samples=5 * samples),
                _directions_sentence),
        Section("edit", f"Edits of {edit_from} toward every class (style grid)", "edit",
                dict(start=edit_from, toward="all", samples=6, fit_samples=max(1000, 5 * samples)), _edit_sentence),
        Section("invert", "Which real digits the generator can draw", "invert", dict(indices=f"0:{invert}"),
                _invert_sentence),
    ]


def _run_section(section: Section, model: str, seed: int, folder: Path, command: str):
    """(result, [.h5, .png]) of `section`: read back from `folder` when a report stopped midway
    already made it with the same `command` (command_text's), else run."""
    from latentkit.results.stored import read_attrs, result_class

    options = dict(section.options)
    name = "truncation" if options.pop("truncation_sweep", False) else section.key
    module = importlib.import_module(f"latentkit.analyses.{name}")
    paths = [folder / f"{module.ANALYSIS}.h5", folder / f"{module.ANALYSIS}.png"]
    if all(p.is_file() for p in paths):
        try:
            if read_attrs(paths[0]).get("command") == command:
                return result_class(module.ANALYSIS).load(paths[0]), paths
        except LatentkitError:  # damaged: made again below
            pass
    return module.run(model=model, seed=seed, out=folder, progress=False, command=command, **options)


def _png(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()


def _card_html(model: str) -> str:
    from latentkit.generator.cards import card_beside
    from latentkit.generator.quality import summary
    from latentkit.generator.registry import resolve

    card = card_beside(resolve(model, "generator"))
    if card is None:
        return "<p>This generator has no card (it is not a latentkit run or bundled model).</p>"
    rows = [("architecture", card.get("arch")), ("dataset", card.get("dataset")),
            ("latent size", card.get("latent_dim")),
            ("parameters", f"{card['parameters']:,}" if "parameters" in card else None),
            ("trained", f"{card.get('epochs')} epochs, {card.get('steps')} steps, {card.get('train_seconds', 0):.0f} s "
                        f"on {card.get('device')} ({card.get('machine')})" if "steps" in card else None),
            ("seed", card.get("seed")), ("measured", summary(card))]
    table = "".join(f"<tr><th>{k}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows if v is not None)
    command = f"<pre><code>{html.escape(card['command'])}</code></pre>" if card.get("command") else ""
    return f"<table class='card'>{table}</table><p>Trained with:</p>{command}"


def _metrics_table(result) -> str:
    from latentkit.analyses.evaluate import METRICS, _cell

    rows = "".join(
        f"<tr><td>{name}</td><td>{_cell(result.metrics[name], 'generated')}</td>"
        f"<td>{_cell(result.metrics[name], 'real')}</td><td>{better}</td><td>{html.escape(meaning)}</td></tr>"
        for name, (better, meaning) in METRICS.items() if name in result.metrics)
    return ("<table class='metrics'><tr><th>metric</th><th>generated</th><th>real</th><th>better</th>"
            f"<th>what it is</th></tr>{rows}</table>")


def _map_html(result) -> tuple[str, str]:
    """(head, body) HTML of the map's Bokeh document, BokehJS inlined."""
    from bokeh.embed import components
    from bokeh.resources import INLINE

    from latentkit.web.map_page import map_document

    script, div = components(map_document(result))
    return INLINE.render(), f"{div}{script}"


def _section_html(title: str, sentence: str, body: str, command: str) -> str:
    return (f"<section><h2>{html.escape(title)}</h2><p>{sentence}</p>{body}"
            f"<p class='cmd'>Reproduce:</p><pre><code>{html.escape(command)}</code></pre></section>")


STYLE = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
img { max-width: 100%; height: auto; border: 1px solid #eee; }
pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; font-size: 13px; }
table { border-collapse: collapse; font-size: 13px; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
p.cmd { margin-bottom: 0; color: #666; font-size: 13px; } nav a { margin-right: 0.8em; }
"""


def report(
    model: str = DEFAULT_GENERATOR, out: str | os.PathLike | None = None, *, compare_with: Sequence[str] = (),
    pairs: Sequence[tuple[str, str]] = DEFAULT_PAIRS, samples: int = REPORT.samples, invert: int = REPORT.invert,
    edit_from: str = REPORT.edit_from, seed: int = 0, progress: bool = True, command: str | None = None,
) -> Path:
    """Run every section's analysis on `model` into `out` and write OUT/report.html (see the module
    docstring); `compare_with` adds a comparison with those models. Returns the page's path."""
    from latentkit.generator.handle import Models
    from latentkit.results.output import output_dir
    from latentkit.storage import atomic_path

    check_values(ReportOptions, {"samples": samples, "invert": invert, "edit_from": str(edit_from)})
    model = str(model)
    if compare_with and seed:
        raise ConfigError("a comparison measures every model at seeds 0, 1, ...: drop --seed with --compare")
    # A model that does not load, or a class it has no name for, is one line now, before any analysis runs.
    loaded = Models.load(model)
    for label in [edit_from, *(c for pair in pairs for c in pair)]:
        loaded.check_class(label)
    if any(str(a) == str(b) for a, b in pairs):
        raise ConfigError("a class pair needs two different classes, e.g. 9:4")
    for other in compare_with:
        drawn = Models.load(other).dataset
        if drawn != loaded.dataset:
            raise ConfigError(f"{other} draws {drawn} and {model} {loaded.dataset}: one classifier reads every model "
                              "in a comparison, so compare models of one dataset")
    folder = output_dir(out, ANALYSIS)
    plan = sections(samples, invert, str(edit_from), [(str(a), str(b)) for a, b in pairs])
    parts, head = [], ""
    with Phases("report", len(plan) + bool(compare_with), enabled=progress) as bar:
        for k, section in enumerate(plan):
            bar.start(section.title)
            sub = folder / (f"{section.key}-{k}" if section.key == "interpolate" else section.key)
            command = command_text(section, model, seed, sub)
            try:
                result, paths = _run_section(section, model, seed, sub, command)
            except ConfigError as err:  # e.g. a weak generator draws too few of a class to fit its boundary
                parts.append(_section_html(section.title, f"<b>This section could not be made:</b> "
                                           f"{html.escape(str(err))}", "", command))
                continue
            body = f"<img src='{_png(paths[1])}' alt='{html.escape(section.title)}'>"
            if section.key == "evaluate":
                body += _metrics_table(result)
            if section.key == "latent_map":
                head, body = _map_html(result)
            parts.append(_section_html(section.title, section.sentence(result), body, command))
        if compare_with:
            bar.start("comparison")
            size = dict(samples=min(samples, 1000), seeds=COMPARE_SEEDS, ppl_paths=200, reachability=min(invert, 50))
            parts.append(_compare_section(model, list(compare_with), pairs, size, folder / "compare"))
    page = _page(model, compare_with, head, parts, command)
    path = folder / "report.html"
    with atomic_path(path) as tmp:
        Path(tmp).write_text(page, encoding="utf-8")
    return path


def _compare_section(model: str, others: list[str], pairs, size: dict, folder: Path) -> str:
    from latentkit.analyses.compare import format_table, run

    result, paths = run([model, *others], out=folder, pairs=pairs, progress=False, **size)
    flags = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in size.items())
    pair_flag = ",".join(f"{a}:{b}" for a, b in pairs)
    command = f"latentkit compare {model} {' '.join(others)} {flags} --pairs {pair_flag} --out {folder}"
    notable = [f for f, hit in zip(result.figures, result.notable(1), strict=True) if hit]
    sentence = (f"{' and '.join(result.names)} measured the same way over {result.values.shape[2]} seeds: they differ "
                f"beyond the seed spread in {len(notable)} of {len(result.figures)} figures"
                + (f" ({', '.join(notable[:8])}{', …' if len(notable) > 8 else ''})." if notable else "."))
    body = f"<img src='{_png(paths[1])}' alt='comparison'><pre>{html.escape(format_table(result))}</pre>"
    return _section_html("Comparison", sentence, body, command)


def _page(model: str, compare_with: Sequence[str], head: str, parts: list[str], command: str | None) -> str:
    from latentkit import __version__

    title = f"latentkit report: {model}" + (f" vs {', '.join(compare_with)}" if compare_with else "")
    made = f"<p>Made by latentkit {__version__} with <code>{html.escape(command)}</code>.</p>" if command else ""
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style>{head}</head><body><h1>{html.escape(title)}</h1>{made}"
            f"<section><h2>The model</h2>{_card_html(model)}</section>{''.join(parts)}</body></html>")
