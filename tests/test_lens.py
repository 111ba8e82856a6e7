"""The bundled classifier as a lens: unsure of junk, sure of real digits, and its claims
confirmed by a second reader trained differently (LeNet-5, another seed, no outlier exposure)."""

import numpy as np
import pytest
import torch
from torch import nn

from latentkit.data.datasets import load_images
from latentkit.data.pixels import to_native
from latentkit.generator.handle import Models
from latentkit.models import ARCHS, GANConfig, Generator
from latentkit.names import CONFIDENT
from latentkit.training.outliers import MAKERS

QUICK_TIER = False  # trains a second reader and reads thousands of images
JUNK_SEED = 20_000  # a stream no training run draws from


def confident_share(classifier, images: torch.Tensor) -> float:
    with torch.inference_mode():
        return float((classifier(images).softmax(-1).amax(-1) >= CONFIDENT).float().mean())


@pytest.fixture(scope="module")
def bundled():
    return Models.load("mnist-dcgan")


@pytest.fixture(scope="module")
def classifiers():
    from latentkit import load_classifier

    return {name: load_classifier(name) for name in ("mnist-classifier", "fashion-mnist-classifier")}


@pytest.mark.parametrize("kind", [*MAKERS, *(f"untrained {a}" for a in sorted(ARCHS))])
def test_the_bundled_classifiers_are_unsure_of_junk(classifiers, kind):
    gen = torch.Generator().manual_seed(JUNK_SEED)
    if kind in MAKERS:
        images = MAKERS[kind](500, gen)
    else:
        arch = kind.split()[1]
        torch.manual_seed(JUNK_SEED)
        with torch.inference_mode():
            images = Generator(GANConfig(arch, 100, ARCHS[arch].default_width)).eval()(torch.randn(500, 100))
    for name, classifier in classifiers.items():
        assert confident_share(classifier, images) <= 0.01, name


def test_the_bundled_classifier_is_sure_of_real_digits(bundled):
    test = load_images("mnist", train=False, limit=2000)
    probs = torch.cat([bundled.classifier(to_native(x)).softmax(-1) for x in test.images.split(500)])
    assert float((probs.amax(-1) >= CONFIDENT).float().mean()) >= 0.98
    assert float((probs.argmax(-1) == test.labels).float().mean()) >= 0.99


@pytest.fixture(scope="module")
def second_reader():
    """LeNet-5 (ReLU, max pooling) trained on MNIST for two epochs with Adam, seed 1, no
    augmentation and no junk: another architecture, seed and recipe than the bundled classifier."""
    torch.manual_seed(1)
    reader = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                           nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                           nn.Linear(84, 10))
    train = load_images("mnist", train=True)
    opt = torch.optim.Adam(reader.parameters(), lr=2e-3)
    for _ in range(2):
        for idx in torch.randperm(len(train)).split(128):
            loss = nn.functional.cross_entropy(reader(to_native(train.images[idx])), train.labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return reader.eval()


def test_edits_said_to_reach_their_target_are_read_so_by_a_second_reader(bundled, second_reader):
    from latentkit.analyses.edit import edit

    claimed, confirmed = 0, 0
    for start, target in ((3, 8), (1, 7), (4, 9)):
        result = edit(bundled, start=start, toward=target, samples=20, seed=1)
        step = result.flip_step[:, 0]
        reached = np.flatnonzero(step >= 0)
        with torch.inference_mode():
            probs = second_reader(to_native(torch.from_numpy(result.images[reached, 0, step[reached]]))).softmax(-1)
        claimed += len(reached)
        confirmed += int((probs.argmax(-1) == target).sum())
    assert claimed >= 30, "the edits reach their targets"
    assert confirmed / claimed >= 0.95, f"the second reader confirms {confirmed} of {claimed}"


def test_a_generator_that_draws_noise_is_called_noise_by_train_and_models(run_cli, tmp_path):
    trained = run_cli("train", "--limit", 64, "--epochs", 1, "--eval-samples", 200, "--out", "runs/barely", "-q")
    assert trained.exit_code == 0, trained.output
    assert "noise: the classifier reads only" in trained.output.splitlines()[-1]
    listed = run_cli("models", "--runs-dir", "runs")
    assert listed.exit_code == 0 and "noise: the classifier reads only" in listed.output
