"""The loaded models of one analysis: a generator and the classifier that reads it, checked
against each other and made ready for inference once, with the verbs every analysis uses.

    models = Models.load("mnist-dcgan")                 # by any name latentkit accepts
    models = Models.of(my_generator, my_classifier)     # or objects you already hold
    z = models.prior(1000, seed=0, truncation=0.7)
    images, probs, _ = models.generate(z)
    z9 = models.latents_for_class(9)

Every analysis function takes a Models or a (generator, classifier) pair; `as_models` turns the
pair into a Models, and hands a Models back as it is, so a command checks and copies once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import torch

from latentkit.errors import ConfigError
from latentkit.generator import sampling
from latentkit.generator.contract import GeneratorLike, check_interface, check_outputs
from latentkit.generator.inference import inference_copy
from latentkit.generator.registry import (
    DEFAULT_GENERATOR,
    default_classifier,
    load_classifier,
    load_generator,
    resolve,
)
from latentkit.models import Classifier
from latentkit.names import CONFIDENT


@dataclass
class Models:
    """A generator and its classifier, as inference copies, with where they came from.

    `loaded` is the generator as loaded (its layer names are the ones `print(generator)`
    shows, which `directions --layer` takes); `record` (datasets, allow_mismatch) goes into
    every result's params and `provenance` (names and sha256s of the files too) into its
    attributes."""

    generator: GeneratorLike  # inference copy: BatchNorm folded, eval mode
    classifier: Classifier  # inference copy
    loaded: GeneratorLike  # the generator as loaded
    record: dict[str, Any]
    provenance: dict[str, Any] = field(default_factory=dict)
    # (pool, seed, truncation) -> the pool's latents and probabilities: the ends of a path, the
    # anchors of a plane come from one pool, classified once.
    _pools: dict[tuple, tuple[torch.Tensor, torch.Tensor]] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, generator: GeneratorLike, classifier: Classifier, allow_mismatch: bool = False,
           provenance: dict[str, Any] | None = None) -> Models:
        """Check the generator contract and that the classifier reads the generator's dataset
        (ConfigError naming the fix otherwise), then make the inference copies."""
        check_interface(generator)
        if not isinstance(classifier, Classifier):
            raise ConfigError(f"{type(classifier).__name__} is not a latentkit classifier; "
                              "load one with latentkit.load_classifier()")
        g_data, c_data = generator.dataset, classifier.config.dataset
        if g_data != c_data and not allow_mismatch:
            raise ConfigError(
                f"the generator draws {g_data} but the classifier reads {c_data}: its labels would be meaningless; "
                f"use the {default_classifier(g_data)} classifier (or --allow-mismatch to analyse it anyway)")
        fast = inference_copy(generator)
        check_outputs(fast)
        # `confident`: the probability a claim that an image "is read as" a class rests on (measure/reading.py).
        record = {"generator_dataset": g_data, "classifier_dataset": c_data, "allow_mismatch": bool(allow_mismatch),
                  "confident": CONFIDENT}
        return cls(fast, inference_copy(classifier), generator, record, {**(provenance or {}), **record})

    @classmethod
    def load(cls, model: str | os.PathLike = DEFAULT_GENERATOR, classifier: str | os.PathLike | None = None,
             device: str = "auto", allow_mismatch: bool = False) -> Models:
        """Load a generator and classifier by any name latentkit accepts (bundled name, run
        folder, weights file, `file.py:function`, TorchScript); `classifier` None is the bundled
        classifier of the generator's dataset. Provenance names both and hashes their files."""
        from latentkit.device import pick_device
        from latentkit.generator.weights import sha256

        dev = pick_device(device)
        g_path = resolve(model, "generator")
        g = load_generator(model, device=dev)
        classifier = default_classifier(g.dataset) if classifier is None else classifier
        c_path = resolve(classifier, "classifier")
        clf = load_classifier(c_path, device=dev)
        provenance = {"generator": str(model), "generator_sha256": sha256(g_path),
                      "classifier": str(classifier), "classifier_sha256": sha256(c_path)}
        return cls.of(g, clf, allow_mismatch, provenance)

    @property
    def classes(self) -> list[str]:
        return self.classifier.classes

    @property
    def latent_dim(self) -> int:
        return self.generator.latent_dim

    @property
    def dataset(self) -> str:
        return self.generator.dataset

    def check_made_for(self, source: str, generator: str | None, generator_sha256: str | None) -> None:
        """ConfigError if `source` (a directions file, an encoder) records that it was made for
        another generator than this one: its vectors or guesses belong to that latent space.
        Passes when either side does not know its hash, and under allow_mismatch."""
        mine = self.provenance.get("generator_sha256")
        if not (mine and generator_sha256) or mine == generator_sha256 or self.record["allow_mismatch"]:
            return
        raise ConfigError(f"{source} was made for another generator ({generator or 'unnamed'}, sha256 "
                          f"{str(generator_sha256)[:12]}…) than {self.provenance.get('generator')} "
                          f"(sha256 {mine[:12]}…): it belongs to that latent space; use one made for this generator "
                          "(or --allow-mismatch)")

    def check_class(self, label: int | str) -> int:
        """The class index `label` (a number or a name) selects; ConfigError listing the names otherwise."""
        return sampling.check_class(self.classifier, label)

    def prior(self, n: int, seed: int | None = None, truncation: float = 1.0) -> torch.Tensor:
        """n latents (n, latent_dim) from the generator's prior, truncated by ψ (sampling.prior_latents)."""
        return sampling.prior_latents(self.generator, n, seed, truncation)

    def generate(self, z: torch.Tensor, images: bool = True, features: bool = False,
                 bar: Any = None) -> sampling.Generated:
        """Latents (N, d) -> uint8 images, probabilities, optional features, in batches, every
        batch checked finite, advancing `bar` (progress.Phases) as it goes."""
        return sampling.generate_and_classify(self.generator, self.classifier, z, images=images,
                                              features=features, bar=bar)

    def latents_for_class(self, label: int | str, n: int = 1, pool: int = 2048, seed: int = 0,
                          truncation: float = 1.0) -> torch.Tensor:
        """The n latents of `pool` prior draws the classifier reads as `label` most confidently
        (sampling.latents_for_class); the pool is drawn and classified once per handle."""
        label = self.check_class(label)
        key = (pool, seed, truncation)
        if key not in self._pools:
            z = self.prior(pool, seed, truncation)
            self._pools[key] = z, self.generate(z, images=False).probs
        return sampling.most_confident(*self._pools[key], label, n)


def as_models(generator: Models | GeneratorLike, classifier: Classifier | None = None,
              allow_mismatch: bool = False) -> Models:
    """`generator` if it is a Models already, else Models.of(generator, classifier, allow_mismatch)."""
    if isinstance(generator, Models):
        if classifier is not None and classifier is not generator.classifier:
            raise ConfigError(f"a Models handle carries its classifier, so the argument after it was taken as a "
                              f"second one ({type(classifier).__name__}); give the others by name, e.g. "
                              "interpolate(models, waypoints=[9, 4])")
        return generator
    if classifier is None:
        raise ConfigError("give the classifier beside the generator, or pass Models.load(...)")
    return Models.of(generator, classifier, allow_mismatch)
