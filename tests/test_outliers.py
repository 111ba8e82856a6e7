"""training/outliers.py: the junk outlier exposure trains the classifier to be unsure of."""

import pytest
import torch

from latentkit.models import ARCHS
from latentkit.training.outliers import KINDS, MAKERS, outlier_images, untrained_pool

QUICK_TIER = True


@pytest.mark.parametrize("kind", MAKERS)
def test_each_kind_is_images_in_the_unit_range_the_same_for_the_same_seed(kind):
    a, b = (MAKERS[kind](16, torch.Generator().manual_seed(3)) for _ in range(2))
    assert a.shape == (16, 1, 28, 28) and 0 <= a.min() and a.max() <= 1 and torch.equal(a, b)


def test_the_kinds_differ_as_named():
    gen = torch.Generator().manual_seed(0)
    sparse, flat, smooth = MAKERS["sparse"](64, gen), MAKERS["flat"](64, gen), MAKERS["smooth"](64, gen)
    assert (sparse == 0).float().mean() > 0.3, "speckle leaves most pixels dark"
    rows = flat[:, 0].diff(dim=1).abs().amax((1, 2))
    assert (rows < 0.1).all(), "a flat field or ramp changes little from one pixel to the next"
    assert smooth.std((1, 2, 3)).mean() > 0.02, "smoothed noise is not flat"


def test_the_untrained_pool_holds_every_architecture_in_both_modes_and_leaves_the_global_stream():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    pool = untrained_pool(torch.Generator().manual_seed(0), inits=1, per_init=4)
    assert torch.equal(torch.rand(3), expected), "building the networks draws from a forked stream"
    gans = sum(arch.kind == "gan" for arch in ARCHS.values())  # a VAE's untrained decoder is no GAN's start
    assert pool.shape == (gans * 4, 1, 28, 28) and 0 <= pool.min() and pool.max() <= 1


def test_a_batch_mixes_every_kind():
    gen = torch.Generator().manual_seed(0)
    pool = torch.full((10, 1, 28, 28), 0.5)
    batch = outlier_images(60, gen, pool)
    assert batch.shape == (60, 1, 28, 28) and len(KINDS) == 6
    from_pool = (batch == 0.5).flatten(1).all(1).sum()
    assert from_pool == 60 // len(KINDS), "a sixth of the batch comes from the untrained pool"
