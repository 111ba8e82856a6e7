"""The Models handle: loaded, checked and copied once per command; the verbs every analysis uses."""

from __future__ import annotations

import types
from collections import Counter

import pytest
import torch

from latentkit.errors import ConfigError
from latentkit.generator import handle, inference
from latentkit.generator.handle import Models, as_models
from latentkit.generator.sampling import generate_and_classify


@pytest.fixture
def counted(monkeypatch) -> Counter:
    """Counts the inference copies made (deep copies of a model) and the generator contract runs."""
    counts = Counter()
    real_copy, real_check = inference.copy.deepcopy, handle.check_outputs

    def deepcopy(module):
        counts["copies"] += 1
        return real_copy(module)

    def check_outputs(generator):
        counts["checks"] += 1
        return real_check(generator)

    monkeypatch.setattr(inference, "copy", types.SimpleNamespace(deepcopy=deepcopy))
    monkeypatch.setattr(handle, "check_outputs", check_outputs)
    return counts


@pytest.mark.parametrize("command", [
    ["interpolate", "--from-test", "3", "--to", "4", "--pool", "64", "--steps", "3"],  # inverts, then walks
    ["edit", "--from", "3", "--toward", "8", "--samples", "2", "--steps", "3", "--fit-samples", "500"],
    ["sweep", "--dims", "1", "--samples", "1"],
    ["directions", "--method", "sefa", "--top", "2", "--probes", "2", "--steps", "3"],
    ["invert", "--indices", "0:2", "--steps", "2"],
])
def test_a_command_checks_and_copies_its_models_once(run_cli, counted, command):
    result = run_cli(*command, "--out", "o")
    assert result.exit_code == 0, result.output
    assert counted == {"copies": 2, "checks": 1}, f"{command[0]}: {dict(counted)} (one generator and one classifier)"


def test_a_handle_is_passed_through_and_a_pair_is_made_one(known_generator, random_classifier, counted):
    models = Models.of(known_generator, random_classifier)
    assert as_models(models) is models
    assert counted == {"copies": 2, "checks": 1}
    assert models.generator is not known_generator and models.loaded is known_generator
    assert models.record == {"generator_dataset": "mnist", "classifier_dataset": "mnist", "allow_mismatch": False,
                             "confident": 0.9}


def test_a_handle_with_a_second_classifier_is_refused(known_generator, random_classifier):
    models = Models.of(known_generator, random_classifier)
    with pytest.raises(ConfigError, match="carries its classifier"):
        as_models(models, random_classifier)
    with pytest.raises(ConfigError, match=r"\(list\); give the others by name"):
        as_models(models, [9, 4])  # interpolate(models, [9, 4]): the waypoints where the classifier goes


def test_the_verbs_give_what_the_functions_give(known_generator, random_classifier):
    models = Models.of(known_generator, random_classifier)
    z = models.prior(5, seed=3, truncation=0.5)
    assert torch.equal(z, 0.5 * known_generator.sample_latents(5, seed=3))
    same = generate_and_classify(known_generator, random_classifier, z)
    for a, b in zip(models.generate(z), same, strict=True):
        assert a is None and b is None or torch.allclose(a.float(), b.float(), atol=1e-5)
    assert models.check_class("7") == 7


class NaNOnLargeBatches(torch.nn.Module):
    """Finite on the two start-up latents, NaN from the third latent of a batch on."""

    latent_dim, dataset = 4, "mnist"

    def sample_latents(self, n, seed=None, device="cpu"):
        return torch.randn(n, 4, generator=torch.Generator().manual_seed(seed or 0))

    def forward(self, z):
        x = torch.full((len(z), 1, 28, 28), 0.5)
        x[2:] = float("nan")
        return x


def test_every_batch_is_checked_finite(random_classifier):
    models = Models.of(NaNOnLargeBatches(), random_classifier)  # the start-up check passes
    with pytest.raises(ConfigError, match="NaN or infinite pixels for 6 of 8 latents"):
        models.generate(models.prior(8, seed=0))
