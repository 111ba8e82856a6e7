"""How truthful the classifier is: the share it reads confidently (max probability >= names.CONFIDENT)
of junk that is no digit, beside real test images, and whether a second, differently trained
reader confirms the edits latentkit says reached their target.

    python benchmarks/lens.py --classifier mnist-classifier --r004 runs/r004-1epoch
    python benchmarks/lens.py --classifier runs/mnist-classifier-oe --second-reader runs/lenet.safetensors
    python benchmarks/lens.py --second-reader runs/lenet.safetensors --samples-of mnist-dcgan --samples-of runs/new

Junk is drawn from streams no training run draws from (seeds 10_000+). --r004 is a generator
run of R004's MLP trained for one epoch (`latentkit train --arch r004-mlp --epochs 1
--eval-samples 0 --out runs/r004-1epoch`); --second-reader trains (once, then reuses) a reader
on MNIST with another architecture (LeNet-5), seed and no outlier exposure; --samples-of reads
10,000 samples (seed 0) of a generator with both readers. Prints one JSON line per figure.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from torch import nn

from latentkit.data.datasets import load_images
from latentkit.data.pixels import to_native
from latentkit.generator.handle import Models
from latentkit.generator.sampling import BATCH, classify_images
from latentkit.models import ARCHS, GANConfig, Generator
from latentkit.names import CONFIDENT
from latentkit.training.outliers import MAKERS

JUNK = 2000  # images of each kind
EDITS = ((3, 8), (1, 7), (4, 9))  # the edits, 20 samples, seed 1


def confident_share(classifier, images: torch.Tensor) -> float:
    """Share of (N, 1, 28, 28) images in [0, 1] read with probability >= CONFIDENT."""
    with torch.inference_mode():
        probs = torch.cat([classifier(x).softmax(-1) for x in images.split(BATCH)])
    return float((probs.amax(-1) >= CONFIDENT).float().mean())


def junk_sets(r004: str | None) -> dict[str, torch.Tensor]:
    gen = torch.Generator().manual_seed(10_000)
    sets = {kind: make(JUNK, gen) for kind, make in MAKERS.items()}
    for i, arch in enumerate(sorted(ARCHS)):
        torch.manual_seed(10_000 + i)
        g = Generator(GANConfig(arch, 100, ARCHS[arch].default_width)).eval()
        with torch.inference_mode():
            sets[f"untrained {arch}"] = g(torch.randn(JUNK, 100, generator=gen))
    if r004:
        models = Models.load(r004)
        sets["r004-mlp, 1 epoch"] = models.generate(models.prior(JUNK, seed=10_000)).images.float()[:, None] / 255
    return sets


def lenet() -> nn.Sequential:
    """The second reader: LeNet-5 with ReLU and max pooling, nothing shared with latentkit's
    classifier (a VGG-style CNN with BatchNorm) but the data."""
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


def second_reader(path: Path, data_dir: str | None, epochs: int = 4, seed: int = 1) -> nn.Sequential:
    """LeNet-5 trained on MNIST with Adam, seed 1, no augmentation, no outlier exposure; saved to
    and reloaded from `path` (safetensors)."""
    from safetensors.torch import load_file, save_file

    reader = lenet()
    if path.exists():
        reader.load_state_dict(load_file(path))
        return reader.eval()
    torch.manual_seed(seed)
    train = load_images("mnist", train=True, data_dir=data_dir)
    opt = torch.optim.Adam(reader.parameters(), lr=2e-3)
    for _ in range(epochs):
        reader.train()
        for idx in torch.randperm(len(train)).split(128):
            loss = nn.functional.cross_entropy(reader(to_native(train.images[idx])), train.labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(reader.state_dict(), str(path))
    return reader.eval()


def edit_agreement(classifier: str, reader: nn.Module) -> dict:
    """Of the images `edit --from A --toward B --samples 20 --seed 1` says reached B (its flip
    step: the first read as B with probability >= CONFIDENT), how many the second reader reads as
    B (its likeliest class, and with probability >= CONFIDENT); and the same for latentkit 0.1's
    flip step, the first step whose likeliest class is B."""
    from latentkit.analyses.edit import edit

    models = Models.load("mnist-dcgan", classifier)
    counts = dict.fromkeys(("claimed", "reader_agrees", "reader_sure", "argmax_claimed", "argmax_reader_agrees"), 0)
    for start, target in EDITS:
        r = edit(models, start=start, toward=target, samples=20, seed=1)
        hit = r.labels[:, 0] == target
        for prefix, step in (("", r.flip_step[:, 0]), ("argmax_", np.where(hit.any(-1), hit.argmax(-1), -1))):
            reached = np.flatnonzero(step >= 0)
            with torch.inference_mode():
                probs = reader(to_native(torch.from_numpy(r.images[reached, 0, step[reached]]))).softmax(-1)
            counts[f"{prefix}claimed"] += len(reached)
            counts[f"{prefix}reader_agrees"] += int((probs.argmax(-1) == target).sum())
            if not prefix:
                counts["reader_sure"] += int(((probs.argmax(-1) == target) & (probs.amax(-1) >= CONFIDENT)).sum())
    return counts


def sample_reading(model: str, classifier: str, reader: nn.Module, n: int = 10_000) -> dict:
    """Both readers on n samples (seed 0) of `model`: the share each reads with probability >=
    CONFIDENT, and the rarest and commonest class's share of each one's likeliest class."""
    from latentkit.generator.sampling import generate_and_classify

    models = Models.load(model, classifier)
    g = models.generator
    out = generate_and_classify(g, models.classifier, g.sample_latents(n, seed=0))
    with torch.inference_mode():
        theirs = torch.cat([reader(to_native(x)).softmax(-1) for x in out.images.split(BATCH)])
    row = {"samples_of": model, "samples": n}
    for name, probs in (("classifier", out.probs), ("second_reader", theirs)):
        shares = torch.bincount(probs.argmax(-1), minlength=10).float() / n
        row |= {f"{name}_confident": float((probs.amax(-1) >= CONFIDENT).float().mean()),
                f"{name}_min_share": float(shares.min()), f"{name}_max_share": float(shares.max())}
    return row


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--classifier", default="mnist-classifier")
    p.add_argument("--r004", default=None, help="a one-epoch r004-mlp run folder")
    p.add_argument("--second-reader", default=None, help="path of the second reader's weights (trained if absent)")
    p.add_argument("--samples-of", action="append", default=[], metavar="MODEL",
                   help="a generator (bundled name or run folder) whose samples both readers read")
    p.add_argument("--data-dir", default=None)
    args = p.parse_args()
    if args.samples_of:
        if not args.second_reader:
            p.error("--samples-of needs --second-reader (the LeNet's weights file, trained there if absent)")
        reader = second_reader(Path(args.second_reader), args.data_dir)
        for model in args.samples_of:
            print(json.dumps(sample_reading(model, args.classifier, reader)), flush=True)
        return
    models = Models.load("mnist-dcgan", args.classifier)
    clf = models.classifier
    for kind, images in junk_sets(args.r004).items():
        print(json.dumps({"classifier": args.classifier, "set": kind, "confident_share": confident_share(clf, images)}))
    test = load_images("mnist", train=False, data_dir=args.data_dir)
    real = classify_images(clf, test.images).probs
    print(json.dumps({"classifier": args.classifier, "set": "MNIST test", "images": len(real),
                      "confident_share": float((real.amax(-1) >= CONFIDENT).float().mean()),
                      "accuracy": float((real.argmax(-1) == test.labels).float().mean())}))
    if args.second_reader:
        reader = second_reader(Path(args.second_reader), args.data_dir)
        seen = classify_images(clf, test.images).probs.argmax(-1)
        with torch.inference_mode():
            theirs = torch.cat([reader(to_native(x)).argmax(-1) for x in test.images.split(BATCH)])
        print(json.dumps({"second_reader_test_accuracy": float((theirs == test.labels).float().mean()),
                          "agreement_on_test": float((theirs == seen).float().mean())}))
        print(json.dumps({"classifier": args.classifier, **edit_agreement(args.classifier, reader)}))


if __name__ == "__main__":
    main()
