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

from latentkit import metrics as M
from latentkit.data import load_images
from latentkit.generators import GeneratorLike
from latentkit.models import Classifier
from latentkit.sampling import classify_images, generate_and_classify


class Scorer:
    """eval's sample metrics of any generator of `dataset`, against the test split."""

    def __init__(self, classifier: Classifier, dataset: str, samples: int = 10_000, seed: int = 0,
                 data_dir: str | os.PathLike | None = None):
        self.classifier, self.samples, self.seed = classifier, samples, seed
        self.test = classify_images(classifier, load_images(dataset, train=False, data_dir=data_dir).images)
        self.radii = M.knn_radii(self.test.features, 3)

    def __call__(self, generator: GeneratorLike) -> dict[str, float]:
        z = generator.sample_latents(self.samples, seed=self.seed)
        fake = generate_and_classify(generator, self.classifier, z, features=True, images=False)
        quality = M.sample_quality(fake.probs)
        precision, recall = M.precision_recall(self.test.features, fake.features, 3, self.radii)
        return {"fid": round(M.frechet_distance(self.test.features, fake.features), 3),
                "precision": round(precision, 4), "recall": round(recall, 4),
                "confident": quality["confident_fraction"], "score": round(M.classifier_score(fake.probs)[0], 3),
                "min_share": quality["min_class_share"], "max_share": max(quality["class_shares"])}
