import pytest
import torch

from latentkit.data.pixels import to_native, to_uint8, to_unit28


@pytest.fixture
def digits():
    return torch.randint(0, 256, (4, 28, 28), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("value_range,lo,hi", [("unit", 0.0, 1.0), ("symmetric", -1.0, 1.0)])
def test_native_range_maps_0_and_255_to_the_ends(value_range, lo, hi):
    x = to_native(torch.tensor([[[0, 255]]], dtype=torch.uint8), value_range)
    assert x.flatten().tolist() == [lo, hi]


@pytest.mark.parametrize("size", [28, 32])
@pytest.mark.parametrize("value_range", ["unit", "symmetric"])
def test_padding_round_trip_is_exact(digits, size, value_range):
    native = to_native(digits, value_range, size)
    assert native.shape == (4, 1, size, size)
    assert torch.equal(to_uint8(to_unit28(native, value_range, size)).squeeze(1), digits)


def test_64_resize_round_trip_is_close():
    from latentkit.data.datasets import load_images

    digits = load_images("mnist", train=False, limit=64).images
    back = to_unit28(to_native(digits, "symmetric", 64), "symmetric", 64)
    assert back.shape == (64, 1, 28, 28)
    error = (back.squeeze(1) * 255 - digits.float()).abs()
    assert error.mean() < 3.5, f"mean round-trip error {error.mean():.2f}/255 through 64x64"


def test_unbounded_outputs_are_clipped():
    x = torch.full((1, 1, 28, 28), 5.0)
    x[..., 0, 0] = -5.0
    out = to_unit28(x, "symmetric")
    assert out.min() == 0 and out.max() == 1


def test_unknown_size_is_refused(digits):
    with pytest.raises(ValueError, match="unsupported image size"):
        to_native(digits, "unit", 48)
