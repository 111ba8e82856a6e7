"""Scoring a generator against its dataset's test set while it trains, cheaply enough for every epoch.

    scorer = Scorer(classifier, "mnist")
    scorer(generator)   # {"fid": 4.7, "precision": 0.71, "recall": 0.70, "confident": 0.85, ...}

The numbers are `latentkit eval`'s, from `samples` prior draws read by the classifier: FID,
precision and recall (k = 3) against the test set's classifier features, the share read with
confidence >= 0.9, the classifier score, and the rarest and commonest class's share. The test
set's features and radii are computed once, so a score costs the samples alone.
"""

from __future__ import annotations

import os

import torch

from latentkit.data.datasets import load_images
from latentkit.generator.contract import GeneratorLike
from latentkit.generator.sampling import classify_images, generate_and_classify
from latentkit.measure import metrics as M
from latentkit.models import Classifier


class Scorer:
    """eval's sample metrics of any generator of `dataset`, against the test split."""

    def __init__(self, classifier: Classifier, dataset: str, samples: int = 10_000, seed: int = 0,
                 data_dir: str | os.PathLike | None = None):
        self.classifier, self.samples, self.seed = classifier, samples, seed
        self.test = classify_images(classifier, load_images(dataset, train=False, data_dir=data_dir).images)
        self.radii = M.knn_radii(self.test.features, 3)

    def scores(self, probs: torch.Tensor, features: torch.Tensor) -> dict:
        """eval's metrics, by eval's names, of any images' class probabilities (N, C) and
        classifier features (N, F) against the test set; plus the per-class shares."""
        quality = M.sample_quality(probs)
        precision, recall = M.precision_recall(self.test.features, features, 3, self.radii)
        return {"fid": M.frechet_distance(self.test.features, features), "precision": precision, "recall": recall,
                "confident_fraction": quality["confident_fraction"], "classifier_score": M.classifier_score(probs)[0],
                "class_entropy": quality["class_entropy"], "min_class_share": quality["min_class_share"],
                "class_shares": quality["class_shares"]}

    def __call__(self, generator: GeneratorLike) -> dict[str, float]:
        """The scores of `samples` prior draws, short-named and rounded as a training card keeps them."""
        z = generator.sample_latents(self.samples, seed=self.seed)
        fake = generate_and_classify(generator, self.classifier, z, features=True, images=False)
        s = self.scores(fake.probs, fake.features)
        return {"fid": round(s["fid"], 3), "precision": round(s["precision"], 4), "recall": round(s["recall"], 4),
                "confident": s["confident_fraction"], "score": round(s["classifier_score"], 3),
                "min_share": s["min_class_share"], "max_share": max(s["class_shares"])}
