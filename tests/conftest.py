"""Shared fixtures: real data from ../shared/data (or $LATENTKIT_DATA), tiny models, a CLI runner."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("LATENTKIT_DATA") or REPO.parent / "shared" / "data").resolve()


# The quick tier (`pytest -m quick`): the unit tests, which run no command line, train nothing and
# start no browser or server. A test is in it unless it asks for one of these fixtures, or its
# module sets QUICK_TIER = False (its tests train or start processes by themselves), or it is slow.
HEAVY_FIXTURES = {"run_cli", "server", "page", "trained", "tiny_classifier", "with_command", "no_data",
                  "bundled", "models", "user_file", "mirror"}  # CLI runs, browsers, training, whole analyses


def pytest_collection_modifyitems(items):
    for item in items:
        heavy = HEAVY_FIXTURES & set(getattr(item, "fixturenames", ()))
        if not heavy and not item.get_closest_marker("slow") and getattr(item.module, "QUICK_TIER", True):
            item.add_marker(pytest.mark.quick)


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """Every test runs in its own folder, with the data dir set as CI sets it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LATENTKIT_DATA", str(DATA_DIR))
    return tmp_path


@pytest.fixture
def offline(monkeypatch):
    """Make torchvision's download fail as it does with no network, without touching one."""
    from urllib.error import URLError

    import torchvision.datasets.mnist as tv_mnist

    def refuse(*args, **kwargs):
        raise URLError("network is unreachable (simulated)")

    monkeypatch.setattr(tv_mnist, "download_and_extract_archive", refuse)


@pytest.fixture
def run_cli():
    """Invoke `latentkit ARGS...` in-process; returns click's Result (exit_code, stdout, stderr)."""
    from latentkit.cli.main import cli

    def invoke(*args: str):
        return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)

    return invoke


def assert_one_line_error(result, *fragments: str) -> None:
    """A bad-input failure: non-zero exit, exactly one stderr line, no traceback, naming the problem."""
    assert result.exit_code != 0, result.output
    # As a terminal shows it: a progress bar cleared with \r before the error leaves nothing.
    lines = [shown for line in result.stderr.split("\n") if (shown := line.rsplit("\r", 1)[-1].strip())]
    assert len(lines) == 1, f"expected one error line, got:\n{result.stderr}"
    assert lines[0].startswith("Error: ") and "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"


def final_weights(out):
    """A run folder's saved generator weights, by name."""
    from safetensors.torch import load_file

    return load_file(str(out / "generator.safetensors"))


# A dcgan run of 4 steps an epoch, and fit()'s arguments for a silent one: the training tests' own.
TINY_GAN = dict(arch="dcgan", width=4, latent_dim=16, limit=256, batch_size=64, eval_samples=0)
QUIET = dict(progress=False, log=lambda s: None)


def assert_same_run(a, b):
    """Two run folders hold the same generator weights and the same per-step history."""
    import torch

    from latentkit.training.trainer import CHECKPOINT

    wa, wb = final_weights(a), final_weights(b)
    assert wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)
    ha, hb = (torch.load(p / CHECKPOINT, weights_only=True)["state"]["history"] for p in (a, b))
    assert ha == hb


@pytest.fixture
def tiny_generator_file(tmp_path):
    """A width-4 dcgan generator saved as latentkit weights (random init, seed 0)."""
    import torch

    from latentkit.generator.weights import save_weights
    from latentkit.models import GANConfig, Generator

    torch.manual_seed(0)
    g = Generator(GANConfig("dcgan", latent_dim=16, width=4))
    return save_weights(g, tmp_path / "tiny.safetensors", "generator")


@pytest.fixture(scope="session")
def known_generator():
    """A tiny MLP generator where dim 3 does nothing and dim 5 dominates."""
    import torch

    from latentkit.models import GANConfig, Generator

    torch.manual_seed(0)
    g = Generator(GANConfig("r004-mlp", latent_dim=8, width=8)).eval()
    with torch.no_grad():
        first = g.net[0].weight  # (hidden, latent)
        first[:, 3] = 0
        first[:, 5] *= 20
    return g


@pytest.fixture(scope="session")
def random_classifier():
    """A random (untrained) width-4 MNIST classifier: fast, deterministic labels."""
    import torch

    from latentkit.models import Classifier, ClassifierConfig

    torch.manual_seed(0)
    return Classifier(ClassifierConfig(width=4, feature_dim=8)).eval()
