import pytest
import torch
from torch import nn

from latentkit.generator.inference import fold_batchnorm, inference_copy
from latentkit.models import ARCHS, Classifier, ClassifierConfig, GANConfig, Generator


def _with_random_batchnorm_statistics(module: nn.Module) -> nn.Module:
    """Fresh BatchNorms are identities in eval mode; give them statistics worth folding."""
    g = torch.Generator().manual_seed(0)
    for m in module.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            m.running_mean.copy_(torch.rand(m.running_mean.shape, generator=g) - 0.5)
            m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(m.weight.shape, generator=g) + 0.5)
            m.bias.data.copy_(torch.rand(m.bias.shape, generator=g) - 0.5)
    return module.eval()


def _batchnorms(module: nn.Module) -> int:
    return sum(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in module.modules())


@pytest.mark.parametrize("arch", ARCHS)
def test_folded_generator_computes_the_same_images(arch):
    torch.manual_seed(0)
    g = _with_random_batchnorm_statistics(Generator(GANConfig(arch, latent_dim=16, width=8)))
    z = torch.randn(32, 16)
    fast = inference_copy(g)
    with torch.no_grad():
        assert torch.allclose(fast(z), g(z), atol=1e-5)
    assert _batchnorms(fast) == 0


def test_folded_classifier_matches_and_the_original_is_untouched():
    torch.manual_seed(0)
    clf = _with_random_batchnorm_statistics(Classifier(ClassifierConfig(width=4, feature_dim=8)))
    before = {k: v.clone() for k, v in clf.state_dict().items()}
    x = torch.rand(16, 1, 28, 28)
    fast = inference_copy(clf)
    with torch.no_grad():
        assert torch.allclose(fast(x), clf(x), atol=1e-5)
        assert torch.allclose(fast.features(x), clf.features(x), atol=1e-5)
    assert _batchnorms(fast) == 0
    assert all(torch.equal(before[k], v) for k, v in clf.state_dict().items())


def test_batchnorm_after_an_activation_is_kept():
    seq = _with_random_batchnorm_statistics(nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.BatchNorm1d(4)))
    x = torch.randn(8, 4)
    with torch.no_grad():
        expected = seq(x)
        folded = fold_batchnorm(nn.Sequential(seq))
        assert _batchnorms(folded) == 1 and torch.allclose(folded(x), expected)


@pytest.mark.parametrize("c_in, c_out, kernel, stride, padding, bias, size", [
    (32, 1, 4, 2, 1, True, 14),  # dcgan's last layer
    (64, 1, 4, 2, 1, False, 16),  # r001/r003's last layer at 32x32
    (8, 3, 3, 1, 0, True, 5),  # several channels, no stride or padding
    (4, 2, (4, 3), (2, 1), (1, 0), True, 6),  # rectangular kernel, stride and padding
])
def test_image_conv_transpose_as_matmul_equals_the_layer(c_in, c_out, kernel, stride, padding, bias, size):
    from latentkit.generator.inference import ImageConvTranspose2d

    torch.manual_seed(0)
    conv = nn.ConvTranspose2d(c_in, c_out, kernel, stride, padding, bias=bias)
    x = torch.randn(5, c_in, size, size + 1)
    with torch.no_grad():
        torch.testing.assert_close(ImageConvTranspose2d(conv)(x), conv(x))
        torch.testing.assert_close(ImageConvTranspose2d(conv)(x.contiguous(memory_format=torch.channels_last)), conv(x))


def test_image_layer_is_swapped_only_where_it_draws_one_channel():
    fast = inference_copy(Generator(GANConfig("dcgan", latent_dim=16, width=8)).eval())
    kinds = [type(m).__name__ for m in fast.modules()]
    assert kinds.count("ImageConvTranspose2d") == 1 and kinds.count("ConvTranspose2d") == 1
