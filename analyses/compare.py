"""Compare: the same battery on several generators, with the same seeds and sample counts.

For each model and each seed 0 .. seeds-1: eval's metrics (analyses/evaluate.py: FID, KID,
precision and recall, density and coverage, PPL, linear separability, reachability, and a VAE's
ELBO) and class shares; and for each class pair (a, b): how many times the class read changes
along slerp paths from the most confident latents of a to those of b (analyses/interpolate.py,
1 is the smoothest a path between two classes can be), the perceptual path length along those
same paths, and the share of edits of a toward b that end read as b (analyses/edit.py; its class
boundaries fitted on `samples` prior latents, at least 1,000, where `latentkit edit` uses 10,000).
Once per model, as nothing in it is sampled: SeFa's spectrum of the first layer.

Every difference to the first model comes with its spread: the standard deviation over seeds of
the difference at the same seed (models with the same latent size draw the same latents at the
same seed). A model compared with itself therefore differs by exactly 0; a difference under twice
its spread is within the noise and is not marked.

    r = compare([Models.load("mnist-dcgan"), Models.load("mnist-vae")], names=["dcgan", "vae"])
    print(format_table(r))
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

from latentkit.analyses.edit import edit
from latentkit.analyses.evaluate import METRICS, PPL_EPSILON, evaluate
from latentkit.analyses.interpolate import interpolate
from latentkit.errors import ConfigError
from latentkit.generator.handle import Models
from latentkit.measure import metrics as M
from latentkit.options import check_values
from latentkit.options.compare import COMPARE, DEFAULT_PAIRS, CompareOptions
from latentkit.progress import Phases
from latentkit.results.stored import StoredResult
from latentkit.results.tables import Columns
from latentkit.space.layers import sefa_spectrum

__all__ = ["CompareResult", "compare"]  # what `latentkit.analyses` exports

ANALYSIS = "compare"
SPECTRUM_TOP = 20  # SeFa singular values kept per model
SHOWN = 16  # samples of each model in the figure
T_PER_PATH = 8  # points t ~ U(0, 1) at which each class-pair path's PPL is measured
NOTABLE = 2.0  # a difference counts when it is more than this many spreads
FIT_SAMPLES_MIN = 1000  # the edits' class boundaries are fitted on `samples` prior latents, at least this many
PAIR_FIGURES = {  # per class pair: name prefix -> (which way is better, what it is)
    "changes": ("lower", "class changes along a slerp path between the most confident latents of the pair "
                         "(1 = one clean switch)"),
    "path_ppl": ("lower", "perceptual path length along those paths (slerp, t ~ U(0,1))"),
    "edit_success": ("higher", "share of edits from the first class toward the second that end read as it"),
}
PANELS = ("fid", "precision", "recall", "coverage", "ppl_slerp_full", "linear_separability", "reachability",
          "elbo", "min_class_share")  # eval's figures the figure draws, where the models have them


@dataclass
class CompareResult(StoredResult):
    ANALYSIS: ClassVar[str] = ANALYSIS
    MEANINGS: ClassVar[dict[str, str]] = {
        "values": "every figure of every model at every seed, (models, figures, seeds); NaN where a model has none",
        "real": "eval's real-data yardstick of each figure (training images against the test set), NaN where "
                "there is none, (figures,)",
        "class_shares": "share of samples read as each class, (models, seeds, classes)",
        "real_class_shares": "the same for the test set, (classes,)",
        "spectrum": "SeFa singular values of each model's first layer, scaled to sum 1, NaN where it has none "
                    "or fewer, (models, top)",
        "samples_shown": f"the first {SHOWN} samples of each model at seed 0, uint8 0-255, (models, shown, 28, 28)",
    }
    SHAPES: ClassVar[dict[str, tuple]] = {
        "values": ("models", "figures", "seeds"), "real": ("figures",), "class_shares": ("models", "seeds", "classes"),
        "real_class_shares": ("classes",), "spectrum": ("models", "top"), "samples_shown": ("models", "shown", 28, 28),
    }

    names: list[str]  # one label per model, e.g. "mnist-dcgan", "mnist-dcgan ψ0.7"
    figures: list[str]  # eval's metric names, then "changes 9→4", "path_ppl 9→4", "edit_success 9→4", ...
    values: np.ndarray  # (models, figures, seeds)
    real: np.ndarray  # (figures,)
    class_shares: np.ndarray  # (models, seeds, classes)
    real_class_shares: np.ndarray  # (classes,)
    spectrum: np.ndarray  # (models, top)
    samples_shown: np.ndarray  # (models, shown, 28, 28) uint8
    class_names: list[str]
    params: dict = field(default_factory=dict)

    def mean(self) -> np.ndarray:
        """(models, figures): each figure's mean over the seeds."""
        with warnings.catch_warnings():  # a figure a model lacks is all NaN, and its mean NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmean(self.values, axis=2)

    def spread(self) -> np.ndarray:
        """(models, figures): each figure's standard deviation over the seeds (NaN with one seed)."""
        return _std(self.values)

    def difference(self, model: int) -> tuple[np.ndarray, np.ndarray]:
        """(figures,) mean difference of `model` minus the first, and its spread: the standard
        deviation over seeds of the difference at the same seed."""
        paired = self.values[model] - self.values[0]
        return paired.mean(axis=1), _std(paired[None])[0]

    def notable(self, model: int) -> np.ndarray:
        """(figures,) whether `model` differs from the first by more than NOTABLE spreads."""
        delta, spread = self.difference(model)
        with np.errstate(invalid="ignore"):
            return np.abs(delta) > NOTABLE * np.where(np.isnan(spread), np.inf, spread)

    def tables(self) -> dict[str, Columns]:
        mean, spread = self.mean(), self.spread()
        columns: Columns = {"figure": np.array(self.figures, dtype=object),
                            "better": np.array([better(f) for f in self.figures], dtype=object), "real": self.real}
        for m, name in enumerate(self.names):
            columns[f"{name} mean"], columns[f"{name} spread"] = mean[m], spread[m]
            if m:
                delta, delta_spread = self.difference(m)
                columns[f"{name} minus {self.names[0]}"] = delta
                columns[f"{name} minus {self.names[0]} spread"] = delta_spread
        shares = {"class": np.array(self.class_names, dtype=object), "real": self.real_class_shares}
        shares.update({name: self.class_shares[m].mean(0) for m, name in enumerate(self.names)})
        return {"figures": columns, "class_shares": shares}

    def draw(self):
        return plot_compare(self)


