"""Eval: what a generator is worth in numbers, each beside the same number for real data.

    result = evaluate(g, clf, samples=10_000)
    result.metrics["fid"]          # {"generated": 4.9, "real": 0.4, ...}
    print(format_table(result))

"generated" compares the generator's samples with the test set. "real" puts `samples`
training images in the generator's place (drawn from the first 50,000, disjoint from
the last 10,000 that choose the Parzen sigma), so each number has a yardstick: what
train-vs-test scores. Feature metrics use the classifier's penultimate layer.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch

from latentkit.data.datasets import load_images
from latentkit.data.pixels import to_native
from latentkit.generator.contract import GeneratorLike, module_device
from latentkit.generator.handle import DEFAULT_GENERATOR, Models, as_models
from latentkit.generator.quality import verdict
from latentkit.generator.sampling import check_truncation, classify_images, generate_and_classify, prior_latents
from latentkit.limits import check_seed
from latentkit.measure import metrics as M
from latentkit.measure.elbo import elbo
from latentkit.models import Classifier
from latentkit.names import CONFIDENT
from latentkit.options import check_values
from latentkit.options.evaluate import EVAL, VALIDATION_START, EvalOptions
from latentkit.progress import Phases
from latentkit.results.stored import StoredResult
from latentkit.results.tables import Columns, classified
from latentkit.space import boundaries

__all__ = ["EvalResult", "evaluate"]  # what `latentkit.analyses` exports

ANALYSIS = "eval"
PPL_VARIANTS = (("slerp", "full"), ("slerp", "end"), ("lerp", "full"), ("lerp", "end"))
PPL_EPSILON = 1e-4  # StyleGAN's step
# A class whose kept latents hold fewer than this many on one side is split by any linear SVM:
# its entropy is 0 whatever the latent space, and the separability flatters it.
MIN_KEPT_PER_SIDE = 100
CLOSEST_SHOWN = 8
# name -> (which way is better, what it is); the table prints them in this order.
METRICS = {
    "fid": ("lower", "Fréchet distance to the test set's classifier features"),
    "kid": ("lower", "kernel (MMD²) distance to the test set; ± std over 100 subsets"),
    "classifier_score": ("higher", "Inception Score with the classifier, max = classes; ± std over 10 splits"),
    "confident_fraction": ("higher", f"share of samples with max class probability >= {CONFIDENT:g}"),
    "class_entropy": ("higher", "entropy of predicted-class shares / log(classes); 1 = balanced"),
    "min_class_share": ("higher", "share of the rarest predicted class; 0.1 = balanced"),
    "precision": ("higher", "share of samples inside the test set's 3-NN feature manifold"),
    "recall": ("higher", "share of test images inside the samples' 3-NN feature manifold"),
    "density": ("higher", "test 5-NN balls holding each sample, / 5; ~1 for real data"),
    "coverage": ("higher", "share of test images whose 5-NN ball holds a sample"),
    **{f"ppl_{m}_{s}": ("lower", f"perceptual path length, {m} paths, t {'~ U(0,1)' if s == 'full' else '= 0'}; "
                                 "± standard error") for m, s in PPL_VARIANTS},
    "nn_distance": ("higher", "median pixel L2 distance to the closest training image (real: test images)"),
    "near_copies": ("lower", "share closer to a training image than 99% of test images are (real: 1% by design)"),
    "parzen_ll": ("higher", "Parzen-window log-likelihood of the test set, nats; ± standard error"),
    "linear_separability": ("lower", "StyleGAN's: 2^(sum over classes of H(label | side of a linear SVM on z), "
                                     "bits); 1 = every class a half-space of z; rises with --samples (StyleGAN "
                                     "reports it at 200,000): compare at equal counts; no real-data value in z"),
    "elbo": ("higher", "a VAE's evidence lower bound on the test set, nats per image (one z from its encoder each)"),
    "elbo_reconstruction": ("lower", "a VAE's: -log p(x | z) on the test set, nats per image"),
    "elbo_kl": ("lower", "a VAE's: KL of its posterior to the prior on the test set, nats per image"),
    "active_dims": ("higher", "a VAE's: latent dimensions whose test-set KL is at least 0.01 nats (the rest unused)"),
    "reachability": ("higher", "--reachability N: real test digits whose inversion reads as their class, mean "
                               "over classes (latentkit invert)"),
    "reachability_mse": ("lower", "--reachability N: pixel MSE of those inversions, mean over classes"),
}
# Metrics that score a collapsed generator (one digit, or one near-constant image) or a noise
# generator well: one clear image is read confidently and sits inside the test manifold, nothing
# changes along a path, noise is far from every training image. An untrained generator beat real
# data on confident_fraction, nn_distance, near_copies and every PPL. When quality.verdict flags
# the samples, the table marks these "!" and the result's params name them.
MISLEADING_WHEN_DEGENERATE = ("confident_fraction", "precision", "density",
                              *(f"ppl_{m}_{s}" for m, s in PPL_VARIANTS), "nn_distance", "near_copies")


@dataclass
class EvalResult(StoredResult):
    ANALYSIS: ClassVar[str] = ANALYSIS
    MEANINGS: ClassVar[dict[str, str]] = {
        "sample_images": "the first generated samples, uint8 0-255, (<=100, 28, 28)",
        "probs": "classifier probabilities of every generated sample, (samples, classes)",
        "class_shares": "share of generated samples predicted as each class, (classes,)",
        "real_class_shares": "the same for the test set, (classes,)",
        "nn_distance": "pixel L2 distance ([0, 1] pixels) from each sample to its closest training image, (samples,)",
        "nn_index": "index into the training split of that image, (samples,)",
        "real_nn_distance": "the same distance for the first `samples` test images, (min(samples, test),)",
        "closest_samples": "the samples nearest to a training image, uint8, (8, 28, 28)",
        "closest_train": "their closest training images, uint8, (8, 28, 28)",
        "path_lengths": "per-path PPL values, rows: slerp-full, slerp-end, lerp-full, lerp-end, (4, paths)",
    }

    SHAPES: ClassVar[dict[str, tuple]] = {
        "sample_images": ("shown", 28, 28), "probs": ("samples", "classes"), "class_shares": ("classes",),
        "real_class_shares": ("classes",), "nn_distance": ("samples",), "nn_index": ("samples",),
        "real_nn_distance": ("real_samples",), "closest_samples": ("closest", 28, 28),
        "closest_train": ("closest", 28, 28), "path_lengths": (4, "paths"),
    }

    sample_images: np.ndarray
    probs: np.ndarray
    class_shares: np.ndarray
    real_class_shares: np.ndarray
    nn_distance: np.ndarray
    nn_index: np.ndarray
    real_nn_distance: np.ndarray
    closest_samples: np.ndarray
    closest_train: np.ndarray
    path_lengths: np.ndarray
    metrics: dict  # name -> {"generated", "real"[, "generated_error", "real_error"]}
    class_names: list[str]
    params: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """What `latentkit eval --json` prints: the parameters and the metric table."""
        return {**self.params, "metrics": self.metrics}

    def tables(self) -> dict[str, Columns]:
        def column(key: str) -> np.ndarray:
            values = [self.metrics[m].get(key) for m in self.metrics]
            return np.array([np.nan if v is None else v for v in values], dtype=np.float64)

        return {"metrics": {"metric": np.array(list(self.metrics), dtype=object),
                            **{key: column(key) for key in ("generated", "generated_error", "real", "real_error")}},
                "classes": {"label": np.arange(len(self.class_names)),
                            "class": np.array(self.class_names, dtype=object), "share": self.class_shares,
                            "real_share": self.real_class_shares},
                "samples": {"sample": np.arange(len(self.probs)), **classified(self.probs, self.class_names),
                            "nn_distance": self.nn_distance, "nn_index": self.nn_index}}

    def draw(self):
        return plot_eval(self)


def _pixels(images: torch.Tensor, device: torch.device) -> torch.Tensor:
    """uint8 images (N, 28, 28) -> (N, 784) floats in [0, 1] on `device`."""
    return to_native(images.to(device)).flatten(1)


FEATURE_PHASES = 4  # fid, kid, precision/recall, density/coverage: one progress phase each


def _feature_metrics(
    real: torch.Tensor, fake: torch.Tensor, radii: dict[int, torch.Tensor], seed: int, bar: Phases, column: str,
) -> dict:
    """Metrics that compare a feature set with the test set's (`radii`: its k-NN radii by k):
    name -> (value, error or None). Each is a phase of `bar`, named with `column`."""
    bar.start(f"fid ({column})")
    fid = M.frechet_distance(real, fake)
    bar.start(f"kid ({column})")
    kid = M.kernel_distance(real, fake, seed=seed)
    bar.start(f"precision, recall ({column})")
    precision, recall = M.precision_recall(real, fake, 3, radii[3])
    bar.start(f"density, coverage ({column})")
    density, coverage = M.density_coverage(real, fake, 5, radii[5])
    return {"fid": (fid, None), "kid": kid, "precision": (precision, None), "recall": (recall, None),
            "density": (density, None), "coverage": (coverage, None)}


def _label_metrics(probs: torch.Tensor) -> dict[str, tuple]:
    q = M.sample_quality(probs)
    return {"classifier_score": M.classifier_score(probs),
            **{k: (q[k], None) for k in ("confident_fraction", "class_entropy", "min_class_share")}}


def _path_lengths(generator: GeneratorLike, classifier: Classifier, paths: int, seed: int, bar: Phases,
                  truncation: float) -> np.ndarray:
    """Per-path PPL values (4, paths), one row per PPL_VARIANTS entry, each a phase of `bar`."""
    rows = []
    for method, sampling in PPL_VARIANTS:
        bar.start(f"ppl {method} {sampling}")
        rows.append(M.path_lengths(generator, classifier.features, paths, method, sampling, eps=PPL_EPSILON,
                                   seed=seed, truncation=truncation).numpy())
    return np.stack(rows)


def evaluate(
    generator: Models | GeneratorLike, classifier: Classifier | None = None,
    samples: int = EVAL.samples, ppl_paths: int = EVAL.ppl_paths,
    seed: int = 0, data_dir: str | os.PathLike | None = None, yardstick: bool = True, allow_mismatch: bool = False,
    progress: bool = True, reachability: int = EVAL.reachability, encoder: str | os.PathLike | None = None,
    truncation: float = 1.0,
) -> EvalResult:
    """Score `samples` generated images against the classifier's dataset (see the module docstring).

    `yardstick=False` skips the real-data column, for comparing many generators quickly.
    `progress` shows a bar on stderr naming the metric being computed. Samples that
    quality.verdict finds collapsed or noise get params["quality_warning"] saying so and
    params["misleading_metrics"] naming the metrics that then flatter the generator.
    `reachability` N inverts N test digits, as many of each class (with `encoder` if given),
    and scores how many the generator can draw (analyses/invert.py). When `encoder` is a VAE's
    own, the VAE's ELBO on the test set is measured too (measure/elbo.py). `truncation` ψ < 1 samples
    (and draws the PPL paths) from the truncated prior (sampling.prior_latents).
    """
    check_values(EvalOptions, {"samples": samples, "ppl_paths": ppl_paths, "reachability": reachability})
    check_seed(seed)
    check_truncation(truncation)
    models = as_models(generator, classifier, allow_mismatch)
    generator, classifier, record = models.generator, models.classifier, models.record
    dataset = classifier.config.dataset
    train = load_images(dataset, train=True, data_dir=data_dir)
    test = load_images(dataset, train=False, data_dir=data_dir)
    device = module_device(classifier)
    columns = 1 + yardstick
    posterior = vae_posterior(encoder, models.latent_dim, device=device)
    # Phases: generation, the test set, feature metrics per column, the PPLs, memorisation, Parzen per
    # column, separability, reachability, the ELBO.
    phases = 2 + FEATURE_PHASES * columns + len(PPL_VARIANTS) + 1 + columns + 1 + bool(reachability) + bool(posterior)
    with Phases("eval", phases, enabled=progress) as bar:
        bar.start(f"generating {samples} samples")
        z = prior_latents(generator, samples, seed, truncation)
        fake = generate_and_classify(generator, classifier, z, bar=bar, features=True)
        pick = torch.randperm(VALIDATION_START, generator=torch.Generator().manual_seed(seed))[:samples]
        stand_in = train.images[pick]
        bar.start("classifying the test set")
        ref = classify_images(classifier, test.images)

        table = {name: {} for name in METRICS}

        def put(which: str, values: dict[str, tuple]) -> None:
            for name, (value, error) in values.items():
                table[name][which] = round(value, 6)
                if error is not None:
                    table[name][f"{which}_error"] = round(error, 6)

        radii = {k: M.knn_radii(ref.features, k) for k in (3, 5)}
        put("generated", {**_feature_metrics(ref.features, fake.features, radii, seed, bar, "generated"),
                          **_label_metrics(fake.probs)})
        if yardstick:
            real = classify_images(classifier, stand_in)
            put("real", {**_feature_metrics(ref.features, real.features, radii, seed, bar, "real"),
                         **_label_metrics(ref.probs)})

        path_lengths = _path_lengths(generator, classifier, ppl_paths, seed, bar, truncation)
        put("generated", {f"ppl_{m}_{s}": M.trimmed_mean(torch.from_numpy(row))
                          for (m, s), row in zip(PPL_VARIANTS, path_lengths, strict=True)})

        # Memorisation: each sample's closest training image, beside how close unseen test images come.
        bar.start("nearest training images")
        train_px, fake_px = _pixels(train.images, device), _pixels(fake.images, device)
        nn_dist, nn_idx = M.nearest_neighbours(fake_px, train_px)
        real_nn_dist = M.nearest_neighbours(_pixels(test.images[:samples], device), train_px)[0]
        threshold = torch.quantile(real_nn_dist.double(), 0.01)
        put("generated", {"nn_distance": (float(nn_dist.median()), None),
                          "near_copies": (float((nn_dist < threshold).double().mean()), None)})
        if yardstick:
            put("real", {"nn_distance": (float(real_nn_dist.median()), None),
                         "near_copies": (float((real_nn_dist < threshold).double().mean()), None)})

        bar.start("parzen (generated)")
        valid_px, test_px = _pixels(train.images[VALIDATION_START:], device), _pixels(test.images, device)
        ll, ll_error, sigma = M.parzen_estimate(fake_px, valid_px, test_px)
        put("generated", {"parzen_ll": (ll, ll_error)})
        real_sigma = None
        if yardstick:
            bar.start("parzen (real)")
            real_ll, real_ll_error, real_sigma = M.parzen_estimate(_pixels(stand_in, device), valid_px, test_px)
            put("real", {"parzen_ll": (real_ll, real_ll_error)})

        bar.start("linear separability")
        with torch.inference_mode():
            logits = classifier.head(fake.features.to(device)).cpu().numpy()
        separable = boundaries.linear_separability(z.double().cpu().numpy(), logits, seed=seed)
        put("generated", {"linear_separability": (separable.value, None)})
        thin = [classifier.classes[c] for c, n in enumerate(separable.kept_positive)
                if min(n, separable.kept - n) < MIN_KEPT_PER_SIDE]

        if posterior is not None:
            bar.start("ELBO on the test set")
            m = elbo(posterior, generator, test.images, seed=seed)
            put("generated", {"elbo": (m["elbo"], None), "elbo_reconstruction": (m["reconstruction"], None),
                              "elbo_kl": (m["kl"], None), "active_dims": (float(m["active_dims"]), None)})

        reach = None
        if reachability:
            bar.start(f"reachability ({reachability} test digits)")
            reach = _reachability(generator, classifier, test, reachability, encoder, seed)
            put("generated", {"reachability": (float(np.nanmean(reach["agreement"])), None),
                              "reachability_mse": (float(np.nanmean(reach["mse"])), None)})

    table = {name: values for name, values in table.items() if values}  # metrics not asked for are left out
    quality = M.sample_quality(fake.probs)
    warning = verdict(quality, classifier.classes)
    closest = nn_dist.argsort()[:CLOSEST_SHOWN].cpu()
    return EvalResult(
        sample_images=fake.images[:100].numpy(), probs=fake.probs.numpy(),
        class_shares=np.array(quality["class_shares"]),
        real_class_shares=np.array(M.sample_quality(ref.probs)["class_shares"]),
        nn_distance=nn_dist.cpu().numpy(), nn_index=nn_idx.cpu().numpy(), real_nn_distance=real_nn_dist.cpu().numpy(),
        closest_samples=fake.images[closest].numpy(), closest_train=train.images[nn_idx[closest].cpu()].numpy(),
        path_lengths=path_lengths, metrics=table, class_names=classifier.classes,
        params={"dataset": dataset, "samples": samples, "yardstick": yardstick, "ppl_paths": ppl_paths,
                "ppl_epsilon": PPL_EPSILON, "seed": seed, "truncation": truncation,
                "parzen_sigma": sigma, "real_parzen_sigma": real_sigma, "near_copy_threshold": float(threshold),
                "separability_entropies": [round(float(h), 6) for h in separable.entropies],
                "separability_kept": separable.kept, "separability_kept_positive": separable.kept_positive.tolist(),
                "separability_warning": (
                    f"linear_separability rests on fewer than {MIN_KEPT_PER_SIDE} latents of class "
                    f"{', '.join(thin)} among the {separable.kept} it keeps per class, which a linear SVM "
                    "separates trivially; raise --samples (StyleGAN uses 200,000) and compare only at equal counts"
                ) if thin else None,
                "reachability": None if reach is None else {k: np.round(v, 6).tolist() for k, v in reach.items()},
                "quality_warning": warning, "misleading_metrics": list(MISLEADING_WHEN_DEGENERATE) if warning else [],
                **record},
    )


def vae_posterior(encoder: str | os.PathLike | None, latent_dim: int, device: torch.device | str = "cpu"):
    """The posterior network (images -> mu, logvar) in the encoder file `encoder` if it is a VAE's
    own (training/vae.py), else None: an encoder trained on a generator's samples has no posterior."""
    if encoder is None:
        return None
    from latentkit.training.encoder import load_encoder

    loaded = load_encoder(encoder, latent_dim=latent_dim, device=device)
    return loaded.posterior if loaded.config.arch != "conv" else None


