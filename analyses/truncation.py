"""Truncation sweep: the truncation trick's quality/diversity trade-off, ψ by ψ.

    result = truncation_sweep(g, clf, psis=(1.0, 0.8, 0.6, 0.4))
    result.metrics["fid"]        # (4,) one value per ψ
    plot_truncation(result)      # FID, precision, recall and confident share against ψ

At each ψ the same `samples` prior draws are scaled toward the prior's mean
(sampling.prior_latents) and scored as `latentkit eval` scores them, against the test set's
classifier features: FID, precision and recall (k = 3), the confident share, the
classifier score and class balance. Lower ψ moves every sample toward the generator's
average digit: precision and confidence rise, recall and class balance fall; where FID is
lowest is the best single trade-off. With `yardstick`, the same numbers for `samples`
training images give each curve its real-data level.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

from latentkit.analyses.evaluate import VALIDATION_START
from latentkit.data.datasets import load_images
from latentkit.errors import ConfigError
from latentkit.generator.contract import GeneratorLike
from latentkit.generator.handle import DEFAULT_GENERATOR, Models, as_models
from latentkit.generator.sampling import classify_images, generate_and_classify, prior_latents
from latentkit.limits import MAX_VALUES, check_seed, check_size
from latentkit.measure.scoring import Scorer
from latentkit.models import Classifier
from latentkit.names import CONFIDENT, TRUNCATION_PSIS
from latentkit.options import check_values
from latentkit.options.evaluate import EVAL, EvalOptions
from latentkit.progress import Phases
from latentkit.results.stored import StoredResult
from latentkit.results.tables import Columns

__all__ = ["TruncationResult", "truncation_sweep"]  # what `latentkit.analyses` exports

ANALYSIS = "truncation"
DEFAULT_PSIS = TRUNCATION_PSIS
SHOWN = 10  # samples drawn at every ψ in the figure
# name -> what it is; every metric has one value per ψ (and one for real data with the yardstick).
METRICS = {
    "fid": "Fréchet distance to the test set's classifier features (lower is better)",
    "precision": "share of samples inside the test set's 3-NN feature manifold",
    "recall": "share of test images inside the samples' 3-NN feature manifold",
    "confident_fraction": f"share of samples with max class probability >= {CONFIDENT:g}",
    "classifier_score": "Inception Score with the classifier, max = classes",
    "class_entropy": "entropy of predicted-class shares / log(classes); 1 = balanced",
    "min_class_share": "share of the rarest predicted class; 0.1 = balanced",
}


@dataclass
class TruncationResult(StoredResult):
    ANALYSIS: ClassVar[str] = ANALYSIS
    MEANINGS: ClassVar[dict[str, str]] = {
        "psis": "truncation ψ of each row, (psis,); z = mean + ψ (z - mean)",
        "images": "the first samples at each ψ, the same prior draws in every row, uint8 0-255, (psis, shown, 28, 28)",
        "class_shares": "share of samples predicted as each class at each ψ, (psis, classes)",
    }
    SHAPES: ClassVar[dict[str, tuple]] = {
        "psis": ("psis",), "images": ("psis", "shown", 28, 28), "class_shares": ("psis", "classes"),
    }

    psis: np.ndarray  # (P,)
    images: np.ndarray  # (P, shown, 28, 28) uint8
    class_shares: np.ndarray  # (P, C)
    metrics: dict  # name -> {"generated": [P floats], "real": float (with the yardstick)}
    class_names: list[str]
    params: dict = field(default_factory=dict)

    def curve(self, name: str) -> np.ndarray:
        """(P,) values of one metric (a key of METRICS), one per ψ."""
        return np.asarray(self.metrics[name]["generated"], dtype=np.float64)

    @property
    def best_psi(self) -> float:
        """The ψ with the lowest FID."""
        return float(self.psis[int(np.argmin(self.curve("fid")))])

    def summary(self) -> dict:
        """What `latentkit eval --truncation-sweep --json` prints."""
        return {**self.params, "psis": self.psis.tolist(), "best_psi": self.best_psi, "metrics": self.metrics}

    def tables(self) -> dict[str, Columns]:
        return {"psis": {"psi": self.psis, **{name: self.curve(name) for name in self.metrics}},
                "classes": {"psi": np.repeat(self.psis, len(self.class_names)),
                            "label": np.tile(np.arange(len(self.class_names)), len(self.psis)),
                            "class": np.array(self.class_names * len(self.psis), dtype=object),
                            "share": self.class_shares.ravel()}}

    def draw(self):
        return plot_truncation(self)


def check_psis(psis) -> list[float]:
    """The ψ values, each in (0, 1], distinct, at least two; ConfigError otherwise."""
    bad = [p for p in psis if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 < p <= 1]
    if bad:
        raise ConfigError(f"ψ values must be numbers in (0, 1], 1 = the untruncated prior (got {bad})")
    psis = [float(p) for p in psis]
    check_size("number of ψ values", len(psis), 2, MAX_VALUES)
    if len(set(psis)) != len(psis):
        raise ConfigError(f"ψ values {psis} repeat a value; give each once")
    return psis


def truncation_sweep(
    generator: Models | GeneratorLike, classifier: Classifier | None = None,
    psis=DEFAULT_PSIS, samples: int = EVAL.samples, seed: int = 0,
    data_dir: str | os.PathLike | None = None, yardstick: bool = True, allow_mismatch: bool = False,
    progress: bool = True,
) -> TruncationResult:
    """Score `samples` prior draws at every ψ in `psis` (see the module docstring)."""
    psis = check_psis(psis)
    check_values(EvalOptions, {"samples": samples})
    check_seed(seed)
    models = as_models(generator, classifier, allow_mismatch)
    generator, classifier, record = models.generator, models.classifier, models.record
    dataset = classifier.config.dataset
    curves: dict[str, list[float]] = {name: [] for name in METRICS}
    images, shares = [], []
    with Phases("truncation sweep", len(psis) + 1 + yardstick, enabled=progress) as bar:
        bar.start("classifying the test set")
        scorer = Scorer(classifier, dataset, data_dir=data_dir)
        for psi in psis:
            bar.start(f"ψ = {psi:g}: {samples} samples")
            fake = generate_and_classify(generator, classifier, prior_latents(generator, samples, seed, psi), bar=bar,
                                          features=True)
            scores = scorer.scores(fake.probs, fake.features)
            for name in METRICS:
                curves[name].append(round(float(scores[name]), 6))
            images.append(fake.images[:SHOWN].numpy())
            shares.append(scores["class_shares"])
        metrics = {name: {"generated": values} for name, values in curves.items()}
        if yardstick:
            bar.start(f"{samples} training images (the yardstick)")
            # The training images eval's real column scores, so the two agree.
            pick = torch.randperm(VALIDATION_START, generator=torch.Generator().manual_seed(seed))[:samples]
            real = classify_images(classifier, load_images(dataset, train=True, data_dir=data_dir).images[pick])
            scores = scorer.scores(real.probs, real.features)
            for name in METRICS:
                metrics[name]["real"] = round(float(scores[name]), 6)
    return TruncationResult(
        psis=np.array(psis), images=np.stack(images), class_shares=np.array(shares), metrics=metrics,
        class_names=classifier.classes,
        params={"dataset": dataset, "samples": samples, "seed": seed, "yardstick": yardstick,
                "truncation_method": "scale toward the prior's mean", **record},
    )


def plot_truncation(result: TruncationResult, fig=None):
    """Left: FID, and precision, recall and confident share, against ψ (real data dashed);
    right: the same prior draws at every ψ, one row each. Returns the figure."""
    from latentkit.results.plotting import grid_image, new_figure

    fig = fig or new_figure(figsize=(13, 5.2), layout="constrained")
    ax_fid, ax_pr, ax_img = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 1.1]})
    psis, m = result.psis, result.metrics
    ax_fid.plot(psis, result.curve("fid"), "o-", color="#4c72b0", label="generated")
    if "real" in m["fid"]:
        ax_fid.axhline(m["fid"]["real"], color="#4c72b0", ls="--", lw=1, label="training images")
    ax_fid.axvline(result.best_psi, color="#999999", lw=0.8, ls=":")
    ax_fid.set(title=f"FID of {result.params.get('samples')} samples per ψ (lowest at ψ = {result.best_psi:g})",
               xlabel="truncation ψ", ylabel="classifier-FID")
    ax_fid.legend()
    for name, color in (("precision", "#dd8452"), ("recall", "#55a868"), ("confident_fraction", "#c44e52")):
        label = name.replace("_fraction", "")
        ax_pr.plot(psis, result.curve(name), "o-", color=color, label=label)
        if "real" in m[name]:
            ax_pr.axhline(m[name]["real"], color=color, ls="--", lw=1)
    ax_pr.set(title="Quality against diversity (dashed: training images)", xlabel="truncation ψ", ylim=(0, 1.02))
    ax_pr.legend(loc="lower left")
    for ax in (ax_fid, ax_pr):
        ax.invert_xaxis()  # from the untruncated prior (ψ = 1) toward its mean
    rows = torch.from_numpy(result.images.reshape(-1, 28, 28)[:, None]) / 255
    ax_img.imshow(grid_image(rows, nrow=result.images.shape[1]), cmap="gray", vmin=0, vmax=255)
    ax_img.set_yticks([2 + 30 * i + 14 for i in range(len(psis))], [f"ψ {p:g}" for p in psis])  # grid_image's cells
    ax_img.set_xticks([])
    ax_img.set_title("The same draws at each ψ")
    return fig


def run(
    model: str = DEFAULT_GENERATOR, classifier: str | None = None, device: str = "auto",
    out: str | os.PathLike | None = None, command: str | None = None, *, psis: Sequence[float] = DEFAULT_PSIS,
    samples: int = EVAL.samples, yardstick: bool = True, seed: int = 0, allow_mismatch: bool = False,
    progress: bool = True, data_dir: str | os.PathLike | None = None,
) -> tuple[TruncationResult, list[Path]]:
    """Load models, sweep ψ, write truncation.h5 + truncation.png into `out`; returns the result and the paths."""
    from latentkit.results.output import output_dir, write_outputs

    check_psis(psis)  # before the models load
    check_values(EvalOptions, {"samples": samples})
    folder = output_dir(out, ANALYSIS)
    models = Models.load(model, classifier, device, allow_mismatch)
    provenance = models.provenance
    result = truncation_sweep(models, psis=psis, samples=samples, seed=seed, data_dir=data_dir, yardstick=yardstick,
                              progress=progress)
    result.params.update(model=str(model), classifier=provenance["classifier"])
    return result, write_outputs(result, plot_truncation(result), folder, ANALYSIS, provenance, seed, command)