def _std(values: np.ndarray) -> np.ndarray:
    """Standard deviation over the last axis (ddof 1), NaN where fewer than two values."""
    counts = np.sum(~np.isnan(values), axis=-1)
    with warnings.catch_warnings():  # a figure a model lacks is all NaN: its spread is NaN, said in the table
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.where(counts > 1, np.nanstd(values, axis=-1, ddof=1), np.nan)


def better(figure: str) -> str:
    """"lower" or "higher": which way a figure improves."""
    prefix = figure.split(" ")[0]
    return PAIR_FIGURES[prefix][0] if prefix in PAIR_FIGURES else METRICS[figure][0]


def _pair_figures(models: Models, a: int, b: int, seed: int, truncation: float, paths: int, steps: int,
                  samples: int) -> list[float]:
    """[class changes per path, PPL along the paths, edit success] for the pair (a, b) at `seed`."""
    path = interpolate(models, waypoints=[a, b], steps=steps, method="slerp", pairs=paths, seed=seed,
                       truncation=truncation)
    changes = float(np.mean([len(c) for c in path.changes]))
    starts, ends = (torch.from_numpy(path.z[:, i]).repeat(T_PER_PATH, 1) for i in (0, -1))
    ppl = M.path_lengths(models.generator, models.classifier.features, 0, "slerp", "full", eps=PPL_EPSILON,
                         seed=seed, ends=(starts, ends))
    edited = edit(models, start=a, toward=b, samples=paths, seed=seed, truncation=truncation,
                  fit_samples=max(samples, FIT_SAMPLES_MIN))
    return [changes, M.trimmed_mean(ppl)[0], float(edited.success.mean())]