def _reachability(generator, classifier, test, n: int, encoder, seed: int) -> dict[str, np.ndarray]:
    """Per class: how often the inversions of n balanced test digits read as their class, and their MSE."""
    from latentkit.analyses.invert import invert
    from latentkit.data.images import RealImages
    from latentkit.space.inversion import InvertConfig

    classes = len(classifier.classes)
    per_class = max(1, n // classes)
    picks = torch.cat([torch.nonzero(test.labels == c)[:per_class, 0] for c in range(classes)])
    real = RealImages(test.images[picks].numpy(), [f"test {int(i)}" for i in picks], test.labels[picks].numpy(), [])
    result = invert(generator, classifier, real, InvertConfig(seed=seed), encoder=encoder, nearest_pool=1)
    table = result.reachability()
    return {"agreement": table["agreement"], "mse": table["mse"]}


def _cell(entry: dict, which: str) -> str:
    if which not in entry:
        return "-"
    value = entry[which]
    text = f"{value:.4g}" if abs(value) < 1e4 else f"{value:.0f}"
    return text + (f" ± {entry[which + '_error']:.2g}" if f"{which}_error" in entry else "")


def format_table(result: EvalResult) -> str:
    """The metric table as aligned text: metric, generated, real (train vs test), better, meaning.
    Metrics that flatter collapsed or noise samples are marked "!", with a warning line under the table."""
    misleading = result.params.get("misleading_metrics", [])
    rows = [("metric", "generated", "real", "better", "what it is")]
    if result.params.get("separability_warning"):
        misleading = [*misleading, "linear_separability"]
    rows += [(name, _cell(result.metrics[name], "generated") + (" !" if name in misleading else ""),
              _cell(result.metrics[name], "real"), better, meaning) for name, (better, meaning) in METRICS.items()
             if name in result.metrics]  # reachability only when asked for; older files lack newer metrics
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r[:4], widths, strict=True)) + "  " + r[4] for r in rows]
    if result.params.get("separability_warning"):
        lines.append(f"warning: {result.params['separability_warning']}")
    if result.params.get("quality_warning"):
        lines.append(f"warning: {result.params['quality_warning']}; the metrics marked ! score such samples well: "
                     "read fid, kid, recall, coverage and class_entropy instead")
    return "\n".join(lines)


