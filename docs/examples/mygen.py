"""Hand a generator you trained yourself to latentkit: `--model docs/examples/mygen.py:make`.

latentkit imports this file and calls make(); it may return the module itself (latentkit reads
the latent size off the first Linear/ConvTranspose2d and the pixel range off a final Tanh or
Sigmoid) or, to say exactly what it is, a latentkit.wrap_generator(...).
"""

import os
from pathlib import Path

import torch
from plain_gan import Generator  # this folder is on sys.path while latentkit imports the file


def make():
    weights = Path(os.environ.get("PLAIN_GAN_WEIGHTS", "plain_gan.pt"))
    G = Generator()
    G.load_state_dict(torch.load(weights, weights_only=True))  # tensors only: no pickled code runs
    return G