def compare(
    models: Sequence[Models], names: Sequence[str] | None = None, truncations: Sequence[float] | None = None,
    encoders: Sequence[str | os.PathLike | None] | None = None,
    pairs: Sequence[tuple[int | str, int | str]] = DEFAULT_PAIRS,
    samples: int = COMPARE.samples, seeds: int = COMPARE.seeds, ppl_paths: int = COMPARE.ppl_paths,
    reachability: int = COMPARE.reachability, paths: int = COMPARE.paths, steps: int = COMPARE.steps,
    data_dir: str | os.PathLike | None = None, progress: bool = True,
) -> CompareResult:
    """Measure every model in `models` the same way (see the module docstring). `truncations` (ψ
    per model, default 1), `encoders` (per model: invert's start for reachability, and a VAE's own
    gives its ELBO) and `names` (labels) are lists as long as `models`."""
    check_values(CompareOptions, {"samples": samples, "seeds": seeds, "ppl_paths": ppl_paths,
                                  "reachability": reachability, "paths": paths, "steps": steps})
    n = len(models)
    names = list(names) if names is not None else [f"model {i}" for i in range(n)]
    truncations = list(truncations) if truncations is not None else [1.0] * n
    encoders = list(encoders) if encoders is not None else [None] * n
    if n < 2:
        raise ConfigError("compare needs at least two models (the same one twice, e.g. at two --truncation "
                          "values, is fine)")
    if not len(names) == len(truncations) == len(encoders) == n:
        raise ConfigError(f"{n} models but {len(names)} names, {len(truncations)} truncations and {len(encoders)} "
                          "encoders: give one of each per model")
    datasets = {m.dataset for m in models}
    if len(datasets) > 1 or len({m.classifier.config.dataset for m in models}) > 1:
        raise ConfigError(f"the models draw {' and '.join(sorted(datasets))}: one classifier reads every model "
                          "in a comparison, so compare models of one dataset")
    classifier = models[0].classifier
    pairs = [(models[0].check_class(a), models[0].check_class(b)) for a, b in pairs]
    if any(a == b for a, b in pairs):
        raise ConfigError("a class pair needs two different classes, e.g. 9:4")

    per_pair = [f"{prefix} {classifier.classes[a]}→{classifier.classes[b]}" for a, b in pairs
                for prefix in PAIR_FIGURES]
    values: dict[str, np.ndarray] = {}
    real: dict[str, float] = {}
    shares = np.full((n, seeds, len(classifier.classes)), np.nan)
    shown = np.zeros((n, SHOWN, 28, 28), np.uint8)
    spectra = np.full((n, SPECTRUM_TOP), np.nan)
    notes: list[str] = []  # figures that could not be measured, and why
    with Phases("compare", n * seeds * (1 + len(pairs)), enabled=progress) as bar:
        for i, (m, name) in enumerate(zip(models, names, strict=True)):
            spectrum = sefa_spectrum(m.loaded, SPECTRUM_TOP)
            if spectrum is not None:
                spectra[i, :len(spectrum)] = spectrum
            for s in range(seeds):
                bar.start(f"{name}, seed {s}: eval")
                ev = evaluate(m, samples=samples, ppl_paths=ppl_paths, seed=s, data_dir=data_dir,
                              yardstick=i == 0 and s == 0, progress=False, reachability=reachability,
                              encoder=encoders[i], truncation=truncations[i])
                for metric, entry in ev.metrics.items():
                    values.setdefault(metric, np.full((n, seeds), np.nan))[i, s] = entry["generated"]
                    if "real" in entry:
                        real[metric] = entry["real"]
                shares[i, s] = ev.class_shares
                if s == 0:
                    shown[i] = ev.sample_images[:SHOWN]
                    real_shares = ev.real_class_shares
                for a, b in pairs:
                    bar.start(f"{name}, seed {s}: {classifier.classes[a]}→{classifier.classes[b]}")
                    try:
                        measured = _pair_figures(m, a, b, s, truncations[i], paths, steps, samples)
                    except ConfigError as err:  # e.g. no latent of the model is read as class a
                        notes.append(f"{name}, seed {s}, {classifier.classes[a]}→{classifier.classes[b]}: {err}")
                        measured = [np.nan] * len(PAIR_FIGURES)
                    for prefix, value in zip(PAIR_FIGURES, measured, strict=True):
                        key = f"{prefix} {classifier.classes[a]}→{classifier.classes[b]}"
                        values.setdefault(key, np.full((n, seeds), np.nan))[i, s] = value
    figures = [k for k in METRICS if k in values] + per_pair
    return CompareResult(
        names=names, figures=figures, values=np.stack([values[f] for f in figures], axis=1),
        real=np.array([real.get(f, np.nan) for f in figures]), class_shares=shares,
        real_class_shares=np.asarray(real_shares), spectrum=spectra, samples_shown=shown,
        class_names=classifier.classes,
        params={"samples": samples, "seeds": seeds, "ppl_paths": ppl_paths, "reachability": reachability,
                "paths": paths, "steps": steps, "pairs": [list(p) for p in pairs], "truncations": truncations,
                "encoders": [None if e is None else str(e) for e in encoders],
                "models": [m.provenance for m in models], "notes": notes},
    )