def plot_eval(result: EvalResult, fig=None):
    """Samples, class shares against the test set's, the memorisation histogram and the
    samples closest to a training image beside that image. Returns the figure."""
    from latentkit.results.plotting import grid_image, new_figure

    fig = fig or new_figure(figsize=(13, 8.5), layout="constrained")
    (ax_grid, ax_share), (ax_nn, ax_pairs) = fig.subplots(2, 2)
    ax_grid.imshow(grid_image(torch.from_numpy(result.sample_images[:, None]) / 255, nrow=10),
                   cmap="gray", vmin=0, vmax=255)
    ax_grid.set_title(f"{len(result.sample_images)} samples")
    ax_grid.axis("off")

    x = np.arange(len(result.class_names))
    ax_share.bar(x - 0.2, result.class_shares, 0.4, label="generated", color="#4c72b0")
    ax_share.bar(x + 0.2, result.real_class_shares, 0.4, label="test set", color="#bbbbbb")
    ax_share.set_xticks(x, result.class_names, rotation=30 if len(max(result.class_names, key=len)) > 2 else 0)
    top = max(result.class_shares.max(), result.real_class_shares.max())
    # Headroom above the tallest bar, and the legend in it: it never covers a class's bars.
    ax_share.set(title="Predicted class shares", ylabel="share of samples", ylim=(0, top * 1.3))
    ax_share.legend(loc="upper center", ncol=2)

    bins = np.linspace(0, max(result.nn_distance.max(), result.real_nn_distance.max()), 60)
    ax_nn.hist(result.real_nn_distance, bins, alpha=0.6, density=True, label="test images", color="#bbbbbb")
    ax_nn.hist(result.nn_distance, bins, alpha=0.6, density=True, label="generated", color="#4c72b0")
    ax_nn.axvline(result.params["near_copy_threshold"], color="#c44e52", ls="--", label="1% of test images closer")
    ax_nn.set(title="Distance to the closest training image", xlabel="pixel L2 distance ([0, 1] pixels)",
              ylabel="density")
    ax_nn.legend()

    pairs = np.concatenate([result.closest_samples, result.closest_train], axis=1)  # (k, 56, 28)
    ax_pairs.imshow(grid_image(torch.from_numpy(pairs[:, None]) / 255, nrow=len(pairs)),
                    cmap="gray", vmin=0, vmax=255)
    ax_pairs.set_title("Samples closest to a training image (top) and that image (bottom)")
    ax_pairs.axis("off")

    m = result.metrics
    yardstick = f" (train vs test {m['fid']['real']:.3g})" if "real" in m["fid"] else ""
    title = (f"FID {m['fid']['generated']:.3g}{yardstick} · "
             f"classifier score {m['classifier_score']['generated']:.3g} · "
             f"precision {m['precision']['generated']:.2f} recall {m['recall']['generated']:.2f} · "
             f"Parzen {m['parzen_ll']['generated']:.0f} nats")
    if result.params.get("quality_warning"):
        title += f"\n{result.params['quality_warning']}: precision and distances to training images mislead"
    fig.suptitle(title, fontsize=12)
    return fig


