"""pytorch/examples' `vae/main.py`, its model, loss and loops as published, run on the same MNIST
files, for comparing its test loss with latentkit's `--arch vae` (bundled: mnist-vae).

The script differs from the published one only in where the data comes from (latentkit's loader
of the local files, the same pixels as torchvision's ToTensor) and in taking a seed for the data
order; the model, loss, optimiser (Adam 1e-3), batch 128 and 10 epochs are the reference's.

    python benchmarks/vae_reference.py --epochs 10     # prints the reference's "Test set loss" per epoch
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn, optim

from latentkit.data.datasets import load_images


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 784))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    bce = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--seed", type=int, default=1)  # the published script's default
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "vae_reference.jsonl")
    args = p.parse_args()
    torch.manual_seed(args.seed)
    train = load_images("mnist", train=True).images.float().div(255)
    test = load_images("mnist", train=False).images.float().div(255)
    model = VAE()
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(1, args.epochs + 1):
        model.train()
        for batch in train[torch.randperm(len(train))].split(128):
            optimizer.zero_grad()
            recon, mu, logvar = model(batch)
            loss_function(recon, batch, mu, logvar).backward()
            optimizer.step()
        model.eval()
        test_loss = 0.0
        with torch.no_grad():
            for batch in test.split(128):
                recon, mu, logvar = model(batch)
                test_loss += loss_function(recon, batch, mu, logvar).item()
        test_loss /= len(test)
        row = {"epoch": epoch, "test_loss": round(test_loss, 4), "seed": args.seed}
        print(json.dumps(row), flush=True)
    with open(args.out, "a") as f:
        f.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
