"""pytorch/examples' `vae/main.py` (its model and loss in docs/examples/pytorch_vae.py, its loops
here), run on the same MNIST files, for comparing its test loss with latentkit's `--arch vae` (bundled: mnist-vae).

The script differs from the published one only in where the data comes from (latentkit's loader
of the local files, the same pixels as torchvision's ToTensor) and in taking a seed for the data
order; the model, loss, optimiser (Adam 1e-3), batch 128 and 10 epochs are the reference's.

    python benchmarks/vae_reference.py --epochs 10     # prints the reference's "Test set loss" per epoch
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
from torch import optim

from latentkit.data.datasets import load_images

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "docs" / "examples"))
from pytorch_vae import VAE, loss_function  # noqa: E402 (the published model, beside the other examples)


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