def run(
    model: str = DEFAULT_GENERATOR, classifier: str | None = None, device: str = "auto",
    out: str | os.PathLike | None = None, command: str | None = None, *, samples: int = EVAL.samples,
    ppl_paths: int = EVAL.ppl_paths, reachability: int = EVAL.reachability, yardstick: bool = True,
    seed: int = 0, truncation: float = 1.0, allow_mismatch: bool = False, progress: bool = True,
    data_dir: str | os.PathLike | None = None,
) -> tuple[EvalResult, list[Path]]:
    """Load models, evaluate, write eval.h5 + eval.png into `out`; returns the result and the paths."""
    from latentkit.analyses.invert import default_encoder
    from latentkit.results.output import output_dir, write_outputs

    options = {"samples": samples, "ppl_paths": ppl_paths, "reachability": reachability}
    check_values(EvalOptions, options)  # before the models load
    check_truncation(truncation)
    folder = output_dir(out, ANALYSIS)
    models = Models.load(model, classifier, device, allow_mismatch)
    provenance = models.provenance
    encoder = default_encoder(str(model), required=False)  # reachability's start; a VAE's gives its ELBO
    result = evaluate(models, seed=seed, data_dir=data_dir, encoder=encoder, yardstick=yardstick, progress=progress,
                      truncation=truncation, **options)
    result.params.update(model=str(model), classifier=provenance["classifier"])
    return result, write_outputs(result, plot_eval(result), folder, ANALYSIS, provenance, seed, command)
