"""latentkit: look inside the latent space of image generators.

    import latentkit
    g = latentkit.load_generator()          # bundled MNIST dcgan
    clf = latentkit.load_classifier()       # bundled MNIST classifier
    probs = clf(g(g.sample_latents(8, seed=0))).softmax(-1)
    mine = latentkit.wrap_generator(my_module, latent_dim=64, value_range=(-1, 1))   # any torch generator
"""

import os as _os

__version__ = "0.1.0"

# Installed, analyses/, cli/ and trained/ are subpackages of latentkit (pyproject's package-dir).
# In a source checkout they sit beside this folder: let `import latentkit.analyses` find them there too.
_checkout = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
if _os.path.isfile(_os.path.join(_checkout, "pyproject.toml")) and _os.path.isfile(
        _os.path.join(_checkout, "analyses", "__init__.py")):
    __path__.append(_checkout)

__all__ = ["GeneratorLike", "__version__", "load_classifier", "load_generator", "wrap_generator"]


def __getattr__(name: str):
    # Lazy so `import latentkit` (and `latentkit --help`) does not import torch.
    if name in ("load_generator", "load_classifier"):
        from latentkit.generator import registry

        return getattr(registry, name)
    if name in ("wrap_generator", "GeneratorLike"):
        from latentkit.generator import contract as generators

        return getattr(generators, name)
    raise AttributeError(f"module 'latentkit' has no attribute {name!r}")
