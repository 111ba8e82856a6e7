"""A GAN trained by a plain PyTorch script that knows nothing of latentkit.

    python docs/examples/plain_gan.py --data ../shared/data/MNIST/raw --epochs 6 --out plain_gan.pt

latentkit then analyses it through docs/examples/mygen.py:

    latentkit interpolate --model docs/examples/mygen.py:make --from 9 --to 4
"""

import argparse
import gzip
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

LATENT = 64


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(LATENT, 256), nn.LeakyReLU(0.2),
            nn.Linear(256, 512), nn.LeakyReLU(0.2),
            nn.Linear(512, 784), nn.Tanh(),
        )

    def forward(self, z):
        return self.net(z)


def read_images(raw: Path) -> torch.Tensor:
    path = raw / "train-images-idx3-ubyte"
    data = gzip.open(f"{path}.gz").read() if not path.exists() else path.read_bytes()
    images = np.frombuffer(data, dtype=np.uint8, offset=16).reshape(-1, 784)
    return torch.from_numpy(images.astype(np.float32) / 127.5 - 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True, help="folder with train-images-idx3-ubyte")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--out", default="plain_gan.pt")
    args = parser.parse_args()

    torch.manual_seed(0)
    x = read_images(args.data)
    G = Generator()
    D = nn.Sequential(nn.Linear(784, 512), nn.LeakyReLU(0.2), nn.Linear(512, 256), nn.LeakyReLU(0.2),
                      nn.Linear(256, 1))
    opt_g = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    print(f"training on {len(x)} images for {args.epochs} epochs", flush=True)
    for epoch in range(args.epochs):
        batches = x[torch.randperm(len(x))].split(64)
        for real in tqdm(batches, desc=f"epoch {epoch + 1}/{args.epochs}", leave=False):
            ones, zeros = torch.ones(len(real), 1), torch.zeros(len(real), 1)
            fake = G(torch.randn(len(real), LATENT))
            loss_d = bce(D(real), ones) + bce(D(fake.detach()), zeros)
            opt_d.zero_grad()
            loss_d.backward()
            opt_d.step()
            loss_g = bce(D(fake), ones)
            opt_g.zero_grad()
            loss_g.backward()
            opt_g.step()
        print(f"epoch {epoch + 1}: loss_D {loss_d.item():.3f} loss_G {loss_g.item():.3f}", flush=True)
        torch.save(G.state_dict(), args.out)


if __name__ == "__main__":
    main()
