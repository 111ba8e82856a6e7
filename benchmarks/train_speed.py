"""Training images/second: latentkit's trainer against a faithful reference loop, per architecture.

The reference loop is what the write-ups run: torchvision's MNIST with per-sample
ToTensor/Normalize (and Pad/Resize to 32/64) transforms, a shuffling DataLoader with the
write-up's batch size, and pytorch/examples' dcgan update (Sigmoid + BCELoss, D on real
then fake, then G, `.item()` for the log every step). latentkit's side is the loop of
`Trainer.fit`: the split resident on the device as uint8, batches by indexing, one
`train_step`. Both use the same networks, initialisation and optimizer settings.

    python benchmarks/train_speed.py                        # every architecture, 3 x 10 s each, ~15 min
    python benchmarks/train_speed.py --arch r004-mlp --seconds 5 --rounds 1
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import statistics
import time
from collections.abc import Iterator

import torch
import torchvision
from torch import nn
from torchvision import transforms

from latentkit.data.datasets import data_root, load_images
from latentkit.models import Discriminator, Generator, get_arch
from latentkit.names import ARCH_NAMES
from latentkit.training.gan import GANTrainer
from latentkit.training.trainer import TrainConfig, epoch_permutation

# The write-ups' batch sizes (REFERENCE_SYSTEMS.md); R000 and R001 state none, so 64.
REFERENCE_BATCH = {"r000-dcgan28": 64, "r001-mlp": 64, "r001-dcgan32": 64, "r002-dcgan64": 128,
                   "r003-dcgan32": 64, "r004-mlp": 64, "dcgan": 64}


def reference_transform(arch: str) -> transforms.Compose:
    a = get_arch(arch)
    steps = [transforms.ToTensor()]  # uint8 PIL -> [0, 1] float, one image at a time
    if a.image_size == 32:
        steps.append(transforms.Pad(2))
    elif a.image_size == 64:
        steps.append(transforms.Resize(64))
    if a.value_range == "symmetric":
        steps.append(transforms.Normalize((0.5,), (0.5,)))
    return transforms.Compose(steps)


def images_per_second(steps: Iterator[int], seconds: float) -> float:
    """Run `steps` (each does one training step and yields its batch size) for `seconds`;
    the first step pays one-off costs, so the clock starts after it."""
    next(steps)
    images, started = 0, time.perf_counter()
    for batch in steps:
        images += batch
        if time.perf_counter() - started >= seconds:
            break
    return images / (time.perf_counter() - started)


def reference_steps(arch: str, batch_size: int, data_dir: str | None) -> Iterator[int]:
    torch.manual_seed(0)
    config = TrainConfig(arch=arch).model_config
    G, D = Generator(config), Discriminator(config)  # plain NCHW modules and the stock Adam, as written up
    opt_G = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_D = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    dataset = torchvision.datasets.MNIST(str(data_root(data_dir)), train=True, transform=reference_transform(arch))
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=True, drop_last=True)
    criterion = nn.BCELoss()
    while True:
        for real, _ in loader:
            b = real.shape[0]
            label_real, label_fake = torch.ones(b), torch.zeros(b)
            D.zero_grad()
            err_real = criterion(torch.sigmoid(D(real)), label_real)
            err_real.backward()
            fake = G.native(torch.randn(b, 100))
            err_fake = criterion(torch.sigmoid(D(fake.detach())), label_fake)
            err_fake.backward()
            opt_D.step()
            G.zero_grad()
            err_G = criterion(torch.sigmoid(D(fake)), label_real)
            err_G.backward()
            opt_G.step()
            _log = (err_real.item() + err_fake.item(), err_G.item())
            yield b


def latentkit_steps(arch: str, batch_size: int, data) -> Iterator[int]:
    trainer = GANTrainer(TrainConfig(arch=arch, batch_size=batch_size, eval_samples=0), out="/nonexistent-run")
    for epoch in itertools.count(1):
        perm = epoch_permutation(len(data), 0, epoch)
        for step in range(len(data) // batch_size):
            trainer.train_step(data.images[perm[step * batch_size:(step + 1) * batch_size]]).tolist()
            yield batch_size


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", action="append", choices=ARCH_NAMES, help="repeatable; default: all")
    p.add_argument("--seconds", type=float, default=10, help="timed seconds per measurement")
    p.add_argument("--rounds", type=int, default=3, help="alternating measurements per loop (median kept)")
    p.add_argument("--data-dir", default=None)
    args = p.parse_args()
    data = load_images("mnist", train=True, data_dir=args.data_dir)
    print(json.dumps({"machine": platform.processor() or platform.machine(), "threads": torch.get_num_threads(),
                      "torch": torch.__version__}), flush=True)
    for arch in args.arch or ARCH_NAMES:
        batch = REFERENCE_BATCH[arch]
        loops = {"reference": reference_steps(arch, batch, args.data_dir),
                 "latentkit": latentkit_steps(arch, batch, data)}
        if batch != 64:
            loops["latentkit_default_batch"] = latentkit_steps(arch, 64, data)
        # Take turns, then keep each loop's median: the machine's speed drifts by up to 20%
        # over minutes, and alternating exposes every loop to the same drift.
        rates = {name: [] for name in loops}
        for _ in range(args.rounds):
            for name, steps in loops.items():
                rates[name].append(images_per_second(steps, args.seconds))
        row = {"arch": arch, "batch_size": batch, "rounds": args.rounds}
        row.update({f"{name}_img_s": round(statistics.median(r), 1) for name, r in rates.items()})
        row["ratio"] = round(row["latentkit_img_s"] / row["reference_img_s"], 2)
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
