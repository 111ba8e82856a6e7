import pytest
import torch

from latentkit.errors import ConfigError
from latentkit.models import ARCHS, Classifier, ClassifierConfig, Discriminator, GANConfig, Generator, VAEEncoder
from latentkit.names import ARCH_NAMES, VAE_ARCHS


def n_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# (generator, discriminator) parameter counts at the reference width, from the layer
# shapes in REFERENCE_SYSTEMS.md (e.g. R004: 100*128+128 + 128*784+784 = 114,064).
REFERENCE_PARAMS = {
    "r000-dcgan28": (6_679_105, 1_102_721),
    "r001-mlp": (114_064, 100_609),
    "r001-dcgan32": (3_444_353, 661_697),
    "r002-dcgan64": (3_574_656, 2_763_520),
    "r003-dcgan32": (1_070_657, 661_313),
    "r004-mlp": (114_064, 100_609),
}


def test_names_module_matches_the_zoo():
    assert tuple(ARCHS) == ARCH_NAMES
    assert VAE_ARCHS == tuple(name for name, arch in ARCHS.items() if arch.kind == "vae")


@pytest.mark.parametrize("arch", REFERENCE_PARAMS)
def test_reference_parameter_counts(arch):
    cfg = GANConfig(arch)
    assert (n_params(Generator(cfg)), n_params(Discriminator(cfg))) == REFERENCE_PARAMS[arch]


def test_r000_linear_layers_match_the_write_up():
    linears = [m for m in Generator(GANConfig("r000-dcgan28")).modules() if isinstance(m, torch.nn.Linear)]
    assert [n_params(m) for m in linears] == [103_424, 6_428_800]


def test_r002_convolutions_have_no_biases():
    for net in (Generator(GANConfig("r002-dcgan64")), Discriminator(GANConfig("r002-dcgan64"))):
        convs = [m for m in net.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))]
        assert len(convs) == 5 and all(m.bias is None for m in convs)


@pytest.mark.parametrize("arch", ARCHS)
def test_every_generator_gives_28x28_unit_images_and_native_size(arch):
    cfg = GANConfig(arch, latent_dim=12, width=4)
    g = Generator(cfg).eval()
    z = torch.randn(3, 12)
    native, images = g.native(z), g(z)
    size = ARCHS[arch].image_size
    assert native.shape == (3, 1, size, size)
    assert images.shape == (3, 1, 28, 28) and images.min() >= 0 and images.max() <= 1
    if ARCHS[arch].kind == "vae":  # an encoder instead of a discriminator: the posterior of each image
        mu, logvar = VAEEncoder(cfg).eval()(images)
        assert mu.shape == logvar.shape == (3, 12)
        return
    d = Discriminator(cfg).eval()
    assert d(native).shape == (3,)
    assert d(d.prepare(torch.zeros(3, 28, 28, dtype=torch.uint8))).shape == (3,)


def test_generator_is_rebuilt_from_its_config():
    cfg = GANConfig("r003-dcgan32", latent_dim=7, width=4)
    assert GANConfig.from_json(cfg.to_json()) == cfg
    assert Generator(cfg).latent_dim == 7


def test_sample_latents_are_seeded():
    g = Generator(GANConfig("r004-mlp", width=4))
    assert torch.equal(g.sample_latents(5, seed=3), g.sample_latents(5, seed=3))
    assert not torch.equal(g.sample_latents(5, seed=3), g.sample_latents(5, seed=4))


def test_bad_configs_are_refused():
    with pytest.raises(ConfigError, match="unknown architecture 'nope'"):
        Generator(GANConfig("nope"))
    with pytest.raises(ConfigError, match="latent_dim"):
        Generator(GANConfig("dcgan", latent_dim=0))


@pytest.mark.parametrize("dataset", ["mnist", "fashion-mnist"])
def test_classifier_logits_and_features(dataset):
    clf = Classifier(ClassifierConfig(dataset=dataset, width=4, feature_dim=32)).eval()
    x = torch.rand(5, 1, 28, 28)
    assert clf(x).shape == (5, 10)
    assert clf.features(x).shape == (5, 32)
    assert len(clf.classes) == 10