def _cell(mean: float, spread: float) -> str:
    if np.isnan(mean):
        return "-"
    text = f"{mean:.4g}"
    if np.isnan(spread):
        return text
    return f"{text} ± {0 if spread < 1e-9 * max(1.0, abs(mean)) else spread:.2g}"  # float noise of a fixed figure


def format_table(result: CompareResult) -> str:
    """The comparison as aligned text: each figure's mean ± spread per model, and each model's
    difference to the first (marked * where it is more than NOTABLE spreads), with the real-data
    yardstick where eval has one."""
    mean, spread = result.mean(), result.spread()
    head = ["figure", "better", "real", *result.names]
    head += [f"{name} - {result.names[0]}" for name in result.names[1:]]
    rows = [head]
    diffs = [(result.difference(m), result.notable(m)) for m in range(1, len(result.names))]
    for f, figure in enumerate(result.figures):
        row = [figure, better(figure), "-" if np.isnan(result.real[f]) else f"{result.real[f]:.4g}"]
        row += [_cell(mean[m, f], spread[m, f]) for m in range(len(result.names))]
        for (delta, delta_spread), notable in diffs:
            row.append(_cell(delta[f], delta_spread[f]) + (" *" if notable[f] else ""))
        rows.append(row)
    widths = [max(len(r[c]) for r in rows) for c in range(len(head))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    seeds = result.values.shape[2]
    lines.append(f"mean ± standard deviation over {seeds} seed(s); differences at the same seed; "
                 f"* = more than {NOTABLE:g} spreads" + ("" if seeds > 1 else " (one seed: no spread, nothing marked)"))
    lines += [f"not measured: {note}" for note in result.params.get("notes", [])]
    return "\n".join(lines)


def plot_compare(result: CompareResult, fig=None):
    """Samples of each model, eval's main figures with their spread, the class-pair figures,
    class shares against the test set's, and the SeFa spectra."""
    from latentkit.results.plotting import class_color, grid_image, new_figure

    n = len(result.names)
    panels = [p for p in PANELS if p in result.figures]
    pair_rows = [p for p in PAIR_FIGURES if any(f.startswith(p + " ") for f in result.figures)]
    fig = fig or new_figure(figsize=(max(13, 2.2 * n + 9), 11), layout="constrained")
    grid = fig.add_gridspec(3, 1, height_ratios=[1, 1, 1])
    top = grid[0].subgridspec(1, n + 1, width_ratios=[1] * n + [max(2.5, n)])
    for m, name in enumerate(result.names):
        ax = fig.add_subplot(top[0, m])
        images = torch.from_numpy(result.samples_shown[m]).float().div(255).unsqueeze(1)
        ax.imshow(grid_image(images, nrow=4), cmap="gray", vmin=0, vmax=255)
        ax.set_axis_off()
        ax.set_title(name, fontsize=10, color=class_color(m))
    mean, spread = result.mean(), result.spread()
    metric_grid = grid[1].subgridspec(1, max(len(panels), 1))
    for k, metric in enumerate(panels):
        f = result.figures.index(metric)
        ax = fig.add_subplot(metric_grid[0, k])
        ax.bar(range(n), mean[:, f], yerr=np.nan_to_num(spread[:, f]), color=[class_color(m) for m in range(n)],
               capsize=3)
        if not np.isnan(result.real[f]):
            ax.axhline(result.real[f], color="grey", ls="--", lw=0.8)
        ax.set_xticks(range(n), [str(m + 1) for m in range(n)])
        ax.set_title(f"{metric}\n({better(metric)} is better)", fontsize=8)
        ax.tick_params(labelsize=7)
    pair_grid = grid[2].subgridspec(1, len(pair_rows) + 1)
    pair_names = [f.split(" ", 1)[1] for f in result.figures if f.startswith("changes ")]
    width = 0.8 / n
    for k, prefix in enumerate(pair_rows):
        ax = fig.add_subplot(pair_grid[0, k])
        for m in range(n):
            idx = [result.figures.index(f"{prefix} {p}") for p in pair_names]
            ax.bar(np.arange(len(idx)) + (m - (n - 1) / 2) * width, mean[m, idx], width,
                   yerr=np.nan_to_num(spread[m, idx]), color=class_color(m), capsize=2, label=result.names[m])
        ax.set_xticks(range(len(pair_names)), pair_names)
        ax.set_title(f"{prefix.replace('_', ' ')} ({PAIR_FIGURES[prefix][0]} is better)", fontsize=9)
        if k == 0:
            ax.legend(fontsize=7)
    ax = fig.add_subplot(top[0, n])
    classes = np.arange(len(result.class_names))
    for m in range(n):
        ax.bar(classes + (m - (n - 1) / 2) * width, result.class_shares[m].mean(0), width, color=class_color(m),
               label=result.names[m])
    ax.plot(classes, result.real_class_shares, "k_", ms=14, mew=2, label="test set")
    ax.set_xticks(classes, result.class_names, fontsize=7)
    ax.set(title="Share of samples read as each class", ylabel="share")
    ax.legend(fontsize=7, ncols=2)
    ax = fig.add_subplot(pair_grid[0, len(pair_rows)])
    for m in range(n):
        if not np.isnan(result.spectrum[m]).all():
            ax.plot(np.arange(1, result.spectrum.shape[1] + 1), result.spectrum[m], "o-", ms=3, color=class_color(m),
                    label=result.names[m])
    ax.set(title="SeFa spectrum of the first layer", xlabel="direction", ylabel="share of singular values")
    if ax.lines:
        ax.legend(fontsize=7)
    else:
        ax.text(0.5, 0.5, "no first linear layer", ha="center", va="center", transform=ax.transAxes)
    fig.suptitle(f"{' vs '.join(result.names)}: {result.params.get('samples')} samples, "
                 f"{result.values.shape[2]} seed(s); bars show the spread over seeds, dashed lines real data")
    return fig


def run(
    models: Sequence[str], classifier: str | None = None, device: str = "auto", out: str | os.PathLike | None = None,
    command: str | None = None, *, truncations: Sequence[float] | None = None,
    pairs: Sequence[tuple[str, str]] = DEFAULT_PAIRS, samples: int = COMPARE.samples, seeds: int = COMPARE.seeds,
    ppl_paths: int = COMPARE.ppl_paths, reachability: int = COMPARE.reachability, paths: int = COMPARE.paths,
    steps: int = COMPARE.steps, data_dir: str | os.PathLike | None = None, progress: bool = True,
) -> tuple[CompareResult, list[Path]]:
    """Load each model (with `classifier`, default its dataset's bundled one), compare them, write
    compare.h5, compare.png and compare.txt (the table) into `out`."""
    from latentkit.analyses.invert import default_encoder
    from latentkit.results.output import output_dir, write_outputs

    check_values(CompareOptions, {"samples": samples, "seeds": seeds, "ppl_paths": ppl_paths,
                                  "reachability": reachability, "paths": paths, "steps": steps})
    truncations = list(truncations) if truncations else [1.0] * len(models)
    if len(truncations) == 1:
        truncations *= len(models)
    if len(truncations) != len(models):
        raise ConfigError(f"{len(truncations)} --truncation values for {len(models)} models: give one for all, "
                          "or one per model in order")
    if len(models) < 2:
        raise ConfigError("compare needs at least two models, e.g. latentkit compare mnist-dcgan mnist-vae")
    folder = output_dir(out, ANALYSIS)
    loaded = [Models.load(m, classifier, device) for m in models]
    names = [str(m) + (f" ψ{psi:g}" if psi != 1 else "") for m, psi in zip(models, truncations, strict=True)]
    names = [f"{name} #{names[:i].count(name) + 1}" if names.count(name) > 1 else name for i, name in enumerate(names)]
    result = compare(loaded, names, truncations, [default_encoder(m, required=False) for m in models], pairs,
                     samples, seeds, ppl_paths, reachability, paths, steps, data_dir, progress)
    table = format_table(result)
    provenance = {f"model_{i}": m.provenance.get("generator", "") for i, m in enumerate(loaded)}
    extras = {".txt": lambda path: Path(path).write_text(table + "\n")}
    return result, write_outputs(result, plot_compare(result), folder, ANALYSIS, provenance, 0, command, extras)
