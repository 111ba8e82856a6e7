"""Re-measure the bundled generators' cards with the bundled classifiers as they are now.

A card's metrics are what its training run's classifier read in `samples` seeded samples
(training/artifacts.py's sample_metrics). When a bundled classifier is retrained, those figures
are stale; this reads the same samples (same count, same seed) with the new classifier, prints
each figure before and after, and with --write replaces the cards' metrics (noting which
classifier re-read them; the per-epoch `progress` stays as the training run measured it).

    python benchmarks/remeasure_cards.py            # print only
    python benchmarks/remeasure_cards.py --write
"""

from __future__ import annotations

import argparse
import json

from latentkit.generator.cards import write_card
from latentkit.generator.handle import Models
from latentkit.generator.registry import bundled_dir, default_classifier
from latentkit.training.artifacts import sample_metrics

SHOWN = ("confident_fraction", "mean_confidence", "min_class_share", "class_entropy")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--write", action="store_true", help="replace the cards' metrics")
    args = p.parse_args()
    for path in sorted(bundled_dir().glob("*.json")):
        card = json.loads(path.read_text())
        if card.get("kind") != "generator" or "samples" not in card.get("metrics", {}):
            continue
        name = path.stem
        classifier = default_classifier(card["dataset"])
        models = Models.load(name, classifier)
        before = card["metrics"]
        after = sample_metrics(models.generator, models.classifier, before["samples"], card["seed"],
                               classifier_name=classifier)
        print(json.dumps({"model": name, **{k: [before.get(k), after[k]] for k in SHOWN}}))
        if args.write:
            # The per-epoch `progress` scores stay what the training run's classifier read.
            remeasured = {"classifier_sha256": models.provenance["classifier_sha256"],
                          "note": "metrics re-read with this classifier; progress keeps the training run's readings"}
            write_card(path, {**card, "metrics": after, "remeasured": remeasured})


if __name__ == "__main__":
    main()
